"""Small draws and helpers shared by the kernels: scenario distributions, volume factors, rates."""

from __future__ import annotations

import numpy as np
from numba import njit

RATE_FLOOR = 1e-6


@njit(cache=True)
def draw_scalar(gen, kind, a, b, given):
    """One draw of a scenario distribution: 0 fixed(a), 1 normal(a, b), 2 uniform(a, b).

    ``given``: the standard draw (normal z, or uniform u) to use instead of the one drawn; NaN: none.
    """
    if kind == 0:
        return a
    if kind == 1:
        if b <= 0.0:
            return a
        z = gen.standard_normal()
        return a + b * (z if np.isnan(given) else given)
    u = gen.random()
    return a + (b - a) * (u if np.isnan(given) else given)


@njit(cache=True)
def lognormal_factor(gen, mean, sd, given):
    """A positive multiplier with the given mean and log-scale sd (mean-preserving lognormal).

    ``given``: the standard normal to use instead of the one drawn; NaN: none.
    """
    if sd <= 0.0:
        return mean
    z = gen.standard_normal()
    return mean * np.exp(sd * (z if np.isnan(given) else given) - 0.5 * sd * sd)


@njit(cache=True)
def clip_rate(p):
    if p < RATE_FLOOR:
        return RATE_FLOOR
    if p > 1.0 - RATE_FLOOR:
        return 1.0 - RATE_FLOOR
    return p


@njit(cache=True)
def count_variance(mu, alpha):
    """Variance of one reoffender's count: 1 + NB2(mean mu - 1, alpha)."""
    m = mu - 1.0
    return m + alpha * m * m


@njit(cache=True)
def segment_effect(points, sd, z):
    """A segment's true effect bought by spend (points): its mean plus ``z`` times its sd (0 and 0: none)."""
    return points + z * sd


@njit(cache=True)
def copy_1d(dst, src):
    """``dst[:] = src`` for two arrays of one length, without numba's shape check.

    A slice assignment compiles a shape-mismatch error path (string formatting), which cost
    about 3 s of the cold compile; the engine sizes these arrays, so the check is not needed.
    """
    for i in range(len(dst)):
        dst[i] = src[i]


@njit(cache=True)
def copy_2d(dst, src):
    """``dst[:] = src`` for two 2-D arrays of one shape (see :func:`copy_1d`)."""
    for i in range(dst.shape[0]):
        copy_1d(dst[i], src[i])
