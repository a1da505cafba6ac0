"""Helpers for the fault tests: what a result folder holds, compared without the run's id.

A killed writer must leave the complete old result (byte for byte) or the complete new one
(equal to a clean run of the same command, apart from its run id), and nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from simulator import Results
from simulator.cli import main


def invoke(*args):
    """The CLI in this process (warm kernels): for reference runs and recoveries."""
    return CliRunner().invoke(main, [str(a) for a in args])


def pbrsim(*args) -> list[str]:
    """The CLI as a separate process, to be killed."""
    return [sys.executable, "-m", "simulator.cli", *map(str, args)]


def run_process(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(pbrsim(*args), capture_output=True, text=True, timeout=timeout)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def without_checkpoint(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if not k.startswith(".partial/")}


def canonical(folder: Path) -> dict:
    """The result in ``folder`` with its run id taken out; loading it must pass every check."""
    Results.load(folder)
    out: dict = {"files": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                                 if p.is_file() and not p.relative_to(folder).as_posix().startswith(".partial/"))}
    summary = json.loads((folder / "summary.json").read_text())
    summary["provenance"].pop("run_id")
    out["summary"] = summary
    with np.load(folder / "sims.npz") as z:
        for key in z.files:
            if key == "provenance_json":
                prov = json.loads(str(z[key]))
                prov.pop("run_id")
                out[key] = prov
            else:
                out[key] = z[key].tobytes() + str(z[key].shape).encode()
    out["scenario.toml"] = (folder / "scenario.toml").read_bytes()
    manifest = json.loads((folder / "manifest.json").read_text())
    out["manifest"] = (manifest["kind"], sorted(manifest["files"]))
    return out


def strays(folder: Path) -> list[str]:
    """What a writer may leave behind: staging, old and lock files beside the folder, checkpoints and temporaries in it."""
    beside = [p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.pbrsim-")]
    inside = [p.name for p in folder.glob(".*")] if folder.is_dir() else []
    return beside + inside


def state(folder: Path, old: dict[str, bytes], new: dict) -> str:
    """'old' or 'new' (a checkpoint aside), else a description of what is wrong."""
    if folder.is_dir() and without_checkpoint(snapshot(folder)) == without_checkpoint(old):
        return "old"
    try:
        if canonical(folder) == new:
            return "new"
    except Exception as exc:  # noqa: BLE001  (described in the failure)
        return f"neither: {type(exc).__name__}: {exc}"
    return f"neither: {sorted(snapshot(folder)) if folder.is_dir() else 'missing'}"
