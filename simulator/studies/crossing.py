"""The effect needed for a given chance of being paid, read off a simulated power curve.

Point estimate: the first effect where the curve reaches the level, interpolated linearly
on the probit scale between the two effects around it (a cohort's chance of being paid is
close to a normal CDF in the true effect, so its probit is close to a straight line and
the interpolation is nearly unbiased even on a coarse grid).

Uncertainty: a Poisson bootstrap over simulations. Each replicate weights every simulation
by a Poisson(1) count, the same weight at every effect (the effects share their random
numbers, and this keeps that dependence), recomputes the curve as a ratio of weighted sums
and reads the crossing again. The standard error is the replicates' standard deviation and
the 95% interval their 2.5th and 97.5th percentiles. ``tests/test_power.py`` counts how
often the interval covers the true crossing of an exactly known curve.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

N_BOOT = 1000
BELOW, ABOVE = -math.inf, math.inf  # reached before the first effect / never reached


def crossing(effects: np.ndarray, prob: np.ndarray, level: float) -> np.ndarray:
    """Per row of ``prob`` (rows x effects), the effect where it first reaches ``level``.

    ``-inf`` when the first effect already reaches it, ``+inf`` when no effect does.
    """
    prob = np.atleast_2d(np.asarray(prob, dtype=float))
    effects = np.asarray(effects, dtype=float)
    reached = prob >= level
    first = np.argmax(reached, axis=1)
    out = np.full(prob.shape[0], ABOVE)
    out[reached[:, 0]] = BELOW
    rows = np.flatnonzero(reached.any(axis=1) & ~reached[:, 0])
    if rows.size:
        hi = first[rows]
        lo = hi - 1
        eps = 1e-9
        z = stats.norm.ppf(np.clip(prob, eps, 1 - eps))
        z_lo, z_hi = z[rows, lo], z[rows, hi]
        step = np.where(z_hi > z_lo, (stats.norm.ppf(level) - z_lo) / np.where(z_hi > z_lo, z_hi - z_lo, 1.0), 0.5)
        out[rows] = effects[lo] + np.clip(step, 0.0, 1.0) * (effects[hi] - effects[lo])
    return out


def bootstrap_curves(y: np.ndarray, w: np.ndarray, *, rng: np.random.Generator, n_boot: int = N_BOOT) -> np.ndarray:
    """Replicate curves (n_boot x effects) from per-simulation counts ``y``, ``w`` (effects x sims)."""
    weights = rng.poisson(1.0, size=(n_boot, y.shape[1])).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ y.T) / (weights @ w.T)


def needed_effect(effects, y: np.ndarray, w: np.ndarray, level: float, *, rng: np.random.Generator,
                  n_boot: int = N_BOOT) -> dict:
    """The effect for a ``level`` chance of being paid, its bootstrap s.e. and 95% interval.

    ``y[e, s]``: paid cohorts of simulation ``s`` at effect ``e``; ``w[e, s]``: its cohorts.
    Ends of the interval beyond the grid are reported as -inf / +inf, with a note.
    """
    effects = np.asarray(effects, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        curve = y.sum(axis=1) / w.sum(axis=1)
    estimate = float(crossing(effects, curve, level)[0])
    reps = crossing(effects, bootstrap_curves(y, w, rng=rng, n_boot=n_boot), level)
    finite = reps[np.isfinite(reps)]
    se = float(finite.std(ddof=1)) if finite.size == reps.size and reps.size > 1 else math.nan
    low, high = (float(v) for v in np.quantile(reps, [0.025, 0.975], method="inverted_cdf"))
    return {"level": level, "effect": estimate, "se": se, "ci_low": low, "ci_high": high,
            "note": _note(estimate, low, high, effects)}


def _note(estimate: float, low: float, high: float, effects: np.ndarray) -> str:
    if estimate == BELOW:
        return f"reached at the lowest effect ({effects[0]:g}): try lower effects"
    if estimate == ABOVE:
        return f"not reached by the highest effect ({effects[-1]:g}): try higher effects"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "the 95% interval runs past the effects simulated: widen --effects or add --sims"
    return ""
