"""Each payment rule on hand-computed examples, compiled and as plain Python."""

import math

import numpy as np
import pytest

from simulator import scenario_from_dict
from simulator.engine.model_arrays import build_model_arrays
from simulator.kernels import designs
from simulator.kernels import payments as pay
from simulator.kernels.cashflows import band_adjustment
from simulator.kernels.cohorts import settle_cohort

from .conftest import run, set_key


def both(fn):
    """The compiled kernel and its pure-Python twin must agree: test both."""
    return [fn, fn.py_func]


@pytest.mark.parametrize("trigger", both(pay.trigger))
def test_trigger_dead_band(trigger):
    assert trigger(0.03, 0.02) == 1
    assert trigger(-0.03, 0.02) == -1
    assert trigger(0.01, 0.02) == 0 and trigger(-0.02, 0.02) == 0
    assert trigger(0.0001, 0.0) == 1  # any improvement


@pytest.mark.parametrize("binary", both(pay.binary_payment))
def test_binary_payment_hand_computed(binary):
    # 5 points below a 50% baseline, 1000 offenders, GBP 10 per point per offender
    assert binary(0.50, 0.45, 1000, 0.02, 10.0, 10.0, True) == pytest.approx(50_000.0)
    # inside the dead band: nothing either way
    assert binary(0.50, 0.49, 1000, 0.02, 10.0, 10.0, True) == 0.0
    assert binary(0.50, 0.51, 1000, 0.02, 10.0, 10.0, True) == 0.0
    # significantly worse: a deduction at its own rate, or nothing with deductions off
    assert binary(0.50, 0.55, 1000, 0.02, 10.0, 20.0, True) == pytest.approx(-100_000.0)
    assert binary(0.50, 0.55, 1000, 0.02, 10.0, 20.0, False) == 0.0


@pytest.mark.parametrize("freq", both(pay.frequency_payment))
def test_frequency_payment_and_binary_hurdle(freq):
    # 0.3 fewer reoffences per offender across 1000 offenders at GBP 800 each
    assert freq(2.0, 1.7, 1000, 0.1, 800.0, 800.0, True, True) == pytest.approx(240_000.0)
    # hurdle not met: no payment ...
    assert freq(2.0, 1.7, 1000, 0.1, 800.0, 800.0, True, False) == 0.0
    # ... but a deduction still applies when frequency is significantly worse
    assert freq(2.0, 2.3, 1000, 0.1, 800.0, 500.0, True, False) == pytest.approx(-150_000.0)


@pytest.mark.parametrize("cap", both(pay.cap_and_collar))
def test_cap_and_collar(cap):
    assert cap(120.0, 100.0, 50.0) == 100.0
    assert cap(-80.0, 100.0, 50.0) == -50.0
    assert cap(30.0, 100.0, 50.0) == 30.0
    assert cap(1e9, math.inf, math.inf) == 1e9


@pytest.mark.parametrize("stretched", both(pay.stretched))
def test_stretch_compounds_yearly(stretched):
    assert stretched(0.5, 0.01, 0) == 0.5
    assert stretched(0.5, 0.01, 2) == pytest.approx(0.5 * 0.99 * 0.99)


@pytest.mark.parametrize("se", both(pay.binary_standard_error))
def test_binary_standard_error(se):
    assert se(0.5, 1000) == pytest.approx(math.sqrt(0.25 / 1000))
    assert se(0.5, 0) == math.inf


@pytest.mark.parametrize("band", both(band_adjustment))
def test_volume_band(band):
    # contracted 1000 cases, band 10%: 850 actual is 50 below the edge (900), 150 below contract
    assert band(850.0, 1000.0, 0.1, False) == pytest.approx(-50.0)
    assert band(850.0, 1000.0, 0.1, True) == pytest.approx(-150.0)
    assert band(1150.0, 1000.0, 0.1, False) == pytest.approx(50.0)
    assert band(950.0, 1000.0, 0.1, False) == 0.0


def _settle(analytic_raw, n, reoffenders, reoffences, **overrides):
    raw = analytic_raw
    for key, value in overrides.items():
        raw = set_key(raw, key, value)
    m, _ = build_model_arrays(scenario_from_dict(raw))
    p, mu, alpha = 0.4, 3.0, 0.5
    e_bin, e_off = n * p, n * p * mu
    e_sq = n * p * ((mu - 1) + alpha * (mu - 1) ** 2 + mu * mu)
    return settle_cohort(m, 0, 0, n, reoffenders, reoffences, e_bin, e_off, e_sq)


def test_settle_cohort_significance_dead_band(analytic_raw):
    sig = {"payment.pbr.trigger": "significant", "payment.pbr.significance_level": 0.05}
    # baseline 40%, n = 1000: se = 0.01549, z = 1.645 -> threshold 2.55 points
    assert _settle(analytic_raw, 1000, 380, 1140, **sig) == 0.0            # 2 points: dead band
    assert _settle(analytic_raw, 1000, 370, 1110, **sig) == pytest.approx(10 * 100 * 0.03 * 1000)  # 3 points: paid
    # any improvement: 2 points pays
    assert _settle(analytic_raw, 1000, 380, 1140) == pytest.approx(10 * 100 * 0.02 * 1000)


def test_settle_cohort_cap_collar_and_hurdle(analytic_raw):
    common = {"payment.pbr.frequency_gbp_per_reoffence": 100.0, "payment.pbr.deductions": True}
    # binary 2 points better (+20,000); frequency per offender 1.2 -> 1.0 (+0.2 * 1000 * 100 = +20,000)
    assert _settle(analytic_raw, 1000, 380, 1000, **common) == pytest.approx(40_000.0)
    # cap GBP 25 per offender -> 25,000
    capped = {**common, "payment.pbr.cap_gbp_per_offender": 25.0}
    assert _settle(analytic_raw, 1000, 380, 1000, **capped) == pytest.approx(25_000.0)
    # binary 1 point worse: hurdle fails, frequency gain unpaid, binary deduction -10,000; collar 5/offender
    assert _settle(analytic_raw, 1000, 410, 1000, **common) == pytest.approx(-10_000.0)
    collared = {**common, "payment.pbr.collar_gbp_per_offender": 5.0}
    assert _settle(analytic_raw, 1000, 410, 1000, **collared) == pytest.approx(-5_000.0)
    no_hurdle = {**common, "payment.pbr.binary_hurdle": False}
    assert _settle(analytic_raw, 1000, 410, 1000, **no_hurdle) == pytest.approx(-10_000.0 + 20_000.0)


@pytest.mark.parametrize("cap_cohorts", both(designs.cap_cohorts))
def test_a_years_pot_is_shared_by_its_cohorts_in_order(cap_cohorts):
    # year 0: pot 60; cohorts earn 40 then 30 -> 40, 20. Year 1: pot 100; a deduction of 10
    # gives money back to the pot, so 50 then 70 -> 50, 60 (paid -10 + 50 + 60 = 100).
    net = np.array([40.0, 30.0, -10.0, 50.0, 70.0])
    years = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    pots = np.array([60.0, 60.0, 100.0, 100.0, 100.0])
    paid = cap_cohorts(net, years, pots, math.inf)
    assert net.tolist() == [40.0, 20.0, -10.0, 50.0, 60.0] and paid == 160.0
    # a contract cap of 90 on top: the last cohort gets what is left of it (90 - 80 = 10)
    net = np.array([40.0, 30.0, -10.0, 50.0, 70.0])
    assert cap_cohorts(net, years, pots, 90.0) == 90.0
    assert net.tolist() == [40.0, 20.0, -10.0, 40.0, 0.0]


@pytest.mark.parametrize("within", both(designs.within_cap))
def test_within_cap(within):
    assert within(30.0, 100.0, 80.0) == 20.0
    assert within(-50.0, 100.0, 100.0) == -50.0   # a deduction always passes
    assert within(10.0, math.inf, 1e9) == 10.0


def test_maximum_annual_payment_caps_the_years_total(analytic_raw):
    """MAP: a year's cohorts together get at most MAP - that year's fee (not a pro-rata share each).

    FFS 500 x 100 cases = 600,000 a year; MAP 620,000 leaves a 20,000 pot a year. The same
    seed draws the same cohorts with and without the MAP, so the capped payments must be the
    uncapped ones passed through the yearly pot by hand.
    """
    raw = set_key(analytic_raw, "payment.pbr.maximum_annual_payment_gbp", 620_000.0)
    m, cal = build_model_arrays(scenario_from_dict(raw))
    assert m.pot_year[0].tolist() == pytest.approx([20_000.0] * 3)  # full years: the yearly pot is the cap
    free = run(analytic_raw, sims=300, seed=2, keep_monthly=False, keep_components=False).arrays["cohort_pbr"][:, 0]
    capped = run(raw, sims=300, seed=2, keep_monthly=False, keep_components=False).arrays["cohort_pbr"][:, 0]
    years = cal.cohort_start // 12
    expected = free.copy()
    for row in expected:
        designs.cap_cohorts.py_func(row, years.astype(float), np.full(len(row), 20_000.0), math.inf)
    np.testing.assert_array_equal(capped, expected)
    per_year = np.array([capped[:, years == y].sum(axis=1) for y in range(3)])
    assert per_year.max() <= 20_000.0 + 1e-9
    assert (per_year == 20_000.0).mean() > 0.1  # the pot binds in many years at these prices: the test has teeth
    assert (capped < free).any() and (capped[:, years == 0] <= 20_000.0).all()


def test_learning_curve_grows_the_pot_and_rates(analytic_raw):
    raw = set_key(analytic_raw, "payment.fee_for_service.learning_curve_discount", 0.1)
    raw = set_key(raw, "payment.pbr.maximum_annual_payment_gbp", 660_000.0)
    raw = set_key(raw, "payment.pbr.scale_rates_with_pot", True)
    raw = set_key(raw, "payment.pbr.rates_reference_pot_gbp", 60_000.0)
    m, _ = build_model_arrays(scenario_from_dict(raw))
    # year 0 pot 60,000; year 1 FFS 540,000 -> pot 120,000: rates double
    assert m.pot_year[0, :2] == pytest.approx([60_000.0, 120_000.0])
    assert m.rate_scale_year[0, :2] == pytest.approx([1.0, 2.0])
    assert np.all(np.diff(m.pot_year[0]) > 0)


def test_target_trigger_pays_only_beyond_the_target(analytic_raw):
    target = {"payment.pbr.trigger": "target", "payment.pbr.binary_target_points": 5.0}
    assert _settle(analytic_raw, 1000, 360, 1080, **target) == 0.0                       # 4 points: missed
    assert _settle(analytic_raw, 1000, 340, 1020, **target) == pytest.approx(10 * 100 * 0.06 * 1000)  # 6 points
    freq = {"payment.pbr.trigger": "target", "payment.pbr.frequency_target_relative": 0.10,
            "payment.pbr.frequency_gbp_per_reoffence": 100.0, "payment.pbr.binary_gbp_per_point_per_offender": 0.0}
    # baseline 1.2 reoffences per offender: 1.1 is an 8% fall (missed), 1.0 a 17% fall (paid)
    assert _settle(analytic_raw, 1000, 400, 1100, **freq) == 0.0
    assert _settle(analytic_raw, 1000, 400, 1000, **freq) == pytest.approx(0.2 * 1000 * 100)


def test_settle_per_reoffender_frequency_and_stretch(analytic_raw):
    per_rr = {"payment.pbr.frequency_basis": "reoffender", "payment.pbr.frequency_gbp_per_reoffence": 100.0,
              "payment.pbr.binary_gbp_per_point_per_offender": 0.0}
    # baseline 3.0 reoffences per reoffender; 400 reoffenders with 1,000 reoffences = 2.5: 0.5 x 400 avoided
    assert _settle(analytic_raw, 1000, 400, 1000, **per_rr) == pytest.approx(0.5 * 400 * 100)
    # a 10% yearly stretch in year 0 changes nothing (cohort 0 starts in month 6)
    stretched = {"payment.pbr.binary_gbp_per_point_per_offender": 10.0, "baseline.stretch_per_year": 0.1}
    assert _settle(analytic_raw, 1000, 380, 1140, **stretched) == pytest.approx(10 * 100 * 0.02 * 1000)


def test_stretch_tightens_later_cohorts(analytic_raw):
    raw = set_key(analytic_raw, "baseline.stretch_per_year", 0.1)
    m, _ = build_model_arrays(scenario_from_dict(raw))
    c = int(np.argmax(m.cohort_start >= 12))  # first cohort of contract year 1
    p, mu, alpha, n = 0.4, 3.0, 0.5, 1000
    e_sq = n * p * ((mu - 1) + alpha * (mu - 1) ** 2 + mu * mu)
    # baseline 40% x 0.9 = 36%; 34% pays 2 points
    got = settle_cohort(m, 0, c, n, 340, 1020, n * p, n * p * mu, e_sq)
    assert got == pytest.approx(10 * 100 * 0.02 * n)
