"""Money rules of the record on hand-computed cases: the prime's own financing, referral risk,
service credits, the investor's yearly return cap and the volume band left unset.

Analytic scenario: fee GBP 500 x 100 contracted cases = 50,000 a month, paid a month in arrears;
the charity has 20% of the caseload, its whole fee share, 80% upfront; quarterly cohorts from
month 6 (months 0-8 belong to cohort 0).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from simulator import load_scenario, scenario_from_dict
from simulator.engine.model_arrays import build_model_arrays
from simulator.kernels import cashflows as cf
from simulator.kernels import financing as fin

from .conftest import SCENARIOS, assert_identical_and_conserved, raw_scenario, run, runs_at_thread_counts, set_key

PRIME, CHARITY = 0, 1


def model(raw, **keys):
    for key, value in keys.items():
        raw = set_key(raw, key.replace("__", "."), value)
    return build_model_arrays(scenario_from_dict(raw))[0]


def settle_prime(fn, m, *books_and_out):
    """fin.prime_settlement for area 0's prime of ``m`` (the kernel takes arrays, not the record)."""
    p = m.area_prime[0]
    fn(p, m.financing[p], m.upfront_share[p], m.clawback_share[p], m.cohort_pay, *books_and_out)


def referrals(gen, m, share):
    return fin.referral_shares(gen, m.area_prime[0], m.area_stop[0], m.caseload_share, m.party_kind, m.party_design,
                               share)


def credits(gen, m, fee, commissioner):
    fin.service_credits(gen, m.design[0], m.area_prime[0], m.ffs_monthly[0], m.learning[0], m.month_year, m.term,
                        m.ffs_lag, fee, commissioner)


def books(m):
    n_p, n_c = len(m.party_kind), len(m.cohort_start)
    return np.zeros((n_p, m.n_months)), np.zeros(m.n_months), np.zeros((n_p, n_c)), np.zeros((n_p, n_c))


# ---------------------------------------------------------------- the prime's deal with the commissioner


def test_prime_upfront_share_holds_back_its_fee_per_cohort(analytic_raw):
    m = model(analytic_raw, supply_chain__prime__upfront_share=0.8)
    fee, commissioner, deferred, received = books(m)
    cf.monthly_fees(m, 0, fee, commissioner, deferred, received)
    assert commissioner[1] == pytest.approx(40_000.0)                  # 80% of 50,000 now
    assert fee[PRIME, 1] == pytest.approx(40_000.0 - 8_000.0)          # less the charity's 80% of its 10,000
    assert deferred[PRIME, 0] == pytest.approx(9 * 10_000.0)           # 20% held for cohort 0's 9 months
    pbr, met = np.zeros_like(fee), np.zeros(len(m.cohort_start), dtype=np.bool_)
    met[0] = True
    settle_prime(fin.prime_settlement, m, met, pbr, commissioner, deferred, received, np.zeros(len(met)))
    assert pbr[PRIME, m.cohort_pay[0]] == pytest.approx(90_000.0)       # paid when cohort 0 meets its target
    assert pbr[PRIME, m.cohort_pay[1]] == 0.0                           # cohort 1 missed: forfeited


@pytest.mark.parametrize("impl", ["compiled", "python"])
def test_prime_clawback_repays_a_share_of_the_cohorts_fees(analytic_raw, impl):
    """Doncaster: the whole fee is paid; 10% of a missed cohort's fees goes back to the commissioner."""
    m = model(analytic_raw, supply_chain__prime__financing="upfront_clawback", supply_chain__prime__upfront_share=0.5)
    fee, commissioner, deferred, received = books(m)
    cf.monthly_fees(m, 0, fee, commissioner, deferred, received)
    assert commissioner[1] == pytest.approx(50_000.0)  # clawback financing pays in full, whatever upfront_share says
    pbr, met, claw = np.zeros_like(fee), np.zeros(len(m.cohort_start), dtype=np.bool_), np.zeros(len(m.cohort_start))
    met[1] = True
    settle = fin.prime_settlement if impl == "compiled" else fin.prime_settlement.py_func
    before = commissioner.copy()
    settle_prime(settle, m, met, pbr, commissioner, deferred, received, claw)
    assert claw[0] == pytest.approx(0.1 * 9 * 50_000.0) and claw[1] == 0.0
    assert pbr[PRIME, m.cohort_pay[0]] == pytest.approx(-45_000.0)
    assert commissioner[m.cohort_pay[0]] - before[m.cohort_pay[0]] == pytest.approx(-45_000.0)


def test_doncaster_repays_ten_percent_of_the_years_core_value():
    """In every simulation: a missed yearly cohort repays 10% of its 12 months' fees, a met one nothing."""
    r = run(raw_scenario(SCENARIOS / "doncaster_clawback.toml"), sims=200, seed=2)
    claw, met = r.arrays["cohort_clawback"][:, 0, :], r.arrays["cohort_met"][:, 0, :]
    np.testing.assert_allclose(claw[~met], 0.1 * 12 * 1_666_667.0, rtol=1e-12)
    assert np.all(claw[met] == 0.0) and 0.05 < met.mean() < 0.95


# ---------------------------------------------------------------- referral risk


def test_referral_shares_fixed_factor_and_overflow(analytic_raw):
    gen = np.random.default_rng(1)
    m = model(analytic_raw, supply_chain__subcontractors__0__referral_factor_mean=0.39)
    share = np.zeros(len(m.party_kind))
    referrals(gen, m, share)
    assert share[CHARITY] == pytest.approx(0.2 * 0.39) and share[PRIME] == pytest.approx(1 - 0.078)
    m = model(analytic_raw, supply_chain__subcontractors__0__referral_factor_mean=6.0)  # 120% of all cases
    referrals(gen, m, share)
    assert share[CHARITY] == pytest.approx(1.0) and share[PRIME] == pytest.approx(0.0)
    state = gen.bit_generator.state
    referrals(gen, model(analytic_raw), share)  # no referral risk: no draw at all
    assert gen.bit_generator.state == state and share[CHARITY] == 0.2


def test_actual_share_moves_the_charitys_fees_not_its_fixed_costs(analytic_raw):
    m = model(analytic_raw, supply_chain__subcontractors__0__fixed_cost_per_month_gbp=1_000.0)
    fee, commissioner, deferred, received = books(m)
    cf.monthly_fees(m, 0, fee, commissioner, deferred, received)
    scheduled = fee.copy()
    share = m.caseload_share.copy()
    share[CHARITY], share[PRIME] = 0.1, 0.9  # half the referrals it was contracted for
    fin.rescale_fee_shares(0, m.area_stop[0], m.caseload_share, m.party_kind, m.investor_of, share, fee, deferred, received,
                           scheduled)
    assert fee[CHARITY, 1] == pytest.approx(4_000.0) and fee[PRIME, 1] == pytest.approx(46_000.0)
    assert deferred[CHARITY, 0] == pytest.approx(9 * 1_000.0) and received[CHARITY, 0] == pytest.approx(9 * 4_000.0)
    assert fee.sum(axis=0) == pytest.approx(scheduled.sum(axis=0))  # money only moved between them
    cost = np.zeros_like(fee)
    cf.delivery_costs(m, 0, np.full(m.term, 100.0), share, cost)
    assert cost[CHARITY, 0] == pytest.approx(1_000.0 + 0.1 * 100 * 100.0)  # fixed cost stays, cases halve


# ---------------------------------------------------------------- service credits, volume band


def test_service_credits_cut_the_months_that_fail(analytic_raw):
    m = model(analytic_raw, payment__fee_for_service__service_credits={"monthly_probability": 1.0, "share_of_fee": 0.02})
    fee, commissioner = np.zeros((len(m.party_kind), m.n_months)), np.zeros(m.n_months)
    credits(np.random.default_rng(0), m, fee, commissioner)
    assert commissioner[1] == pytest.approx(-1_000.0) and fee[PRIME, 1] == pytest.approx(-1_000.0)
    assert commissioner.sum() == pytest.approx(-1_000.0 * m.term)
    m = model(analytic_raw)  # none set: no draws, nothing cut
    gen = np.random.default_rng(0)
    state = gen.bit_generator.state
    credits(gen, m, fee, commissioner)
    assert gen.bit_generator.state == state


def test_service_credits_come_at_their_chance(analytic_raw):
    raw = set_key(analytic_raw, "payment.fee_for_service.service_credits", {"monthly_probability": 0.25,
                                                                            "share_of_fee": 0.1})
    # the prime's fee income is the same in every simulation without credits (fixed volume, no band)
    cut = run(analytic_raw, sims=1).arrays["fee_total"][0, PRIME] - run(raw, sims=400, seed=3).arrays["fee_total"][:, PRIME]
    months = cut / 5_000.0  # each failed month costs 10% of GBP 50,000
    np.testing.assert_allclose(months, np.round(months), atol=1e-6)
    n = 36 * len(months)
    assert abs(months.sum() / n - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)



def test_default_ships_service_credits_as_a_preset():
    """tr_crc_default.toml: the default run has none (its draws unchanged); --stress service_credits adds them."""
    from simulator.scenario.loading import load_stressed

    plain, _ = load_stressed(SCENARIOS / "tr_crc_default.toml")
    credits, _ = load_stressed(SCENARIOS / "tr_crc_default.toml", ["service_credits"])
    assert plain.areas[0].payment.fee_for_service.service_credits.monthly_probability == 0.0
    sc = credits.areas[0].payment.fee_for_service.service_credits
    assert (sc.monthly_probability, sc.share_of_fee) == (0.10, 0.02)

@pytest.mark.parametrize("basis", ["per_case", "per_month"])
def test_no_band_no_reconciliation(analytic_raw, basis):
    """volume_band unset: a fee never follows volume, even a per-month one (0.1.0 reconciled every shortfall)."""
    m = model(analytic_raw, payment__fee_for_service__basis=basis)
    assert np.isinf(m.band[0])
    fee, commissioner, deferred, received = books(m)
    cf.fee_for_service(m, 0, np.full(m.term, 80.0), fee, commissioner, deferred, received)
    assert commissioner[12] == pytest.approx(commissioner[11])  # nothing clawed back at the year end


# ---------------------------------------------------------------- the investor's yearly return cap


@pytest.mark.parametrize("impl", ["compiled", "python"])
def test_yearly_return_cap_keeps_outlay_plus_capped_return(analytic_raw, impl):
    investor = {"name": "inv", "return_cap_annual": 0.12}
    m = model(analytic_raw, supply_chain__subcontractors__0__financing="investor",
              supply_chain__subcontractors__0__investor=investor)._replace(term=2)
    inv, g = m.investor_of[CHARITY], 1.12 ** (1 / 12)
    fee, pbr, cost = np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 4))
    cost[CHARITY, :2] = 100.0
    pbr[inv, 0] = 50.0    # an early receipt is held while the investor still funds costs
    pbr[inv, 3] = 300.0
    fn = cf.annual_return_cap if impl == "compiled" else cf.annual_return_cap.py_func
    fn(0.12, m.margin[inv], m.term, inv, CHARITY, fee, pbr, cost)
    owed_1 = (100.0 - 50.0) * g + 100.0           # end of month 1 (the term's last month): still owed
    owed_3 = owed_1 * g * g                        # two more months at the capped rate
    assert fee[CHARITY, :2].tolist() == [100.0, 100.0]
    assert pbr[CHARITY, 3] == pytest.approx(300.0 - owed_3)
    assert pbr[inv, 3] == pytest.approx(owed_3) and pbr[CHARITY, :3].sum() == 0.0


def test_investor_caps_are_exclusive(analytic_raw):
    from simulator import ScenarioError

    investor = {"name": "inv", "return_cap_annual": 0.12, "return_cap_multiple": 1.5}
    raw = set_key(set_key(analytic_raw, "supply_chain.subcontractors.0.financing", "investor"),
                  "supply_chain.subcontractors.0.investor", investor)
    with pytest.raises(ScenarioError, match="return_cap_annual.*cannot be set with return_cap_multiple"):
        scenario_from_dict(raw)


# ---------------------------------------------------------------- every new flow: conserved, thread-free


NEW = ["doncaster_clawback", "peterborough_sib", "nyc_able_ladder", "skill_mill_rate_card", "youth_justice_clawback",
       "work_programme_referrals", "tr_crc_default"]


@pytest.mark.parametrize("name", NEW)
def test_new_flows_conserve_money_and_ignore_thread_count(name):
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    assert_identical_and_conserved(runs_at_thread_counts(sc, threads, sims=130, seed=4))
