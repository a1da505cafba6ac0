"""Individual mode with a personal-risk spread keeps ``binary_rate`` as the mean risk, and the law.

Centring personal risk on logit(binary_rate) made the rate the median and pulled the mean
towards 1/2: a no-effect cohort at p = 0.30, n = 1,300 reoffended at 0.309 (spread 0.5) or
0.331 (spread 1.0) against a 0.30 baseline, and was deducted for an effect that was not there.
Centred on the mean, risks drawn afresh per offender leave each offender reoffending with
chance p, independently: the engine then draws no personal risks at all (issue 11), and the
per-offender draws below check that the two agree.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from simulator import scenario_from_dict, simulate
from simulator.engine.risk_spread import CENTRE_GRID, CENTRE_LOGIT_MAX, centre_table, mean_risk, solve_centres

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
    """The table interpolated linearly in logit(p) gives the mean risk p within 1e-4 p (1 - p)."""
    table = centre_table(sd)
    p = np.concatenate([np.logspace(-6, -0.31, 60), 1 - np.logspace(-6, -0.31, 60)])
    grid = np.linspace(-CENTRE_LOGIT_MAX, CENTRE_LOGIT_MAX, CENTRE_GRID)
    got = mean_risk(np.interp(np.log(p / (1 - p)), grid, table), sd)
    assert np.all(np.abs(got - p) <= 1e-4 * p * (1 - p))
    assert len(table) == CENTRE_GRID and table[0] < -CENTRE_LOGIT_MAX  # no spread: centre = logit


@pytest.mark.parametrize("p, sd", [(0.25, 1.0), (0.05, 2.0), (0.7, 0.5)])
def test_personal_risks_drawn_one_by_one_give_a_binomial_count(p, sd):
    """The per-offender law the engine relies on: risks expit(c + sd z_i), then Bernoulli(p_i).

    Counted over 3,000 cohorts of 500: the mean and variance of the reoffenders are those of
    Binomial(500, p) within 4 s.e. A spread centred on logit(p) (the median) fails this.
    """
    n, reps = 500, 3000
    rng = np.random.default_rng(17)
    centre = float(solve_centres(np.array([p]), sd)[0])
    risks = 1.0 / (1.0 + np.exp(-(centre + sd * rng.standard_normal((reps, n)))))
    r = (rng.random((reps, n)) < risks).sum(axis=1)
    assert abs(r.mean() / n - p) < Z * math.sqrt(p * (1 - p) / (n * reps))
    var = n * p * (1 - p)
    assert abs(r.var(ddof=1) - var) < Z * var * math.sqrt(2.0 / (reps - 1))
    median_centred = 1.0 / (1.0 + np.exp(-(math.log(p / (1 - p)) + sd * rng.standard_normal((reps, n)))))
    wrong = (rng.random((reps, n)) < median_centred).sum(axis=1)
    assert abs(wrong.mean() / n - p) > Z * math.sqrt(p * (1 - p) / (n * reps))


def test_the_engine_draws_the_same_outcomes_whatever_the_spread():
    """Individual mode: a spread changes no law, so the engine's draws do not depend on it at all."""
    runs = [simulate(scenario_from_dict(cohort_scenario(sd)), sims=64, seed=5, keep_monthly=False,
                     keep_components=False) for sd in (0.0, 1.0)]
    for key in ("cohort_binary", "cohort_frequency", "npv"):
        np.testing.assert_array_equal(runs[0].arrays[key], runs[1].arrays[key])


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
