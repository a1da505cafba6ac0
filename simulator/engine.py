"""Orchestration: scenario -> arrays -> compiled kernels -> :class:`Results`.

Seeding lives here: one ``SeedSequence(seed)`` spawns one stream per block of
``BLOCK_SIZE`` simulations, so results depend on the seed alone, never on threads or on
how a run is cut into chunks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .checkpoint import Checkpoint
from .errors import ResourceError
from .kernels import simulate_blocks
from .model_arrays import ModelArrays, build_model_arrays
from .results import Results
from .scenario import Scenario

BLOCK_SIZE = 64
CHUNK_BLOCKS = 16
MODES = ("aggregate", "individual")


class Outputs(NamedTuple):
    """Arrays the kernel fills, one row per simulation (see :class:`Results` for meanings)."""

    monthly_net: np.ndarray
    monthly_fee: np.ndarray
    monthly_pbr: np.ndarray
    monthly_cost: np.ndarray
    commissioner_paid: np.ndarray
    commissioner_total: np.ndarray
    commissioner_npv: np.ndarray
    npv: np.ndarray
    peak_funding: np.ndarray
    lowest_headroom: np.ndarray
    first_pbr_month: np.ndarray
    fee_total: np.ndarray
    pbr_total: np.ndarray
    cost_total: np.ndarray
    effect_binary_points: np.ndarray
    effect_frequency_relative: np.ndarray
    cohort_n: np.ndarray
    cohort_binary: np.ndarray
    cohort_frequency: np.ndarray
    cohort_base_binary: np.ndarray
    cohort_base_frequency: np.ndarray
    cohort_pbr: np.ndarray


def output_bytes(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool) -> int:
    """Bytes the output arrays of a run take (8 per value)."""
    n_p, n_m, n_c = len(m.party_kind), m.n_months, len(m.area_prime) * len(m.cohort_start)
    monthly = n_p * n_m * (int(keep_monthly) + 3 * int(keep_components))
    return 8 * sims * (monthly + n_m + 8 * n_p + 6 * n_c + 4)


def available_memory() -> int:
    """Physical memory available now (bytes), from /proc/meminfo or sysconf."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_memory(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool) -> None:
    """Refuse, before allocating, a run whose outputs would not fit in memory."""
    need, have = output_bytes(m, sims, keep_monthly=keep_monthly, keep_components=keep_components), available_memory()
    if need > 0.8 * have:
        hint = " or drop the monthly arrays (--no-monthly)" if keep_monthly or keep_components else ""
        raise ResourceError(f"{sims:,} simulations need about {need / 2**30:.1f} GiB for their outputs but "
                            f"{have / 2**30:.1f} GiB is available: run fewer simulations{hint}")


def allocate_outputs(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool) -> Outputs:
    n_p, n_m, n_a, n_c = len(m.party_kind), m.n_months, len(m.area_prime), len(m.cohort_start)
    monthly = (sims if keep_monthly else 0, n_p, n_m)
    parts = (sims if keep_components else 0, n_p, n_m)
    per_party = (sims, n_p)
    per_cohort = (sims, n_a, n_c)
    return Outputs(
        monthly_net=np.zeros(monthly),
        monthly_fee=np.zeros(parts),
        monthly_pbr=np.zeros(parts),
        monthly_cost=np.zeros(parts),
        commissioner_paid=np.zeros((sims, n_m)),
        commissioner_total=np.zeros(sims),
        commissioner_npv=np.zeros(sims),
        npv=np.zeros(per_party),
        peak_funding=np.zeros(per_party),
        lowest_headroom=np.zeros(per_party),
        first_pbr_month=np.zeros(per_party, dtype=np.int64),
        fee_total=np.zeros(per_party),
        pbr_total=np.zeros(per_party),
        cost_total=np.zeros(per_party),
        effect_binary_points=np.zeros(sims),
        effect_frequency_relative=np.zeros(sims),
        cohort_n=np.zeros(per_cohort, dtype=np.int64),
        cohort_binary=np.zeros(per_cohort),
        cohort_frequency=np.zeros(per_cohort),
        cohort_base_binary=np.zeros(per_cohort),
        cohort_base_frequency=np.zeros(per_cohort),
        cohort_pbr=np.zeros(per_cohort),
    )


def block_generators(seed: int, first_block: int, n_blocks: int) -> tuple[np.random.Generator, ...]:
    """Generators for blocks ``first_block ..``: child b of ``SeedSequence(seed)``.

    Same as ``SeedSequence(seed).spawn(n)[b]``, so block b's stream never depends on how
    many simulations the run has: the first N simulations of any run with a seed agree.
    A tuple, not a ``numba.typed.List``: a typed List compiles its methods in every new
    process (~0.4 s), while a tuple's type is part of the kernel's cached signature.
    """
    blocks = range(first_block, first_block + n_blocks)
    return tuple(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,))) for b in blocks)


def _kept(name: str, keep_monthly: bool, keep_components: bool) -> bool:
    """Whether an output array holds one row per simulation (dropped monthly arrays do not)."""
    if name == "monthly_net":
        return keep_monthly
    return keep_components if name.startswith("monthly_") else True


def _chunk_view(out: Outputs, start: int, stop: int, keep_monthly: bool, keep_components: bool) -> Outputs:
    return Outputs(**{k: v[start:stop] if _kept(k, keep_monthly, keep_components) else v
                      for k, v in out._asdict().items()})


def _stored_fields(chunk: Outputs, keep_monthly: bool, keep_components: bool) -> dict[str, np.ndarray]:
    return {k: v for k, v in chunk._asdict().items() if _kept(k, keep_monthly, keep_components)}


def run_checkpoint(folder, scenario: Scenario, *, sims: int, seed: int, keep_monthly: bool, keep_components: bool) -> Checkpoint:
    """A :class:`Checkpoint` keyed on everything that determines a run's numbers."""
    key = Checkpoint.run_key(scenario.model_dump_json(), seed=seed, sims=sims, keep_monthly=keep_monthly,
                             keep_components=keep_components, block_size=BLOCK_SIZE, chunk_blocks=CHUNK_BLOCKS)
    return Checkpoint(folder, key)


def with_mode(scenario: Scenario, mode: str | None) -> Scenario:
    """``scenario`` with its ``[simulation] mode`` replaced (``None``: unchanged)."""
    if mode is None or mode == scenario.simulation.mode:
        return scenario
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} (got {mode!r})")
    simulation = scenario.simulation.model_copy(update={"mode": mode})
    return scenario.model_copy(update={"simulation": simulation})


def simulate(
    scenario: Scenario,
    *,
    sims: int,
    seed: int,
    keep_monthly: bool = True,
    keep_components: bool = True,
    progress: Callable[[int], None] | None = None,
    checkpoint: Checkpoint | None = None,
    mode: str | None = None,
) -> Results:
    """Run ``sims`` Monte Carlo simulations of a scenario.

    Parameters
    ----------
    scenario : a validated :class:`Scenario`.
    sims : number of simulations (>= 1).
    seed : the run's seed; the same seed gives bit-identical results on any thread count.
    keep_monthly : keep monthly net cash flows per party (sims x parties x months, GBP).
    keep_components : also keep monthly fee, PbR and cost flows per party.
    progress : called with the number of simulations finished after each chunk.
    checkpoint : where finished chunks are saved and, when present, loaded instead of rerun.
    mode : ``"aggregate"`` or ``"individual"`` to override ``scenario.simulation.mode``.
    """
    if sims < 1:
        raise ValueError(f"sims must be >= 1 (got {sims})")
    scenario = with_mode(scenario, mode)
    individual = scenario.simulation.mode == "individual"
    m, calendar = build_model_arrays(scenario)
    check_memory(m, sims, keep_monthly=keep_monthly, keep_components=keep_components)
    out = allocate_outputs(m, sims, keep_monthly=keep_monthly, keep_components=keep_components)
    total_blocks = -(-sims // BLOCK_SIZE)
    for first_block in range(0, total_blocks, CHUNK_BLOCKS):
        n_blocks = min(CHUNK_BLOCKS, total_blocks - first_block)
        start, stop = first_block * BLOCK_SIZE, min(sims, (first_block + n_blocks) * BLOCK_SIZE)
        chunk = _chunk_view(out, start, stop, keep_monthly, keep_components)
        stored = _stored_fields(chunk, keep_monthly, keep_components)
        if checkpoint is None or not checkpoint.load_into(stored, first_block):
            gens = block_generators(seed, first_block, CHUNK_BLOCKS)  # always as many: one kernel type
            simulate_blocks(gens, BLOCK_SIZE, m, chunk, keep_monthly, keep_components, individual)
            if checkpoint is not None:
                checkpoint.save(stored, first_block)
        if progress is not None:
            progress(stop - start)
    return Results.from_outputs(scenario, calendar, out._asdict(), seed=seed, sims=sims)
