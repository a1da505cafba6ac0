"""Individual-level outcomes: every offender of a cohort segment drawn one by one.

An offender's outcome is 0 (no proven reoffence) or a count of reoffences; with a segment
rate ``p`` (its baseline, shock and effect applied) the count of a reoffender is ``1 + NB2``
with the segment's mean and overdispersion (the same law as the aggregate mode's
gamma-Poisson total), and a whole outcome is one inversion of a CDF table built once per
segment and simulation.

A personal risk spread (``risk_spread_logit_sd``: ``p_i = expit(c + sd z_i)``, centred so
that the mean personal risk is ``p``, :mod:`simulator.engine.risk_spread`) changes no
outcome's law in this model: each offender's risk is drawn afresh and independently and
acts only through the chance of reoffending, so an offender reoffends with chance
``E[p_i] = p`` independently of the others, and the count given a reoffence does not
depend on ``p_i``. The kernel therefore draws every offender from the same table whatever
the spread; until issue 11 it drew a normal and an exponential per offender for nothing
(2.5x slower). ``benchmarks/references.py`` still draws personal risks one by one, and
``tests/test_risk_spread.py`` checks that both give the same law. The spread would matter if
risk persisted (the same people measured twice) or if the effect acted per person on the
logit scale; neither is modelled.

Speed: the uniforms come from SplitMix64 (see :mod:`.sampling`), seeded per cohort segment
from the block's ``np.random.Generator``, so results still depend on the run's seed alone.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .sampling import seed_state, splitmix_next

CDF_MAX = 1024  # entries in a count table; the tail beyond is folded into the last entry
GUIDE_SIZE = 64  # guide-table cells: an inversion starts within a step or two of its answer
CDF_TAIL = 1e-13  # stop the table when this much probability is left

# Scratch for one block: per segment a count table and its guide; one whole-outcome table.
CountTables = namedtuple("CountTables", "cdf guide table table_guide")


@njit(cache=True)
def make_count_tables(n_segments):
    """Empty :class:`CountTables` for ``n_segments`` segments."""
    return CountTables(np.ones((n_segments, CDF_MAX)), np.zeros((n_segments, GUIDE_SIZE), dtype=np.int64),
                       np.ones(CDF_MAX), np.zeros(GUIDE_SIZE, dtype=np.int64))


@njit(cache=True)
def prepare_counts(mu, alpha, tables, g):
    """Segment ``g``'s count table and guide for a mean of ``mu`` reoffences per reoffender."""
    count_cdf(mu, alpha, tables.cdf[g, : CDF_MAX - 1])
    build_guide(tables.cdf[g], tables.guide[g])


@njit(cache=True)
def count_cdf(mu, alpha, cdf):
    """Fill ``cdf`` with P(count <= k + 1) for one reoffender's count ``1 + NB2(mu - 1, alpha)``.

    NB2 has mean ``m = mu - 1`` and variance ``m + alpha m^2`` (Poisson when ``alpha = 0``),
    by the recurrence ``P(k) = P(k-1) (k - 1 + r) / k * q`` with ``r = 1 / alpha``,
    ``q = m / (r + m)``. Returns the number of entries used; the last is set to 1.
    """
    m = mu - 1.0
    if m <= 0.0:
        cdf[0] = 1.0
        return 1
    if alpha > 0.0:
        r = 1.0 / alpha
        q = m / (r + m)
        prob = np.exp(r * np.log(r / (r + m)))
    else:
        r, q = 0.0, 0.0
        prob = np.exp(-m)
    total = prob
    cdf[0] = total
    k = 1
    while k < len(cdf) - 1 and 1.0 - total > CDF_TAIL:
        prob *= ((k - 1 + r) / k * q) if alpha > 0.0 else m / k
        total += prob
        cdf[k] = total
        k += 1
    cdf[k - 1] = 1.0
    return k


@njit(cache=True)
def build_guide(cdf, guide):
    """``guide[j]``: the first k with ``cdf[k] > j / len(guide)``, where a search for u may start."""
    k = 0
    size = len(guide)
    for j in range(size):
        while cdf[k] <= j / size:
            k += 1
        guide[j] = k


@njit(cache=True)
def lookup(cdf, guide, u):
    """The smallest k with ``u < cdf[k]`` (inversion), started from the guide table."""
    k = guide[int(u * len(guide))]
    while u >= cdf[k]:
        k += 1
    return k


@njit(cache=True)
def outcome_table(p, cdf, n_used, table):
    """P(K <= k) for one offender's count K of proven reoffences: 0 with ``1 - p``, else the count.

    With no personal spread an offender's whole outcome is one draw from this table.
    """
    table[0] = 1.0 - p
    for k in range(n_used):
        table[k + 1] = (1.0 - p) + p * cdf[k]
    table[n_used] = 1.0


@njit(cache=True)
def individual_outcome(gen, n, p, cdf, guide, table, table_guide):
    """(reoffenders, reoffences) for ``n`` offenders drawn one by one (see module notes).

    ``cdf``/``guide``: the segment's count table (:func:`count_cdf`, :func:`build_guide`);
    ``table``/``table_guide``: scratch space for the whole-outcome table.
    """
    if n <= 0:
        return 0, 0
    state = seed_state(gen)
    n_used = 1
    while cdf[n_used - 1] < 1.0:
        n_used += 1
    outcome_table(p, cdf, n_used, table)
    build_guide(table, table_guide)
    reoffenders = reoffences = 0
    for _ in range(n):
        state, u = splitmix_next(state)
        k = lookup(table, table_guide, u)
        reoffenders += k > 0
        reoffences += k
    return reoffenders, reoffences
