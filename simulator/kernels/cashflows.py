"""Monthly money for one area: commissioner -> prime -> subcontractors (-> investors).

Every transfer is added to the payer with a minus and to the payee with a plus, so money is
conserved: the sum over parties of receipts equals what the commissioner pays, each month.
Scratch arrays are (party, month): ``fee`` fee-for-service money, ``adv`` foundation
advances, ``pbr`` outcome-linked money (settlements, pass-down, deferred fees, clawbacks).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .records import CLAWBACK_FIN, PD_CAP_ANNUAL


@njit(cache=True)
def payee(m, p):
    """Where money for subcontractor ``p`` goes: its investor if it has one."""
    return payee_of(m.investor_of, p)


@njit(cache=True)
def payee_of(investor_of, p):
    j = investor_of[p]
    return j if j >= 0 else p


@njit(cache=True)
def transfer(book, src, dst, month, amount):
    book[src, month] -= amount
    book[dst, month] += amount


@njit(cache=True)
def pay_fee(m, a, month, work_month, amount, share, fee, commissioner, deferred, received):
    """The commissioner pays the prime a fee; the prime passes each subcontractor its part.

    The prime's own ``upfront_share`` of the fee is paid now and the rest held against the
    cohort of ``work_month`` (paid if it meets its target); ``share`` is each party's share of
    the cases (the contracted one, or this simulation's under referral risk).
    """
    prime, kind, financing, upfront_share = m.area_prime[a], m.party_kind, m.financing, m.upfront_share
    fee_pass, mgmt_fee, investor_of = m.fee_pass, m.mgmt_fee, m.investor_of  # read from m once, not per party
    c = m.month_cohort[min(max(work_month, 0), m.term - 1)]
    now = amount * (1.0 if financing[prime] == CLAWBACK_FIN else upfront_share[prime])
    fee[prime, month] += now
    commissioner[month] += now
    deferred[prime, c] += amount - now
    received[prime, c] += now
    for p in range(prime + 1, m.area_stop[a]):
        if kind[p] != 1:
            continue
        base = amount * share[p] * fee_pass[p] * (1.0 - mgmt_fee[p])
        upfront = 1.0 if financing[p] == CLAWBACK_FIN else upfront_share[p]
        transfer(fee, prime, payee_of(investor_of, p), month, base * upfront)
        deferred[p, c] += base * (1.0 - upfront)
        received[p, c] += base * upfront


@njit(cache=True)
def fee_for_service(m, a, vol, fee, commissioner, deferred, received):
    """Monthly fee in arrears on contracted volume, with the yearly volume-band reconciliation
    (contracted caseload shares)."""
    monthly_fees(m, a, fee, commissioner, deferred, received)
    volume_band(m, a, vol, m.caseload_share, fee, commissioner, deferred, received)


@njit(cache=True)
def learning_discounts(m, a):
    """(1 - learning-curve discount)^y for each contract year y."""
    discount = np.empty(len(m.year_end_month))
    for y in range(len(discount)):
        discount[y] = (1.0 - m.learning[a]) ** y
    return discount


@njit(cache=True)
def monthly_fees(m, a, fee, commissioner, deferred, received):
    """The monthly fee in arrears on contracted volume: the same in every simulation."""
    discount = learning_discounts(m, a)
    for mo in range(m.term):
        pay_fee(m, a, mo + m.ffs_lag, mo, m.ffs_monthly[a] * discount[m.month_year[mo]], m.caseload_share, fee,
                commissioner, deferred, received)


@njit(cache=True)
def volume_band(m, a, vol, share, fee, commissioner, deferred, received):
    """The yearly reconciliation: a top-up or clawback when actual volume leaves the band.

    No band set (``band`` inf): the fee never follows volume.
    """
    band, term, year_end = m.band[a], m.term, m.year_end_month
    if not np.isfinite(band):
        return
    contracted_month, band_rate, learning, to_actual = m.vol_contracted[a], m.ffs_band_rate[a], m.learning[a], \
        m.band_to_actual[a]
    for y in range(len(year_end)):
        actual = 0.0
        months = 0
        for mo in range(12 * y, min(12 * y + 12, term)):
            actual += vol[mo]
            months += 1
        contracted = contracted_month * months
        rate = band_rate * (1.0 - learning) ** y
        adjust = band_adjustment(actual, contracted, band, to_actual) * rate
        if adjust != 0.0:
            pay_fee(m, a, year_end[y], min(12 * y + 11, term - 1), adjust, share, fee, commissioner, deferred, received)


@njit(cache=True)
def band_adjustment(actual, contracted, band, to_actual):
    """Cases to pay (+) or claw back (-) when actual volume falls outside the band."""
    upper, lower = contracted * (1.0 + band), contracted * (1.0 - band)
    if actual > upper:
        return actual - (contracted if to_actual else upper)
    if actual < lower:
        return actual - (contracted if to_actual else lower)
    return 0.0


@njit(cache=True)
def foundation_and_settlement(m, a, net_c, adv, pbr, commissioner, adv_c):
    """Foundation advances monthly; each cohort's settlement pays its PbR less its advances."""
    prime, foundation, lag, month_cohort, pay = m.area_prime[a], m.foundation[a], m.ffs_lag, m.month_cohort, m.cohort_pay
    adv_c[:] = 0.0
    if foundation > 0.0:
        for mo in range(m.bedding_in, m.term):
            adv[prime, mo + lag] += foundation
            commissioner[mo + lag] += foundation
            adv_c[month_cohort[mo]] += foundation
    for c in range(len(net_c)):
        cash = net_c[c] - adv_c[c]
        pbr[prime, pay[c]] += cash
        commissioner[pay[c]] += cash


@njit(cache=True)
def pass_down_outcomes(m, a, net_c, met_c, share, pbr, deferred, received):
    """At each cohort's settlement: PbR shares and deductions (by the sign of its net), deferred
    fees paid when it met its target, or a clawback when it missed.

    Each subcontractor's terms are read once, not per cohort (each read from ``m`` costs a
    reference-count update).
    """
    prime, pay = m.area_prime[a], m.cohort_pay
    for p in range(prime + 1, m.area_stop[a]):
        if m.party_kind[p] != 1:
            continue
        dst = payee(m, p)
        upside = m.upside_share[p] * share[p] * (1.0 - m.mgmt_fee[p])
        downside = m.deduction_share[p] * share[p]
        clawback = m.clawback_share[p] if m.financing[p] == CLAWBACK_FIN else 0.0
        for c in range(len(net_c)):
            month, net = pay[c], net_c[c]
            transfer(pbr, prime, dst, month, (upside if net > 0.0 else downside) * net)
            if met_c[c]:
                transfer(pbr, prime, dst, month, deferred[p, c])
            elif clawback > 0.0:
                transfer(pbr, prime, dst, month, -clawback * received[p, c])


@njit(cache=True)
def delivery_costs(m, a, vol, share, cost):
    """Fixed monthly costs and per-case costs by segment on the party's ``share`` of the cases."""
    for p in range(m.area_prime[a], m.area_stop[a]):
        if m.party_kind[p] == 2:
            continue
        per_case = 0.0
        for g in range(m.n_segments[a]):
            per_case += m.seg_share[a, g] * m.case_cost[p, g]
        fixed, cases = m.fixed_cost[p], share[p]
        for mo in range(m.term):
            cost[p, mo] += fixed + cases * vol[mo] * per_case


@njit(cache=True)
def investor_funding(m, a, fee, pbr, cost):
    """Investors pay their provider's costs plus margin and keep its receipts up to a cap.

    Receipts beyond ``cap_multiple`` times the cumulative outlay go on to the provider; or,
    with a yearly cap (``PD_CAP_ANNUAL``), receipts beyond what repays the outlay with that return.
    """
    for p in range(m.area_prime[a], m.area_stop[a]):
        j = m.investor_of[p]
        if j < 0:
            continue
        if m.party_design[j, PD_CAP_ANNUAL] >= 0.0:
            annual_return_cap(m.party_design[j, PD_CAP_ANNUAL], m.margin[j], m.term, j, p, fee, pbr, cost)
            continue
        margin, cap_multiple = m.margin[j], m.cap_multiple[j]
        outlay_sum = receipts_sum = passed = 0.0
        for mo in range(fee.shape[1]):
            receipts_sum += fee[j, mo] + pbr[j, mo]
            outlay = cost[p, mo] * (1.0 + margin)
            outlay_sum += outlay
            transfer(fee, j, p, mo, outlay)
            excess = receipts_sum - cap_multiple * outlay_sum - passed
            if excess > 0.0:
                transfer(pbr, j, p, mo, excess)
                passed += excess


@njit(cache=True)
def annual_return_cap(cap_annual, margin, term, j, p, fee, pbr, cost):
    """Investor ``j`` funds provider ``p`` (costs x (1 + ``margin``)) and keeps receipts up to its
    outlay with ``cap_annual`` a year on it; the rest goes on to the provider once delivery
    (``term`` months) is over.

    What the investor is owed grows monthly at the capped rate while positive; receipts repay
    it (a negative receipt adds to it). Receipts are held while the investor still funds
    costs; from the last month of the term, any surplus beyond what it is owed goes to the
    provider, at once and then as it comes (so later costs cannot be left unfunded).
    """
    growth = (1.0 + cap_annual) ** (1.0 / 12.0)
    owed = 0.0
    for mo in range(fee.shape[1]):
        receipts = fee[j, mo] + pbr[j, mo]
        outlay = cost[p, mo] * (1.0 + margin)
        transfer(fee, j, p, mo, outlay)
        if owed > 0.0:
            owed *= growth
        owed += outlay - receipts
        if mo >= term - 1 and owed < 0.0:
            transfer(pbr, j, p, mo, -owed)
            owed = 0.0
