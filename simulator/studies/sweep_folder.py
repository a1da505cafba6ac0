"""A sweep's folder: the checkpoint while it runs, then the finished sweep written as one unit.

While a sweep runs its checkpoint lives in ``OUT/.partial/``: ``sweep.json`` (the sweep's
arguments) and ``points.jsonl`` (one line per finished point, appended and fsynced as each
finishes). At the end ``sweep.json``, ``points.jsonl``, ``sweep.csv``, ``sweep.parquet``
and any figure are staged and made current together (see :mod:`simulator.folders`), so a
kill at any moment leaves the old finished sweep (or nothing) and a checkpoint to resume.

Rules: a checkpoint with the same arguments is resumed; one with other arguments, or a
finished result of any kind, is replaced only with ``force``. A finished sweep with the same
arguments rerun with ``force`` reuses its points (they are the same numbers). A folder
holding a sweep of pbrsim 0.1.0 that was interrupted (``sweep.json`` and ``points.jsonl``
only) is resumed like a checkpoint.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from ..atomic import atomic_write
from ..errors import OutputError
from ..folders import Writer
from .tables import csv_text

META_FILE = "sweep.json"
CHECKPOINT_FILE = "points.jsonl"
CSV_FILE = "sweep.csv"
PARQUET_FILE = "sweep.parquet"
SWEEP_FILES = (META_FILE, CHECKPOINT_FILE, CSV_FILE, PARQUET_FILE)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_points(path: Path, points: list[dict]) -> dict[int, dict]:
    """Finished points from a checkpoint file; a line cut short by a kill, or of another grid, is dropped."""
    done: dict[int, dict] = {}
    try:
        lines = path.read_text(errors="replace").splitlines(keepends=True)
    except OSError:
        return done
    for line in lines:
        try:
            entry = json.loads(line) if line.endswith("\n") else None
        except ValueError:
            entry = None
        index = entry.get("point") if isinstance(entry, dict) else None
        if isinstance(index, int) and 0 <= index < len(points) and entry.get("params") == points[index] \
                and isinstance(entry.get("rows"), list):
            done.setdefault(index, entry)
    return done


def _points_text(done: Mapping[int, dict]) -> bytes:
    return "".join(json.dumps(done[i]) + "\n" for i in sorted(done)).encode()


def open_checkpoint(folder: Writer, meta: dict, points: list[dict], *, force: bool) -> dict[int, dict]:
    """Apply the rules above; return the points already finished, with the checkpoint ready to append to."""
    here, partial = folder.folder, folder.partial
    same_partial = _read_json(partial / META_FILE) == meta
    finished_meta = _read_json(here / META_FILE)
    held = folder.held()
    legacy = bool(held) and set(held) <= {META_FILE, CHECKPOINT_FILE} and finished_meta == meta
    if partial.exists() and not same_partial and not force:
        what = "a sweep with different arguments" if (partial / META_FILE).exists() else "a run"
        raise OutputError(f"{folder.shown}: holds an interrupted {what}; rerun with the same arguments to resume it, "
                          "or use --force to start again")
    if held and not (same_partial or legacy or force):
        raise OutputError(_refusal(folder.shown, held, same=finished_meta == meta, sweep=finished_meta is not None))
    done = read_points(here / CHECKPOINT_FILE, points) if finished_meta == meta else {}
    if same_partial:
        done.update(read_points(partial / CHECKPOINT_FILE, points))
    else:
        shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, exist_ok=True)
    atomic_write(partial / CHECKPOINT_FILE, lambda f: f.write(_points_text(done)))
    atomic_write(partial / META_FILE, lambda f: f.write(json.dumps(meta, indent=2).encode()))
    return done


def _refusal(shown: str, held: list[str], *, same: bool, sweep: bool) -> str:
    files = ", ".join(held)
    if same:
        return (f"{shown}: already holds this sweep, finished ({files}); use --force to write it again "
                "(its points are reused), or choose another --out")
    if sweep:
        return f"{shown}: already holds a sweep with different arguments ({files}); use --force to replace it"
    return f"{shown}: already holds {files}; use --force to replace them"


def append_point(folder: Writer, entry: dict) -> None:
    """Add one finished point to the checkpoint, on disk before the next point starts."""
    with open(folder.partial / CHECKPOINT_FILE, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())


def publish(folder: Writer, table, meta: dict, done: Mapping[int, dict], *, run_id: str,
            extras: Callable[[object, Path], object] | None = None) -> None:
    """Stage the finished sweep (arguments, points, table, ``extras(table, stage)``) and make it current."""
    stage = folder.stage()
    atomic_write(stage / META_FILE, lambda f: f.write(json.dumps(meta, indent=2).encode()))
    atomic_write(stage / CHECKPOINT_FILE, lambda f: f.write(_points_text(done)))
    write_table(table, stage)
    if extras is not None:
        extras(table, stage)
    folder.commit(stage, run_id=run_id, kind="sweep")


def write_table(table, out_dir: Path) -> list[Path]:
    """sweep.csv (text cells safe to open in a spreadsheet) and sweep.parquet (typed), each written atomically."""
    csv = csv_text(table)
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    return [
        atomic_write(out_dir / CSV_FILE, lambda f: f.write(csv)),
        atomic_write(out_dir / PARQUET_FILE, lambda f: f.write(parquet.getvalue())),
    ]
