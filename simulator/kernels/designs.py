"""Payment designs of the record, per cohort: ladders, rate cards, control cohorts, caps, pooling.

Each is a small rule on one cohort's numbers (or a running total over cohorts), called from
:func:`.cohorts.simulate_area_cohorts`; the TR measures themselves are in :mod:`.payments`.
Money is GBP for one cohort; a *fall* is relative (0.1 = 10% below the baseline).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .records import LADDER_BINARY, LADDER_NONE, NO_REOFFENCE
from .sampling import binomial


@njit(cache=True)
def within_cap(amount, cap, paid):
    """``amount`` limited so that ``paid + amount`` stays at most ``cap`` (a deduction always passes).

    The running cap of a pot shared by several cohorts: each is paid from what is left, and a
    deduction gives money back to the pot. ``cap`` may be inf (no cap).
    """
    room = cap - paid
    return amount if amount <= room else room


@njit(cache=True)
def cap_cohorts(net, years, pots, total_cap):
    """Limit each cohort's ``net`` (in place, in cohort order) by what is left of its contract
    year's pot and of the contract's ``total_cap``; returns the total paid.

    The Maximum Annual Payment caps a year's total outcome payments at MAP - that year's fee:
    the pot of year y is shared by the cohorts that start in year y (``years``; ``pots`` is
    each cohort's year's pot), paid in order until it is spent.
    """
    year, year_paid, total_paid = -1.0, 0.0, 0.0
    for c in range(len(net)):
        if years[c] != year:
            year, year_paid = years[c], 0.0
        net[c] = within_cap(within_cap(net[c], pots[c], year_paid), total_cap, total_paid)
        year_paid += net[c]
        total_paid += net[c]
    return total_paid


@njit(cache=True)
def ladder_tier(fall, falls):
    """Index of the highest tier whose fall is reached (-1: none); ``falls`` increasing, inf-padded."""
    k = -1
    for i in range(len(falls)):
        if fall >= falls[i]:
            k = i
    return k


@njit(cache=True)
def ladder_payment(kind, falls, amounts, per_offender, n, base_bin, actual_bin, base_f, actual_f):
    """(GBP, tier reached) of a tiered ladder on the binary or frequency measure."""
    if kind == LADDER_NONE or n <= 0:
        return 0.0, False
    base, actual = (base_bin, actual_bin) if kind == LADDER_BINARY else (base_f, actual_f)
    if base <= 0.0:
        return 0.0, False
    k = ladder_tier(1.0 - actual / base, falls)
    if k < 0:
        return 0.0, False
    return amounts[k] * (n if per_offender else 1.0), True


@njit(cache=True)
def rate_card_payment(state, n_outcomes, prices, probs, n, reoffenders):
    """(state, GBP) of a rate card: each outcome's price times the members achieving it.

    A ``chance`` outcome's count is Binomial(n, probability) on the SplitMix64 ``state``;
    a ``no_reoffence`` outcome's count is the cohort's non-reoffenders.
    """
    total = 0.0
    for k in range(n_outcomes):
        if probs[k] == NO_REOFFENCE:
            count = n - reoffenders
        else:
            state, count = binomial(state, n, probs[k])
        total += prices[k] * count
    return state, total


@njit(cache=True)
def pooled_top_up(gross, paid_before):
    """The pooled trigger's payment at the final settlement: what the pooled result earns less
    what the cohorts were paid on their own, if positive (never a clawback)."""
    return max(gross - paid_before, 0.0)


@njit(cache=True)
def pooled_sums():
    """Scratch for pooling: n, reoffenders, reoffences, stretched e_bin, f_bin, stretched e_off, e_sq."""
    return np.zeros(7)


@njit(cache=True)
def add_to_pool(pool, n, r, o, e_bin, f_bin, e_off, e_sq, stretch_factor):
    """Add one cohort to the pooled sums (baselines stretched as for the cohort itself)."""
    pool[0] += n
    pool[1] += r
    pool[2] += o
    pool[3] += e_bin * stretch_factor
    pool[4] += f_bin
    pool[5] += e_off * stretch_factor
    pool[6] += e_sq
