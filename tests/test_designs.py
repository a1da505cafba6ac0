"""The record's payment designs on hand-computed cases: ladders, rate cards, 'target met',
case mix per measure, matched control groups and pooled triggers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import ScenarioError, scenario_from_dict
from simulator.engine.model_arrays import build_model_arrays
from simulator.kernels import designs
from simulator.kernels.cohorts import cohort_terms, pbr_terms, settle
from simulator.kernels.records import LADDER_BINARY, LADDER_FREQUENCY, NO_REOFFENCE

from .conftest import SCENARIOS, raw_scenario, run, set_key

Z = 4.0


def both(fn):
    return [fn, fn.py_func]


# ---------------------------------------------------------------- ladders and rate cards


@pytest.mark.parametrize("tier", both(designs.ladder_tier))
def test_ladder_tier_is_the_highest_reached(tier):
    falls = np.array([0.085, 0.10, 0.20, np.inf])  # padded with inf
    assert [tier(f, falls) for f in (0.0, 0.084, 0.085, 0.15, 0.5)] == [-1, -1, 0, 1, 2]


@pytest.mark.parametrize("pay", both(designs.ladder_payment))
def test_ladder_pays_the_amount_of_its_tier(pay):
    falls, amounts = np.array([0.085, 0.10, 0.20]), np.array([6.5e6, 7.2e6, 11.712e6])
    # frequency 2.0 -> 1.7 per offender is a 15% fall: the 10% tier, per cohort
    assert pay(LADDER_FREQUENCY, falls, amounts, False, 1470, 0.5, 0.5, 2.0, 1.7) == (7.2e6, True)
    # 2.0 -> 1.9 is 5%: below the first tier
    assert pay(LADDER_FREQUENCY, falls, amounts, False, 1470, 0.5, 0.5, 2.0, 1.9) == (0.0, False)
    # a binary ladder per offender: 50% -> 35% is a 30% fall: the top tier, 11.712 x 1000 offenders
    got, reached = pay(LADDER_BINARY, falls, amounts / 1e6, True, 1000, 0.5, 0.35, 2.0, 2.0)
    assert got == pytest.approx(11_712.0) and reached


@pytest.mark.parametrize("card", both(designs.rate_card_payment))
def test_rate_card_prices_each_outcome_achieved(card):
    prices = np.array([4390.0, 1310.0, 320.0])
    probs = np.array([1.0, 0.0, NO_REOFFENCE])  # everyone, nobody, and the non-reoffenders
    _, total = card(np.uint64(7), 3, prices, probs, 100, 30)
    assert total == 4390 * 100 + 0 + 320 * 70


def test_rate_card_counts_are_binomial():
    """A 'chance' outcome: the count paid for is Binomial(n, p): its mean and variance over cohorts."""
    prices, probs = np.array([1.0]), np.array([0.3])
    state, totals = np.uint64(11), []
    for _ in range(20_000):
        state, t = designs.rate_card_payment(state, 1, prices, probs, 200, 0)
        state = np.uint64(state)  # keep the SplitMix64 state unsigned between calls from Python
        totals.append(t)
    totals = np.array(totals)
    mean, var = 200 * 0.3, 200 * 0.3 * 0.7
    assert abs(totals.mean() - mean) < Z * math.sqrt(var / len(totals))
    assert abs(totals.var(ddof=1) - var) < Z * var * math.sqrt(2 / len(totals))


def test_ladder_and_rate_card_validation(analytic_raw):
    bad = set_key(analytic_raw, "payment.ladder", {"falls_relative": [0.1, 0.085], "amounts_gbp": [1.0, 2.0]})
    with pytest.raises(ScenarioError, match=r"payment\.ladder\.falls_relative.*strictly increasing"):
        scenario_from_dict(bad)
    bad = set_key(analytic_raw, "payment.ladder", {"falls_relative": [0.1], "amounts_gbp": [1.0, 2.0]})
    with pytest.raises(ScenarioError, match=r"amounts_gbp.*one amount per tier"):
        scenario_from_dict(bad)
    bad = set_key(analytic_raw, "payment.rate_card", [{"name": "job", "price_gbp": 10.0}])
    with pytest.raises(ScenarioError, match=r"rate_card\[0\]\.probability.*required"):
        scenario_from_dict(bad)


# ---------------------------------------------------------------- target met


def _settle(raw, n, reoffenders, reoffences, p=0.4, mu=3.0, alpha=0.5):
    m, _ = build_model_arrays(scenario_from_dict(raw))
    e_bin, e_off = n * p, n * p * mu
    e_sq = n * p * ((mu - 1) + alpha * (mu - 1) ** 2 + mu * mu)
    terms = pbr_terms(m, 0, m.bin_target[0], m.freq_target[0])
    return settle(terms, cohort_terms(m, 0, 0), n, reoffenders, reoffences, e_bin, e_bin, e_off, e_sq, 0.0, False)


def test_a_target_with_no_price_still_decides_met(analytic_raw):
    """Doncaster: nothing is paid beyond keeping the money at risk, yet the target decides it."""
    raw = set_key(analytic_raw, "payment.pbr.trigger", "target")
    raw = set_key(raw, "payment.pbr.binary_target_points", 5.0)
    raw = set_key(raw, "payment.pbr.binary_gbp_per_point_per_offender", 0.0)
    assert _settle(raw, 1000, 340, 1020) == (0.0, True)    # 40% -> 34%: 6 points, met
    assert _settle(raw, 1000, 360, 1080) == (0.0, False)   # 4 points: missed


def test_a_measure_without_price_or_target_is_not_part_of_the_contract(analytic_raw):
    raw = set_key(analytic_raw, "payment.pbr.binary_gbp_per_point_per_offender", 0.0)
    assert _settle(raw, 1000, 300, 900) == (0.0, False)    # a 10-point fall, but nothing is contracted on it
    assert _settle(analytic_raw, 1000, 300, 900) == (pytest.approx(10 * 100 * 0.1 * 1000), True)


# ---------------------------------------------------------------- case mix per measure


def mix_scenario(analytic_raw, *, binary: bool, frequency: bool) -> dict:
    """Two segments at 50/50 now, 80/20 in the historic cohort; baselines known exactly; no noise in them."""
    raw = set_key(analytic_raw, "segments", [
        {"name": "low", "share": 0.5, "historic_share": 0.8, "binary_rate": 0.2, "reoffences_per_reoffender": 2.0},
        {"name": "high", "share": 0.5, "historic_share": 0.2, "binary_rate": 0.6, "reoffences_per_reoffender": 4.0},
    ])
    raw = set_key(raw, "payment.pbr.binary_case_mix_adjusted", binary)
    return set_key(raw, "payment.pbr.frequency_case_mix_adjusted", frequency)


@pytest.mark.parametrize("binary, frequency", [(True, True), (True, False), (False, True), (False, False)])
def test_case_mix_adjustment_is_a_choice_per_measure(analytic_raw, binary, frequency):
    """Adjusted: the cohort's 50/50 mix (binary 40%, 1.4 reoffences per offender); not adjusted:
    the historic 80/20 mix (28%, 0.8)."""
    a = run(mix_scenario(analytic_raw, binary=binary, frequency=frequency), sims=8, keep_monthly=False,
            keep_components=False).arrays
    valid = a["cohort_n"] > 0
    np.testing.assert_allclose(a["cohort_base_binary"][valid], 0.40 if binary else 0.28, rtol=1e-12)
    np.testing.assert_allclose(a["cohort_base_frequency"][valid], 1.4 if frequency else 0.8, rtol=1e-12)


def test_historic_share_must_cover_every_segment(analytic_raw):
    raw = mix_scenario(analytic_raw, binary=True, frequency=True)
    del raw["segments"][1]["historic_share"]
    with pytest.raises(ScenarioError, match="historic_share must be given for every segment"):
        scenario_from_dict(raw)


# ---------------------------------------------------------------- matched control group


def control_raw(analytic_raw, control: bool) -> dict:
    """Cohorts of exactly 1,000 at 40%, a national shock of sd 3 points, no effect."""
    raw = set_key(analytic_raw, "timeline.cohort_period_months", 1)
    raw = set_key(raw, "volume.contracted_cases_per_month", 1000)
    raw = set_key(raw, "uncertainty.common_shock_points_sd", 3.0)
    return set_key(raw, "baseline.control", {"size_ratio": 4.0}) if control else raw


def test_a_control_group_cancels_national_shocks_and_adds_its_own_noise(analytic_raw):
    """Against a control 4 times the cohort, the measured fall has variance p(1-p)(1/n + 1/4n) with
    no trace of the national shock; against the history it carries the shock's 9e-4 as well."""
    diffs = {}
    for control in (False, True):
        a = run(control_raw(analytic_raw, control), sims=400, seed=5, keep_monthly=False, keep_components=False).arrays
        diffs[control] = (a["cohort_base_binary"] - a["cohort_binary"]).ravel()
    d = diffs[True]
    var = 0.4 * 0.6 * (1 / 1000 + 1 / 4000)
    assert abs(d.mean()) < Z * math.sqrt(var / len(d))
    assert abs(d.var(ddof=1) - var) < Z * var * math.sqrt(2 / (len(d) - 1))
    assert diffs[False].var() > 3 * var  # the history does not move with the shock


def test_control_size_is_checked(analytic_raw):
    with pytest.raises(ScenarioError, match=r"baseline\.control\.size_ratio"):
        scenario_from_dict(set_key(analytic_raw, "baseline.control", {"size_ratio": 0.0}))


# ---------------------------------------------------------------- pooled trigger


def pooled_raw(analytic_raw) -> dict:
    """Peterborough's triggers on a frequency measure: 10% a cohort, or 7.5% pooled; GBP 100 an event."""
    raw = set_key(analytic_raw, "payment.pbr", {
        "trigger": "target", "frequency_target_relative": 0.10, "pooled": {"frequency_target_relative": 0.075},
        "frequency_gbp_per_reoffence": 100.0, "binary_gbp_per_point_per_offender": 0.0, "binary_hurdle": False,
        "deductions": False})
    raw = set_key(raw, "effect.frequency_relative", {"dist": "fixed", "value": 0.09})
    return set_key(raw, "baseline.control", {"size_ratio": 10.0})


def test_pooled_trigger_pays_what_all_cohorts_earn_less_what_was_paid(analytic_raw):
    """In every simulation: top-up = max(GBP 100 x events avoided over all cohorts - paid, 0) when
    the pooled fall reaches 7.5%, else 0; computed here from the saved cohort results by hand."""
    a = run(pooled_raw(analytic_raw), sims=300, seed=8, keep_monthly=False, keep_components=False).arrays
    n = a["cohort_n"][:, 0, :]
    expected_events = (a["cohort_base_frequency"][:, 0, :] * n).sum(axis=1)
    events = (a["cohort_frequency"][:, 0, :] * n).sum(axis=1)
    gross = np.where(1 - events / expected_events > 0.075, 100.0 * (expected_events - events), 0.0)
    top = np.maximum(gross - a["cohort_pbr"][:, 0, :].sum(axis=1), 0.0)
    np.testing.assert_allclose(a["pooled_pbr"][:, 0], top, rtol=1e-9, atol=1e-6)
    assert 0.1 < (a["pooled_pbr"][:, 0] > 0).mean() < 0.9  # both branches of the rule are exercised


def test_pooled_trigger_needs_a_target_design(analytic_raw):
    raw = set_key(analytic_raw, "payment.pbr.pooled", {"frequency_target_relative": 0.075})
    with pytest.raises(ScenarioError, match=r"payment\.pbr\.pooled.*trigger = 'target'"):
        scenario_from_dict(raw)


def test_contract_cap_limits_all_outcome_payments(analytic_raw):
    raw = set_key(analytic_raw, "payment.pbr.total_cap_gbp", 50_000.0)
    a = run(raw, sims=200, seed=4, keep_monthly=False, keep_components=False).arrays
    free = run(analytic_raw, sims=200, seed=4, keep_monthly=False, keep_components=False).arrays
    total = a["cohort_pbr"].sum(axis=(1, 2))
    assert total.max() <= 50_000.0 + 1e-6
    np.testing.assert_allclose(total, np.minimum(free["cohort_pbr"].sum(axis=(1, 2)), 50_000.0), rtol=1e-12)


def test_peterborough_price_matters_at_the_threshold():
    """Recalibrated: a cohort paid at its 10% trigger gets GBP 6,800 per event avoided; the cap of
    GBP 3,300 per offender binds only far beyond it (in 0.1.0 every paid cohort got the cap)."""
    raw = set_key(raw_scenario(SCENARIOS / "peterborough_sib.toml"), "effect.frequency_relative",
                  {"dist": "fixed", "value": 0.12})
    a = run(raw, sims=300, seed=6, keep_monthly=False, keep_components=False).arrays
    paid = a["cohort_pbr"] > 0
    n = a["cohort_n"]
    avoided = (a["cohort_base_frequency"] - a["cohort_frequency"]) * n
    np.testing.assert_allclose(a["cohort_pbr"][paid], np.minimum(6800.0 * avoided, 3300.0 * n)[paid], rtol=1e-9)
    assert paid.mean() > 0.3 and (a["cohort_pbr"][paid] < 3300.0 * n[paid]).mean() > 0.9
