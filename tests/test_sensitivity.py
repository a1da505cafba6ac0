"""Sensitivity: given draws leave other runs untouched; tornado swings and Sobol' indices against closed forms.

scenarios/analytic/sobol_linear.toml: the prime's NPV = const + K (effect - shock) + binomial
chance, with K = R N (R = 10 GBP per point per offender, N = 3,000 offenders in 10 cohorts of
300), effect ~ Uniform(0, 6), shock ~ Normal(0, 1). See the file for the derivation.
"""

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import binom, norm

from simulator import load_scenario, simulate
from simulator.cli import main
from simulator.engine import ExternalInputs, uncertain_inputs
from simulator.kernels.given import binomial_quantile
from simulator.studies.sensitivity import tornado
from simulator.studies.sobol import sobol_indices

from .conftest import DEFAULT_SCENARIO, SCENARIOS

LINEAR = SCENARIOS / "analytic" / "sobol_linear.toml"
R, N, COHORTS, P0 = 10.0, 3000, 10, 0.4
K = R * N
VAR_EFFECT, VAR_SHOCK = 3.0, 1.0
OPTS = dict(keep_monthly=False, keep_components=False)


def closed_form_indices() -> dict[str, float]:
    mean_p = P0 - 3.0 / 100.0
    e_pq = mean_p - (mean_p**2 + (VAR_EFFECT + VAR_SHOCK) / 1e4)
    chance = R**2 * 1e4 * N * e_pq
    total = K**2 * (VAR_EFFECT + VAR_SHOCK) + chance
    return {"effect_binary": K**2 * VAR_EFFECT / total, "common_shock": K**2 * VAR_SHOCK / total,
            "chance": chance / total}


@pytest.mark.parametrize("n, p, u", [(5000, 0.45, 0.1), (5000, 0.45, 0.9), (40, 0.3, 0.5), (12, 0.9, 0.01),
                                     (1, 0.5, 0.7), (300, 0.02, 0.999)])
def test_binomial_quantile_is_scipys(n, p, u):
    assert binomial_quantile(n, p, u) == binomial_quantile.py_func(n, p, u) == int(binom.ppf(u, n, p))


def test_runs_without_given_draws_are_untouched_and_streams_repeat():
    sc = load_scenario(DEFAULT_SCENARIO)
    plain = simulate(sc, sims=200, seed=3, **OPTS)
    nan = simulate(sc, sims=200, seed=3, inputs=ExternalInputs.from_quantiles(sc, {}, sims=200), **OPTS)
    assert all(np.array_equal(plain.arrays[k], nan.arrays[k]) for k in plain.arrays)
    streams = np.arange(200) % 5
    given = simulate(sc, sims=200, seed=3, inputs=ExternalInputs.from_quantiles(sc, {"common_shock": 0.3}, sims=200,
                                                                                 streams=streams), **OPTS)
    assert np.array_equal(given.arrays["npv"][0], given.arrays["npv"][5])
    assert not np.array_equal(given.arrays["npv"][0], given.arrays["npv"][1])
    assert {c.group for c in uncertain_inputs(sc)} >= {"common_shock", "volume_factor", "baseline_error"}


def test_a_given_effect_quantile_is_the_effect_drawn():
    sc = load_scenario(LINEAR)
    res = simulate(sc, sims=64, seed=1, inputs=ExternalInputs.from_quantiles(sc, {"effect_binary": 0.25}, sims=64),
                   **OPTS)
    assert np.allclose(res.arrays["effect_binary_points"], 1.5)


def test_tornado_swings_match_the_closed_form():
    result = tornado(LINEAR, party="prime", sims=2000, seed=2)
    rows = result.to_frame().set_index("input")
    effect = rows.loc["true effect on the binary rate"]
    assert abs(effect.swing - K * 6.0 * 0.8) < 4 * effect.swing_se
    shock = rows.loc["common shock (all cohorts, points)"]
    assert abs(shock.swing + K * (norm.ppf(0.9) - norm.ppf(0.1))) < 4 * shock.swing_se
    fee = rows.loc["payment.fee_for_service.rate_gbp"]  # 10% of GBP 500 a case, 100 cases a month, 36 months
    assert fee.swing == pytest.approx(2 * 50.0 * 100 * 36) and fee.low_setting == 450.0
    assert list(rows.swing.abs()) == sorted(rows.swing.abs(), reverse=True)


def test_sobol_indices_match_the_closed_form_within_their_intervals():
    result = sobol_indices(LINEAR, party="prime", n=1024, seed=11, conf_level=0.99)
    table = result.to_frame().set_index("input")
    assert result.sims == 1024 * 5
    for name, truth in closed_form_indices().items():
        for col in ("S1", "ST"):  # additive model: first-order = total
            assert abs(table.loc[name, col] - truth) <= table.loc[name, f"{col}_conf"], (name, col, truth)


def test_cli_sensitivity_writes_tables_figures_and_report(tmp_path):
    out = tmp_path / "s"
    result = CliRunner().invoke(main, ["sensitivity", str(LINEAR), "--party", "prime", "--sims", "200", "--samples",
                                       "64", "--report", "--quiet", "--out", str(out), "--term",
                                       "payment.pbr.binary_gbp_per_point_per_offender:2"])
    assert result.exit_code == 0, result.output
    assert "true effect on the binary rate" in result.output and "Sobol' indices" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"tornado.csv", "sobol.csv", "tornado.png", "sobol.svg", "report.html"} <= names
    bad = CliRunner().invoke(main, ["sensitivity", str(LINEAR), "--party", "nobody", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "--party" in bad.output and len(bad.output.splitlines()) == 1
    assert not (tmp_path / "b").exists()
