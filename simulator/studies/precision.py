"""Precision control: simulate chunk after chunk until every named estimate is precise enough.

``--precision PARTY.METRIC:SE`` names an estimate and the standard error it must reach. The
engine runs whole chunks of blocks (each block with its own seed), and after each chunk
:func:`simulate_precise` recomputes the named estimates; it stops at the first chunk where
every s.e. is at or below its target, or at ``max_sims``. The stopping point depends on the
seed alone, and the results equal those of a plain run of that many simulations.

A probability estimated as 0 (or 1) has a binomial s.e. of 0, which would stop a run that has
simply not seen the event yet: for stopping, a probability's s.e. is at least that of the
add-one estimate ``(k + 1) / (n + 2)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine import BLOCK_SIZE, CHUNK_BLOCKS, simulate
from ..errors import ScenarioError
from ..results import Results
from ..results.frames import flatten_metrics
from ..results.metrics import party_metrics
from ..results.results import PER_PARTY
from ..scenario import Scenario
from .metric_names import se_column

CHUNK_SIMS = CHUNK_BLOCKS * BLOCK_SIZE
DEFAULT_MAX_SIMS = 200_000
_PRECISION = re.compile(r"^\s*(?P<left>.+?)\s*:\s*(?P<se>[^:]+?)\s*$")


@dataclass(frozen=True)
class Precision:
    """``party.metric`` must have a standard error at or below ``se``."""

    party: str
    metric: str
    se: float

    def __str__(self) -> str:
        return f"{self.party}.{self.metric}:{self.se:g}"


def parse_precision(text: str, parties: Sequence[str], metrics: Sequence[str]) -> Precision:
    """``'PARTY.METRIC:SE'`` -> :class:`Precision`; the metric must have a standard error."""
    match = _PRECISION.match(text)
    if match is None:
        raise ScenarioError("--precision", text, "must look like PARTY.METRIC:SE (e.g. 'prime.npv_gbp_mean:5000')",
                            has_value=False)
    left = match["left"]
    party = max((p for p in parties if left.startswith(p + ".")), key=len, default=None)
    if party is None:
        raise ScenarioError("--precision", left, f"does not start with a party name (parties: {', '.join(parties)})",
                            has_value=False)
    metric = left[len(party) + 1:].replace(".", "_")
    with_se = [m for m in metrics if se_column(m, metrics)]
    if metric not in with_se:
        raise ScenarioError("--precision", left, f"'{metric}' is not a metric with a standard error "
                            f"(metrics: {', '.join(with_se)})", has_value=False)
    try:
        se = float(match["se"])
    except ValueError:
        se = math.nan
    if not (math.isfinite(se) and se > 0):
        raise ScenarioError("--precision", text, "the standard error must be a number > 0", match["se"])
    return Precision(party, metric, se)


def estimate(target: Precision, values: dict[str, np.ndarray]) -> tuple[float, float]:
    """(estimate, s.e.) of the target's metric from one party's per-simulation arrays."""
    flat = flatten_metrics(party_metrics(*(values[k] for k in PER_PARTY)))
    se = flat.get(se_column(target.metric, list(flat)))
    return flat[target.metric], (math.nan if se is None else float(se))


def stopping_se(target: Precision, value: float, se: float, n: int) -> float:
    """The s.e. the stopping rule uses: a probability's is at least the add-one estimate's."""
    if target.metric.startswith("prob_"):
        p = (value * n + 1.0) / (n + 2.0)
        return max(se, math.sqrt(p * (1.0 - p) / n))
    return se


@dataclass(frozen=True)
class PreciseRun:
    """A run stopped by precision targets: its results, whether every target was met, and each estimate."""

    results: Results
    met: bool
    estimates: tuple[tuple[Precision, float, float], ...]  # (target, estimate, s.e.)


def _check(targets: Sequence[Precision], parties: list[str], arrays, n: int):
    rows = []
    for t in targets:
        p = parties.index(t.party)
        value, se = estimate(t, {k: arrays[k][:n, p] for k in PER_PARTY})
        rows.append((t, value, se, stopping_se(t, value, se, n)))
    return rows


def simulate_precise(scenario: Scenario, targets: Sequence[Precision], *, seed: int, max_sims: int = DEFAULT_MAX_SIMS,
                     progress: Callable[[int], None] | None = None, **options) -> PreciseRun:
    """Simulate chunk by chunk (1,024 simulations each) until every target's s.e. is met or ``max_sims``.

    ``options`` go to :func:`simulate` (``keep_monthly``, ``checkpoint``, ``mode``, ...).
    """
    if not targets:
        raise ValueError("simulate_precise needs at least one precision target")
    parties = scenario.party_names()

    def enough(out, n: int) -> bool:
        return n >= CHUNK_SIMS and all(stop <= t.se for t, _, _, stop in _check(targets, parties, out._asdict(), n))

    results = simulate(scenario, sims=max_sims, seed=seed, until=enough, progress=progress, **options)
    rows = _check(targets, parties, results.arrays, results.sims)
    return PreciseRun(results, all(stop <= t.se for t, _, _, stop in rows), tuple((t, v, se) for t, v, se, _ in rows))
