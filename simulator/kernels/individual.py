"""Individual-level outcomes: every offender of a cohort segment drawn one by one.

Each offender gets a personal risk around the segment's rate, logit-normal:
``p_i = expit(c + sd * z_i)`` with ``z_i ~ N(0, 1)`` (``sd = 0``: every offender has the
segment rate, and the cohort's count of reoffenders is binomial, as in aggregate mode). The
centre ``c`` is chosen so that the *mean* personal risk is ``p`` (the segment's rate, which is
also its baseline): ``E[expit(c + sd Z)] = p``, interpolated in a table the engine builds
once per segment (:func:`risk_centre`; ``simulator/engine/risk_spread.py``). Centring on
``logit(p)`` instead would make ``p`` the median and pull the mean towards 1/2, an effect
that is not there. A reoffender's count of proven reoffences is ``1 + NB2`` with the
segment's mean and overdispersion, drawn by inverting a CDF table built once per segment and
simulation (the same law as the aggregate mode's gamma-Poisson total). With no spread, an
offender's whole outcome (0, or a count) is one inversion of a single table.

Speed: the uniforms come from SplitMix64 (see :mod:`.sampling`), seeded per cohort segment
from the block's ``np.random.Generator``, so results still depend on the run's seed alone.
The normals for the spread come from the Generator itself.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .sampling import seed_state, splitmix_next

CDF_MAX = 1024  # entries in a count table; the tail beyond is folded into the last entry
GUIDE_SIZE = 64  # guide-table cells: an inversion starts within a step or two of its answer
CDF_TAIL = 1e-13  # stop the table when this much probability is left
CENTRE_GRID = 512  # points of a segment's risk-centre table, evenly spaced in logit(p) ...
CENTRE_LOGIT_MAX = 14.0  # ... over [-14, 14] (rates are clipped to [1e-6, 1 - 1e-6])

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
def risk_centre(p, centres):
    """The logit centre whose personal risks average ``p``: ``centres`` interpolated at logit(p)."""
    x = np.log(p / (1.0 - p))
    pos = (x + CENTRE_LOGIT_MAX) / (2.0 * CENTRE_LOGIT_MAX) * (len(centres) - 1)
    pos = min(max(pos, 0.0), len(centres) - 1.000001)
    i = int(pos)
    frac = pos - i
    return centres[i] * (1.0 - frac) + centres[i + 1] * frac


@njit(cache=True)
def individual_outcome(gen, n, p, spread, centres, cdf, guide, table, table_guide):
    """(reoffenders, reoffences) for ``n`` offenders drawn one by one (see module notes).

    ``centres``: the segment's risk-centre table (used when ``spread > 0``);
    ``cdf``/``guide``: the segment's count table (:func:`count_cdf`, :func:`build_guide`);
    ``table``/``table_guide``: scratch space for the whole-outcome table when ``spread = 0``.
    """
    if n <= 0:
        return 0, 0
    state = seed_state(gen)
    reoffenders = reoffences = 0
    if spread > 0.0:
        logit = risk_centre(p, centres)
        for _ in range(n):
            # u < p_i = 1 / (1 + e) is w = u (1 + e) < 1; given a reoffence, w = u / p_i is
            # uniform on [0, 1) and draws the count. No division and no branch: both cost more.
            e = np.exp(-(logit + spread * gen.standard_normal()))
            state, u = splitmix_next(state)
            w = u * (1.0 + e)
            hit = w < 1.0
            k = 1 + lookup(cdf, guide, w if hit else 0.0)
            reoffenders += hit
            reoffences += k if hit else 0
    else:
        n_used = 1
        while cdf[n_used - 1] < 1.0:
            n_used += 1
        outcome_table(p, cdf, n_used, table)
        build_guide(table, table_guide)
        for _ in range(n):
            state, u = splitmix_next(state)
            k = lookup(table, table_guide, u)
            reoffenders += k > 0
            reoffences += k
    return reoffenders, reoffences
