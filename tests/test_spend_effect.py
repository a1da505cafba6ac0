"""The per-segment effect bought by spend: its table, its place in the model, and its uncertainty."""

import math

import numpy as np
import pytest

from simulator import ScenarioError, scenario_from_dict
from simulator.engine.model_arrays import build_model_arrays
from simulator.scenario.spend import SpendEffect

from .conftest import ANALYTIC_SCENARIO, DEFAULT_SCENARIO, raw_scenario, run, set_key

Z = 4.0


def test_curve_interpolates_and_stays_flat_beyond_its_ends():
    curve = SpendEffect(spend_gbp=[100.0, 300.0], points=[-1.0, 3.0], sd_points=[0.5, 1.5])
    assert curve.points_at(200.0) == pytest.approx(1.0)
    assert curve.points_at(50.0) == -1.0 and curve.points_at(900.0) == 3.0
    assert curve.sd_at(200.0) == pytest.approx(1.0)
    assert SpendEffect(spend_gbp=[100.0], points=[2.0]).sd_at(5.0) == 0.0


@pytest.mark.parametrize("table,message", [
    ({"spend_gbp": [300.0, 100.0], "points": [1.0, 2.0]}, "'segments[0].spend_effect.spend_gbp' must be strictly increasing"),
    ({"spend_gbp": [100.0, 300.0], "points": [1.0]}, "'segments[0].spend_effect.points' must have one value per spend_gbp"),
    ({"spend_gbp": [100.0], "points": [1.0], "sd_points": [-1.0]}, "'segments[0].spend_effect.sd_points[0]' must be"),
    ({"spend_gbp": [100.0], "points": [1.0], "slope": 2.0}, "'segments[0].spend_effect.slope' is not a known key"),
])
def test_bad_tables_get_one_clear_line(table, message):
    raw = set_key(raw_scenario(ANALYTIC_SCENARIO), "segments.0.spend_effect", table)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, source="s.toml")
    assert str(err.value).startswith(f"s.toml: {message}")


def test_the_effect_is_weighted_by_each_partys_caseload_and_cost():
    """Analytic scenario: the prime delivers 80% at GBP 100 a case, the charity 20% at GBP 60."""
    raw = set_key(raw_scenario(ANALYTIC_SCENARIO), "segments.0.spend_effect",
                  {"spend_gbp": [50.0, 150.0], "points": [0.0, 4.0], "sd_points": [0.0, 1.0]})
    raw = set_key(raw, "supply_chain.subcontractors.0.cost_per_case_gbp", {"all": 60.0})
    m, _ = build_model_arrays(scenario_from_dict(raw))
    assert m.seg_effect_points[0, 0] == pytest.approx(0.8 * 2.0 + 0.2 * 0.4)
    assert m.seg_effect_sd[0, 0] == pytest.approx(0.8 * 0.5 + 0.2 * 0.1)
    assert m.seg_effect_drawn
    plain, _ = build_model_arrays(scenario_from_dict(raw_scenario(DEFAULT_SCENARIO)))
    assert not plain.seg_effect_drawn and not plain.seg_effect_points.any()


def test_a_fixed_curve_moves_the_rate_exactly_as_the_same_scenario_effect():
    """A flat curve of 2 points draws the same cohorts, bit for bit, as effect.binary_points = 2."""
    base = raw_scenario(ANALYTIC_SCENARIO)
    curve = set_key(base, "segments.0.spend_effect", {"spend_gbp": [0.0], "points": [2.0]})
    effect = set_key(base, "effect.binary_points", {"dist": "fixed", "value": 2.0})
    a, b = run(curve, sims=128, seed=4), run(effect, sims=128, seed=4)
    for key in ("cohort_n", "cohort_binary", "cohort_frequency", "cohort_pbr", "npv"):
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key], err_msg=key)


def test_an_uncertain_curve_adds_its_variance_once_per_simulation():
    """sd 1.5 points, one normal per simulation: the variance of a simulation's mean cohort rate grows by 0.015^2."""
    base = raw_scenario(ANALYTIC_SCENARIO)
    raw = set_key(base, "segments.0.spend_effect", {"spend_gbp": [0.0], "points": [2.0], "sd_points": [1.5]})
    res = run(raw, sims=3000, seed=9)
    rates = res.arrays["cohort_binary"][:, 0, :]
    per_sim = rates.mean(axis=1)
    p, n, c = 0.38, 300, rates.shape[1]
    expected = 0.015**2 + p * (1 - p) / (n * c)
    assert abs(per_sim.mean() - p) < Z * math.sqrt(expected / len(per_sim))
    assert abs(per_sim.var(ddof=1) / expected - 1) < Z * math.sqrt(2 / (len(per_sim) - 1))
