"""Parameter sweeps: a grid over scenario key paths, every point on the same random numbers.

Each grid point is: apply overrides -> validate -> simulate (no monthly arrays) -> reduce
to one row of metrics per party at once, so memory stays bounded however many points there
are. Every point uses the same seed (common random numbers): differences between points
come from the parameter, not from sampling noise.

Output folder: ``sweep.json`` (the sweep's arguments), ``points.jsonl`` (a checkpoint: one
line per finished point, appended as it finishes), then ``sweep.csv`` and ``sweep.parquet``
(the tidy table: one row per point and party), written atomically at the end. A sweep
restarted with the same arguments skips the points already in the checkpoint.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..atomic import atomic_write
from ..engine import simulate
from ..errors import OutputError
from ..results.frames import flatten_metrics
from ..scenario import apply_stresses, read_scenario_toml, scenario_from_dict
from ..scenario.keypaths import apply_overrides
from .grid import Vary, grid
from .precision import parse_precision, simulate_precise

META_FILE = "sweep.json"
CHECKPOINT_FILE = "points.jsonl"
CSV_FILE = "sweep.csv"
PARQUET_FILE = "sweep.parquet"
SWEEP_FILES = (META_FILE, CHECKPOINT_FILE, CSV_FILE, PARQUET_FILE)


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


def prepare(spec: SweepSpec) -> tuple[dict, list[dict[str, Any]], str]:
    """Read the scenario, apply stresses and check every grid point validates (before any output)."""
    raw, sha = read_scenario_toml(spec.scenario)
    scenario_from_dict(raw, source=spec.scenario, sha256=sha)
    raw = apply_stresses(raw, spec.stresses, source=spec.scenario)
    raw = {k: v for k, v in raw.items() if k != "stress"}
    points = grid(spec.varies)
    for overrides in points:
        point_scenario(raw, overrides, source=spec.scenario)
    return raw, points, sha


def _read_checkpoint(path: Path, points: list[dict]) -> dict[int, dict]:
    """Finished points from the checkpoint; a line cut short by a kill is dropped."""
    done: dict[int, dict] = {}
    if not path.exists():
        return done
    for line in path.read_text().splitlines(keepends=True):
        try:
            entry = json.loads(line) if line.endswith("\n") else None
        except json.JSONDecodeError:
            entry = None
        if entry is None:
            continue
        index = entry.get("point")
        if isinstance(index, int) and 0 <= index < len(points) and entry.get("params") == points[index]:
            done.setdefault(index, entry)
    return done


def _rewrite_checkpoint(path: Path, done: Mapping[int, dict]) -> None:
    text = "".join(json.dumps(done[i]) + "\n" for i in sorted(done))
    atomic_write(path, lambda f: f.write(text.encode()))


def _append(path: Path, entry: dict) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())


def open_output(out_dir: Path, meta: dict, *, force: bool) -> bool:
    """Make ``out_dir`` ready; True when it holds a sweep with the same arguments (resume)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder")
    existing = [n for n in SWEEP_FILES if (out_dir / n).exists()]
    if not existing:
        return False
    try:
        same = json.loads((out_dir / META_FILE).read_text()) == meta
    except (OSError, json.JSONDecodeError):
        same = False
    if same and not force:
        return True
    if not force:
        raise OutputError(f"{out_dir}: already holds a sweep with different arguments ({', '.join(existing)}); "
                          "rerun with the same arguments to resume it, or use --force to start again")
    for name in SWEEP_FILES:
        (out_dir / name).unlink(missing_ok=True)
    return False


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
              progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run (or resume) a sweep and write its table; see the module docstring for the files.

    ``progress(done, total)`` is called once before the first point and after each point.
    """
    out_dir = Path(out_dir)
    raw, points, sha = prepare(spec)
    meta = spec.meta(sha)
    resume = open_output(out_dir, meta, force=force)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / CHECKPOINT_FILE
    done = _read_checkpoint(checkpoint, points) if resume else {}
    _rewrite_checkpoint(checkpoint, done)
    atomic_write(out_dir / META_FILE, lambda f: f.write(json.dumps(meta, indent=2).encode()))
    todo = [(i, p) for i, p in enumerate(points) if i not in done]
    report = progress or (lambda done, total: None)
    report(len(done), len(points))
    for index, rows in (runner or in_process)(todo, raw, spec):
        entry = {"point": index, "params": points[index], "rows": rows}
        _append(checkpoint, entry)
        done[index] = entry
        report(len(done), len(points))
    table = build_table(done, spec)
    return SweepResult(table, write_table(table, out_dir), resumed=len(points) - len(todo), computed=len(todo))


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


def write_table(table, out_dir: Path) -> list[Path]:
    """sweep.csv and sweep.parquet, each written atomically."""
    csv = table.to_csv(index=False).encode()
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    return [
        atomic_write(out_dir / CSV_FILE, lambda f: f.write(csv)),
        atomic_write(out_dir / PARQUET_FILE, lambda f: f.write(parquet.getvalue())),
    ]


def metric_names(table) -> list[str]:
    """Metric columns of a sweep table (everything after the party column)."""
    cols = list(table.columns)
    return cols[cols.index("party") + 1:]
