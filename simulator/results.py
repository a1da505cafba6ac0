"""Results of a run as a labelled object: named axes, metrics, provenance, atomic save/load.

Axes: ``sim`` (simulation), ``party`` (see ``party_names``), ``month`` (from contract
start), ``area`` and ``cohort``. Money is GBP; NPVs are discounted at the scenario's rate.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np

from . import __version__
from .errors import OutputError
from .metrics import area_metrics, distribution, finite_or_none, party_metrics
from .scenario import Scenario
from .timeline import Calendar

SUMMARY_FILE = "summary.json"
SIMS_FILE = "sims.npz"
RESULT_FILES = (SUMMARY_FILE, SIMS_FILE)

PER_PARTY = ("npv", "peak_funding", "lowest_headroom", "fee_total", "pbr_total", "cost_total", "first_pbr_month")


@dataclass
class Results:
    """Simulated outcomes of one scenario; arrays keyed by name (see ``engine.Outputs``)."""

    scenario: Scenario
    seed: int
    sims: int
    party_names: list[str]
    area_names: list[str]
    cohort_start_month: np.ndarray
    cohort_pay_month: np.ndarray
    arrays: dict[str, np.ndarray] = field(repr=False)
    _summary: dict | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_outputs(cls, scenario: Scenario, calendar: Calendar, arrays: dict, *, seed: int, sims: int) -> Results:
        return cls(
            scenario=scenario,
            seed=seed,
            sims=sims,
            party_names=scenario.party_names(),
            area_names=[a.name for a in scenario.areas],
            cohort_start_month=calendar.cohort_start,
            cohort_pay_month=calendar.cohort_pay_month,
            arrays=arrays,
        )

    def __repr__(self) -> str:
        months = self.arrays["commissioner_paid"].shape[1]
        return (
            f"Results(scenario={self.scenario.name!r}, sims={self.sims}, seed={self.seed}, "
            f"parties={self.party_names}, months={months})"
        )

    @property
    def has_monthly(self) -> bool:
        return self.arrays["monthly_net"].shape[0] == self.sims

    def party_index(self, name: str) -> int:
        try:
            return self.party_names.index(name)
        except ValueError:
            raise KeyError(f"no party named {name!r}; parties are {self.party_names}") from None

    def party_summary(self, name: str) -> dict:
        p = self.party_index(name)
        return party_metrics(*(self.arrays[k][:, p] for k in PER_PARTY))

    def provenance(self) -> dict:
        return {
            "scenario_file": self.scenario.source,
            "scenario_sha256": self.scenario.source_sha256,
            "seed": self.seed,
            "pbrsim_version": __version__,
            "numpy_version": np.__version__,
            "numba_version": numba.__version__,
        }

    def summary(self) -> dict:
        """The contents of summary.json: per-party risk metrics, commissioner outlay, provenance.

        Computed once per Results (the arrays do not change) and handed out as a fresh copy.
        """
        if self._summary is None:
            self._summary = self._compute_summary()
        return copy.deepcopy(self._summary)

    def _compute_summary(self) -> dict:
        a = self.arrays
        areas = {
            name: area_metrics(*(a[k][:, i] for k in ("cohort_n", "cohort_binary", "cohort_frequency",
                                                      "cohort_base_binary", "cohort_base_frequency", "cohort_pbr")))
            for i, name in enumerate(self.area_names)
        }
        return finite_or_none({
            "sims": self.sims,
            "seed": self.seed,
            "scenario": self.scenario.name,
            "parties": {name: self.party_summary(name) for name in self.party_names},
            "commissioner": {
                "total_paid_gbp": distribution(a["commissioner_total"]),
                "npv_paid_gbp": distribution(a["commissioner_npv"]),
            },
            "areas": areas,
            "true_effect": {
                "binary_points": distribution(a["effect_binary_points"]),
                "frequency_relative": distribution(a["effect_frequency_relative"]),
            },
            "provenance": self.provenance(),
        })

    # ------------------------------------------------------------ saving and loading

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        """Write summary.json and sims.npz atomically; refuse to overwrite unless ``force``."""
        out_dir = Path(out_dir)
        check_output_dir(out_dir, force=force)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary = json.dumps(self.summary(), indent=2, allow_nan=False)
        written = [
            atomic_write(out_dir / SUMMARY_FILE, lambda f: f.write(summary.encode())),
            atomic_write(out_dir / SIMS_FILE, self._write_npz),
        ]
        return written

    def _write_npz(self, f) -> None:
        a = self.arrays
        payload = {k: v for k, v in a.items() if not (k.startswith("monthly_") and v.shape[0] != self.sims)}
        np.savez(  # uncompressed: compression took 8-10 s of a national run and saved under a third
            f,
            party_names=np.array(self.party_names),
            area_names=np.array(self.area_names),
            cohort_start_month=self.cohort_start_month,
            cohort_pay_month=self.cohort_pay_month,
            monthly_net_gbp=payload.pop("monthly_net", np.zeros((0, 0, 0))),
            commissioner_paid_gbp=payload.pop("commissioner_paid"),
            scenario_json=np.array(self.scenario.model_dump_json()),
            provenance_json=np.array(json.dumps(self.provenance())),
            seed=np.array(self.seed),
            **payload,
        )

    @classmethod
    def load(cls, out_dir: str | Path) -> Results:
        """Read results saved by :meth:`save`."""
        path = Path(out_dir) / SIMS_FILE
        if not path.is_file():
            raise OutputError(f"{path}: no saved results here (expected {SIMS_FILE} from 'pbrsim run')")
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
            provenance = json.loads(str(data.pop("provenance_json")))
            scenario = Scenario.model_validate_json(str(data.pop("scenario_json")))
            for key in ("npv", "seed", "party_names", "area_names", "monthly_net_gbp", "commissioner_paid_gbp"):
                data[key]  # noqa: B018  (presence check)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise OutputError(f"{path}: not a readable pbrsim results file ({type(exc).__name__}: {exc})") from None
        scenario = scenario.model_copy(
            update={"source": provenance["scenario_file"], "source_sha256": provenance["scenario_sha256"]}
        )
        arrays = {k: v for k, v in data.items() if k not in ("party_names", "area_names", "cohort_start_month",
                                                             "cohort_pay_month", "seed")}
        arrays["monthly_net"] = arrays.pop("monthly_net_gbp")
        arrays["commissioner_paid"] = arrays.pop("commissioner_paid_gbp")
        sims = int(arrays["npv"].shape[0])
        for name in ("monthly_fee", "monthly_pbr", "monthly_cost"):
            arrays.setdefault(name, np.zeros((0, 0, 0)))
        return cls(scenario=scenario, seed=int(data["seed"]), sims=sims,
                   party_names=[str(x) for x in data["party_names"]], area_names=[str(x) for x in data["area_names"]],
                   cohort_start_month=data["cohort_start_month"], cohort_pay_month=data["cohort_pay_month"],
                   arrays=arrays)


def check_output_dir(out_dir: Path, *, force: bool, files: tuple[str, ...] = RESULT_FILES) -> None:
    """Refuse a path that is a file, or that already holds results, unless ``force``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder")
    existing = [name for name in files if (out_dir / name).exists()]
    if existing and not force:
        raise OutputError(f"{out_dir}: already holds {', '.join(existing)}; use --force to overwrite")


def atomic_write(path: Path, write) -> Path:
    """Write via a temporary file in the same folder, then rename: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def copy_scenario(src: str | Path, out_dir: Path) -> None:
    """Keep the scenario file beside its results (provenance a reader can open)."""
    atomic_write(out_dir / "scenario.toml", lambda f: f.write(Path(src).read_bytes()))
