"""Result files of a run: summary.json, sims.npz and the scenario copy, written whole and read back with checks.

``sims.npz`` holds every per-simulation array under the names documented in README.md
(``monthly_net_gbp``, ``commissioner_paid_gbp``, ...), the validated scenario as JSON and
the provenance (with the run's id); it is written uncompressed (compression took 8-10 s of
a national run and saved under a third). The files are written into a staging folder and
made current together (see :mod:`simulator.folders`); reading checks that the arrays have
the shapes their labels promise, so a damaged or hand-edited file gives one clear line.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import OutputError
from ..npz import INFLATE_ERRORS, savez
from .monthly import STATS, stat_shapes

SUMMARY_FILE = "summary.json"
SIMS_FILE = "sims.npz"
SCENARIO_COPY = "scenario.toml"
RESULT_FILES = (SUMMARY_FILE, SIMS_FILE)
_LABELS = ("party_names", "area_names", "cohort_start_month", "cohort_pay_month", "seed")
PER_PARTY = ("npv", "peak_funding", "lowest_headroom", "fee_total", "pbr_total", "cost_total", "first_pbr_month")
PER_SIM = ("commissioner_total", "commissioner_npv", "effect_binary_points", "effect_frequency_relative")
PER_COHORT = ("cohort_n", "cohort_binary", "cohort_frequency", "cohort_base_binary", "cohort_base_frequency",
              "cohort_pbr")
MONTHLY = ("monthly_net", "monthly_fee", "monthly_pbr", "monthly_cost")
STORED_INT32 = ("cohort_n", "first_pbr_month")  # counts and months: int32 on disk (a tenth of a national file)


def write_summary(out_dir: Path, summary: dict) -> Path:
    text = json.dumps(summary, indent=2, allow_nan=False)
    return atomic_write(out_dir / SUMMARY_FILE, lambda f: f.write(text.encode()))


def write_sims(out_dir: Path, arrays: dict[str, np.ndarray], *, sims: int, labels: dict, scenario_json: str,
               provenance: dict) -> Path:
    """sims.npz: the arrays (monthly ones only when kept), labels, scenario and provenance."""
    payload = {k: v for k, v in arrays.items() if not (k in MONTHLY and v.shape[0] != sims)}
    payload.update({k: payload[k].astype(np.int32) for k in STORED_INT32 if k in payload})

    def write(f) -> None:
        savez(
            f,
            party_names=np.array(labels["party_names"]),
            area_names=np.array(labels["area_names"]),
            cohort_start_month=labels["cohort_start_month"],
            cohort_pay_month=labels["cohort_pay_month"],
            monthly_net_gbp=payload.pop("monthly_net", np.zeros((0, 0, 0))),
            commissioner_paid_gbp=payload.pop("commissioner_paid"),
            scenario_json=np.array(scenario_json),
            provenance_json=np.array(json.dumps(provenance)),
            seed=np.array(labels["seed"], dtype=np.int64),
            **payload,
        )

    return atomic_write(out_dir / SIMS_FILE, write, direct=True)


def read_sims(out_dir: str | Path) -> tuple[dict[str, np.ndarray], dict, str, dict]:
    """(arrays, labels, scenario JSON, provenance) from a sims.npz written by :func:`write_sims`."""
    path = Path(out_dir) / SIMS_FILE
    if not Path(out_dir).is_dir() or not path.exists():
        raise OutputError(f"{path}: no saved results here (expected {SIMS_FILE} from 'pbrsim run')")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        provenance = json.loads(str(data.pop("provenance_json")))
        scenario_json = str(data.pop("scenario_json"))
        labels = {k: data.pop(k) for k in _LABELS}
        data["monthly_net"] = data.pop("monthly_net_gbp")
        data["commissioner_paid"] = data.pop("commissioner_paid_gbp")
        if not isinstance(provenance, dict):
            raise ValueError("provenance is not a table")
    except KeyError as exc:
        raise OutputError(f"{path}: not a readable pbrsim results file (no array {exc})") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError, *INFLATE_ERRORS) as exc:
        # zipfile's many errors: an unknown version or an encrypted member in its directory, a damaged deflate stream
        raise OutputError(f"{path}: not a readable pbrsim results file ({type(exc).__name__}: {exc})") from None
    for name in MONTHLY[1:]:
        data.setdefault(name, np.zeros((0, 0, 0)))
    check_shapes(data, labels, path)
    check_stats(data, labels, scenario_json, path)
    data.update({k: data[k].astype(np.int64) for k in STORED_INT32})
    return data, labels, scenario_json, provenance


def check_shapes(data: dict[str, np.ndarray], labels: dict, path: Path) -> None:
    """Every array has the shape its labels promise (sims x parties, sims x areas x cohorts, ...)."""
    try:
        sims = data["npv"].shape[0]
        n_m = data["commissioner_paid"].shape[1]
        n_p, n_a, n_c = (len(labels[k]) for k in ("party_names", "area_names", "cohort_start_month"))
        expected = {**{k: (sims, n_p) for k in PER_PARTY}, **{k: (sims,) for k in PER_SIM},
                    **{k: (sims, n_a, n_c) for k in PER_COHORT}, "commissioner_paid": (sims, n_m)}
        for name in MONTHLY:
            expected[name] = (sims, n_p, n_m) if data[name].shape[0] else data[name].shape
        problems = [f"'{k}' is {data[k].shape}, expected {shape}" for k, shape in expected.items()
                    if data[k].shape != shape or data[k].dtype.kind not in "fiu"]
        labels_ok = (labels["party_names"].dtype.kind == "U" and labels["area_names"].dtype.kind == "U"
                     and labels["cohort_pay_month"].shape == (n_c,) and labels["seed"].dtype.kind in "iu")
    except KeyError as exc:
        raise OutputError(f"{path}: not a readable pbrsim results file (no array {exc})") from None
    except (IndexError, TypeError, AttributeError) as exc:
        raise OutputError(f"{path}: not a readable pbrsim results file (malformed arrays: {exc})") from None
    if problems or not labels_ok or sims < 1:
        why = problems[0] if problems else "no simulations" if sims < 1 else "malformed labels"
        raise OutputError(f"{path}: damaged pbrsim results file: {why}")


def check_stats(data: dict[str, np.ndarray], labels: dict, scenario_json: str, path: Path) -> None:
    """The monthly statistics (see :mod:`.monthly`): all or none, each of the shape the run's labels promise."""
    present = [k for k in STATS if k in data]
    if not present:
        return
    try:
        start = json.loads(scenario_json)["timeline"].get("start_date")
        expected = stat_shapes(data["npv"].shape[0], len(labels["party_names"]), data["commissioner_paid"].shape[1],
                               labels["cohort_pay_month"], None if start is None else date.fromisoformat(start))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OutputError(f"{path}: not a readable pbrsim results file ({type(exc).__name__}: {exc})") from None
    problems = [f"'{k}' is missing" for k in STATS if k not in data]
    problems += [f"'{k}' is {data[k].shape}, expected {shape}" for k, shape in expected.items()
                 if k in data and (data[k].shape != shape or data[k].dtype.kind not in "fiu")]
    if problems:
        raise OutputError(f"{path}: damaged pbrsim results file: {problems[0]}")


def read_summary(out_dir: Path) -> dict | None:
    """summary.json as a dict, None when absent; a damaged file is an :class:`OutputError`."""
    path = Path(out_dir) / SUMMARY_FILE
    try:
        summary = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: not a readable summary ({type(exc).__name__}: {exc})") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("provenance"), dict):
        raise OutputError(f"{path}: not a pbrsim summary (no provenance)")
    return summary


def check_output_dir(out_dir: Path, *, force: bool, files: tuple[str, ...] = RESULT_FILES) -> None:
    """Refuse a path that is a file, or that already holds ``files``, unless ``force`` (for the study folders)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder")
    existing = [name for name in files if (out_dir / name).exists()]
    if existing and not force:
        raise OutputError(f"{out_dir}: already holds {', '.join(existing)}; use --force to overwrite")


def copy_scenario(src: str | Path, out_dir: Path, *, sha256: str = "") -> Path:
    """Keep the scenario file beside its results (provenance a reader can open), checked against its hash."""
    blob = Path(src).read_bytes()
    if sha256 and hashlib.sha256(blob).hexdigest() != sha256:
        raise OutputError(f"{src}: changed while the run was going; run it again")
    return atomic_write(out_dir / SCENARIO_COPY, lambda f: f.write(blob))
