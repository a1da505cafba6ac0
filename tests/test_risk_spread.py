"""Individual mode with a personal-risk spread keeps ``binary_rate`` as the mean risk.

Centring personal risk on logit(binary_rate) made the rate the median and pulled the mean
towards 1/2: a no-effect cohort at p = 0.30, n = 1,300 reoffended at 0.309 (spread 0.5) or
0.331 (spread 1.0) against a 0.30 baseline, and was deducted for an effect that was not there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from simulator import scenario_from_dict, simulate
from simulator.engine.risk_spread import centre_table, mean_risk, solve_centres
from simulator.kernels.individual import CENTRE_GRID, CENTRE_LOGIT_MAX, risk_centre

Z = 4.0


def exact_mean_risk(centre: float, sd: float) -> float:
    """E[expit(centre + sd Z)] by adaptive quadrature (the reference for the tables)."""
    def f(z):
        return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) / (1.0 + math.exp(-(centre + sd * z)))
    return integrate.quad(f, -12, 12, epsabs=1e-13, epsrel=1e-12, limit=200)[0]


@pytest.mark.parametrize("sd", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("p", [0.001, 0.05, 0.3, 0.5, 0.8, 0.999])
def test_solved_centre_gives_the_mean_risk(p, sd):
    c = float(solve_centres(np.array([p]), sd)[0])
    assert exact_mean_risk(c, sd) == pytest.approx(p, rel=1e-7, abs=1e-10)
    if p != 0.5:
        assert abs(c) > abs(math.log(p / (1 - p)))  # the centre sits further out than logit(p)


@pytest.mark.parametrize("sd", [0.5, 1.0, 3.0])
def test_interpolated_centre_is_within_a_tiny_fraction_of_the_rate(sd):
    """The kernel interpolates the table: the mean risk it gives is p within 1e-4 p (1 - p)."""
    table = centre_table(sd)
    p = np.concatenate([np.logspace(-6, -0.31, 60), 1 - np.logspace(-6, -0.31, 60)])
    for fn in (risk_centre, risk_centre.py_func):
        got = mean_risk(np.array([fn(x, table) for x in p]), sd)
        assert np.all(np.abs(got - p) <= 1e-4 * p * (1 - p))
    assert len(table) == CENTRE_GRID and table[0] < -CENTRE_LOGIT_MAX  # no spread: centre = logit


def cohort_scenario(sd: float) -> dict:
    """One segment at p = 0.30, exactly 1,300 offenders a cohort, no shocks, a known baseline."""
    return {
        "name": f"no effect, spread {sd}",
        "timeline": {"term_months": 24, "bedding_in_months": 0, "cohort_period_months": 1, "follow_up_months": 12,
                     "conviction_wait_months": 0, "processing_lag_months": 0, "settlement_interval_months": 1},
        "uncertainty": {"common_shock_points_sd": 0.0},
        "simulation": {"mode": "individual"},
        "segments": [{"name": "all", "share": 1.0, "binary_rate": 0.30, "reoffences_per_reoffender": 3.0,
                      "risk_spread_logit_sd": sd}],
        "volume": {"contracted_cases_per_month": 1300},
        "payment": {"pbr": {"trigger": "significant", "binary_gbp_per_point_per_offender": 10.0}},
    }


@pytest.mark.parametrize("sd", [0.5, 1.0])
def test_no_effect_cohort_reoffends_at_its_baseline(sd):
    r = simulate(scenario_from_dict(cohort_scenario(sd)), sims=256, seed=3, keep_monthly=False, keep_components=False)
    rate = r.arrays["cohort_binary"][:, 0, :]
    assert np.all(r.arrays["cohort_n"] == 1300)
    np.testing.assert_array_equal(r.arrays["cohort_base_binary"], 0.30)
    se = rate.std(ddof=1) / math.sqrt(rate.size)  # no shared shocks: cohorts are independent
    assert abs(rate.mean() - 0.30) < Z * se, (rate.mean(), se)
    # no invented effect: deductions and payments as rare as the one-sided 5% test allows
    summary = r.summary()["areas"]["CPA"]
    for key in ("prob_cohort_paid", "prob_cohort_deducted"):
        assert summary[key] < 0.05 + Z * summary[f"{key}_se"], (key, summary[key])
