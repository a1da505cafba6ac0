"""Orchestration: scenario -> arrays -> compiled kernels -> :class:`Results`.

Seeding lives here: one ``SeedSequence(seed)`` spawns one stream per block of
``BLOCK_SIZE`` simulations, so results depend on the seed alone, never on threads or on
how a run is cut into chunks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..kernels import simulate_blocks
from ..kernels.records import ModelArrays, Outputs
from ..results import Results
from ..scenario import Scenario
from .checkpoint import Checkpoint
from .external import ExternalInputs, stream_generators
from .model_arrays import build_model_arrays
from .outputs import allocate_outputs, check_memory, chunk_view, stored_fields

BLOCK_SIZE = 64
CHUNK_BLOCKS = 16
MODES = ("aggregate", "individual")
MAX_SEED = 2**63 - 1  # seeds are stored as int64 in sims.npz


def block_generators(seed: int, first_block: int, n_blocks: int) -> tuple[np.random.Generator, ...]:
    """Generators for blocks ``first_block ..``: child b of ``SeedSequence(seed)``.

    Same as ``SeedSequence(seed).spawn(n)[b]``, so block b's stream never depends on how
    many simulations the run has: the first N simulations of any run with a seed agree.
    A tuple, not a ``numba.typed.List``: a typed List compiles its methods in every new
    process (~0.4 s), while a tuple's type is part of the kernel's cached signature.
    """
    blocks = range(first_block, first_block + n_blocks)
    return tuple(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,))) for b in blocks)


def run_checkpoint(folder, scenario: Scenario, *, sims: int, seed: int, keep_monthly: bool, keep_components: bool,
                   notify: Callable[[str], None] | None = None) -> Checkpoint:
    """A :class:`Checkpoint` keyed on everything that determines a run's numbers (the mode is in the scenario)."""
    key = Checkpoint.run_key(scenario.model_dump_json(), seed=seed, sims=sims, keep_monthly=keep_monthly,
                             keep_components=keep_components, block_size=BLOCK_SIZE, chunk_blocks=CHUNK_BLOCKS)
    return Checkpoint(folder, key, notify=notify)


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
    inputs: ExternalInputs | None = None,
    until: Callable[[Outputs, int], bool] | None = None,
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
    inputs : externally sampled inputs, one row per simulation (see :mod:`.external`); not with ``checkpoint``.
    until : called after each chunk with the outputs and the simulations done; True stops the run
        there (precision control): the result is then exactly that of a run of that many simulations.
    """
    if sims < 1:
        raise ValueError(f"sims must be >= 1 (got {sims})")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**63 - 1] (got {seed})")
    scenario = with_mode(scenario, mode)
    individual = scenario.simulation.mode == "individual"
    m, calendar = build_model_arrays(scenario)
    if inputs is not None:
        inputs.check(scenario, sims)
        if checkpoint is not None:
            raise ValueError("a run with external inputs cannot use a checkpoint")
    check_memory(m, sims, keep_monthly=keep_monthly, keep_components=keep_components)
    out = allocate_outputs(m, sims, keep_monthly=keep_monthly, keep_components=keep_components)
    total_blocks = -(-sims // BLOCK_SIZE)
    for first_block in range(0, total_blocks, CHUNK_BLOCKS):
        n_blocks = min(CHUNK_BLOCKS, total_blocks - first_block)
        start, stop = first_block * BLOCK_SIZE, min(sims, (first_block + n_blocks) * BLOCK_SIZE)
        chunk = chunk_view(out, start, stop, keep_monthly, keep_components)
        stored = stored_fields(chunk, keep_monthly, keep_components)
        if checkpoint is None or not checkpoint.load_into(stored, first_block):
            run_chunk(m, chunk, seed=seed, first_block=first_block, start=start, inputs=inputs,
                      keep=(keep_monthly, keep_components), individual=individual)
            if checkpoint is not None:
                checkpoint.save(stored, first_block)
        if progress is not None:
            progress(stop - start)
        if until is not None and stop < sims and until(out, stop):
            out, sims = chunk_view(out, 0, stop, keep_monthly, keep_components), stop
            break
    return Results.from_outputs(scenario, out._asdict(), cohort_start_month=calendar.cohort_start,
                                cohort_pay_month=calendar.cohort_pay_month, seed=seed, sims=sims)


def run_chunk(m: ModelArrays, chunk: Outputs, *, seed: int, first_block: int, start: int,
              inputs: ExternalInputs | None, keep: tuple[bool, bool], individual: bool) -> None:
    """Fill one chunk (whole blocks from ``first_block``; ``start`` its first simulation).

    With given inputs, each row of ``inputs.draws`` reaches its simulation through
    ``ModelArrays.given``; with per-simulation streams, each simulation is a block of one.
    """
    if inputs is None:
        gens = block_generators(seed, first_block, CHUNK_BLOCKS)  # always as many: one kernel type
        simulate_blocks(gens, BLOCK_SIZE, m, chunk, *keep, individual)
        return
    rows = chunk.npv.shape[0]
    if inputs.streams is None:
        given = np.ascontiguousarray(inputs.draws[start:start + rows])
        simulate_blocks(block_generators(seed, first_block, CHUNK_BLOCKS), BLOCK_SIZE, m._replace(given=given),
                        chunk, *keep, individual)
        return
    for lo in range(0, rows, CHUNK_BLOCKS):
        hi = min(rows, lo + CHUNK_BLOCKS)
        gens = stream_generators(seed, inputs.streams[start + lo:start + hi], CHUNK_BLOCKS)
        given = np.ascontiguousarray(inputs.draws[start + lo:start + hi])
        simulate_blocks(gens, 1, m._replace(given=given), chunk_view(chunk, lo, hi, *keep), *keep, individual)
