"""Supply-chain money rules on hand-computed examples (the analytic scenario, fixed volume).

Analytic scenario: fee GBP 500 x 100 contracted cases = 50,000 a month, paid a month in
arrears; the charity has 20% of the caseload, gets its whole fee share with no management
fee, 80% upfront; cohorts are quarterly from month 6 (months 0-8 belong to cohort 0).
"""

import numpy as np
import pytest

from simulator import scenario_from_dict
from simulator.engine.model_arrays import build_model_arrays
from simulator.kernels import cashflows as cf

from .conftest import set_key

PRIME, CHARITY = 0, 1


def books(m, n_parties=None):
    n_p = n_parties or len(m.party_kind)
    n_c = len(m.cohort_start)
    return (np.zeros((n_p, m.n_months)), np.zeros(m.n_months), np.zeros((n_p, n_c)), np.zeros((n_p, n_c)))


def model(raw, **keys):
    for key, value in keys.items():
        raw = set_key(raw, key.replace("__", "."), value)
    return build_model_arrays(scenario_from_dict(raw))[0]


@pytest.mark.parametrize("impl", ["compiled", "python"])
def test_fee_passes_down_with_upfront_and_deferred_parts(analytic_raw, impl):
    m = model(analytic_raw)
    fee, commissioner, deferred, received = books(m)
    fn = cf.fee_for_service if impl == "compiled" else cf.fee_for_service.py_func
    fn(m, 0, np.full(m.term, 100.0), fee, commissioner, deferred, received)
    assert commissioner[1] == pytest.approx(50_000.0)
    assert fee[CHARITY, 1] == pytest.approx(8_000.0)
    assert fee[PRIME, 1] == pytest.approx(42_000.0)
    assert fee[:, 0].sum() == 0.0  # arrears
    assert deferred[CHARITY, 0] == pytest.approx(9 * 2_000.0)
    assert deferred[CHARITY, 1] == pytest.approx(3 * 2_000.0)


def test_volume_band_reconciles_at_year_end(analytic_raw):
    m = model(analytic_raw, payment__fee_for_service__volume_band=0.1)
    fee, commissioner, deferred, received = books(m)
    cf.fee_for_service(m, 0, np.full(m.term, 80.0), fee, commissioner, deferred, received)
    # year 1: 960 cases against 1,200 contracted; the band edge is 1,080: claw back 120 x GBP 500
    year_end = m.year_end_month[0]
    assert year_end == 12
    assert commissioner[12] == pytest.approx(50_000.0 - 60_000.0)


def test_outcomes_pass_down_with_deferred_fees_and_deductions(analytic_raw):
    m = model(analytic_raw)
    _, _, deferred, received = books(m)
    pbr = np.zeros((len(m.party_kind), m.n_months))
    deferred[CHARITY, 0], deferred[CHARITY, 1] = 18_000.0, 6_000.0
    net_c = np.zeros(len(m.cohort_start))
    net_c[0], net_c[1] = 30_000.0, -10_000.0
    cf.pass_down_outcomes(m, 0, net_c, net_c > 0, m.caseload_share, pbr, deferred, received)
    paid0, paid1 = m.cohort_pay[0], m.cohort_pay[1]
    assert pbr[CHARITY, paid0] == pytest.approx(0.2 * 30_000.0 + 18_000.0)   # upside share + deferred fee
    assert pbr[CHARITY, paid1] == pytest.approx(-0.2 * 10_000.0)             # bears its deduction; fee forfeited
    assert pbr[:, paid0].sum() == pytest.approx(0.0) and pbr[:, paid1].sum() == pytest.approx(0.0)


def test_clawback_repays_share_of_fees_on_a_missed_cohort(analytic_raw):
    m = model(analytic_raw, supply_chain__subcontractors__0__financing="upfront_clawback",
              supply_chain__subcontractors__0__pbr_upside_share=0.0, supply_chain__subcontractors__0__deduction_share=0.0)
    fee, commissioner, deferred, received = books(m)
    cf.fee_for_service(m, 0, np.full(m.term, 100.0), fee, commissioner, deferred, received)
    assert fee[CHARITY, 1] == pytest.approx(10_000.0)  # all upfront
    pbr = np.zeros_like(fee)
    net_c = np.zeros(len(m.cohort_start))
    net_c[1] = 5_000.0  # cohort 1 earns, cohort 0 misses
    cf.pass_down_outcomes(m, 0, net_c, net_c > 0, m.caseload_share, pbr, deferred, received)
    assert pbr[CHARITY, m.cohort_pay[0]] == pytest.approx(-0.1 * 9 * 10_000.0)
    assert pbr[CHARITY, m.cohort_pay[1]] == 0.0


def test_foundation_is_advanced_and_netted_at_settlement(analytic_raw):
    m = model(analytic_raw, payment__foundation__monthly_gbp=1_000.0)
    adv = np.zeros((len(m.party_kind), m.n_months))
    pbr, commissioner = np.zeros_like(adv), np.zeros(m.n_months)
    net_c = np.full(len(m.cohort_start), 2_500.0)
    cf.foundation_and_settlement(m, 0, net_c, adv, pbr, commissioner, np.zeros(len(m.cohort_start)))
    assert adv[PRIME, 7] == 1_000.0 and adv[PRIME, 6] == 0.0   # from bedding-in (6), a month in arrears
    assert pbr[PRIME, m.cohort_pay[0]] == pytest.approx(2_500.0 - 3 * 1_000.0)
    assert commissioner.sum() == pytest.approx(net_c.sum())      # advances fully reconciled


def test_investor_pays_costs_and_passes_receipts_above_its_cap(analytic_raw):
    investor = {"name": "inv", "provider_margin": 0.1, "return_cap_multiple": 1.5}
    m = model(analytic_raw, supply_chain__subcontractors__0__financing="investor",
              supply_chain__subcontractors__0__investor=investor)
    inv = m.investor_of[CHARITY]
    assert inv == 2 and m.party_kind[inv] == 2
    n = 4
    fee, pbr, cost = np.zeros((3, n)), np.zeros((3, n)), np.zeros((3, n))
    cost[CHARITY] = [100.0, 100.0, 0.0, 0.0]
    pbr[inv] = [0.0, 0.0, 0.0, 500.0]  # one outcome receipt
    cf.investor_funding(m._replace(n_months=n), 0, fee, pbr, cost)
    assert fee[CHARITY].tolist() == pytest.approx([110.0, 110.0, 0.0, 0.0])   # costs plus 10% margin
    # outlay 220, cap 1.5 x 220 = 330: of the 500 received, 170 goes on to the charity
    assert pbr[CHARITY, 3] == pytest.approx(170.0)
    assert pbr[inv, 3] == pytest.approx(330.0)


def test_learning_curve_discount_and_per_month_basis(analytic_raw):
    m = model(analytic_raw, payment__fee_for_service__learning_curve_discount=0.1,
              payment__fee_for_service__basis="per_month", payment__fee_for_service__rate_gbp=20_000.0)
    fee, commissioner, deferred, received = books(m)
    cf.fee_for_service(m, 0, np.full(m.term, 100.0), fee, commissioner, deferred, received)
    assert commissioner[1] == pytest.approx(20_000.0)          # month 0, year 0
    assert commissioner[13] == pytest.approx(20_000.0 * 0.9)   # month 12, year 1
    assert commissioner[25] == pytest.approx(20_000.0 * 0.81)  # month 24, year 2


def test_band_reconciles_to_actual_when_asked(analytic_raw):
    m = model(analytic_raw, payment__fee_for_service__volume_band=0.1,
              payment__fee_for_service__band_reconcile_to="actual")
    fee, commissioner, deferred, received = books(m)
    cf.fee_for_service(m, 0, np.full(m.term, 80.0), fee, commissioner, deferred, received)
    assert commissioner[12] == pytest.approx(50_000.0 - 240 * 500.0)  # all 240 missing cases clawed back
