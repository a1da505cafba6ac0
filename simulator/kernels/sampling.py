"""Fast exact samplers for the cohort draws, on an inlined SplitMix64 stream.

numba's ``Generator.binomial`` ports NumPy's BTPE and costs ~65-70 ns a draw at cohort sizes
(n p of 50-500), through an indirect call into the bit generator for every uniform: the
largest single cost of the aggregate engine. Here:

- uniforms come from SplitMix64 (the generator of Java's ``SplittableRandom``; it passes
  BigCrush), a 64-bit state kept in a local variable and seeded from the block's
  ``np.random.Generator`` (53 random bits per area and simulation), so results still depend
  on the run's seed alone;
- Binomial(n, p) uses Hormann's BTRS (transformed rejection with squeeze; W. Hormann, "The
  generation of binomial random variates", J. Statist. Comput. Simul. 46, 1993, as in
  TensorFlow's ``random_binomial``): ~85% of proposals are accepted from two uniforms and a
  few flops, the rest by an exact log-ratio test, so the variates are exact. For
  ``n min(p, 1-p) < 10`` it uses inversion, as NumPy does for small means;
- Poisson(lam) uses the same two algorithms as NumPy (multiplication below 10, Hormann's
  PTRS above) on the SplitMix64 stream.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.extending import overload
from numba.np.random.distributions import random_gamma

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

INVERSION_BELOW = 10.0  # n * min(p, 1 - p) below this: inversion
_TAIL = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                  0.00925546218271273, 0.00833056343336287])


@njit(cache=True)
def splitmix_next(state):
    """(next state, uniform double in [0, 1)) from a SplitMix64 state."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return state, np.float64(z >> _S11) * _TO_UNIT


@njit(cache=True)
def seed_state(gen):
    """A fresh SplitMix64 state (53 random bits) drawn from a Generator."""
    return np.uint64(gen.random() * 9007199254740992.0)


@njit(cache=True)
def stirling_tail(k):
    """log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2]: table to 9, series above."""
    if k <= 9.0:
        return _TAIL[int(k)]
    kp1sq = (k + 1.0) * (k + 1.0)
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)


@njit(cache=True)
def binomial_inversion(state, n, p):
    """(state, Binomial(n, p)) by sequential search from 0 (for small n p)."""
    q = 1.0 - p
    prob = np.exp(n * np.log(q))
    state, u = splitmix_next(state)
    k = 0
    while u > prob and k < n:
        u -= prob
        prob *= (n - k) * p / ((k + 1) * q)
        k += 1
    return state, k


@njit(cache=True)
def binomial_btrs(state, n, p):
    """(state, Binomial(n, p)) for p <= 1/2 and n p >= 10 by BTRS (see module notes)."""
    spq = np.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    while True:
        state, u = splitmix_next(state)
        state, v = splitmix_next(state)
        u -= 0.5
        us = 0.5 - abs(u)
        k = np.floor((2.0 * a / us + b) * u + c)
        if us >= 0.07 and v <= v_r:
            return state, int(k)
        if k < 0.0 or k > n:
            continue
        if btrs_accept(n, p, a, b, spq, us, v, k):
            return state, int(k)


@njit(cache=True)
def btrs_accept(n, p, a, b, spq, us, v, k):
    """The exact test for a proposal outside the squeeze box (about one in six)."""
    r = p / (1.0 - p)
    alpha = (2.83 + 5.1 / b) * spq
    m = np.floor((n + 1) * p)
    v = np.log(v * alpha / (a / (us * us) + b))
    bound = ((m + 0.5) * np.log((m + 1.0) / (r * (n - m + 1.0)))
             + (n + 1.0) * np.log((n - m + 1.0) / (n - k + 1.0))
             + (k + 0.5) * np.log(r * (n - k + 1.0) / (k + 1.0))
             + stirling_tail(m) + stirling_tail(n - m) - stirling_tail(k) - stirling_tail(n - k))
    return v <= bound


@njit(cache=True)
def binomial(state, n, p):
    """(state, an exact Binomial(n, p) variate) for ``n >= 0``, ``0 <= p <= 1``."""
    if n <= 0 or p <= 0.0:
        return state, 0
    if p >= 1.0:
        return state, n
    flip = p > 0.5
    q = 1.0 - p if flip else p
    if n * q < INVERSION_BELOW:
        state, k = binomial_inversion(state, n, q)
    else:
        state, k = binomial_btrs(state, n, q)
    return state, (n - k if flip else k)


def gamma(bits, shape, scale):
    """``gen.gamma(shape, scale)`` of the Generator whose ``bit_generator`` is ``bits`` (the same draw).

    Compiled, it calls the function ``Generator.gamma`` calls. A kernel passes ``gen.bit_generator``
    rather than ``gen``: a Generator passed to a compiled function costs two atomic reference-count
    updates per call (its memory's count), one per cohort segment. Interpreted (numba's JIT off),
    a Generator on the same bit generator draws it.
    """
    return np.random.Generator(bits).gamma(shape, scale)


@overload(gamma)  # no cache of its own: it is compiled into its cached callers, in the digest-keyed folder
def _gamma(bits, shape, scale):
    return lambda bits, shape, scale: random_gamma(bits, shape, scale)


@njit(cache=True)
def poisson(state, lam):
    """(state, an exact Poisson(lam) variate): multiplication below 10, PTRS above (as NumPy)."""
    if lam <= 0.0:
        return state, 0
    if lam < INVERSION_BELOW:
        limit = np.exp(-lam)
        k, prod = 0, 1.0
        while True:
            state, u = splitmix_next(state)
            prod *= u
            if prod <= limit:
                return state, k
            k += 1
    return poisson_ptrs(state, lam)


@njit(cache=True)
def poisson_ptrs(state, lam):
    """Hormann's PTRS (transformed rejection with squeeze) for ``lam >= 10``, as NumPy's."""
    b = 0.931 + 2.53 * np.sqrt(lam)
    a = -0.059 + 0.02483 * b
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        state, u = splitmix_next(state)
        state, v = splitmix_next(state)
        u -= 0.5
        us = 0.5 - abs(u)
        k = np.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return state, int(k)
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        if np.log(v) + np.log(inv_alpha) - np.log(a / (us * us) + b) <= -lam + k * np.log(lam) - math.lgamma(k + 1.0):
            return state, int(k)
