"""Monthly money for one area: commissioner -> prime -> subcontractors (-> investors).

Every transfer is added to the payer with a minus and to the payee with a plus, so money is
conserved: the sum over parties of receipts equals what the commissioner pays, each month.
Scratch arrays are (party, month): ``fee`` fee-for-service money, ``adv`` foundation
advances, ``pbr`` outcome-linked money (settlements, pass-down, deferred fees, clawbacks).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .records import CLAWBACK_FIN


@njit(cache=True)
def payee(m, p):
    """Where money for subcontractor ``p`` goes: its investor if it has one."""
    j = m.investor_of[p]
    return j if j >= 0 else p


@njit(cache=True)
def transfer(book, src, dst, month, amount):
    book[src, month] -= amount
    book[dst, month] += amount


@njit(cache=True)
def pay_fee(m, a, month, work_month, amount, fee, commissioner, deferred, received):
    """The commissioner pays the prime a fee; the prime passes each subcontractor its part."""
    prime = m.area_prime[a]
    fee[prime, month] += amount
    commissioner[month] += amount
    c = m.month_cohort[min(max(work_month, 0), m.term - 1)]
    for p in range(prime + 1, m.area_stop[a]):
        if m.party_kind[p] != 1:
            continue
        base = amount * m.caseload_share[p] * m.fee_pass[p] * (1.0 - m.mgmt_fee[p])
        upfront = 1.0 if m.financing[p] == CLAWBACK_FIN else m.upfront_share[p]
        transfer(fee, prime, payee(m, p), month, base * upfront)
        deferred[p, c] += base * (1.0 - upfront)
        received[p, c] += base * upfront


@njit(cache=True)
def fee_for_service(m, a, vol, fee, commissioner, deferred, received):
    """Monthly fee in arrears on contracted volume, with the yearly volume-band reconciliation."""
    monthly_fees(m, a, fee, commissioner, deferred, received)
    volume_band(m, a, vol, fee, commissioner, deferred, received)


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
        pay_fee(m, a, mo + m.ffs_lag, mo, m.ffs_monthly[a] * discount[m.month_year[mo]], fee, commissioner,
                deferred, received)


@njit(cache=True)
def volume_band(m, a, vol, fee, commissioner, deferred, received):
    """The yearly reconciliation: a top-up or clawback when actual volume leaves the band."""
    for y in range(len(m.year_end_month)):
        actual = 0.0
        months = 0
        for mo in range(12 * y, min(12 * y + 12, m.term)):
            actual += vol[mo]
            months += 1
        contracted = m.vol_contracted[a] * months
        rate = m.ffs_band_rate[a] * (1.0 - m.learning[a]) ** y
        adjust = band_adjustment(actual, contracted, m.band[a], m.band_to_actual[a]) * rate
        if adjust != 0.0:
            pay_fee(m, a, m.year_end_month[y], min(12 * y + 11, m.term - 1), adjust, fee, commissioner, deferred, received)


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
    prime = m.area_prime[a]
    adv_c[:] = 0.0
    if m.foundation[a] > 0.0:
        for mo in range(m.bedding_in, m.term):
            adv[prime, mo + m.ffs_lag] += m.foundation[a]
            commissioner[mo + m.ffs_lag] += m.foundation[a]
            adv_c[m.month_cohort[mo]] += m.foundation[a]
    for c in range(len(net_c)):
        cash = net_c[c] - adv_c[c]
        pbr[prime, m.cohort_pay[c]] += cash
        commissioner[m.cohort_pay[c]] += cash


@njit(cache=True)
def pass_down_outcomes(m, a, net_c, pbr, deferred, received):
    """At each cohort's settlement: PbR shares, deductions, deferred fees, clawbacks."""
    prime = m.area_prime[a]
    for p in range(prime + 1, m.area_stop[a]):
        if m.party_kind[p] != 1:
            continue
        dst = payee(m, p)
        for c in range(len(net_c)):
            month, net = m.cohort_pay[c], net_c[c]
            if net > 0.0:
                transfer(pbr, prime, dst, month, m.upside_share[p] * m.caseload_share[p] * (1.0 - m.mgmt_fee[p]) * net)
                transfer(pbr, prime, dst, month, deferred[p, c])
            else:
                transfer(pbr, prime, dst, month, m.deduction_share[p] * m.caseload_share[p] * net)
                if m.financing[p] == CLAWBACK_FIN:
                    transfer(pbr, prime, dst, month, -m.clawback_share[p] * received[p, c])


@njit(cache=True)
def delivery_costs(m, a, vol, cost):
    """Fixed monthly costs and per-case costs by segment, over the contract term."""
    for p in range(m.area_prime[a], m.area_stop[a]):
        if m.party_kind[p] == 2:
            continue
        per_case = 0.0
        for g in range(m.n_segments[a]):
            per_case += m.seg_share[a, g] * m.case_cost[p, g]
        for mo in range(m.term):
            cost[p, mo] += m.fixed_cost[p] + m.caseload_share[p] * vol[mo] * per_case


@njit(cache=True)
def investor_funding(m, a, fee, pbr, cost):
    """Investors pay their provider's costs plus margin and keep its receipts up to a cap.

    Receipts beyond ``cap_multiple`` times the cumulative outlay go on to the provider.
    """
    for p in range(m.area_prime[a], m.area_stop[a]):
        j = m.investor_of[p]
        if j < 0:
            continue
        outlay_sum = receipts_sum = passed = 0.0
        for mo in range(fee.shape[1]):
            receipts_sum += fee[j, mo] + pbr[j, mo]
            outlay = cost[p, mo] * (1.0 + m.margin[j])
            outlay_sum += outlay
            transfer(fee, j, p, mo, outlay)
            excess = receipts_sum - m.cap_multiple[j] * outlay_sum - passed
            if excess > 0.0:
                transfer(pbr, j, p, mo, excess)
                passed += excess
