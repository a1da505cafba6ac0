"""Result files of a run: summary.json and sims.npz written atomically, read back with checks.

``sims.npz`` holds every per-simulation array under the names documented in README.md
(``monthly_net_gbp``, ``commissioner_paid_gbp``, ...), the validated scenario as JSON and
the provenance; it is written uncompressed (compression took 8-10 s of a national run and
saved under a third).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import OutputError

SUMMARY_FILE = "summary.json"
SIMS_FILE = "sims.npz"
RESULT_FILES = (SUMMARY_FILE, SIMS_FILE)
_LABELS = ("party_names", "area_names", "cohort_start_month", "cohort_pay_month", "seed")


def write_summary(out_dir: Path, summary: dict) -> Path:
    text = json.dumps(summary, indent=2, allow_nan=False)
    return atomic_write(out_dir / SUMMARY_FILE, lambda f: f.write(text.encode()))


def write_sims(out_dir: Path, arrays: dict[str, np.ndarray], *, sims: int, labels: dict, scenario_json: str,
               provenance: dict) -> Path:
    """sims.npz: the arrays (monthly ones only when kept), labels, scenario and provenance."""
    payload = {k: v for k, v in arrays.items() if not (k.startswith("monthly_") and v.shape[0] != sims)}

    def write(f) -> None:
        np.savez(
            f,
            party_names=np.array(labels["party_names"]),
            area_names=np.array(labels["area_names"]),
            cohort_start_month=labels["cohort_start_month"],
            cohort_pay_month=labels["cohort_pay_month"],
            monthly_net_gbp=payload.pop("monthly_net", np.zeros((0, 0, 0))),
            commissioner_paid_gbp=payload.pop("commissioner_paid"),
            scenario_json=np.array(scenario_json),
            provenance_json=np.array(json.dumps(provenance)),
            seed=np.array(labels["seed"]),
            **payload,
        )

    return atomic_write(out_dir / SIMS_FILE, write)


def read_sims(out_dir: str | Path) -> tuple[dict[str, np.ndarray], dict, str, dict]:
    """(arrays, labels, scenario JSON, provenance) from a sims.npz written by :func:`write_sims`."""
    path = Path(out_dir) / SIMS_FILE
    if not path.is_file():
        raise OutputError(f"{path}: no saved results here (expected {SIMS_FILE} from 'pbrsim run')")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        provenance = json.loads(str(data.pop("provenance_json")))
        scenario_json = str(data.pop("scenario_json"))
        for key in ("npv", "seed", "party_names", "area_names", "monthly_net_gbp", "commissioner_paid_gbp"):
            data[key]  # noqa: B018  (presence check)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise OutputError(f"{path}: not a readable pbrsim results file ({type(exc).__name__}: {exc})") from None
    labels = {k: data.pop(k) for k in _LABELS}
    data["monthly_net"] = data.pop("monthly_net_gbp")
    data["commissioner_paid"] = data.pop("commissioner_paid_gbp")
    for name in ("monthly_fee", "monthly_pbr", "monthly_cost"):
        data.setdefault(name, np.zeros((0, 0, 0)))
    return data, labels, scenario_json, provenance


def check_output_dir(out_dir: Path, *, force: bool, files: tuple[str, ...] = RESULT_FILES) -> None:
    """Refuse a path that is a file, or that already holds results, unless ``force``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder")
    existing = [name for name in files if (out_dir / name).exists()]
    if existing and not force:
        raise OutputError(f"{out_dir}: already holds {', '.join(existing)}; use --force to overwrite")


def copy_scenario(src: str | Path, out_dir: Path) -> None:
    """Keep the scenario file beside its results (provenance a reader can open)."""
    atomic_write(out_dir / "scenario.toml", lambda f: f.write(Path(src).read_bytes()))
