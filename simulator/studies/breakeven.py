"""Break-even values: the value of one key at which a party's metric meets a target.

Examples: the lowest upfront share that keeps ``small_charity.prob_reserves_exhausted<=0.01``,
or the price (a rate) that makes ``prime.prob_loss<=0.1``. Method:

1. evaluate the metric on a coarse grid over ``[low, high]`` (both ends included), all on
   common random numbers (the same seed, so the same simulated outcomes at every value);
2. if no grid value meets the target, or all do, say so (the answer lies outside the range);
3. otherwise bisect the bracket where the target switches from missed to met, keeping the
   end that meets it: the answer is the value nearest the boundary that meets the target.

The metric must be (roughly) monotone in the key; a grid with more than one switch is
reported. The 95% interval of the answer inverts the test of the target (see
:mod:`.root_interval`): every value whose metric is within 1.96 standard errors of the
target, found by two more bisections. It needs no slope, so it holds where the metric is a
step function of the key in each simulation (a chance of exhausting reserves), and its ends
are the outer ends of their brackets, so the search resolution only widens it.
``tests/test_breakeven_coverage.py`` counts its coverage over 40 seeds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import PbrsimError, ScenarioError
from ..scenario.keypaths import leaf_at
from ..scenario.paths import number_text
from .metric_names import se_column
from .root_interval import Z95, Evaluation, bisect, first_switch, interval
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


@dataclass
class Breakeven:
    """The answer and how it was found; ``status`` is 'solved', 'all_met' or 'none_met'.

    ``interval`` is the 95% interval of :mod:`.root_interval` (``interval_clipped``: it runs to
    an end of the searched range); ``se`` is its half-width over 1.96.
    """

    key: str
    target: Target
    low: float
    high: float
    status: str
    sims: int = 0
    value: float | None = None
    metric: float | None = None
    metric_se: float | None = None
    meets_above: bool | None = None
    switches: int = 0
    interval: tuple[float, float] | None = None
    interval_clipped: bool = False
    evaluations: list[Evaluation] = field(default_factory=list)
    rounds: list[tuple[int, float | None]] = field(default_factory=list)  # (sims, se) of each --precision round

    @property
    def se(self) -> float | None:
        if self.interval is None:
            return None
        return (self.interval[1] - self.interval[0]) / (2 * Z95)

    def message(self, fmt: Callable[[float], str] = number_text,
                show: Callable[..., str] = lambda v, se=None: number_text(v, sig=4)) -> str:
        """A plain account of the answer, or of why there is none in range.

        ``fmt`` writes values of the key, ``show(value, se=None)`` values of the metric.
        """
        grid = sorted(self.evaluations, key=lambda e: e.x)
        lo, hi = grid[0], grid[-1]
        span = (f"{self.target.metric} is {show(lo.metric)} at {self.key} = {fmt(lo.x)} and {show(hi.metric)} at "
                f"{fmt(hi.x)}")
        where = f"[{fmt(self.low)}, {fmt(self.high)}]"
        if self.status == "none_met":
            best = min(grid, key=lambda e: abs(e.metric - self.target.value))
            return (f"no value of {self.key} in {where} meets {self.target}: {span}; closest "
                    f"is {show(best.metric)} at {fmt(best.x)}. Widen --range, or the target cannot be met by this key.")
        if self.status == "all_met":
            return (f"every value of {self.key} in {where} meets {self.target} ({span}): "
                    "the break-even lies outside the range; widen --range to find it.")
        side = ">=" if self.meets_above else "<="
        lines = [f"break-even {self.key} = {fmt(self.value)}: values {side} {fmt(self.value)} meet {self.target}",
                 f"  95% interval: {self._interval_text(fmt)}",
                 f"  at the answer {self.target.metric} = {show(self.metric, self.metric_se)}"
                 f"; {self.sims:,} simulations per evaluation"]
        return "\n".join(lines + self._warnings(fmt, show))

    def _interval_text(self, fmt) -> str:
        if self.interval is None:
            return "n/a (this metric has no standard error)"
        text = (f"{fmt(self.interval[0])} to {fmt(self.interval[1])} (Monte Carlo standard error of the answer "
                f"{fmt(self.se)}; the set of values whose {self.target.metric} is within 1.96 s.e. of "
                f"{number_text(self.target.value, sig=4)})")
        return text + ("; it reaches the end of --range: widen it, or run more simulations"
                       if self.interval_clipped else "")

    def _warnings(self, fmt, show) -> list[str]:
        lines = []
        if self.switches > 1:
            lines.append(f"  warning: the target switches {self.switches} times on the grid; the answer is for the "
                         "first switch. Narrow --range.")
        turn = self.turn()
        if turn is not None:
            (x0, y0), (x1, y1) = turn
            lines.append(f"  warning: {self.target.metric} is not monotone in {self.key}: it moves the other way "
                         f"between {fmt(x0)} ({show(y0)}) and {fmt(x1)} ({show(y1)}); there may be other crossings "
                         "(look with 'pbrsim sweep').")
        return lines

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

    def __init__(self, raw: dict, key: str, target: Target, *, sims: int, seed: int, source: str, whole: bool,
                 precision: tuple[str, ...] = (), max_sims: int | None = None):
        self.raw, self.key, self.target = raw, key, target
        self.sims, self.seed, self.source, self.whole = sims, seed, source, whole
        self.precision, self.max_sims = precision, max_sims
        self.cache: dict[float, Evaluation] = {}

    def __call__(self, x: float) -> Evaluation:
        x = int(round(x)) if self.whole else float(x)
        if x not in self.cache:
            rows = evaluate_point(self.raw, {self.key: x}, sims=self.sims, seed=self.seed, source=self.source,
                                  precision=self.precision, max_sims=self.max_sims)
            row = next(r for r in rows if r["party"] == self.target.party)
            metric = row[self.target.metric]
            if metric is None:
                raise PbrsimError(f"--target: {self.target.metric} of {self.target.party} is undefined at "
                                  f"{self.key} = {x} (no value in these simulations)")
            se_name = se_column(self.target.metric, list(row))
            se = row.get(se_name) if se_name else None
            self.cache[x] = Evaluation(x, float(metric), se, self.target.met(float(metric)), row.get("sims", self.sims))
        return self.cache[x]


def default_range(raw: dict, key: str, *, source: str) -> tuple[float, float] | None:
    """[0, 1] for shares and rates; None (the user must give --range) otherwise."""
    leaf = leaf_at(raw, key, source=source)
    validators = [getattr(m.func, "__name__", "") for m in leaf.metadata if hasattr(m, "func")]
    return (0.0, 1.0) if "_unit" in validators else None


def whole_number_key(raw: dict, key: str, *, source: str) -> bool:
    leaf = leaf_at(raw, key, source=source)
    return leaf.annotation is int


def solve(raw: dict, key: str, target: Target, *, low: float, high: float, sims: int, seed: int,
          source: str = "<memory>", grid: int = 5, xtol: float | None = None, max_evals: int = 40,
          precision: tuple[str, ...] = (), max_sims: int | None = None) -> Breakeven:
    """Find the value of ``key`` in ``[low, high]`` where ``target`` starts to be met (see module doc).

    ``max_evals`` bounds the bisection steps after the grid (for the answer and for each end of
    its interval); ``xtol`` defaults to (high - low) / 1000. ``precision`` (``PARTY.METRIC:SE``
    texts) runs each evaluation to those standard errors, up to ``max_sims``.
    """
    if not low < high:
        raise ScenarioError("--range", key, "LOW must be less than HIGH", (low, high))
    point_scenario(raw, {key: low}, source=source)
    point_scenario(raw, {key: high}, source=source)
    whole = whole_number_key(raw, key, source=source)
    f = _Objective(raw, key, target, sims=sims, seed=seed, source=source, whole=whole, precision=precision,
                   max_sims=max_sims)
    xs = sorted({(int(round(x)) if whole else x) for x in _linspace(low, high, max(2, grid))})
    evals = [f(x) for x in xs]
    result = Breakeven(key, target, low, high, status="solved", sims=sims)
    switches = [i for i in range(len(evals) - 1) if evals[i].met != evals[i + 1].met]
    result.switches = len(switches)
    if not switches:
        result.status = "all_met" if evals[0].met else "none_met"
        result.evaluations = list(f.cache.values())
        return result
    bad, good = first_switch(evals, lambda e: e.met)
    result.meets_above = good.x > bad.x
    tol = 1 if whole else (xtol if xtol is not None else (high - low) * 1e-3)
    bad, good = bisect(f, lambda e: e.met, bad, good, tol=tol, whole=whole, budget=max_evals)
    result.value, result.metric, result.metric_se = good.x, good.metric, good.se
    result.interval, result.interval_clipped = interval(
        f, metric=target.metric, op=target.op, value=target.value, meets_above=result.meets_above, low=low,
        high=high, tol=tol, whole=whole, budget=max_evals)
    result.evaluations = list(f.cache.values())
    return result


def solve_to_precision(raw: dict, key: str, target: Target, *, root_se: float, sims: int, most_sims: int,
                       **options) -> Breakeven:
    """:func:`solve` with more simulations per evaluation until the answer's s.e. is at most ``root_se``.

    Each round multiplies the simulations by (s.e. / target)^2 (at least 2, at most 16), up to
    ``most_sims``; every round reuses the seed, so the same seed gives the same rounds.
    """
    rounds: list[tuple[int, float | None]] = []
    while True:
        result = solve(raw, key, target, sims=sims, **options)
        rounds.append((sims, result.se))
        if result.status != "solved" or result.se is None or result.se <= root_se or sims >= most_sims:
            break
        sims = min(most_sims, int(math.ceil(sims * min(16.0, max(2.0, (result.se / root_se) ** 2)))))
    result.rounds = rounds
    return result


def _linspace(low: float, high: float, n: int) -> list[float]:
    return [low + (high - low) * i / (n - 1) for i in range(n)]


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
        "interval_method": "test inversion: values whose metric is within 1.96 s.e. of the target",
        "interval_reaches_range_end": result.interval_clipped, "sims_per_evaluation": result.sims,
        "precision_rounds": [{"sims": n, "se": se} for n, se in result.rounds],
        "metric_at_value": result.metric, "metric_se": result.metric_se,
        "meets_above": result.meets_above, "grid_switches": result.switches, "monotone": result.turn() is None,
        "evaluations": [vars(e) for e in sorted(result.evaluations, key=lambda e: e.x)],
    }


def money_key(raw: dict, key: str, *, source: str) -> bool:
    """Whether the key is an amount of money (GBP), so its values print as pounds."""
    leaf = leaf_at(raw, key, source=source)
    return "_money" in [getattr(m.func, "__name__", "") for m in leaf.metadata if hasattr(m, "func")]

