"""Externally sampled inputs: a matrix of input values, one row per simulation.

A study that samples the scenario's uncertain inputs itself (the sensitivity study's
tornado and Sobol designs) hands the engine an :class:`ExternalInputs`: for each simulation
the quantile of some inputs (the rest drawn as usual: NaN), and optionally a *stream* per
simulation from which everything else is drawn (the chance in cohorts, shocks and
volumes). The kernels' side is :mod:`simulator.kernels.given`; this module names the inputs
a scenario has (:func:`uncertain_inputs`) and turns quantiles into the standard draws the
kernels replace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..kernels.given import (
    AREA_BASELINE,
    AREA_VOLUME,
    AREA_VOLUME_NOISE,
    GIVEN_COHORT_SHOCK,
    GIVEN_EFFECT_BINARY,
    GIVEN_EFFECT_FREQUENCY,
    GIVEN_SHARED,
    GIVEN_SHOCK,
    GIVEN_SPEND,
)
from ..scenario import Scenario
from .model_arrays import build_model_arrays

STREAM_TAG = 0x5EED_57  # entropy word that keeps per-simulation streams apart from block streams
U_EDGE = 1e-12  # quantiles are clipped into (U_EDGE, 1 - U_EDGE): 0 and 1 have no normal score

GROUP_LABELS = {
    "common_shock": "common shock (all cohorts, points)",
    "effect_binary": "true effect on the binary rate",
    "effect_frequency": "true effect on frequency",
    "spend_effect": "effect bought by spend",
    "cohort_shock": "cohort shocks (every cohort at once)",
    "volume_factor": "caseload volume factor",
    "volume_noise": "volume noise (every period at once)",
    "baseline_error": "baseline estimation error",
}


@dataclass(frozen=True)
class InputColumn:
    """One uncertain input: its concept (``group``), its own name, its kernel column and its scale.

    ``scale`` is ``'normal'`` when the kernel's standard draw is a normal score (the column
    holds ``Phi^-1(u)``) and ``'uniform'`` when it is the quantile itself.
    """

    group: str
    name: str
    column: int
    scale: str


def given_width(scenario: Scenario) -> int:
    """Columns of a run's given draws: the shared inputs, then per area volume, noise and baselines."""
    n_seg = max(len(a.segments) for a in scenario.areas)
    return GIVEN_SHARED + len(scenario.areas) * (AREA_BASELINE + n_seg)


def _effect_scale(dist) -> str | None:
    kind, a, b = dist.params()
    if kind == 1 and b > 0:
        return "normal"
    if kind == 2 and b > a:
        return "uniform"
    return None


def uncertain_inputs(scenario: Scenario) -> list[InputColumn]:
    """Every input this scenario draws once per simulation (or per area), in kernel-column order."""
    u, e = scenario.uncertainty, scenario.effect
    cols = []
    if u.common_shock_points_sd > 0:
        cols.append(InputColumn("common_shock", "common_shock", GIVEN_SHOCK, "normal"))
    for group, col, dist in (("effect_binary", GIVEN_EFFECT_BINARY, e.binary_points),
                             ("effect_frequency", GIVEN_EFFECT_FREQUENCY, e.frequency_relative)):
        if _effect_scale(dist):
            cols.append(InputColumn(group, group, col, _effect_scale(dist)))
    if build_model_arrays(scenario)[0].seg_effect_drawn:
        cols.append(InputColumn("spend_effect", "spend_effect", GIVEN_SPEND, "normal"))
    if u.cohort_shock_points_sd > 0:
        cols.append(InputColumn("cohort_shock", "cohort_shock", GIVEN_COHORT_SHOCK, "normal"))
    return cols + _area_inputs(scenario)


def _area_inputs(scenario: Scenario) -> list[InputColumn]:
    n_seg, cols = max(len(a.segments) for a in scenario.areas), []
    for i, area in enumerate(scenario.areas):
        first = GIVEN_SHARED + i * (AREA_BASELINE + n_seg)
        where = f"[{area.name}]" if len(scenario.areas) > 1 else ""
        if area.volume.factor_sd > 0:
            cols.append(InputColumn("volume_factor", f"volume_factor{where}", first + AREA_VOLUME, "normal"))
        if area.volume.period_noise_sd > 0:
            cols.append(InputColumn("volume_noise", f"volume_noise{where}", first + AREA_VOLUME_NOISE, "normal"))
        for g, seg in enumerate(area.segments):
            if round(area.baseline.estimation_cohort_size * seg.share) > 0:
                cols.append(InputColumn("baseline_error", f"baseline_error{where}[{seg.name}]",
                                        first + AREA_BASELINE + g, "uniform"))
    return cols


def standard_draws(columns: list[InputColumn], quantiles: np.ndarray) -> np.ndarray:
    """Quantiles (sims x columns, NaN: not given) as the kernels' standard draws."""
    from scipy.stats import norm

    q = np.clip(np.asarray(quantiles, dtype=float), U_EDGE, 1.0 - U_EDGE)
    out = q.copy()
    normal = np.array([c.scale == "normal" for c in columns], dtype=bool)
    out[:, normal] = norm.ppf(q[:, normal])
    return out


@dataclass(frozen=True)
class ExternalInputs:
    """Given inputs for a run: ``draws`` (sims x :func:`given_width`, the kernels' standard draws,
    NaN: drawn as usual) and optionally ``streams`` (sims,): each simulation draws everything
    not given from its own stream ``SeedSequence([seed, STREAM_TAG], spawn_key=(stream,))``
    instead of its block's, so equal streams and equal given values give equal simulations.
    """

    draws: np.ndarray
    streams: np.ndarray | None = None

    @classmethod
    def from_quantiles(cls, scenario: Scenario, quantiles: Mapping[str, np.ndarray | float], *, sims: int,
                       streams: np.ndarray | None = None) -> ExternalInputs:
        """Set inputs by group or input name (see :func:`uncertain_inputs`) to quantiles in (0, 1)."""
        columns = uncertain_inputs(scenario)
        q = np.full((sims, len(columns)), np.nan)
        known = {c.group for c in columns} | {c.name for c in columns}
        for key, value in quantiles.items():
            if key not in known:
                raise KeyError(f"{key!r} is not an uncertain input of this scenario (inputs: {sorted(known)})")
            for j, c in enumerate(columns):
                if key in (c.group, c.name):
                    q[:, j] = value
        draws = np.full((sims, given_width(scenario)), np.nan)
        draws[:, [c.column for c in columns]] = standard_draws(columns, q)
        return cls(draws, streams)

    def check(self, scenario: Scenario, sims: int) -> None:
        shape = (sims, given_width(scenario))
        if self.draws.shape != shape:
            raise ValueError(f"given draws must have shape {shape} (got {self.draws.shape})")
        if self.streams is not None and (self.streams.shape != (sims,) or np.any(self.streams < 0)):
            raise ValueError(f"streams must be {sims} non-negative integers (got shape {self.streams.shape})")


def stream_generators(seed: int, streams: np.ndarray, n: int) -> tuple[np.random.Generator, ...]:
    """One Generator per simulation from its stream id, padded to ``n`` (one kernel type)."""
    ids = [int(s) for s in streams] + [0] * (n - len(streams))
    return tuple(np.random.default_rng(np.random.SeedSequence([seed, STREAM_TAG], spawn_key=(i,))) for i in ids)
