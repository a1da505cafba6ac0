"""Reading a saved result only when its files are whole and belong to one run.

The checks, in order: the manifest (when there is one: results of pbrsim 0.1.0 have none)
lists every file with its size and digest, and says the folder holds a run; sims.npz reads
whole (zip CRC-32) with arrays of the shapes its labels promise; the run id in the manifest,
in sims.npz and in summary.json is one and the same, and summary.json agrees with sims.npz
on the seed, the number of simulations and the scenario. A writer swapping the folder while
it is read (see :mod:`simulator.folders`) shows as a mismatch; the read is then tried once more.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..folders import read_manifest, verify_files
from .files import SIMS_FILE, SUMMARY_FILE, read_sims, read_summary


class _Mismatch(OutputError):
    """Files of different runs side by side (or a writer swapped the folder mid-read)."""


def load_checked(folder: Path) -> tuple[dict[str, np.ndarray], dict, str, dict]:
    """(arrays, labels, scenario JSON, provenance) of the result in ``folder``, checked as above."""
    try:
        return _load_once(folder)
    except _Mismatch:
        return _load_once(folder)


def _load_once(folder: Path) -> tuple[dict[str, np.ndarray], dict, str, dict]:
    manifest = read_manifest(folder)
    if manifest is not None:
        if manifest.get("kind") != "run":
            raise OutputError(f"{folder}: holds a {manifest.get('kind')} result, not the result of 'pbrsim run'")
        missing = [name for name in (SIMS_FILE, SUMMARY_FILE) if name not in manifest["files"]]
        if missing:
            raise _Mismatch(f"{folder / missing[0]}: not part of this result (its manifest does not list it)")
        verify_files(folder, manifest)
    arrays, labels, scenario_json, provenance = read_sims(folder)
    summary = read_summary(folder)
    ids = {"sims.npz": provenance.get("run_id"), "manifest.json": manifest and manifest["run_id"],
           "summary.json": summary and summary["provenance"].get("run_id")}
    known = {name: run_id for name, run_id in ids.items() if run_id}
    if len(set(known.values())) > 1:
        raise _Mismatch(f"{folder}: mixes files of different runs ("
                        + ", ".join(f"{name} of run {run_id[:12]}" for name, run_id in known.items())
                        + "); run it again")
    if summary is not None:
        _same_run(folder, summary, labels, provenance, sims=arrays["npv"].shape[0])
    return arrays, labels, scenario_json, provenance


def _same_run(folder: Path, summary: dict, labels: dict, provenance: dict, *, sims: int) -> None:
    """summary.json and sims.npz describe the same run (checked even where no run id was saved)."""
    theirs = (summary.get("seed"), summary.get("sims"), summary["provenance"].get("scenario_sha256"))
    ours = (int(labels["seed"]), sims, provenance.get("scenario_sha256"))
    if theirs != ours:
        raise _Mismatch(f"{folder / SUMMARY_FILE}: does not match {SIMS_FILE} (seed, sims, scenario: "
                        f"{theirs} against {ours}); the folder mixes two runs: run it again")
