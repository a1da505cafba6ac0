"""Parameter sweeps: a grid over scenario key paths, every point on the same random numbers.

Each grid point is: apply overrides -> validate -> simulate (no monthly arrays) -> reduce
to one row of metrics per party at once, so memory stays bounded however many points there
are. Every point uses the same seed (common random numbers): differences between points
come from the parameter, not from sampling noise.

Output folder (see :mod:`.sweep_folder`): ``sweep.json`` (the sweep's arguments),
``points.jsonl`` (one line per point), ``sweep.csv`` and ``sweep.parquet`` (the tidy table:
one row per point and party), written as one unit at the end; while the sweep runs, its
checkpoint is in ``.partial/``. A sweep restarted with the same arguments skips the points
already in the checkpoint. The grid's size and the work it needs are checked before any
point is validated (a grid of millions of points is refused at once).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..engine import simulate
from ..engine.cost import check_duration
from ..errors import ResourceError
from ..folders import writing
from ..results.frames import flatten_metrics
from ..scenario import apply_stresses, read_scenario_toml, scenario_from_dict
from ..scenario.keypaths import apply_overrides
from .grid import MAX_POINTS, Vary, grid, grid_size
from .precision import parse_precision, simulate_precise
from .sweep_folder import (  # noqa: F401  (file names re-exported: part of this module's API)
    CHECKPOINT_FILE,
    CSV_FILE,
    META_FILE,
    PARQUET_FILE,
    SWEEP_FILES,
    append_point,
    open_checkpoint,
    publish,
    write_table,
)

# ---------------------------------------------------------------- grid specification


# ---------------------------------------------------------------- one point


def metric_columns() -> list[str]:
    """Names of the per-party metric columns (as ``Results.party_summary`` gives them, flattened)."""
    import numpy as np

    from ..results.metrics import party_metrics

    x = np.linspace(-1.0, 1.0, 50)
    block = party_metrics(x, x, x, x + 2, x + 2, x, np.arange(50))
    return [*flatten_metrics(block), "commissioner_total_paid_gbp_mean", "commissioner_npv_paid_gbp_mean"]


def point_scenario(raw: dict, overrides: Mapping[str, Any], *, source: str, sha256: str = ""):
    """The validated scenario at one grid point."""
    return scenario_from_dict(apply_overrides(raw, overrides, source=source), source=source, sha256=sha256)


def evaluate_point(raw: dict, overrides: Mapping[str, Any], *, sims: int, seed: int, source: str,
                   precision: tuple[str, ...] = (), max_sims: int | None = None) -> list[dict]:
    """Simulate one grid point and reduce it to one metrics row per party (picklable, for Dask).

    With ``precision`` (``PARTY.METRIC:SE`` texts) the point runs chunk by chunk until those
    standard errors are met or ``max_sims`` (default ``sims``); its rows then say how many
    simulations it took (``sims``).
    """
    scenario = point_scenario(raw, overrides, source=source)
    if precision:
        targets = [parse_precision(t, scenario.party_names(), metric_columns()) for t in precision]
        results = simulate_precise(scenario, targets, seed=seed, max_sims=max_sims or sims, keep_monthly=False,
                                   keep_components=False).results
    else:
        results = simulate(scenario, sims=sims, seed=seed, keep_monthly=False, keep_components=False)
    summary = results.summary()
    paid = summary["commissioner"]
    extra = {"commissioner_total_paid_gbp_mean": paid["total_paid_gbp"]["mean"],
             "commissioner_npv_paid_gbp_mean": paid["npv_paid_gbp"]["mean"]}
    used = {"sims": results.sims} if precision else {}
    return [{**used, "party": name, **flatten_metrics(metrics), **extra}
            for name, metrics in summary["parties"].items()]


def _cell(value: Any) -> Any:
    """Swept values as table cells: tables and arrays become JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


# ---------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepSpec:
    """A sweep's arguments: what defines its points and so whether a restart may resume it."""

    scenario: str
    varies: tuple[Vary, ...]
    sims: int
    seed: int
    stresses: tuple[str, ...] = ()
    precision: tuple[str, ...] = ()  # PARTY.METRIC:SE per point; ``sims`` is then the most a point may run
    max_sims: int | None = None

    def meta(self, sha256: str) -> dict:
        extra = {"precision": list(self.precision), "max_sims": self.max_sims} if self.precision else {}
        return {
            "scenario_file": self.scenario,
            "scenario_sha256": sha256,
            "vary": {v.key: list(v.values) for v in self.varies},
            "stress": list(self.stresses),
            "sims": self.sims,
            "seed": self.seed,
            "pbrsim_version": __version__,
            **extra,
        }


def prepare(spec: SweepSpec, *, allow_long: bool = False) -> tuple[dict, list[dict[str, Any]], str]:
    """Read the scenario, apply stresses, bound the work, check every grid point validates (before any output)."""
    raw, sha = read_scenario_toml(spec.scenario)
    scenario_from_dict(raw, source=spec.scenario, sha256=sha)
    raw = apply_stresses(raw, spec.stresses, source=spec.scenario)
    raw = {k: v for k, v in raw.items() if k != "stress"}
    size = grid_size(spec.varies)
    if size > MAX_POINTS:
        raise ResourceError(f"--vary: the grid has {size:,} points; a sweep takes at most {MAX_POINTS:,}")
    check_duration(scenario_from_dict(raw, source=spec.scenario), spec.max_sims or spec.sims, runs=size,
                   allow_long=allow_long, what=f"this sweep of {size:,} points")
    points = grid(spec.varies)
    for overrides in points:
        point_scenario(raw, overrides, source=spec.scenario)
    return raw, points, sha


Runner = Callable[[list[tuple[int, dict]], dict, SweepSpec], Iterator[tuple[int, list[dict]]]]


def in_process(tasks: list[tuple[int, dict]], raw: dict, spec: SweepSpec) -> Iterator[tuple[int, list[dict]]]:
    """Run the points one after another in this process."""
    for index, overrides in tasks:
        yield index, evaluate_point(raw, overrides, sims=spec.sims, seed=spec.seed, source=spec.scenario,
                                    precision=spec.precision, max_sims=spec.max_sims)


@dataclass
class SweepResult:
    table: Any  # pandas.DataFrame
    files: list[Path]
    resumed: int
    computed: int


def run_sweep(spec: SweepSpec, out_dir: str | Path, *, force: bool = False, runner: Runner | None = None,
              progress: Callable[[int, int], None] | None = None, allow_long: bool = False,
              extras: Callable[[Any, Path], object] | None = None) -> SweepResult:
    """Run (or resume) a sweep and write its table; see the module docstring for the files.

    ``progress(done, total)`` is called once before the first point and after each point;
    ``extras(table, folder)`` may add files (a figure) to the finished sweep before it is
    made current; ``allow_long`` runs a sweep estimated to take over an hour.
    """
    raw, points, sha = prepare(spec, allow_long=allow_long)
    meta = spec.meta(sha)
    with writing(out_dir) as folder:
        done = open_checkpoint(folder, meta, points, force=force)
        todo = [(i, p) for i, p in enumerate(points) if i not in done]
        report = progress or (lambda done, total: None)
        report(len(done), len(points))
        for index, rows in (runner or in_process)(todo, raw, spec):
            entry = {"point": index, "params": points[index], "rows": rows}
            append_point(folder, entry)
            done[index] = entry
            report(len(done), len(points))
        table = build_table(done, spec)
        publish(folder, table, meta, done, run_id=uuid.uuid4().hex, extras=extras)
    files = [Path(out_dir) / name for name in (CSV_FILE, PARQUET_FILE)]
    return SweepResult(table, files, resumed=len(points) - len(todo), computed=len(todo))


def build_table(done: Mapping[int, dict], spec: SweepSpec):
    """The tidy table: one row per (point, party), swept values as columns, then metrics."""
    import pandas as pd

    keys = [v.key for v in spec.varies]
    rows = []
    for index in sorted(done):
        entry = done[index]
        for row in entry["rows"]:
            rows.append({"point": index, **{k: _cell(entry["params"][k]) for k in keys}, **row})
    return pd.DataFrame(rows)


def metric_names(table) -> list[str]:
    """Metric columns of a sweep table (everything after the party column)."""
    cols = list(table.columns)
    return cols[cols.index("party") + 1:]
