"""Incentives: does a design reward cutting spend, or parking the hardest cases?

The scenario states how spend per case buys effect on each segment (``spend_effect`` tables,
:mod:`simulator.scenario.spend`). ``incentives(scenario, multipliers=..., party="prime")``
sets the provider's spend per case to each multiple of its contracted level (below 1: cuts,
and reoffending rises as the curves say), first on every segment together and then on one
segment at a time, and simulates each point on the same seed. It reports the provider's mean
NPV and chance of a loss, the gain over spending as contracted (with its paired s.e.), the
true fall in reoffending, the binary rate against the baseline and the commissioner's outlay.
The spend that maximises the provider's NPV (each segment at its own best multiple) is then
simulated too: what the commissioner gets there. :mod:`.incentive_answers` turns the table
into words. Several designs (``--set``/``--stress`` variants) show how the answers change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import simulate
from ..errors import ScenarioError
from ..results.metrics import mean_se, probability
from ..scenario import Scenario
from .designs import Design, as_design
from .drawing import draw
from .incentive_answers import ALL_SEGMENTS, BEST, answers
from .tables import open_folder, write_csv, write_json
from .value import true_reductions

DEFAULT_MULTIPLIERS = tuple(round(0.5 + 0.1 * i, 2) for i in range(11))
FILES = ("incentives.csv", "incentives.json")


@dataclass(frozen=True)
class Provider:
    """The party whose spend varies: its key path, labels in the results, and contracted spend per segment."""

    name: str
    path: str
    segments: tuple[str, ...]
    shares: tuple[float, ...]
    rates: tuple[float, ...]
    spend: tuple[float, ...]


@dataclass(frozen=True)
class IncentivesResult:
    """One row per design, series (all segments, one segment, or the NPV-maximising spend) and multiple."""

    labels: tuple[str, ...]
    party: str
    sims: int
    seed: int
    table: object  # pandas.DataFrame
    providers: tuple[Provider, ...]

    def to_frame(self):
        return self.table.copy()

    def plot(self, ax=None, *, design: str | None = None):
        """Provider's NPV gain against spend per series; see ``outputs.incentives_plots``."""
        return draw("incentives", self.to_frame(), ax=ax, design=design)

    def answers(self) -> dict[str, dict]:
        """Per design: does it reward cutting spend, parking the hardest, concentrating on the easiest?"""
        return {label: answers(self.table[self.table["design"] == label], p, self.party)
                for label, p in zip(self.labels, self.providers, strict=True)}

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        out = open_folder(out_dir, FILES, force=force)
        meta = {"study": "incentives", "designs": list(self.labels), "party": self.party, "sims": self.sims,
                "seed": self.seed, "answers": self.answers()}
        return [write_csv(self.table, out / FILES[0]), write_json(meta, out / FILES[1])]


def provider(sc: Scenario, party: str) -> Provider:
    """The named party of the (first) area: where its costs sit and what it spends per case now."""
    area = sc.areas[0]
    chain = area.supply_chain
    if chain.prime.name == party:
        who, path = chain.prime, "supply_chain.prime"
    else:
        index = next((i for i, s in enumerate(chain.subcontractors) if s.name == party), None)
        if index is None:
            names = [chain.prime.name, *(s.name for s in chain.subcontractors)]
            raise ScenarioError(sc.source, "--party", f"'{party}' is not a delivering party (parties: {', '.join(names)})",
                                has_value=False)
        who, path = chain.subcontractors[index], f"supply_chain.subcontractors.{index}"
    if not any(s.spend_effect is not None for s in area.segments):
        raise ScenarioError(sc.source, "segments", "state no spend_effect table: the incentives study needs at least "
                            "one segment's effect as a function of spend per case (see the README)", has_value=False)
    segs = area.segments
    return Provider(party, path, tuple(s.name for s in segs), tuple(s.share for s in segs),
                    tuple(s.binary_rate for s in segs),
                    tuple(who.cost_per_case_gbp.get(s.name, s.cost_per_case_gbp) for s in segs))


def incentives(scenario_or_designs: Scenario | Mapping | str | Path | Sequence, *,
               multipliers: Sequence[float] = DEFAULT_MULTIPLIERS, party: str = "prime", sims: int = 2_000,
               seed: int = 7, progress: Callable[[int, int], None] | None = None) -> IncentivesResult:
    """Vary the provider's spend per case on common random numbers; see the module docstring.

    ``scenario_or_designs``: one design (a Scenario, raw table or file) or a list of them.
    ``multipliers``: multiples of the contracted spend per case (1 is always added).
    """
    import pandas as pd

    one = isinstance(scenario_or_designs, Scenario | Mapping | str | Path)
    designs = [as_design(d) for d in ([scenario_or_designs] if one else scenario_or_designs)]
    ks = tuple(sorted({round(float(k), 6) for k in multipliers} | {1.0}))
    if ks[0] < 0:
        raise ValueError(f"spend multipliers must be >= 0 (got {ks[0]})")
    providers = tuple(provider(d.scenario(), party) for d in designs)
    total = len(designs) * (2 + (len(providers[0].segments) + 1) * (len(ks) - 1))
    tick = _counter(progress, total)
    rows = []
    for d, p in zip(designs, providers, strict=True):
        rows += _design_rows(d, p, ks, sims=sims, seed=seed, tick=tick)
    return IncentivesResult(tuple(d.label for d in designs), party, sims, seed, pd.DataFrame(rows), providers)


def _counter(progress, total: int):
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    return tick


def _design_rows(d: Design, p: Provider, ks: tuple, *, sims: int, seed: int, tick) -> list[dict]:
    """Every series of one design, then the NPV-maximising spend."""
    contracted = _point(d, p, np.ones(len(p.segments)), sims=sims, seed=seed)
    tick()
    series = [(ALL_SEGMENTS, None)] + [(name, g) for g, name in enumerate(p.segments)]
    rows, best = [], np.ones(len(p.segments))
    for name, g in series:
        points = []
        for k in ks:
            mult = np.full(len(p.segments), k) if g is None else np.where(np.arange(len(p.segments)) == g, k, 1.0)
            point = contracted if k == 1.0 else _point(d, p, mult, sims=sims, seed=seed)
            if k != 1.0:
                tick()
            points.append(_row(d.label, name, k, mult, p, point, contracted))
        rows += points
        if g is not None:
            best[g] = max(points, key=lambda r: r["npv_gbp_mean"])["multiplier"]
    top = _point(d, p, best, sims=sims, seed=seed)
    tick()
    rows.append(_row(d.label, BEST, math.nan, best, p, top, contracted))
    return rows


def _point(d: Design, p: Provider, mult: np.ndarray, *, sims: int, seed: int) -> dict:
    """Simulate one spend vector; per-simulation values for the provider and the commissioner."""
    overrides = {f"{p.path}.cost_per_case_gbp.{name}": round(float(k * s), 2)
                 for name, k, s in zip(p.segments, mult, p.spend, strict=True)}
    res = simulate(d.scenario(overrides), sims=sims, seed=seed, keep_monthly=False, keep_components=False)
    a = res.arrays
    mine = [i for i, n in enumerate(res.party_names) if n == p.name or n.endswith("." + p.name)]
    n = a["cohort_n"].astype(float)
    offenders = n.sum(axis=(1, 2))
    rise = 100.0 * (n * (a["cohort_binary"] - a["cohort_base_binary"])).sum(axis=(1, 2)) / np.maximum(offenders, 1.0)
    return {"npv": a["npv"][:, mine].sum(axis=1), "outlay": a["commissioner_total"], "rise": rise,
            "effect": true_reductions(res)[0]}


def _row(label: str, series: str, k: float, mult: np.ndarray, p: Provider, point: dict, ref: dict) -> dict:
    npv, gain = point["npv"], point["npv"] - ref["npv"]
    row = {"design": label, "series": series, "multiplier": k,
           "spend_gbp": float(np.dot(p.shares, mult * np.array(p.spend))),
           **{f"spend_{name}_gbp": float(m * s) for name, m, s in zip(p.segments, mult, p.spend, strict=True)}}
    row["npv_gbp_mean"], row["npv_gbp_se"] = mean_se(npv)
    row["npv_gain_gbp"], row["npv_gain_se"] = mean_se(gain)
    row["prob_loss"], row["prob_loss_se"] = probability(npv < 0.0)
    row["true_effect_points"], row["true_effect_points_se"] = mean_se(point["effect"])
    row["binary_vs_baseline_points"], row["binary_vs_baseline_points_se"] = mean_se(point["rise"])
    row["commissioner_outlay_gbp_mean"], row["commissioner_outlay_gbp_se"] = mean_se(point["outlay"])
    row["commissioner_outlay_change_gbp"], row["commissioner_outlay_change_se"] = mean_se(point["outlay"] - ref["outlay"])
    return row
