"""Design comparison: every design on the same simulated outcomes, differences with paired errors.

``compare([A, B, ...], sims=..., seed=...)`` simulates each design with the same seed and
reports, for every party and for the commissioner, each metric's level with its standard
error and its difference from the first design with the **paired** standard error: the
standard deviation of the per-simulation differences (of each estimate's linearisation, for
probabilities and ratios) over sqrt(sims). Under common random numbers the pairs move
together and the paired s.e. is far below either level's s.e.

When do designs share outcomes? The engine gives each block of 64 simulations its own
stream from the seed, and the payment terms draw nothing: designs that differ only in
payment terms (``payment.*``: triggers, rates, hurdle, deductions, caps, MAP, fees,
foundation), the supply chain (``supply_chain.*``: shares, upfront, financing, costs,
reserves), the baseline's stretch, the settlement calendar (processing lag, settlement
interval, fee lag, conviction wait, follow-up) or the discount rate draw identical cohorts,
shocks and effects. Anything that changes what is drawn or how many draws come before it
(effects, shocks, volumes, segment rates and shares, term, bedding-in, cohort period, mode,
areas; costs when a segment has a ``spend_effect`` table) gives the designs the same seed but
different outcomes: the comparison then carries outcome noise too, the paired s.e. still
measures it honestly, and the result says so in ``warnings``. The check itself is empirical
(:func:`_shares_outcomes` compares the drawn cohorts and effects), so it is right for
borderline cases too: a different baseline estimation size changes the baselines but
usually leaves the cohorts' draws in step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import simulate
from ..results import Results
from ..results.metrics import N_BATCHES, batch_se, cvar
from ..scenario import Scenario
from .designs import Design, as_design
from .drawing import draw
from .tables import open_folder, write_csv, write_json
from .value import true_reductions

OUTCOME_ARRAYS = ("cohort_n", "cohort_binary", "cohort_frequency", "effect_binary_points", "effect_frequency_relative")
COMMISSIONER = "commissioner"
FILES = ("compare.csv", "compare.json")
PARTY_METRICS = ("npv_gbp_mean", "prob_loss", "cvar_5_gbp", "peak_funding_gbp_mean", "prob_reserves_exhausted")
RATIOS = {  # name: (numerator, denominator) of per-simulation commissioner values
    "outlay_per_point_gbp": ("total_paid", "points"),
    "outlay_per_reoffence_avoided_gbp": ("total_paid", "avoided"),
    "outcome_payments_per_point_gbp": ("outcome_payments", "points"),
    "outcome_payments_per_reoffence_avoided_gbp": ("outcome_payments", "avoided"),
}


@dataclass(frozen=True)
class CompareResult:
    """Levels and paired differences: ``table`` has one row per design, party (or commissioner) and metric."""

    labels: tuple[str, ...]
    sources: tuple[str, ...]
    sims: int
    seed: int
    table: object  # pandas.DataFrame: design, who, metric, value, se, diff, diff_se
    shared: tuple[bool, ...]  # does each design share the first design's simulated outcomes?
    warnings: tuple[str, ...] = ()

    def to_frame(self):
        return self.table.copy()

    def plot(self, ax=None, *, metric: str = "npv_gbp_mean"):
        """Differences from the first design with 95% paired intervals; see ``outputs.compare_plots``."""
        return draw("compare", self.to_frame(), ax=ax, metric=metric)

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        out = open_folder(out_dir, FILES, force=force)
        meta = {"study": "compare", "designs": list(self.labels), "scenario_files": list(self.sources),
                "sims": self.sims, "seed": self.seed, "shares_outcomes_with_first": list(self.shared),
                "warnings": list(self.warnings)}
        return [write_csv(self.table, out / FILES[0]), write_json(meta, out / FILES[1])]


def compare(designs: Sequence[Scenario | Mapping | str | Path | Design], *, sims: int = 2_000, seed: int = 7,
            progress: Callable[[int, int], None] | None = None) -> CompareResult:
    """Simulate every design on the same seed; levels and paired differences from the first.

    ``designs``: Scenarios, raw tables, scenario files or :class:`Design` (see :func:`.designs.variants`).
    """
    designs = [as_design(d) for d in designs]
    if len(designs) < 2:
        raise ValueError("compare needs at least two designs")
    per_sim, runs = [], []
    for i, d in enumerate(designs):
        res = simulate(d.scenario(), sims=sims, seed=seed, keep_monthly=False, keep_components=False)
        runs.append(res)
        per_sim.append(_per_sim_values(res))
        if progress is not None:
            progress(i + 1, len(designs))
    shared = tuple(_shares_outcomes(runs[0], r) for r in runs)
    warnings = tuple(_warning(designs[0], d, runs[0], r) for d, r, s in zip(designs, runs, shared, strict=True)
                     if not s)
    table = _table([d.label for d in designs], per_sim)
    return CompareResult(tuple(d.label for d in designs), tuple(d.source for d in designs), sims, seed, table,
                         shared, warnings)


def _per_sim_values(res: Results) -> dict[str, dict[str, np.ndarray]]:
    """Per-simulation values: each party's, and the commissioner's (with what it bought)."""
    a = res.arrays
    values = {name: {"npv": a["npv"][:, p], "peak": a["peak_funding"][:, p], "headroom": a["lowest_headroom"][:, p]}
              for p, name in enumerate(res.party_names)}
    points, avoided = true_reductions(res)
    values[COMMISSIONER] = {"total_paid": a["commissioner_total"], "npv_paid": a["commissioner_npv"],
                            "outcome_payments": a["cohort_pbr"].sum(axis=(1, 2)), "points": points, "avoided": avoided}
    return values


def _linearised(metric: str, v: dict[str, np.ndarray]) -> tuple[float, np.ndarray] | None:
    """(estimate, per-simulation linearisation) of a metric; None for CVaR (batch means)."""
    simple = {"npv_gbp_mean": v.get("npv"), "peak_funding_gbp_mean": v.get("peak"),
              "prob_loss": None if "npv" not in v else (v["npv"] < 0).astype(float),
              "prob_reserves_exhausted": None if "headroom" not in v else (v["headroom"] < 0).astype(float),
              "total_paid_gbp_mean": v.get("total_paid"), "npv_paid_gbp_mean": v.get("npv_paid"),
              "outcome_payments_gbp_mean": v.get("outcome_payments"), "effect_points_mean": v.get("points"),
              "reoffences_avoided_mean": v.get("avoided")}
    if metric in simple:
        x = simple[metric]
        return float(x.mean()), x - x.mean()
    num, den = (v[k] for k in RATIOS[metric])
    mean_den = den.mean()
    if not mean_den > 0:
        return math.nan, np.full(len(den), math.nan)
    ratio = num.mean() / mean_den
    return float(ratio), (num - ratio * den) / mean_den


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan


def _metric_row(label: str, who: str, metric: str, v: dict, ref: dict | None) -> dict:
    if metric == "cvar_5_gbp":
        value, se = cvar(v["npv"]), batch_se(cvar, v["npv"])
        diff = diff_se = math.nan
        if ref is not None:
            pair = np.column_stack([ref["npv"], v["npv"]])
            diff = value - cvar(ref["npv"])
            diff_se = batch_se(lambda b: cvar(b[:, 1]) - cvar(b[:, 0]), pair, N_BATCHES)
    else:
        value, infl = _linearised(metric, v)
        se = _se(infl)
        diff = diff_se = math.nan
        if ref is not None:
            ref_value, ref_infl = _linearised(metric, ref)
            diff, diff_se = value - ref_value, _se(infl - ref_infl)
    return {"design": label, "who": who, "metric": metric, "value": value, "se": se, "diff": diff, "diff_se": diff_se}


def _table(labels: list[str], per_sim: list[dict]):
    """One row per design, party (then the commissioner) and metric; differences against the first design."""
    import pandas as pd

    parties = list(dict.fromkeys(name for values in per_sim for name in values if name != COMMISSIONER))
    commissioner_metrics = ("total_paid_gbp_mean", "npv_paid_gbp_mean", "outcome_payments_gbp_mean",
                            "effect_points_mean", "reoffences_avoided_mean", *RATIOS)
    rows = []
    for who, metrics in [*((p, PARTY_METRICS) for p in parties), (COMMISSIONER, commissioner_metrics)]:
        ref = per_sim[0].get(who)
        for metric in metrics:
            for label, values in zip(labels, per_sim, strict=True):
                if who in values:
                    rows.append(_metric_row(label, who, metric, values[who], ref))
    return pd.DataFrame(rows, columns=["design", "who", "metric", "value", "se", "diff", "diff_se"])


def _shares_outcomes(a: Results, b: Results) -> bool:
    """True when ``b`` drew exactly the cohorts, volumes and effects of ``a`` (common random numbers)."""
    return all(a.arrays[k].shape == b.arrays[k].shape and np.array_equal(a.arrays[k], b.arrays[k])
               for k in OUTCOME_ARRAYS)


def differing_keys(a: Scenario, b: Scenario) -> list[str]:
    """Key paths whose values differ between two scenarios (``areas.0.`` dropped for one-area scenarios)."""
    flat_a, flat_b = (_flatten(s.model_dump(mode="json", exclude={"name", "description", "stress"})) for s in (a, b))
    keys = [k for k in dict.fromkeys([*flat_a, *flat_b]) if flat_a.get(k) != flat_b.get(k)]
    if len(a.areas) == 1 and len(b.areas) == 1:
        keys = [k.removeprefix("areas.0.") for k in keys]
    return keys


def _flatten(tree, prefix: str = "") -> dict:
    if isinstance(tree, Mapping):
        items = tree.items()
    elif isinstance(tree, list) and any(isinstance(x, Mapping) for x in tree):
        items = enumerate(tree)
    else:
        return {prefix: tree}
    out: dict = {}
    for k, v in items:
        out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def _warning(first: Design, other: Design, a: Results, b: Results) -> str:
    keys = differing_keys(a.scenario, b.scenario)
    shown = ", ".join(keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
    return (f"'{other.label}' does not share the simulated outcomes of '{first.label}' (same seed, but it differs in "
            f"what is drawn: {shown or 'the simulation mode'}); its differences carry outcome noise as well, "
            "which the paired s.e. includes")
