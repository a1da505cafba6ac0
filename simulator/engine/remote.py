"""Chunks of one run computed elsewhere (Dask workers), taken back in order by the engine.

A chunk is whole blocks of simulations with their own seeds, so a worker that computes it
with :func:`compute_chunk` returns exactly the arrays the in-process run would have put in
it: the arrays a checkpoint saves for it (:func:`~.outputs.stored_fields`, and with monthly
statistics the chunk's part of them). :class:`RemoteChunks` hands them to the engine in the
run's order (so sums are added in the same order), after checking what it receives: the
same pbrsim version on the worker, the same names, shapes and dtypes. Nothing here imports
Dask: the runner that submits the tasks is given (:mod:`simulator.studies.cluster_run`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .._version import __version__
from ..errors import PbrsimError
from ..kernels.records import ModelArrays
from ..scenario import Scenario
from .model_arrays import build_model_arrays
from .monthly_stats import MonthlyStats
from .outputs import allocate_outputs, stored_fields
from .run import BLOCK_SIZE, CHUNK_BLOCKS, ChunkJob, simulate_chunk

Runner = Callable[[ChunkJob, list[int]], Iterator[tuple[int, str, dict[str, np.ndarray]]]]
_MODEL: list[tuple[Scenario, tuple]] = []  # the last scenario's arrays, reused by a worker's next chunk


def compute_chunk(job: ChunkJob, first_block: int) -> tuple[int, str, dict[str, np.ndarray]]:
    """(first block, pbrsim version, the chunk's stored arrays): one chunk of ``job`` simulated here."""
    m, calendar = _model_arrays(job.scenario)
    rows = min(job.sims, (first_block + CHUNK_BLOCKS) * BLOCK_SIZE) - first_block * BLOCK_SIZE
    keep = (False, False) if job.monthly_stats else (job.keep_monthly, job.keep_components)
    chunk = allocate_outputs(m, rows, keep_monthly=keep[0], keep_components=keep[1])
    stored = stored_fields(chunk, *keep)
    stats = MonthlyStats(job.scenario, m, calendar.cohort_pay_month, rows, BLOCK_SIZE) if job.monthly_stats else None
    if stats is not None:
        stored.update(stats.chunk_state(0, rows))
    try:
        simulate_chunk(m, chunk, seed=job.seed, first_block=first_block, start=0, inputs=None, keep=keep,
                       individual=job.scenario.simulation.mode == "individual", stats=stats,
                       sums=stored.get("stats_sums"))
    finally:
        if stats is not None:
            stats.pool.shutdown()
    return first_block, __version__, stored


def _model_arrays(scenario: Scenario) -> tuple[ModelArrays, object]:
    """The scenario's model arrays and calendar, built once per worker and scenario."""
    if not _MODEL or _MODEL[0][0] is not scenario:
        _MODEL[:] = [(scenario, build_model_arrays(scenario))]
    return _MODEL[0][1]


class RemoteChunks:
    """The engine's :class:`~.run.ChunkSource` for a ``runner`` that computes chunks elsewhere, in order."""

    def __init__(self, runner: Runner):
        self.runner = runner
        self.planned: set[int] = set()
        self.results: Iterator = iter(())

    def start(self, job: ChunkJob, firsts: list[int]) -> None:
        """Send the chunks from ``firsts`` (those not in the checkpoint) to be computed."""
        self.planned = set(firsts)
        self.results = self.runner(job, firsts) if firsts else iter(())

    def take(self, first_block: int, stored: dict[str, np.ndarray]) -> bool:
        """Copy the computed chunk from ``first_block`` into ``stored``; False for a chunk not sent out."""
        if first_block not in self.planned:
            return False
        got, version, arrays = next(self.results)
        if version != __version__:
            raise PbrsimError(f"--scheduler: a worker runs pbrsim {version}, this machine {__version__}; install "
                              "the same version on every worker (their numbers could differ)")
        if got != first_block or set(arrays) != set(stored):
            raise PbrsimError(f"--scheduler: a worker sent chunk {got} with {sorted(arrays)}, expected chunk "
                              f"{first_block} with {sorted(stored)}")
        for name, arr in stored.items():
            if arrays[name].shape != arr.shape or arrays[name].dtype != arr.dtype:
                raise PbrsimError(f"--scheduler: a worker sent '{name}' as {arrays[name].dtype}{arrays[name].shape}, "
                                  f"expected {arr.dtype}{arr.shape}")
            arr[...] = arrays[name]
        return True

    def close(self) -> None:
        """Stop the chunks still being computed (an interrupted or failed run)."""
        close = getattr(self.results, "close", None)
        if close is not None:
            close()
