"""Externally given draws: a run's per-simulation inputs set from outside (the sensitivity study).

The engine may pass ``ModelArrays.given``: one row per simulation of the chunk, one column per
input (layout below). A cell holds the *standard draw* the kernel would otherwise make (a
standard normal ``z``, or a uniform ``u`` in (0, 1) for a uniform effect or a baseline count);
NaN, or an array with no rows, means "draw as usual". The kernels always draw first and only
then replace, so every other draw of the simulation is the one it would have been: a run
without given draws is bit-identical to one from before this module existed.

Columns: the five shared inputs, then per area ``a`` (from ``area_column(m, a, 0)``): its
volume factor ``z``, its per-period volume noise ``z`` (every period), and per segment ``g``
the quantile ``u`` of its historic baseline's count of reoffenders.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

GIVEN_SHOCK = 0  # z of the common shock
GIVEN_EFFECT_BINARY = 1  # z (normal) or u (uniform) of the true binary effect
GIVEN_EFFECT_FREQUENCY = 2  # z or u of the true relative frequency effect
GIVEN_SPEND = 3  # z of the per-segment effect bought by spend
GIVEN_COHORT_SHOCK = 4  # z of every cohort's own shock
GIVEN_SHARED = 5
AREA_VOLUME, AREA_VOLUME_NOISE, AREA_BASELINE = 0, 1, 2  # per area; baselines: one column per segment


@njit(cache=True)
def given_draw(given, s, col, drawn):
    """``given[s, col]`` when the run gives it (a row for ``s``, not NaN), else ``drawn``."""
    if s >= given.shape[0]:
        return drawn
    v = given[s, col]
    return drawn if np.isnan(v) else v


@njit(cache=True)
def area_column(n_segments_max, a, k):
    """Column of area ``a``'s input ``k`` (``AREA_*``; ``AREA_BASELINE + g`` for segment ``g``)."""
    return GIVEN_SHARED + a * (AREA_BASELINE + n_segments_max) + k


@njit(cache=True)
def binomial_quantile(n, p, u):
    """The smallest k with P(Binomial(n, p) <= k) >= u: the count at quantile ``u``.

    Walks from the mode, where the pmf is largest, so large ``n`` neither underflows nor
    costs more than a few standard deviations of steps.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    k = min(n, int(math.floor((n + 1) * p)))
    ratio = p / (1.0 - p)
    pk = math.exp(math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)
                  + k * math.log(p) + (n - k) * math.log1p(-p))
    cdf, pj, j = 0.0, pk, k
    while j >= 0 and pj > 1e-17 * cdf:
        cdf += pj
        pj *= j / ((n - j + 1.0) * ratio)
        j -= 1
    while k > 0 and cdf - pk >= u:
        cdf -= pk
        pk *= k / ((n - k + 1.0) * ratio)
        k -= 1
    while cdf < u and k < n:
        pk *= (n - k) * ratio / (k + 1.0)
        k += 1
        cdf += pk
    return k
