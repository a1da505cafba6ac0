"""The simulation loop: blocks of simulations in parallel, one Generator per block.

Each block owns its random stream (spawned from one SeedSequence by the engine), so the
results do not depend on how many threads run the blocks.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from .cashflows import delivery_costs, fee_for_service, foundation_and_settlement, investor_funding, pass_down_outcomes
from .cohorts import draw_baselines, draw_volumes, simulate_area_cohorts
from .outcomes import draw_scalar

Workspace = namedtuple("Workspace", "fee adv pbr cost deferred received vol base_rate base_mu net_c adv_c")


@njit(cache=True)
def make_workspace(m, n_parties):
    """Scratch arrays for one block of simulations (reused by each simulation in it)."""
    n_c, n_g = len(m.cohort_start), m.seg_share.shape[1]
    return Workspace(
        np.zeros((n_parties, m.n_months)), np.zeros((n_parties, m.n_months)),
        np.zeros((n_parties, m.n_months)), np.zeros((n_parties, m.n_months)),
        np.zeros((n_parties, n_c)), np.zeros((n_parties, n_c)), np.zeros(m.term),
        np.zeros(n_g), np.zeros(n_g), np.zeros(n_c), np.zeros(n_c),
    )


@njit(cache=True)
def party_balances(m, p, s, fee, adv, pbr, cost, out, keep_monthly, keep_components):
    """Walk one party's months: overdraft interest, cash position, NPV and funding metrics."""
    cash = m.reserves[p]
    cum = npv = peak = 0.0
    lowest = cash + m.credit_line[p]
    first = -1
    fee_sum = pbr_sum = cost_sum = 0.0
    for mo in range(fee.shape[1]):
        if cash < 0.0:
            cost[p, mo] += -cash * m.overdraft_monthly[p]
        net = fee[p, mo] + adv[p, mo] + pbr[p, mo] - cost[p, mo]
        cum += net
        cash = m.reserves[p] + cum
        peak = max(peak, -cum)
        lowest = min(lowest, cash + m.credit_line[p])
        npv += net * m.discount[mo]
        if first < 0 and pbr[p, mo] != 0.0:
            first = mo
        fee_sum += fee[p, mo]
        pbr_sum += adv[p, mo] + pbr[p, mo]
        cost_sum += cost[p, mo]
        if keep_monthly:
            out.monthly_net[s, p, mo] = net
        if keep_components:
            out.monthly_fee[s, p, mo] = fee[p, mo]
            out.monthly_pbr[s, p, mo] = adv[p, mo] + pbr[p, mo]
            out.monthly_cost[s, p, mo] = cost[p, mo]
    out.npv[s, p] = npv
    out.peak_funding[s, p] = peak
    out.lowest_headroom[s, p] = lowest
    out.first_pbr_month[s, p] = first
    out.fee_total[s, p] = fee_sum
    out.pbr_total[s, p] = pbr_sum
    out.cost_total[s, p] = cost_sum


@njit(cache=True)
def simulate_one(gen, m, s, out, w, keep_monthly, keep_components):
    """One simulation: shared draws, then every area's cohorts and money, then balances."""
    shift = m.shock_mean + (m.shock_sd * gen.standard_normal() if m.shock_sd > 0.0 else 0.0)
    effect_bin = draw_scalar(gen, int(m.effect[0, 0]), m.effect[0, 1], m.effect[0, 2])
    effect_freq = draw_scalar(gen, int(m.effect[1, 0]), m.effect[1, 1], m.effect[1, 2])
    out.effect_binary_points[s] = effect_bin
    out.effect_frequency_relative[s] = effect_freq
    w.fee[:] = 0.0
    w.adv[:] = 0.0
    w.pbr[:] = 0.0
    w.cost[:] = 0.0
    w.deferred[:] = 0.0
    w.received[:] = 0.0
    commissioner = out.commissioner_paid[s]
    for a in range(len(m.area_prime)):
        draw_volumes(gen, m, a, w.vol)
        draw_baselines(gen, m, a, w.base_rate, w.base_mu)
        simulate_area_cohorts(gen, m, a, w.vol, w.base_rate, w.base_mu, shift - effect_bin, effect_freq, s, out, w.net_c)
        fee_for_service(m, a, w.vol, w.fee, commissioner, w.deferred, w.received)
        foundation_and_settlement(m, a, w.net_c, w.adv, w.pbr, commissioner, w.adv_c)
        pass_down_outcomes(m, a, w.net_c, w.pbr, w.deferred, w.received)
        delivery_costs(m, a, w.vol, w.cost)
        investor_funding(m, a, w.fee, w.pbr, w.cost)
    total = npv = 0.0
    for mo in range(m.n_months):
        total += commissioner[mo]
        npv += commissioner[mo] * m.discount[mo]
    out.commissioner_total[s] = total
    out.commissioner_npv[s] = npv
    for p in range(len(m.party_kind)):
        party_balances(m, p, s, w.fee, w.adv, w.pbr, w.cost, out, keep_monthly, keep_components)


@njit(parallel=True, cache=True)
def simulate_blocks(gens, block_size, m, out, keep_monthly, keep_components):
    """Fill ``out`` row by row in blocks of ``block_size``; block b draws from ``gens[b]``.

    The engine spawns the Generators, so a chunk of a long run (a whole number of blocks)
    draws the same numbers as the whole run.
    """
    n_rows = out.npv.shape[0]
    n_blocks = len(gens)
    n_parties = len(m.party_kind)
    for b in prange(n_blocks):
        gen = gens[np.int64(b)]
        w = make_workspace(m, n_parties)
        for s in range(b * block_size, min(n_rows, (b + 1) * block_size)):
            simulate_one(gen, m, s, out, w, keep_monthly, keep_components)
