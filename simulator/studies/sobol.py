"""Variance decomposition: first-order and total Sobol' indices of a party's result.

The factors are the scenario's uncertain inputs grouped by concept (common shock, true
effects, volume factors of every area, baseline errors of every segment, ...: see
:func:`simulator.engine.uncertain_inputs`) and one more, **chance**: everything else the
model draws (which offenders reoffend, how often, every cohort's shock and every period's
volume noise, which the tornado moves all at once but are independent draws). Chance enters as
each simulation's own random stream (:class:`simulator.engine.ExternalInputs`), so the model
is a deterministic function of independent factors, as the estimators need: a stochastic
simulator with its seed as an input.

Sampling and analysis are SALib's: Saltelli's scheme on a scrambled Sobol' sequence
(``SALib.sample.sobol``, ``N (D + 2)`` simulations for ``D`` groups) and ``SALib.analyze.sobol``:
first-order indices by the estimator of Saltelli et al. (2010), total indices by Jansen's
(1999), confidence intervals by bootstrap over the ``N`` base rows. Indices are of the
variance of the per-simulation quantity whose mean is the metric (the NPV, or the indicator
of a loss), so they apply to any metric that is a mean over simulations.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import ExternalInputs, simulate, uncertain_inputs
from ..engine.external import GROUP_LABELS, given_width, standard_draws
from ..errors import PbrsimError
from .designs import as_design
from .drawing import draw
from .sensitivity import check_party_metric
from .tables import open_folder, write_csv, write_json

CHANCE = "chance"
MANY_DRAWS = ("cohort_shock", "volume_noise")
GROUP_LABELS_ALL = {**GROUP_LABELS, CHANCE: "chance (outcomes, cohort and volume noise)"}
SOBOL_FILES = ("sobol.csv", "sobol.json")
PER_SIM = {  # metric -> the per-simulation quantity it is the mean of
    "npv_gbp_mean": lambda a, p: a["npv"][:, p],
    "prob_loss": lambda a, p: (a["npv"][:, p] < 0.0).astype(float),
    "prob_reserves_exhausted": lambda a, p: (a["lowest_headroom"][:, p] < 0.0).astype(float),
    "peak_funding_gbp_mean": lambda a, p: a["peak_funding"][:, p],
}
ESTIMATOR = ("SALib 1.x sobol: Saltelli (2010) first-order, Jansen (1999) total, bootstrap confidence intervals; "
             "Saltelli sampling on a scrambled Sobol' sequence")


@dataclass(frozen=True)
class SobolResult:
    """Indices per input group: ``S1``, ``ST`` and their confidence half-widths at ``conf_level``."""

    party: str
    metric: str
    n: int
    sims: int
    seed: int
    conf_level: float
    variance: float
    table: object  # pandas.DataFrame: input, label, S1, S1_conf, ST, ST_conf

    def to_frame(self):
        return self.table.copy()

    def plot(self, ax=None):
        """Bars of first-order and total indices with their intervals; see ``outputs.sensitivity_plots``."""
        return draw("sobol", self.to_frame(), ax=ax, metric=self.metric, party=self.party)

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        out = open_folder(out_dir, SOBOL_FILES, force=force)
        meta = {"study": "sobol", "party": self.party, "metric": self.metric, "base_samples": self.n,
                "simulations": self.sims, "seed": self.seed, "conf_level": self.conf_level,
                "variance": self.variance, "estimator": ESTIMATOR}
        return [write_csv(self.table, out / SOBOL_FILES[0]), write_json(meta, out / SOBOL_FILES[1])]


def problem_for(scenario) -> tuple[dict, list]:
    """SALib's problem: one variable per input column (a quantile) plus chance, grouped by concept.

    Inputs drawn many times in a simulation (every cohort's shock, every period's volume noise)
    stay with chance: one column for all of them would make them move together, another model.
    """
    columns = [c for c in uncertain_inputs(scenario) if c.group not in MANY_DRAWS]
    names = [c.name for c in columns] + [CHANCE]
    groups = [c.group for c in columns] + [CHANCE]
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names), "groups": groups}, columns


def external_inputs(scenario, columns, sample: np.ndarray) -> ExternalInputs:
    """SALib's sample rows as the engine's inputs: quantiles for the columns, a stream id from chance."""
    draws = np.full((len(sample), given_width(scenario)), np.nan)
    if columns:
        draws[:, [c.column for c in columns]] = standard_draws(columns, sample[:, :-1])
    streams = np.floor(sample[:, -1] * 2.0**53).astype(np.int64)
    return ExternalInputs(draws, streams)


def sobol_indices(scenario_or_raw, *, party: str, metric: str = "npv_gbp_mean", n: int = 1024, seed: int = 7,
                  conf_level: float = 0.95, resamples: int = 500,
                  progress: Callable[[int], None] | None = None) -> SobolResult:
    """First-order and total Sobol' indices of ``party``'s ``metric`` (see the module doc).

    ``n`` base samples (a power of two); the run has ``n (D + 2)`` simulations for ``D`` groups.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    scenario = as_design(scenario_or_raw).scenario()
    check_party_metric(scenario, party, metric, tuple(PER_SIM))
    if n < 2 or n & (n - 1):
        raise PbrsimError(f"--samples: must be a power of two >= 2 for the Sobol' sequence (got {n})")
    problem, columns = problem_for(scenario)
    x = sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    res = simulate(scenario, sims=len(x), seed=seed, keep_monthly=False, keep_components=False,
                   inputs=external_inputs(scenario, columns, x), progress=progress)
    y = PER_SIM[metric](res.arrays, scenario.party_names().index(party))
    if not np.var(y) > 0:
        raise PbrsimError(f"--metric: {party}'s {metric} does not vary across these simulations: no variance "
                          "to decompose")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = analyze.analyze(problem, y, calc_second_order=False, conf_level=conf_level, num_resamples=resamples,
                             seed=seed, print_to_console=False)
    return SobolResult(party, metric, n, len(x), seed, conf_level, float(np.var(y)), _table(problem, si))


def _table(problem: dict, si):
    import pandas as pd

    groups = list(dict.fromkeys(problem["groups"]))
    return pd.DataFrame({"input": groups, "label": [GROUP_LABELS_ALL.get(g, g) for g in groups],
                         "S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]})
