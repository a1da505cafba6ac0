"""Declared benchmark workloads: which scenario, which mode, how many simulations.

Every figure the benchmark prints names its workload, so a number can be traced to the work
behind it. Sizes are chosen to run for about a second each on a 2-core machine; ``quick``
divides them for a smoke run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from simulator import Scenario, load_scenario, scenario_from_dict
from simulator.scenario import read_scenario_toml

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT / "scenarios" / "national_tr21.toml"
DEFAULT = ROOT / "scenarios" / "tr_crc_default.toml"
SPREAD_SD = 0.5  # logit-scale sd of personal risk for the "with spread" individual workload


@dataclass(frozen=True)
class Workload:
    name: str
    scenario: str  # path relative to the repository root
    mode: str
    sims: int
    spread: float | None = None  # set every segment's risk_spread_logit_sd (individual mode)
    note: str = ""

    def load(self) -> Scenario:
        if self.spread is None:
            return load_scenario(ROOT / self.scenario)
        return with_spread(ROOT / self.scenario, self.spread)

    def scaled(self, factor: float) -> Workload:
        return Workload(self.name, self.scenario, self.mode, max(256, int(self.sims * factor)), self.spread, self.note)


def with_spread(path: Path, sd: float) -> Scenario:
    """A scenario file with every segment's personal-risk spread set to ``sd``."""
    raw, sha = read_scenario_toml(path)
    raw = copy.deepcopy(raw)
    for table in [raw, *raw.get("areas", [])]:
        for segment in table.get("segments", []):
            segment["risk_spread_logit_sd"] = sd
    return scenario_from_dict(raw, source=f"{path} (risk_spread_logit_sd={sd})", sha256=sha)


ENGINE = [
    Workload("aggregate_national", "scenarios/national_tr21.toml", "aggregate", 4096,
             note="21 CPAs x 26 quarterly cohorts x 4 segments = 2,184 cohort-segment outcomes a simulation"),
    Workload("aggregate_one_cpa", "scenarios/tr_crc_default.toml", "aggregate", 32768,
             note="1 CPA x 26 cohorts x 3 segments = 78 cohort-segment outcomes a simulation"),
    Workload("individual_national", "scenarios/national_tr21.toml", "individual", 512,
             note="~616,000 offenders a simulation; no personal spread (one table inversion each)"),
    Workload("individual_national_spread", "scenarios/national_tr21.toml", "individual", 256, spread=SPREAD_SD,
             note=f"as above with a logit-normal personal risk, sd {SPREAD_SD}"),
]

# The references do the same work on fewer simulations (they are slower); rates are per second.
NUMPY_SIMS = {"aggregate": 512, "individual": 16}
PYTHON_SIMS = {"aggregate": 4, "individual": 1}
CLI_SIMS = 10_000
