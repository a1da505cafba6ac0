"""A break-even's interval by inverting the test of the target: it holds for step functions too.

With common random numbers the metric is one function of the key, ``F(x)``, estimated by a
mean over simulations. The true break-even ``x*`` has ``F(x*) = v`` (the target value). The
95% interval is every ``x`` where the estimate is within ``1.96`` standard errors of ``v``:

    { x : |F_hat(x) - v| <= 1.96 s(x) }

At ``x*`` that holds with probability 95% by the central limit theorem, whatever the slope of
``F`` and however steppy each simulation's contribution (a chance of exhausting reserves
jumps from 0 to 1 at each simulation's own root): no slope is estimated, so none can be
wrong. For a probability, ``s(x)`` is the binomial s.e. under the target, ``sqrt(v (1 - v) /
n)``: the interval is then the distribution-free confidence interval of the quantile of the
per-simulation roots. The ends are found by bisection like the answer, and each is the
outer end of its final bracket, so the search resolution widens the interval, never narrows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Z95 = 1.96


@dataclass(frozen=True)
class Evaluation:
    """The metric at one value of the key: estimate, its s.e., the simulations behind it, and whether it meets."""

    x: float
    metric: float
    se: float | None
    met: bool
    sims: int


def shortfall(e: Evaluation, op: str, value: float) -> float:
    """How far ``e`` is from meeting ``op value`` (<= 0: met)."""
    return e.metric - value if op == "<=" else value - e.metric


def null_se(e: Evaluation, metric: str, value: float) -> float | None:
    """The s.e. of the estimate if the true metric at ``e.x`` were the target value."""
    if metric.startswith("prob_") and 0.0 < value < 1.0:
        return math.sqrt(value * (1.0 - value) / e.sims)
    return e.se


def first_switch(evals: list[Evaluation], pred: Callable[[Evaluation], bool]) -> tuple[Evaluation, Evaluation] | None:
    """(false side, true side) of the first neighbouring pair, by x, where ``pred`` changes."""
    pts = sorted(evals, key=lambda e: e.x)
    for a, b in zip(pts, pts[1:], strict=False):
        if pred(a) != pred(b):
            return (b, a) if pred(a) else (a, b)
    return None


def bisect(f: Callable[[float], Evaluation], pred: Callable[[Evaluation], bool], false_e: Evaluation,
           true_e: Evaluation, *, tol: float, whole: bool, budget: int) -> tuple[Evaluation, Evaluation]:
    """Narrow a bracket (``pred`` false at one end, true at the other) to ``tol``, in at most ``budget`` steps."""
    for _ in range(budget):
        if abs(true_e.x - false_e.x) <= tol:
            break
        mid = f((true_e.x + false_e.x) // 2 if whole else 0.5 * (true_e.x + false_e.x))
        if mid.x in (true_e.x, false_e.x):
            break
        true_e, false_e = (mid, false_e) if pred(mid) else (true_e, mid)
    return false_e, true_e


def end_of_interval(f, evals: list[Evaluation], pred, *, outer: str, edge: float, tol: float, whole: bool,
                    budget: int) -> tuple[float, bool]:
    """One end: the outer end of ``pred``'s bracket (``outer``: 'false' or 'true' side), or the range ``edge``.

    Returns (x, clipped) where ``clipped`` says the interval runs to the end of the searched range.
    """
    pair = first_switch(evals, pred)
    if pair is None:
        return edge, True
    false_e, true_e = bisect(f, pred, *pair, tol=tol, whole=whole, budget=budget)
    return (false_e.x if outer == "false" else true_e.x), False


def interval(f, *, metric: str, op: str, value: float, meets_above: bool, low: float,
             high: float, tol: float, whole: bool, budget: int) -> tuple[tuple[float, float] | None, bool]:
    """The test-inversion interval (see module doc) and whether it reaches an end of ``[low, high]``.

    ``f`` is the cached objective (``f.cache``: every evaluation so far, on common random numbers).
    """
    if any(null_se(e, metric, value) is None for e in f.cache.values()):
        return None, False

    def within(sign: float):
        return lambda e: shortfall(e, op, value) <= sign * Z95 * null_se(e, metric, value)

    # relaxed test (+): switches on the missing side of the answer; strict test (-): on the meeting side
    miss_edge, meet_edge = (low, high) if meets_above else (high, low)
    a, clip_a = end_of_interval(f, list(f.cache.values()), within(+1.0), outer="false", edge=miss_edge, tol=tol, whole=whole,
                                budget=budget)
    b, clip_b = end_of_interval(f, list(f.cache.values()), within(-1.0), outer="true", edge=meet_edge, tol=tol,
                                whole=whole, budget=budget)
    return (min(a, b), max(a, b)), clip_a or clip_b
