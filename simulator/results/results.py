"""Results of a run as a labelled object: named axes, metrics, provenance, save and load.

Axes: ``sim`` (simulation), ``party`` (see ``party_names``), ``month`` (from contract
start), ``area`` and ``cohort``. Money is GBP; NPVs are discounted at the scenario's rate.
"""

from __future__ import annotations

import copy
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np

from .._version import __version__
from ..errors import OutputError
from ..folders import PARTIAL_DIR, writing
from ..scenario import Scenario
from .files import PER_PARTY, copy_scenario, write_sims, write_summary
from .metrics import area_metrics, distribution, finite_or_none, parties_metrics, party_metrics
from .reading import load_checked


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
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)
    _summary: dict | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_outputs(cls, scenario: Scenario, arrays: dict, *, cohort_start_month: np.ndarray,
                     cohort_pay_month: np.ndarray, seed: int, sims: int) -> Results:
        """Label the arrays of a finished run (see ``engine.outputs.Outputs`` for their names)."""
        return cls(
            scenario=scenario,
            seed=seed,
            sims=sims,
            party_names=scenario.party_names(),
            area_names=[a.name for a in scenario.areas],
            cohort_start_month=cohort_start_month,
            cohort_pay_month=cohort_pay_month,
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
            "run_id": self.run_id,
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
        per_area = area_metrics(*(a[k] for k in ("cohort_n", "cohort_binary", "cohort_frequency",
                                                  "cohort_base_binary", "cohort_base_frequency", "cohort_pbr")),
                                *(a.get(k) for k in ("cohort_met", "pooled_pbr")))
        areas = dict(zip(self.area_names, per_area, strict=True))
        return finite_or_none({
            "sims": self.sims,
            "seed": self.seed,
            "scenario": self.scenario.name,
            "mode": self.scenario.simulation.mode,
            "parties": dict(zip(self.party_names, parties_metrics(*(a[k] for k in PER_PARTY)), strict=True)),
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

    # ------------------------------------------------------------ views for Python users (see frames.py)

    def to_xarray(self):
        """Every per-simulation array as an ``xarray.Dataset`` with named dimensions."""
        from .frames import to_xarray

        return to_xarray(self)

    def summary_frame(self):
        """The summary as a pandas table: one row per party, one column per metric."""
        from .frames import summary_frame

        return summary_frame(self)

    def monthly_frame(self, *, party: str | None = None):
        """Monthly cash flows as a long pandas table: one row per simulation, party and month."""
        from .frames import monthly_frame

        return monthly_frame(self, party=party)

    # ------------------------------------------------------------ saving and loading

    def write_files(self, folder: str | Path, *, scenario_file: str | Path | None = None) -> list[Path]:
        """summary.json and sims.npz (and a copy of ``scenario_file``) into ``folder``, as they are.

        A building block of :meth:`save` and of ``pbrsim run``, which write into a staging
        folder and make it current in one step; to save results use :meth:`save`.
        """
        folder = Path(folder)
        labels = {"party_names": self.party_names, "area_names": self.area_names, "seed": self.seed,
                  "cohort_start_month": self.cohort_start_month, "cohort_pay_month": self.cohort_pay_month}
        with ThreadPoolExecutor(1, thread_name_prefix="pbrsim-summary") as pool:
            summary = pool.submit(self.summary)  # on the other core while sims.npz is written (both release the GIL)
            sims_path = write_sims(folder, self.arrays, sims=self.sims, labels=labels,
                                   scenario_json=self.scenario.model_dump_json(), provenance=self.provenance())
            written = [write_summary(folder, summary.result()), sims_path]
        if scenario_file is not None:
            written.append(copy_scenario(scenario_file, folder, sha256=self.scenario.source_sha256))
        return written

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        """Write summary.json and sims.npz as one result; refuse to replace one unless ``force``.

        The folder is replaced whole (see :mod:`simulator.folders`): files of an earlier
        result in it (a report, figures) go with it; a checkpoint of an interrupted run stays.
        """
        with writing(out_dir) as folder:
            folder.refuse_existing(force=force)
            stage = folder.stage(keep=[PARTIAL_DIR] if folder.partial.is_dir() else [])
            names = [p.name for p in self.write_files(stage)]
            folder.commit(stage, run_id=self.run_id, kind="run")
        return [Path(out_dir) / name for name in names]

    @classmethod
    def load(cls, out_dir: str | Path) -> Results:
        """Read results saved by :meth:`save`, checking that every file is whole and of the same run."""
        arrays, labels, scenario_json, provenance = load_checked(Path(out_dir))
        try:
            scenario = Scenario.model_validate_json(scenario_json)
            scenario = scenario.model_copy(
                update={"source": str(provenance["scenario_file"]), "source_sha256": str(provenance["scenario_sha256"])}
            )
        except (ValueError, KeyError) as exc:
            raise OutputError(f"{Path(out_dir) / 'sims.npz'}: not a readable pbrsim results file "
                              f"({type(exc).__name__}: {exc})") from None
        if scenario.party_names() != [str(x) for x in labels["party_names"]]:
            raise OutputError(f"{Path(out_dir) / 'sims.npz'}: damaged: its party names do not match its scenario")
        return cls(scenario=scenario, seed=int(labels["seed"]), sims=int(arrays["npv"].shape[0]),
                   party_names=[str(x) for x in labels["party_names"]],
                   area_names=[str(x) for x in labels["area_names"]],
                   cohort_start_month=labels["cohort_start_month"], cohort_pay_month=labels["cohort_pay_month"],
                   arrays=arrays, run_id=str(provenance.get("run_id") or uuid.uuid4().hex))
