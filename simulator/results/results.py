"""Results of a run as a labelled object: named axes, metrics, provenance, save and load.

Axes: ``sim`` (simulation), ``party`` (see ``party_names``), ``month`` (from contract
start), ``area`` and ``cohort``. Money is GBP; NPVs are discounted at the scenario's rate.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np

from .._version import __version__
from ..errors import OutputError
from ..scenario import Scenario
from .files import SIMS_FILE, check_output_dir, read_sims, write_sims, write_summary
from .metrics import area_metrics, distribution, finite_or_none, party_metrics

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
                                                      "cohort_base_binary", "cohort_base_frequency", "cohort_pbr")),
                               *(a[k][:, i] if k in a else None for k in ("cohort_met", "pooled_pbr")))
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
        labels = {"party_names": self.party_names, "area_names": self.area_names, "seed": self.seed,
                  "cohort_start_month": self.cohort_start_month, "cohort_pay_month": self.cohort_pay_month}
        return [
            write_summary(out_dir, self.summary()),
            write_sims(out_dir, self.arrays, sims=self.sims, labels=labels,
                       scenario_json=self.scenario.model_dump_json(), provenance=self.provenance()),
        ]

    @classmethod
    def load(cls, out_dir: str | Path) -> Results:
        """Read results saved by :meth:`save`."""
        arrays, labels, scenario_json, provenance = read_sims(out_dir)
        try:
            scenario = Scenario.model_validate_json(scenario_json)
        except ValueError as exc:
            raise OutputError(f"{Path(out_dir) / SIMS_FILE}: not a readable pbrsim results file "
                              f"({type(exc).__name__}: {exc})") from None
        scenario = scenario.model_copy(
            update={"source": provenance["scenario_file"], "source_sha256": provenance["scenario_sha256"]}
        )
        return cls(scenario=scenario, seed=int(labels["seed"]), sims=int(arrays["npv"].shape[0]),
                   party_names=[str(x) for x in labels["party_names"]],
                   area_names=[str(x) for x in labels["area_names"]],
                   cohort_start_month=labels["cohort_start_month"], cohort_pay_month=labels["cohort_pay_month"],
                   arrays=arrays)
