"""Draws of cohort outcomes: reoffenders (binomial) and reoffences (overdispersed counts)."""

from __future__ import annotations

import numpy as np
from numba import njit

RATE_FLOOR = 1e-6


@njit(cache=True)
def draw_scalar(gen, kind, a, b):
    """One draw of a scenario distribution: 0 fixed(a), 1 normal(a, b), 2 uniform(a, b)."""
    if kind == 0:
        return a
    if kind == 1:
        return a + b * gen.standard_normal() if b > 0.0 else a
    return a + (b - a) * gen.random()


@njit(cache=True)
def lognormal_factor(gen, mean, sd):
    """A positive multiplier with the given mean and log-scale sd (mean-preserving lognormal)."""
    if sd <= 0.0:
        return mean
    return mean * np.exp(sd * gen.standard_normal() - 0.5 * sd * sd)


@njit(cache=True)
def clip_rate(p):
    if p < RATE_FLOOR:
        return RATE_FLOOR
    if p > 1.0 - RATE_FLOOR:
        return 1.0 - RATE_FLOOR
    return p


@njit(cache=True)
def extra_reoffences(gen, reoffenders, extra_mean, alpha):
    """Reoffences beyond the first, summed over ``reoffenders`` people.

    Each reoffender's extra count is negative binomial (NB2) with mean ``extra_mean`` and
    variance ``m + alpha m^2``; the sum of R of them is a gamma-Poisson mixture with shape
    ``R / alpha``. ``alpha = 0`` gives Poisson.
    """
    if reoffenders <= 0 or extra_mean <= 0.0:
        return 0
    lam = reoffenders * extra_mean
    if alpha > 0.0:
        lam = gen.gamma(reoffenders / alpha, extra_mean * alpha)
    return gen.poisson(lam)


@njit(cache=True)
def segment_outcome(gen, n, p, reoffences_per_reoffender, alpha):
    """(reoffenders, reoffences) for ``n`` offenders with true rate ``p``."""
    if n <= 0:
        return 0, 0
    reoffenders = gen.binomial(n, p)
    extra = extra_reoffences(gen, reoffenders, reoffences_per_reoffender - 1.0, alpha)
    return reoffenders, reoffenders + extra


@njit(cache=True)
def count_variance(mu, alpha):
    """Variance of one reoffender's count: 1 + NB2(mean mu - 1, alpha)."""
    m = mu - 1.0
    return m + alpha * m * m
