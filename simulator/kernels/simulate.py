"""The simulation loop: blocks of simulations, one Generator per block (threads: see engine/threads.py).

Each block owns its random stream (spawned from one SeedSequence by the engine), so the
results do not depend on how many threads run the blocks.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit
from numba.experimental import structref

from .cashflows import (
    delivery_costs,
    foundation_and_settlement,
    investor_funding,
    monthly_fees,
    pass_down_outcomes,
    volume_band,
)
from .cohorts import cohort_terms_table, draw_baselines, draw_volumes, simulate_area_cohorts
from .designs import pooled_sums
from .financing import prime_settlement, referral_shares, rescale_fee_shares, service_credits
from .given import GIVEN_EFFECT_BINARY, GIVEN_EFFECT_FREQUENCY, GIVEN_SHOCK, GIVEN_SPEND, given_draw
from .individual import make_count_tables
from .outcomes import copy_1d, copy_2d, draw_scalar
from .records import RecordType

WORKSPACE_FIELDS = ("fee", "adv", "pbr", "cost", "deferred", "received", "vol", "base_rate", "base_mu", "net_c", "adv_c",
                    "tables", "terms", "schedule", "met_c", "share", "pool")


@structref.register
class WorkspaceRecord(RecordType):
    """numba's type for :class:`Workspace` (a StructRef: one pointer per call, see records.py)."""


class Workspace(structref.StructRefProxy):
    """Scratch arrays of one block: made and used inside the kernel only."""

    def __new__(cls, *fields):
        """Called from Python only when the kernels run interpreted (the benchmarks' reference): a plain record."""
        return WorkspaceTuple(*fields)


WorkspaceTuple = namedtuple("WorkspaceTuple", WORKSPACE_FIELDS)


structref.define_constructor(Workspace, WorkspaceRecord, WORKSPACE_FIELDS)
FeeSchedule = namedtuple("FeeSchedule", "fee commissioner deferred received")


@njit(cache=True)
def make_workspace(m, n_parties):
    """Scratch arrays for one block of simulations (reused by each simulation in it)."""
    n_c, n_g = len(m.cohort_start), m.seg_share.shape[1]
    return Workspace(
        np.zeros((n_parties, m.n_months)), np.zeros((n_parties, m.n_months)),
        np.zeros((n_parties, m.n_months)), np.zeros((n_parties, m.n_months)),
        np.zeros((n_parties, n_c)), np.zeros((n_parties, n_c)), np.zeros(m.term),
        np.zeros(n_g), np.zeros(n_g), np.zeros(n_c), np.zeros(n_c), make_count_tables(n_g),
        cohort_terms_table(m), fee_schedule(m, n_parties), np.zeros(n_c, dtype=np.bool_), np.zeros(n_parties),
        pooled_sums(),
    )


@njit(cache=True)
def fee_schedule(m, n_parties):
    """Every area's monthly fees (the same in each simulation), computed once per block.

    Each simulation starts its books from this instead of from zero, then adds its own
    volume-band reconciliation. One area's books see the same additions in the same order.
    """
    n_c = len(m.cohort_start)
    fee, commissioner = np.zeros((n_parties, m.n_months)), np.zeros(m.n_months)
    deferred, received = np.zeros((n_parties, n_c)), np.zeros((n_parties, n_c))
    for a in range(len(m.area_prime)):
        monthly_fees(m, a, fee, commissioner, deferred, received)
    return FeeSchedule(fee, commissioner, deferred, received)


@njit(cache=True)
def party_balances(m, p, s, fee, adv, pbr, cost, out, keep_monthly, keep_components):
    """Walk one party's months: overdraft interest, cash position, NPV and funding metrics.

    Arrays are taken out of ``m`` once, not per month (each read of a tuple's array is an
    atomic reference-count update).
    """
    reserves, credit, overdraft, discount = m.reserves[p], m.credit_line[p], m.overdraft_monthly[p], m.discount
    fee_p, adv_p, pbr_p, cost_p = fee[p], adv[p], pbr[p], cost[p]
    cash = reserves
    cum = npv = peak = 0.0
    lowest = cash + credit
    first = -1
    fee_sum = pbr_sum = cost_sum = 0.0
    for mo in range(len(fee_p)):
        if cash < 0.0:
            cost_p[mo] += -cash * overdraft
        net = fee_p[mo] + adv_p[mo] + pbr_p[mo] - cost_p[mo]
        cum += net
        cash = reserves + cum
        peak = max(peak, -cum)
        lowest = min(lowest, cash + credit)
        npv += net * discount[mo]
        if first < 0 and pbr_p[mo] != 0.0:
            first = mo
        fee_sum += fee_p[mo]
        pbr_sum += adv_p[mo] + pbr_p[mo]
        cost_sum += cost_p[mo]
        if keep_monthly:
            out.monthly_net[s, p, mo] = net
        if keep_components:
            out.monthly_fee[s, p, mo] = fee_p[mo]
            out.monthly_pbr[s, p, mo] = adv_p[mo] + pbr_p[mo]
            out.monthly_cost[s, p, mo] = cost_p[mo]
    out.npv[s, p] = npv
    out.peak_funding[s, p] = peak
    out.lowest_headroom[s, p] = lowest
    out.first_pbr_month[s, p] = first
    out.fee_total[s, p] = fee_sum
    out.pbr_total[s, p] = pbr_sum
    out.cost_total[s, p] = cost_sum


@njit(cache=True, inline="always")
def simulate_one(gen, m, s, out, w, keep_monthly, keep_components, individual):
    """One simulation: shared draws, then every area's cohorts and money, then balances.

    Inlined into :func:`simulate_blocks` (numba IR inlining): compiled on its own, it was
    optimised and turned into machine code a second time with everything it calls, 1.5 s of
    a fresh install's compile for the same code.
    """
    g = m.given  # externally given draws, if any (see given.py): each replaces the one drawn
    shift = m.shock_mean + m.shock_sd * given_draw(g, s, GIVEN_SHOCK, gen.standard_normal() if m.shock_sd > 0.0 else 0.0)
    effect_bin = draw_scalar(gen, int(m.effect[0, 0]), m.effect[0, 1], m.effect[0, 2],
                             given_draw(g, s, GIVEN_EFFECT_BINARY, np.nan))
    effect_freq = draw_scalar(gen, int(m.effect[1, 0]), m.effect[1, 1], m.effect[1, 2],
                              given_draw(g, s, GIVEN_EFFECT_FREQUENCY, np.nan))
    effect_z = given_draw(g, s, GIVEN_SPEND, gen.standard_normal() if m.seg_effect_drawn else 0.0)  # spend effect
    out.effect_binary_points[s] = effect_bin
    out.effect_frequency_relative[s] = effect_freq
    copy_2d(w.fee, w.schedule.fee)
    w.adv[:] = 0.0
    w.pbr[:] = 0.0
    w.cost[:] = 0.0
    copy_2d(w.deferred, w.schedule.deferred)
    copy_2d(w.received, w.schedule.received)
    commissioner = out.commissioner_paid[s]
    copy_1d(commissioner, w.schedule.commissioner)
    for a in range(len(m.area_prime)):
        draw_volumes(gen, m, a, w.vol, s)
        draw_baselines(gen, m, a, w.base_rate, w.base_mu, s)
        prime, stop = m.area_prime[a], m.area_stop[a]
        if referral_shares(gen, prime, stop, m.caseload_share, m.party_kind, m.party_design, w.share):
            rescale_fee_shares(prime, stop, m.caseload_share, m.party_kind, m.investor_of, w.share, w.fee, w.deferred,
                               w.received, w.schedule.fee)
        simulate_area_cohorts(gen, m, a, w.vol, w.base_rate, w.base_mu, shift - effect_bin, shift, effect_freq, s, out,
                              w.net_c, w.met_c, individual, w.tables, w.terms[a], w.pool, effect_z, m.outcome_tables)
        service_credits(gen, m.design[a], prime, m.ffs_monthly[a], m.learning[a], m.month_year, m.term, m.ffs_lag, w.fee,
                        commissioner)
        volume_band(m, a, w.vol, w.share, w.fee, commissioner, w.deferred, w.received)
        foundation_and_settlement(m, a, w.net_c, w.adv, w.pbr, commissioner, w.adv_c)
        prime_settlement(prime, m.financing[prime], m.upfront_share[prime], m.clawback_share[prime], m.cohort_pay, w.met_c,
                         w.pbr, commissioner, w.deferred, w.received, out.cohort_clawback[s, a])
        pass_down_outcomes(m, a, w.net_c, w.met_c, w.share, w.pbr, w.deferred, w.received)
        delivery_costs(m, a, w.vol, w.share, w.cost)
        investor_funding(m, a, w.fee, w.pbr, w.cost)
    total = npv = 0.0
    for mo in range(m.n_months):
        total += commissioner[mo]
        npv += commissioner[mo] * m.discount[mo]
    out.commissioner_total[s] = total
    out.commissioner_npv[s] = npv
    fee, adv, pbr, cost = w.fee, w.adv, w.pbr, w.cost  # read once: each read is a reference-count update
    for p in range(len(m.party_kind)):
        party_balances(m, p, s, fee, adv, pbr, cost, out, keep_monthly, keep_components)
    copy_1d(out.caseload_share[s], w.share)


@njit(cache=True, nogil=True)
def simulate_blocks(gens, block_size, m, out, keep_monthly, keep_components, individual=False):
    """Fill ``out`` row by row in blocks of ``block_size``; block b draws from ``gens[b]``.

    The engine spawns the Generators, so a chunk of a long run (a whole number of blocks)
    draws the same numbers as the whole run. ``individual`` draws offenders one by one.
    """
    n_rows = out.npv.shape[0]
    n_blocks = min(len(gens), -(-n_rows // block_size))  # the engine may pass spare Generators
    n_parties = len(m.party_kind)
    for b in range(n_blocks):  # the engine runs disjoint blocks on several threads (engine/threads.py)
        gen = gens[np.int64(b)]
        w = make_workspace(m, n_parties)
        for s in range(b * block_size, min(n_rows, (b + 1) * block_size)):
            simulate_one(gen, m, s, out, w, keep_monthly, keep_components, individual)
