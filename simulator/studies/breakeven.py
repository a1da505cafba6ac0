"""Break-even values: the value of one key at which a party's metric meets a target.

Examples: the lowest upfront share that keeps ``small_charity.prob_reserves_exhausted<=0.01``,
or the price (a rate) that makes ``prime.prob_loss<=0.1``. Method:

1. evaluate the metric on a coarse grid over ``[low, high]`` (both ends included), all on
   common random numbers (the same seed, so the same simulated outcomes at every value);
2. if no grid value meets the target, or all do, say so (the answer lies outside the range);
3. otherwise bisect the bracket where the target switches from missed to met, keeping the
   end that meets it: the answer is the value nearest the boundary that meets the target.

The metric must be (roughly) monotone in the key; a grid with more than one switch is
reported. Monte Carlo uncertainty of the answer, by the delta method:
``se(answer) = se(metric at answer) / |slope|``, with the slope a central difference over
half a grid step around the answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import PbrsimError, ScenarioError
from ..scenario.keypaths import leaf_at
from ..scenario.paths import number_text
from .sweep import evaluate_point, point_scenario

_TARGET = re.compile(r"^\s*(?P<left>[^<>=]+?)\s*(?P<op><=|>=)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Target:
    """``party.metric <= value`` (or ``>=``)."""

    party: str
    metric: str
    op: str
    value: float

    def met(self, x: float) -> bool:
        return x <= self.value if self.op == "<=" else x >= self.value

    def __str__(self) -> str:
        return f"{self.party}.{self.metric} {self.op} {number_text(self.value)}"


def se_column(metric: str, columns: Sequence[str]) -> str | None:
    """The standard-error companion of a metric column, where the summary has one."""
    candidates = [metric + "_se"]
    if metric.endswith("_mean"):
        candidates.append(metric[:-5] + "_se_mean")
    if metric.endswith("_gbp"):
        candidates.append(metric[:-4] + "_se_gbp")
    return next((c for c in candidates if c in columns), None)


def parse_target(text: str, parties: Sequence[str], metrics: Sequence[str]) -> Target:
    """Parse ``'PARTY.METRIC<=VALUE'``; metric names as in the sweep table (``npv_gbp.mean`` works too)."""
    match = _TARGET.match(text)
    if match is None:
        raise ScenarioError("--target", "", "must look like PARTY.METRIC<=VALUE or PARTY.METRIC>=VALUE "
                            "(e.g. 'prime.prob_loss<=0.1')", text)
    left = match["left"]
    party = max((p for p in parties if left.startswith(p + ".")), key=len, default=None)
    if party is None:
        raise ScenarioError("--target", left, f"does not start with a party name (parties: {', '.join(parties)})",
                            has_value=False)
    metric = left[len(party) + 1:].replace(".", "_")
    if metric not in metrics:
        raise ScenarioError("--target", left, f"'{metric}' is not a metric (metrics: {', '.join(metrics)})",
                            has_value=False)
    try:
        value = float(match["value"])
    except ValueError:
        raise ScenarioError("--target", text, f"the target value '{match['value']}' is not a number",
                            has_value=False) from None
    if not math.isfinite(value):
        raise ScenarioError("--target", text, "the target value must be a finite number", has_value=False)
    return Target(party, metric, match["op"], value)


@dataclass(frozen=True)
class Evaluation:
    x: float
    metric: float
    se: float | None
    met: bool


@dataclass
class Breakeven:
    """The answer and how it was found; ``status`` is 'solved', 'all_met' or 'none_met'."""

    key: str
    target: Target
    low: float
    high: float
    status: str
    value: float | None = None
    se: float | None = None
    metric: float | None = None
    metric_se: float | None = None
    slope: float | None = None
    meets_above: bool | None = None
    switches: int = 0
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.value is None or self.se is None:
            return None
        return self.value - 1.96 * self.se, self.value + 1.96 * self.se

    def message(self) -> str:
        """A plain account of the answer, or of why there is none in range (numbers never in e-notation)."""
        grid = sorted(self.evaluations, key=lambda e: e.x)
        lo, hi = grid[0], grid[-1]
        x, m = (lambda v: number_text(v, self.key)), (lambda v: number_text(v, self.target.metric))
        span = f"{self.target.metric} is {m(lo.metric)} at {self.key} = {x(lo.x)} and {m(hi.metric)} at {x(hi.x)}"
        if self.status == "none_met":
            best = min(grid, key=lambda e: abs(e.metric - self.target.value))
            return (f"no value of {self.key} in [{x(self.low)}, {x(self.high)}] meets {self.target}: {span}; closest "
                    f"is {m(best.metric)} at {x(best.x)}. Widen --range, or the target cannot be met by this key.")
        if self.status == "all_met":
            return (f"every value of {self.key} in [{x(self.low)}, {x(self.high)}] meets {self.target} ({span}): "
                    "the break-even lies outside the range; widen --range to find it.")
        side = ">=" if self.meets_above else "<="
        unc = "n/a (no standard error for this metric or a flat slope)" if self.se is None else (
            f"{number_text(self.se, self.key, sig=2)}; 95% interval {x(self.interval[0])} to {x(self.interval[1])}")
        lines = [
            f"break-even {self.key} = {x(self.value)}: values {side} {x(self.value)} meet {self.target}",
            f"  Monte Carlo standard error of the answer: {unc}",
            f"  at the answer {self.target.metric} = {m(self.metric)}"
            + (f" (s.e. {number_text(self.metric_se, self.target.metric, sig=2)})" if self.metric_se is not None else "")
            + (f"; local slope {number_text(self.slope, sig=4)} per unit of {self.key}" if self.slope is not None else ""),
        ]
        if self.switches > 1:
            lines.append(f"  warning: the target switches {self.switches} times on the grid; the answer is for the "
                         "first switch. Narrow --range.")
        turn = self.turn()
        if turn is not None:
            (x0, y0), (x1, y1) = turn
            lines.append(f"  warning: {self.target.metric} is not monotone in {self.key}: it moves the other way "
                         f"between {x(x0)} ({m(y0)}) and {x(x1)} ({m(y1)}); there may be other crossings "
                         "(look with 'pbrsim sweep').")
        return "\n".join(lines)

    def turn(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """The first pair of evaluated values where the metric moves against its overall trend, if any."""
        pts = sorted((e.x, e.metric) for e in self.evaluations)
        trend = pts[-1][1] - pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            if trend and (y1 - y0) * trend < 0:
                return (x0, y0), (x1, y1)
        return None


class _Objective:
    """The target's metric as a function of the key, cached, on common random numbers."""

    def __init__(self, raw: dict, key: str, target: Target, *, sims: int, seed: int, source: str, whole: bool):
        self.raw, self.key, self.target = raw, key, target
        self.sims, self.seed, self.source, self.whole = sims, seed, source, whole
        self.cache: dict[float, Evaluation] = {}

    def __call__(self, x: float) -> Evaluation:
        x = int(round(x)) if self.whole else float(x)
        if x not in self.cache:
            rows = evaluate_point(self.raw, {self.key: x}, sims=self.sims, seed=self.seed, source=self.source)
            row = next(r for r in rows if r["party"] == self.target.party)
            metric = row[self.target.metric]
            if metric is None:
                raise PbrsimError(f"--target: {self.target.metric} of {self.target.party} is undefined at "
                                  f"{self.key} = {x} (no value in these simulations)")
            se_name = se_column(self.target.metric, list(row))
            se = row.get(se_name) if se_name else None
            self.cache[x] = Evaluation(x, float(metric), se, self.target.met(float(metric)))
        return self.cache[x]


def default_range(raw: dict, key: str, *, source: str) -> tuple[float, float] | None:
    """[0, 1] for shares and rates; None (the user must give --range) otherwise."""
    leaf = leaf_at(raw, key, source=source)
    validators = [getattr(m.func, "__name__", "") for m in leaf.metadata if hasattr(m, "func")]
    return (0.0, 1.0) if "_unit" in validators else None


def whole_number_key(raw: dict, key: str, *, source: str) -> bool:
    return leaf_at(raw, key, source=source).annotation is int


def solve(raw: dict, key: str, target: Target, *, low: float, high: float, sims: int, seed: int,
          source: str = "<memory>", grid: int = 5, xtol: float | None = None, max_evals: int = 40) -> Breakeven:
    """Find the value of ``key`` in ``[low, high]`` where ``target`` starts to be met (see module doc).

    ``max_evals`` bounds the bisection steps after the grid; ``xtol`` defaults to (high - low) / 1000.
    """
    if not low < high:
        raise ScenarioError("--range", key, "LOW must be less than HIGH", (low, high))
    point_scenario(raw, {key: low}, source=source)
    point_scenario(raw, {key: high}, source=source)
    whole = whole_number_key(raw, key, source=source)
    f = _Objective(raw, key, target, sims=sims, seed=seed, source=source, whole=whole)
    xs = sorted({(int(round(x)) if whole else x) for x in _linspace(low, high, max(2, grid))})
    evals = [f(x) for x in xs]
    result = Breakeven(key, target, low, high, status="solved")
    switches = [i for i in range(len(evals) - 1) if evals[i].met != evals[i + 1].met]
    result.switches = len(switches)
    if not switches:
        result.status = "all_met" if evals[0].met else "none_met"
        result.evaluations = list(f.cache.values())
        return result
    i = switches[0]
    bad, good = (evals[i], evals[i + 1]) if evals[i + 1].met else (evals[i + 1], evals[i])
    result.meets_above = good.x > bad.x
    tol = 1 if whole else (xtol if xtol is not None else (high - low) * 1e-3)
    while abs(good.x - bad.x) > tol and len(f.cache) < len(xs) + max_evals:
        mid = f(_midpoint(good.x, bad.x, whole))
        if mid.x in (good.x, bad.x):
            break
        good, bad = (mid, bad) if mid.met else (good, mid)
    _uncertainty(result, f, good, half_step=(high - low) / (2 * (len(xs) - 1)), low=low, high=high)
    result.evaluations = list(f.cache.values())
    return result


def _uncertainty(result: Breakeven, f: _Objective, good: Evaluation, *, half_step: float, low: float,
                 high: float) -> None:
    """Answer, metric there, local slope and the delta-method standard error."""
    result.value, result.metric, result.metric_se = good.x, good.metric, good.se
    left, right = f(max(low, good.x - half_step)), f(min(high, good.x + half_step))
    if right.x != left.x:
        result.slope = (right.metric - left.metric) / (right.x - left.x)
    if result.slope and good.se is not None:
        result.se = good.se / abs(result.slope)


def _linspace(low: float, high: float, n: int) -> list[float]:
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def _midpoint(a: float, b: float, whole: bool) -> float:
    return (a + b) // 2 if whole else 0.5 * (a + b)


def parse_range_option(text: str | None, default: tuple[float, float] | None, key: str) -> tuple[float, float]:
    """``'LOW:HIGH'`` -> floats; the key's default range when not given."""
    if text is None:
        if default is None:
            raise ScenarioError("--range", key, "has no natural range; give --range LOW:HIGH", has_value=False)
        return default
    parts = text.split(":")
    try:
        low, high = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or not (math.isfinite(low) and math.isfinite(high)):
        raise ScenarioError("--range", key, "must be LOW:HIGH with two numbers (e.g. 0.5:1.0)", text)
    return low, high


def summary_dict(result: Breakeven) -> dict[str, Any]:
    """A JSON-ready record of the search (for --json output)."""
    return {
        "key": result.key, "target": str(result.target), "range": [result.low, result.high],
        "status": result.status, "value": result.value, "se": result.se, "interval_95": result.interval,
        "metric_at_value": result.metric, "metric_se": result.metric_se, "slope": result.slope,
        "meets_above": result.meets_above, "grid_switches": result.switches, "monotone": result.turn() is None,
        "evaluations": [vars(e) for e in sorted(result.evaluations, key=lambda e: e.x)],
    }

