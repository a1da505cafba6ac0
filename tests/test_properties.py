"""Invariants under random scenarios: money conserved, seeds reproducible, monotone responses."""

import copy

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import scenario_from_dict, simulate

from .conftest import DEFAULT_SCENARIO, raw_scenario, run, set_key

DEFAULT = raw_scenario(DEFAULT_SCENARIO)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
unit = st.floats(0.0, 1.0)

INVESTOR = {"name": "investor", "provider_margin": 0.05, "return_cap_multiple": 1.3, "reserves_gbp": 1e6}


@st.composite
def supply_chains(draw):
    raw = DEFAULT
    charity, regional = "supply_chain.subcontractors.1", "supply_chain.subcontractors.0"
    financing = draw(st.sampled_from(["pbr", "upfront_clawback", "investor"]))
    raw = set_key(raw, f"{charity}.financing", financing)
    if financing == "investor":
        raw = set_key(raw, f"{charity}.investor", INVESTOR)
    for key in ("upfront_share", "pbr_upside_share", "deduction_share", "management_fee", "clawback_share"):
        raw = set_key(raw, f"{charity}.{key}", draw(unit))
    raw = set_key(raw, f"{regional}.caseload_share", draw(st.floats(0.0, 0.6)))
    raw = set_key(raw, f"{charity}.caseload_share", draw(st.floats(0.0, 0.4)))
    raw = set_key(raw, "payment.foundation.monthly_gbp", draw(st.floats(0.0, 2e5)))
    raw = set_key(raw, "payment.fee_for_service.volume_band", draw(st.floats(0.0, 0.3)))
    raw = set_key(raw, "payment.pbr.trigger", draw(st.sampled_from(["significant", "any_improvement"])))
    raw = set_key(raw, "effect.binary_points", {"dist": "normal", "mean": draw(st.floats(-3, 6)), "sd": 2.0})
    return raw


@SETTINGS
@given(raw=supply_chains(), seed=st.integers(0, 2**32 - 1))
def test_money_is_conserved_down_the_supply_chain(raw, seed):
    """Per simulation and month: what the commissioner pays = what the parties receive, in total."""
    res = run(raw, sims=40, seed=seed)
    received = (res.arrays["monthly_fee"] + res.arrays["monthly_pbr"]).sum(axis=1)
    paid = res.arrays["commissioner_paid"]
    np.testing.assert_allclose(received, paid, rtol=1e-9, atol=1e-6)
    # and net cash = receipts - costs, month by month
    net = res.arrays["monthly_fee"] + res.arrays["monthly_pbr"] - res.arrays["monthly_cost"]
    np.testing.assert_allclose(net, res.arrays["monthly_net"], rtol=1e-9, atol=1e-6)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 or more threads to compare with 1")
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), sims=st.integers(1, 300))
def test_same_seed_same_results_whatever_the_thread_count(seed, sims):
    scenario = scenario_from_dict(DEFAULT)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(scenario, sims=sims, seed=seed)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = simulate(scenario, sims=sims, seed=seed)
    finally:
        numba.set_num_threads(before)
    for name, arr in one.arrays.items():
        assert np.array_equal(arr, many.arrays[name]), name


def test_first_simulations_do_not_depend_on_run_length():
    scenario = scenario_from_dict(DEFAULT)
    short = simulate(scenario, sims=100, seed=5)
    long = simulate(scenario, sims=1100, seed=5)  # spans several chunks
    assert np.array_equal(short.arrays["monthly_net"], long.arrays["monthly_net"][:100])
    other = simulate(scenario, sims=100, seed=6)
    assert not np.array_equal(short.arrays["npv"], other.arrays["npv"])


@settings(max_examples=10, deadline=None)
@given(low=st.floats(0.0, 0.95), step=st.floats(0.01, 0.5), seed=st.integers(0, 10_000))
def test_more_upfront_never_raises_a_charitys_peak_funding(low, step, seed):
    """Same outcomes (common random numbers), more fee paid upfront: peak funding cannot rise."""
    key = "supply_chain.subcontractors.1.upfront_share"
    a = run(set_key(DEFAULT, key, low), sims=64, seed=seed, keep_monthly=False, keep_components=False)
    b = run(set_key(DEFAULT, key, min(1.0, low + step)), sims=64, seed=seed, keep_monthly=False, keep_components=False)
    charity = a.party_index("small_charity")
    assert np.all(b.arrays["peak_funding"][:, charity] <= a.arrays["peak_funding"][:, charity] + 1e-6)


@settings(max_examples=10, deadline=None)
@given(rate=st.floats(1000, 5000), bump=st.floats(1, 1000), seed=st.integers(0, 10_000))
def test_a_higher_fee_raises_every_partys_npv(rate, bump, seed):
    key = "payment.fee_for_service.rate_gbp"
    base = copy.deepcopy(DEFAULT)  # a fixed-rate design: no MAP pot whose size depends on the fee
    del base["payment"]["pbr"]["maximum_annual_payment_gbp"], base["payment"]["pbr"]["scale_rates_with_pot"]
    del base["payment"]["pbr"]["rates_reference_pot_gbp"]
    a = run(set_key(base, key, rate), sims=64, seed=seed, keep_monthly=False, keep_components=False)
    b = run(set_key(base, key, rate + bump), sims=64, seed=seed, keep_monthly=False, keep_components=False)
    assert np.all(b.arrays["npv"] >= a.arrays["npv"] - 1e-6)
    assert np.all(b.arrays["commissioner_total"] > a.arrays["commissioner_total"])


def test_outputs_stay_in_their_support():
    res = run(DEFAULT, sims=300, seed=9)
    a = res.arrays
    assert np.all((a["cohort_binary"] >= 0) & (a["cohort_binary"] <= 1))
    assert np.all(a["cohort_frequency"] >= a["cohort_binary"])  # a reoffender has >= 1 reoffence
    assert np.all(a["peak_funding"] >= 0)
    assert np.all(np.isfinite(a["npv"]))
