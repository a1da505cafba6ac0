"""Orchestration: scenario -> arrays -> compiled kernels -> :class:`Results`.

Seeding lives here: one ``SeedSequence(seed)`` spawns one stream per block of
``BLOCK_SIZE`` simulations, so results depend on the seed alone, never on threads or on
how a run is cut into chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple, Protocol

import numba
import numpy as np

from ..kernels.records import ModelArrays, Outputs
from ..results import Results
from ..scenario import Scenario
from .checkpoint import Checkpoint
from .compiled import mark_compiled, variant
from .external import ExternalInputs, stream_generators
from .first_run import first_run
from .model_arrays import build_model_arrays
from .monthly_stats import MonthlyStats, check_stats_memory
from .outputs import allocate_outputs, check_memory, chunk_view, stored_fields
from .threads import simulate_blocks

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


class ChunkJob(NamedTuple):
    """What a chunk computed elsewhere (a Dask worker) needs besides its first block: the run's settings."""

    scenario: Scenario
    sims: int
    seed: int
    keep_monthly: bool
    keep_components: bool
    monthly_stats: bool


class ChunkSource(Protocol):
    """Chunks computed elsewhere (see :mod:`.remote`): started once per run, then taken in order."""

    def start(self, job: ChunkJob, firsts: list[int]) -> None: ...

    def take(self, first_block: int, stored: dict[str, np.ndarray]) -> bool: ...


def run_checkpoint(folder, scenario: Scenario, *, sims: int, seed: int, keep_monthly: bool, keep_components: bool,
                   notify: Callable[[str], None] | None = None, monthly_stats: bool = False) -> Checkpoint:
    """A :class:`Checkpoint` keyed on everything that determines a run's numbers (the mode is in the scenario)."""
    options = {"monthly_stats": True} if monthly_stats else {}
    key = Checkpoint.run_key(scenario.model_dump_json(), seed=seed, sims=sims, keep_monthly=keep_monthly,
                             keep_components=keep_components, block_size=BLOCK_SIZE, chunk_blocks=CHUNK_BLOCKS, **options)
    return Checkpoint(folder, key, notify=notify)


def with_mode(scenario: Scenario, mode: str | None) -> Scenario:
    """``scenario`` with its ``[simulation] mode`` replaced (``None``: unchanged)."""
    if mode is None or mode == scenario.simulation.mode:
        return scenario
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} (got {mode!r})")
    simulation = scenario.simulation.model_copy(update={"mode": mode})
    return scenario.model_copy(update={"simulation": simulation})


class ChunkPart(NamedTuple):
    """A chunk's rows, the outputs' views of them and what its checkpoint holds (with the monthly statistics, its
    views of them and its sums)."""

    start: int
    stop: int
    chunk: Outputs
    stored: dict[str, np.ndarray]


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
    monthly_stats: bool = False,
    chunks: ChunkSource | None = None,
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
    monthly_stats : keep monthly cash flows as statistics (percentiles, means, cash-out months: see
        :mod:`.monthly_stats`) instead of per simulation; ``keep_monthly`` and ``keep_components`` are then ignored.
    chunks : where chunks not already in the checkpoint are computed (a Dask cluster: :mod:`.remote`); the
        numbers are those of an in-process run (each block has its own seed). Not with ``inputs`` or ``until``.
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
        if checkpoint is not None or monthly_stats:
            raise ValueError("a run with external inputs cannot use a checkpoint or keep monthly statistics")
    if monthly_stats:
        keep_monthly = keep_components = False
        check_stats_memory(m, sims, BLOCK_SIZE)
    check_memory(m, sims, keep_monthly=keep_monthly, keep_components=keep_components)
    total_blocks = -(-sims // BLOCK_SIZE)
    firsts = range(0, total_blocks, CHUNK_BLOCKS)
    on_disk = set() if checkpoint is None else {b for b in firsts if checkpoint.has_chunk(b)}  # saved chunks
    if chunks is not None:  # first, so that the cluster works while the outputs are allocated
        if inputs is not None or until is not None:
            raise ValueError("chunks computed elsewhere cannot take external inputs or stop early (until)")
        chunks.start(ChunkJob(scenario, sims, seed, keep_monthly, keep_components, monthly_stats),
                     [b for b in firsts if b not in on_disk])
    ahead = until is None  # a run that may stop early maps its outputs as it writes them
    out = allocate_outputs(m, sims, keep_monthly=keep_monthly, keep_components=keep_components, ahead=ahead)
    stats = MonthlyStats(scenario, m, calendar.cohort_pay_month, sims, BLOCK_SIZE, ahead=ahead) if monthly_stats else None
    kind = variant(m.outcome_tables)

    def part(first_block: int) -> ChunkPart:
        start, stop = first_block * BLOCK_SIZE, min(sims, (first_block + CHUNK_BLOCKS) * BLOCK_SIZE)
        chunk = chunk_view(out, start, stop, keep_monthly, keep_components)
        stored = stored_fields(chunk, keep_monthly, keep_components)
        if stats is not None:
            stored.update(stats.chunk_state(start, stop))
        return ChunkPart(start, stop, chunk, stored)

    # a resume reads its saved chunks on threads of their own while it simulates the others, then takes them
    # (a damaged one is simulated then); not a run that may stop early (precision control), which reads them in
    # order as it goes. The chunks' sums are added in chunk order at the end, as a run without a resume adds them.
    saved = {b: part(b) for b in sorted(on_disk)} if until is None else {}
    loaded: set[int] = set()
    done: list[ChunkPart] = []
    here = False  # whether a chunk was simulated in this process (not all loaded or computed elsewhere)
    with first_run(scenario, kind=kind, monthly=monthly_stats, once=True, beside=chunks is None):
        reading = checkpoint.start_loading({b: p.stored for b, p in saved.items()}, numba.get_num_threads()) \
            if saved else None
        with settled(checkpoint, reading):
            for first_block in [b for b in firsts if b not in saved] + list(saved):
                if first_block in saved:
                    loaded = reading()
                p = saved[first_block] if first_block in saved else part(first_block)
                if first_block not in loaded:  # not saved, or saved and damaged (named, its arrays zeroed)
                    here |= fill_chunk(m, p.chunk, p.stored, seed=seed, first_block=first_block, start=p.start,
                                       inputs=inputs, keep=(keep_monthly, keep_components), individual=individual,
                                       stats=stats, checkpoint=checkpoint, chunks=chunks, load=first_block not in saved)
                done.append(p)
                if progress is not None:
                    progress(p.stop - p.start)
                if until is not None and p.stop < sims and until(out, p.stop):
                    out, sims = chunk_view(out, 0, p.stop, keep_monthly, keep_components), p.stop
                    break
            if stats is not None:
                for p in sorted(done, key=lambda p: p.start):
                    stats.add_chunk(p.stored["stats_sums"])
            # the percentiles only read the outputs: the last chunk's checkpoint is written beside them
            arrays = out._asdict() if stats is None else {**out._asdict(), **stats.finish(sims)}
    if here:
        mark_compiled(kind, monthly=stats is not None)  # this process compiled or loaded these kernels
    return Results.from_outputs(scenario, arrays, cohort_start_month=calendar.cohort_start,
                                cohort_pay_month=calendar.cohort_pay_month, seed=seed, sims=sims)


@contextmanager
def settled(checkpoint: Checkpoint | None, reading: Callable[[], set[int]] | None = None) -> Iterator[None]:
    """Leave with every finished chunk on disk: waited for on success, settled on an interrupt or failure (with
    the reads of a resume, if still going, finished first: they write into the run's arrays)."""
    try:
        yield
    except BaseException:
        if checkpoint is not None:
            try:
                if reading is not None:
                    reading()
            except Exception:  # noqa: BLE001  (the run's own error is the one to report)
                pass
            finally:
                checkpoint.settle()
        raise
    if checkpoint is not None:
        checkpoint.wait()


def fill_chunk(m: ModelArrays, chunk: Outputs, stored: dict, *, seed: int, first_block: int, start: int,
               inputs: ExternalInputs | None, keep: tuple[bool, bool], individual: bool, stats: MonthlyStats | None,
               checkpoint: Checkpoint | None, chunks: ChunkSource | None = None, load: bool = True) -> bool:
    """Load a chunk from the checkpoint (when ``load``), take it from ``chunks`` or simulate it (its months folded
    into ``stats`` and its ``stats_sums``, which the caller adds to ``stats``), and save it. True when it was
    simulated here (so this process has the kernels)."""
    here = False
    if checkpoint is None or not load or not checkpoint.load_into(stored, first_block):
        if chunks is None or not chunks.take(first_block, stored):
            simulate_chunk(m, chunk, seed=seed, first_block=first_block, start=start, inputs=inputs, keep=keep,
                           individual=individual, stats=stats, sums=stored.get("stats_sums"))
            here = True
        if checkpoint is not None:
            checkpoint.save(stored, first_block)
    return here


def simulate_chunk(m: ModelArrays, chunk: Outputs, *, seed: int, first_block: int, start: int,
                   inputs: ExternalInputs | None, keep: tuple[bool, bool], individual: bool,
                   stats: MonthlyStats | None, sums: np.ndarray | None = None) -> None:
    """Simulate one chunk into ``chunk`` (and, with ``stats``, its months folded from simulation ``start``, its
    sums into ``sums``: the chunk's ``stats_sums``)."""
    if stats is not None:
        stats.run_chunk(m, chunk, lambda b: block_generators(seed, first_block + b, CHUNK_BLOCKS), start, individual,
                        sums)
    else:
        run_chunk(m, chunk, seed=seed, first_block=first_block, start=start, inputs=inputs, keep=keep,
                  individual=individual)


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
