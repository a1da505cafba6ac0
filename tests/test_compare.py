"""Design comparison: the paired standard error, which differences keep common random numbers, value for money."""

import math

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.studies.compare import compare, differing_keys
from simulator.studies.designs import Design, parse_set, variants
from simulator.studies.value import true_reductions

from .conftest import DEFAULT_SCENARIO, raw_scenario, set_key

SIMS = 600


@pytest.fixture(scope="module")
def default_vs_any_improvement():
    raw = raw_scenario(DEFAULT_SCENARIO)
    designs = [Design("A", raw, "default"), Design("B", set_key(raw, "payment.pbr.trigger", "any_improvement"), "b")]
    return raw, compare(designs, sims=SIMS, seed=11)


def row(result, design, who, metric):
    t = result.table
    return t[(t.design == design) & (t.who == who) & (t.metric == metric)].iloc[0]


def test_paired_se_is_the_se_of_per_simulation_differences(default_vs_any_improvement):
    raw, result = default_vs_any_improvement
    a = simulate(scenario_from_dict(raw), sims=SIMS, seed=11, keep_monthly=False, keep_components=False)
    b = simulate(scenario_from_dict(set_key(raw, "payment.pbr.trigger", "any_improvement")), sims=SIMS, seed=11,
                 keep_monthly=False, keep_components=False)
    for p, party in enumerate(a.party_names):
        d = b.arrays["npv"][:, p] - a.arrays["npv"][:, p]
        r = row(result, "B", party, "npv_gbp_mean")
        assert r["diff"] == pytest.approx(d.mean(), rel=1e-12)
        assert r["diff_se"] == pytest.approx(d.std(ddof=1) / math.sqrt(SIMS), rel=1e-9)
        loss = (b.arrays["npv"][:, p] < 0).astype(float) - (a.arrays["npv"][:, p] < 0)
        assert row(result, "B", party, "prob_loss")["diff_se"] == pytest.approx(loss.std(ddof=1) / math.sqrt(SIMS))
    outlay = b.arrays["commissioner_total"] - a.arrays["commissioner_total"]
    r = row(result, "B", "commissioner", "total_paid_gbp_mean")
    assert r["diff_se"] == pytest.approx(outlay.std(ddof=1) / math.sqrt(SIMS), rel=1e-9)


def test_paired_se_is_far_below_the_level_se_under_common_random_numbers(default_vs_any_improvement):
    _, result = default_vs_any_improvement
    assert result.shared == (True, True) and result.warnings == ()
    for who in ("prime", "regional_provider", "small_charity", "commissioner"):
        metric = "total_paid_gbp_mean" if who == "commissioner" else "npv_gbp_mean"
        r = row(result, "B", who, metric)
        assert r["diff_se"] < 0.5 * min(r["se"], row(result, "A", who, metric)["se"]), who
    first = result.table[result.table.design == "A"]
    assert (first["diff"].fillna(0) == 0).all()


def test_value_for_money_is_outlay_over_what_was_bought(default_vs_any_improvement):
    raw, result = default_vs_any_improvement
    a = simulate(scenario_from_dict(raw), sims=SIMS, seed=11, keep_monthly=False, keep_components=False)
    points, avoided = true_reductions(a)
    assert points.mean() == pytest.approx(row(result, "A", "commissioner", "effect_points_mean")["value"])
    per_point = a.arrays["commissioner_total"].mean() / points.mean()
    assert row(result, "A", "commissioner", "outlay_per_point_gbp")["value"] == pytest.approx(per_point)
    per_reoffence = a.arrays["commissioner_total"].mean() / avoided.mean()
    assert row(result, "A", "commissioner", "outlay_per_reoffence_avoided_gbp")["value"] == pytest.approx(per_reoffence)
    # the drawn binary effect averages 1 point (normal, mean 1): the reduction follows it exactly
    np.testing.assert_allclose(points, a.arrays["effect_binary_points"], rtol=1e-12)


def test_reoffences_avoided_by_hand():
    """One segment, p = 0.4, mu = 3, an effect of 2 points and 10% fewer reoffences: per offender
    0.4 x 3 - 0.38 x 2.7 = 0.174 reoffences avoided."""
    raw = raw_scenario(DEFAULT_SCENARIO.parent / "analytic" / "binomial_no_effect.toml")
    raw = set_key(raw, "effect.binary_points", {"dist": "fixed", "value": 2.0})
    raw = set_key(raw, "effect.frequency_relative", {"dist": "fixed", "value": 0.1})
    res = simulate(scenario_from_dict(raw), sims=4, seed=1, keep_monthly=False, keep_components=False)
    points, avoided = true_reductions(res)
    offenders = res.arrays["cohort_n"].sum(axis=(1, 2))
    np.testing.assert_allclose(points, 2.0)
    np.testing.assert_allclose(avoided, offenders * (0.4 * 3 - 0.38 * 2.7))


SHARED = ["payment.pbr.trigger=any_improvement", "payment.pbr.binary_hurdle=false",
          "payment.fee_for_service.rate_gbp=3000", "payment.pbr.maximum_annual_payment_gbp=25000000",
          "supply_chain.subcontractors.1.upfront_share=0.9", "supply_chain.prime.fixed_cost_per_month_gbp=500000",
          "baseline.stretch_per_year=0.01", "timeline.processing_lag_months=9", "timeline.settlement_interval_months=1",
          "money.discount_rate_annual=0.05"]
NOT_SHARED = ["volume.factor_mean=0.8", "effect.binary_points.mean=2.0", "uncertainty.common_shock_points_sd=0",
              "segments.0.binary_rate=0.35", "volume.factor_sd=0.3", "timeline.bedding_in_months=6"]


@pytest.mark.parametrize("change", SHARED + NOT_SHARED)
def test_which_differences_keep_common_random_numbers(change):
    """Payment terms draw nothing: designs differing only there draw identical outcomes; outcome inputs do not."""
    designs = variants([DEFAULT_SCENARIO], sets=[change])
    result = compare(designs, sims=64, seed=3)
    key = next(iter(parse_set(change)))
    assert result.shared[1] == (change in SHARED)
    if change in NOT_SHARED:
        assert len(result.warnings) == 1 and key in result.warnings[0]
    else:
        assert result.warnings == ()


def test_differing_keys_names_the_changed_paths():
    raw = raw_scenario(DEFAULT_SCENARIO)
    a = scenario_from_dict(raw)
    b = scenario_from_dict(set_key(set_key(raw, "volume.factor_mean", 0.7), "payment.pbr.trigger", "target"))
    assert differing_keys(a, b) == ["volume.factor_mean", "payment.pbr.trigger"]


def test_designs_from_files_stresses_and_sets():
    designs = variants([DEFAULT_SCENARIO, DEFAULT_SCENARIO], stresses=["zero_effect+volume_down_30"],
                       sets=["payment.pbr.binary_hurdle=false;payment.pbr.deductions=false"])
    labels = [d.label for d in designs]
    assert labels == ["tr_crc_default", "tr_crc_default (2)", "tr_crc_default [stress: zero_effect, volume_down_30]",
                      "tr_crc_default [payment.pbr.binary_hurdle=false; payment.pbr.deductions=false]"]
    assert designs[3].scenario().areas[0].payment.pbr.deductions is False
    assert designs[2].scenario().areas[0].volume.factor_mean == pytest.approx(0.63)
