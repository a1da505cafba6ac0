"""Mean-preserving personal risk for individual mode: the logit centre whose risks average p.

With personal risk ``expit(c + sd Z)``, ``Z ~ N(0, 1)``, the mean risk is not ``expit(c)``:
it moves towards 1/2 as ``sd`` grows. A segment's ``binary_rate`` is its *mean* risk (the
baseline is that rate), so the kernels need the centre ``c(p)`` solving
``E[expit(c + sd Z)] = p``. It has no closed form; this module tabulates it once per
segment on a grid of ``logit(p)`` (64-point Gauss-Hermite quadrature, safeguarded Newton).

Centred so, the spread leaves every outcome's law as it is (see
:mod:`simulator.kernels.individual`), so the engine no longer draws personal risks; this
module serves the per-offender reference (``benchmarks/references.py``) and the test that
the reference and the engine agree.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

CENTRE_GRID = 512  # points of a centre table, evenly spaced in logit(p) ...
CENTRE_LOGIT_MAX = 14.0  # ... over [-14, 14] (rates are clipped to [1e-6, 1 - 1e-6])
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(64)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def mean_risk(centre: np.ndarray, sd: float) -> np.ndarray:
    """E[expit(centre + sd Z)] for each centre (Gauss-Hermite quadrature)."""
    x = np.asarray(centre, dtype=float)[..., None] + sd * _NODES
    return (1.0 / (1.0 + np.exp(-x))) @ _WEIGHTS


def solve_centres(p: np.ndarray, sd: float, iterations: int = 100) -> np.ndarray:
    """The centres c with mean risk ``p`` (vectorised; bisection guards each Newton step)."""
    p = np.asarray(p, dtype=float)
    logit = np.log(p / (1.0 - p))
    if sd == 0.0:
        return logit
    lo, hi = np.full_like(p, -80.0), np.full_like(p, 80.0)
    c = logit * np.sqrt(1.0 + np.pi * sd * sd / 8.0)  # the probit approximation as a start
    for _ in range(iterations):
        x = c[:, None] + sd * _NODES
        e = 1.0 / (1.0 + np.exp(-x))
        f = e @ _WEIGHTS - p
        slope = (e * (1.0 - e)) @ _WEIGHTS
        hi, lo = np.where(f > 0, c, hi), np.where(f > 0, lo, c)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = c - f / slope
        bad = ~np.isfinite(step) | (step <= lo) | (step >= hi)
        new = np.where(bad, 0.5 * (lo + hi), step)
        if np.all(np.abs(new - c) < 1e-12):
            return new
        c = new
    return c


@lru_cache(maxsize=64)
def centre_table(sd: float) -> np.ndarray:
    """Centres at ``CENTRE_GRID`` evenly spaced logits in [-CENTRE_LOGIT_MAX, CENTRE_LOGIT_MAX]
    (cached: sweeps rebuild a scenario's arrays many times; callers copy it into their table)."""
    grid = np.linspace(-CENTRE_LOGIT_MAX, CENTRE_LOGIT_MAX, CENTRE_GRID)
    table = solve_centres(1.0 / (1.0 + np.exp(-grid)), sd)
    table.flags.writeable = False
    return table
