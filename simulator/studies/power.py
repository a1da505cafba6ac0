"""Power curves: the chance of being paid as a function of the true effect (luck or skill?).

``power(scenario, effects, sims=..., seed=...)`` fixes the true effect at each value in turn
(points off the binary rate, or a relative cut in reoffences per reoffender with
``measure="frequency"``; the other measure's effect is fixed at the scenario's mean), runs
every value on the same seed (common random numbers) and reports, per area and for the
whole contract, the chance a cohort is paid, deducted or in the dead band (net outcome
payment > 0, < 0, = 0), the chance its binary measure alone is paid with the exact binomial
theory beside it (:mod:`.power_theory`), and each party's chance of a loss and mean NPV.
The effect needed for a 50% and an 80% chance of a cohort being paid comes with a bootstrap
standard error and 95% interval (:mod:`.crossing`).

Standard errors treat the simulation as the independent unit (cohorts of one simulation
share its shocks, volumes and baseline).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..engine import simulate
from ..engine.model_arrays import build_model_arrays
from ..results.metrics import mean_se, probability, ratio_mean
from ..scenario import Scenario
from .crossing import needed_effect
from .designs import as_design
from .drawing import draw
from .power_theory import binary_paid_theory, binary_threshold, theory_gaps
from .tables import open_folder, write_csv, write_json

MEASURES = {"binary": ("binary_points", "effect_binary_points"),
            "frequency": ("frequency_relative", "effect_frequency_relative")}
LEVELS = (0.5, 0.8)
ALL = "all"
FILES = ("power.csv", "power_parties.csv", "power_needed.csv", "power.json")


@dataclass(frozen=True)
class PowerResult:
    """A power study: ``areas`` (the curve per area), ``parties`` and ``needed`` tables."""

    scenario: str
    source: str
    measure: str
    effects: tuple[float, ...]
    sims: int
    seed: int
    areas: object  # pandas.DataFrame: one row per effect and area (see FILES[0])
    parties: object  # one row per effect and party
    needed: object  # one row per area and level
    theory_gaps: tuple[str, ...] = field(default=())

    @property
    def effect_column(self) -> str:
        return MEASURES[self.measure][1]

    def to_frame(self):
        """The power curve as a tidy table (one row per effect and area); a copy."""
        return self.areas.copy()

    def plot(self, ax=None, *, area: str | None = None):
        """The power curve with its theory where there is one; see ``outputs.study_plots.plot_power``."""
        return draw("power", self.to_frame(), ax=ax, area=area)

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        """power.csv, power_parties.csv, power_needed.csv and power.json, written atomically."""
        out = open_folder(out_dir, FILES, force=force)
        meta = {"study": "power", "scenario": self.scenario, "scenario_file": self.source, "measure": self.measure,
                "effects": list(self.effects), "sims": self.sims, "seed": self.seed,
                "theory_leaves_out": list(self.theory_gaps)}
        tables = (self.areas, self.parties, self.needed)
        return [*(write_csv(t, out / name) for t, name in zip(tables, FILES, strict=False)),
                write_json(meta, out / FILES[3])]


def power(scenario_or_raw: Scenario | Mapping | str | Path, effects: Sequence[float], *, sims: int = 2_000,
          seed: int = 7, measure: str = "binary", n_boot: int = 1000,
          progress: Callable[[int, int], None] | None = None) -> PowerResult:
    """Simulate the scenario at each true effect on common random numbers; see the module docstring.

    Parameters
    ----------
    scenario_or_raw : a Scenario, a raw scenario table or a scenario file.
    effects : true effects, points off the binary rate (``measure="binary"``) or relative cuts
        in reoffences per reoffender (``"frequency"``), in increasing order.
    sims, seed : simulations per effect and the seed shared by every effect.
    n_boot : bootstrap replicates for the needed effect's uncertainty.
    progress : called as ``progress(done, total)`` after each effect.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {tuple(MEASURES)} (got {measure!r})")
    effects = tuple(float(e) for e in effects)
    if len(effects) < 2 or any(b <= a for a, b in zip(effects, effects[1:], strict=False)):
        raise ValueError(f"effects must be at least two values in increasing order (got {effects})")
    design = as_design(scenario_or_raw)
    base = design.scenario()
    key, other = MEASURES[measure][0], MEASURES["frequency" if measure == "binary" else "binary"][0]
    held = getattr(base.effect, other).expected()
    per_effect = []
    for i, e in enumerate(effects):
        sc = design.scenario({f"effect.{key}": _fixed(e), f"effect.{other}": _fixed(held)})
        per_effect.append(_one_effect(sc, e if measure == "binary" else None, sims=sims, seed=seed))
        if progress is not None:
            progress(i + 1, len(effects))
    return _assemble(base, design.source, measure, effects, held, per_effect, sims=sims, seed=seed, n_boot=n_boot)


def _fixed(value: float) -> dict:
    return {"dist": "fixed", "value": float(value)}


def _one_effect(sc: Scenario, theory_effect: float | None, *, sims: int, seed: int) -> dict:
    """Per-simulation counts for one effect: paid, deducted, dead-band and binary-paid cohorts per area."""
    res = simulate(sc, sims=sims, seed=seed, keep_monthly=False, keep_components=False)
    m, _ = build_model_arrays(sc)
    a = res.arrays
    n, pbr = a["cohort_n"], a["cohort_pbr"]
    valid = n > 0
    base, rate = a["cohort_base_binary"], a["cohort_binary"]
    threshold = binary_threshold(base, n, m.z_crit[None, :, None], m.bin_target[None, :, None])
    counts = {
        "cohorts": valid.sum(axis=2), "paid": (valid & (pbr > 0)).sum(axis=2),
        "deducted": (valid & (pbr < 0)).sum(axis=2), "dead_band": (valid & (pbr == 0)).sum(axis=2),
        "binary_paid": (valid & (base - rate > threshold)).sum(axis=2), "offenders": n.sum(axis=2),
    }
    priced = m.bin_rate > 0
    theory = binary_paid_theory(sc, theory_effect) if theory_effect is not None and priced.any() else None
    return {"counts": {k: v.astype(float) for k, v in counts.items()}, "total_pbr": pbr.sum(axis=2),
            "npv": a["npv"], "theory": theory, "areas": res.area_names, "parties": res.party_names,
            "gaps": theory_gaps(sc) if theory is not None else []}


def _area_rows(effect_cols: dict, one: dict, names: list[str]) -> list[dict]:
    """Rows of the power table for one effect: each area, then the whole contract when there are several."""
    c = one["counts"]
    rows = []
    columns = [(name, i) for i, name in enumerate(names)] + ([(ALL, None)] if len(names) > 1 else [])
    for name, i in columns:
        def sums(k, i=i):
            return c[k][:, i] if i is not None else c[k].sum(axis=1)
        total = one["total_pbr"][:, i] if i is not None else one["total_pbr"].sum(axis=1)
        row = {**effect_cols, "area": name,
               "mean_cohort_size": ratio_mean(sums("offenders"), sums("cohorts"))[0]}
        for k in ("paid", "deducted", "dead_band", "binary_paid"):
            row[f"prob_cohort_{k}"], row[f"prob_cohort_{k}_se"] = ratio_mean(sums(k), sums("cohorts"))
        row["prob_cohort_binary_paid_theory"] = _theory(one["theory"], i)
        row["prob_contract_net_paid"], row["prob_contract_net_paid_se"] = probability(total > 0)
        rows.append(row)
    return rows


def _theory(theory: list[float] | None, i: int | None) -> float:
    if theory is None:
        return float("nan")
    return theory[i] if i is not None else float(np.mean(theory))


def _party_rows(effect_cols: dict, one: dict) -> list[dict]:
    rows = []
    for p, name in enumerate(one["parties"]):
        npv = one["npv"][:, p]
        mean, se = mean_se(npv)
        loss, loss_se = probability(npv < 0.0)
        rows.append({**effect_cols, "party": name, "npv_gbp_mean": mean, "npv_gbp_se": se, "prob_loss": loss,
                     "prob_loss_se": loss_se})
    return rows


def _assemble(base: Scenario, source: str, measure: str, effects: tuple, held: float, per_effect: list[dict], *,
              sims: int, seed: int, n_boot: int) -> PowerResult:
    import pandas as pd

    names = per_effect[0]["areas"]
    col, other_col = MEASURES[measure][1], MEASURES["frequency" if measure == "binary" else "binary"][1]
    area_rows, party_rows = [], []
    for e, one in zip(effects, per_effect, strict=True):
        cols = {col: e, other_col: held} if measure == "binary" else {other_col: held, col: e}
        area_rows += _area_rows(cols, one, names)
        party_rows += _party_rows(cols, one)
    needed = _needed(effects, per_effect, names, seed=seed, n_boot=n_boot)
    return PowerResult(base.name, source, measure, effects, sims, seed, pd.DataFrame(area_rows),
                       pd.DataFrame(party_rows), needed, tuple(per_effect[0]["gaps"]))


def _needed(effects: tuple, per_effect: list[dict], names: list[str], *, seed: int, n_boot: int):
    """The effect for each level's chance of a cohort being paid, per area and for the whole contract."""
    import pandas as pd

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x706F776572,)))  # 'power'
    paid = np.stack([one["counts"]["paid"] for one in per_effect])  # effects x sims x areas
    cohorts = np.stack([one["counts"]["cohorts"] for one in per_effect])
    columns = [(name, paid[:, :, i], cohorts[:, :, i]) for i, name in enumerate(names)]
    if len(names) > 1:
        columns.append((ALL, paid.sum(axis=2), cohorts.sum(axis=2)))
    rows = [{"area": name, **needed_effect(effects, y, w, level, rng=rng, n_boot=n_boot)}
            for name, y, w in columns for level in LEVELS]
    return pd.DataFrame(rows, columns=["area", "level", "effect", "se", "ci_low", "ci_high", "note"])
