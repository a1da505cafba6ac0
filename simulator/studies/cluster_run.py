"""One run's chunks as Dask tasks: ``pbrsim run ... --scheduler local|tcp://host:8786``.

The engine cuts a run into chunks of whole blocks, each block with its own seed, so a chunk
computed on a worker (:func:`simulator.engine.remote.compute_chunk`) is exactly the chunk
the in-process run computes. The client submits the chunks not already in the checkpoint, a
few more than there are worker threads at a time (memory stays bounded: a national chunk is
~30-55 MB), and takes their results back in the run's order; the engine then saves each one
in OUT/.partial like a chunk of its own, so ``--resume`` works in-process or on a cluster.
The connection (address checks, bounded waits, the local cluster) is :mod:`.distributed`'s.
"""

from __future__ import annotations

import itertools
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from ..engine.remote import RemoteChunks, compute_chunk
from ..engine.run import ChunkJob
from .distributed import IN_PROCESS, open_client


def chunk_runner(client, *, in_flight: int | None = None):
    """A runner for :class:`RemoteChunks`: chunks submitted to ``client``, results yielded in submission order."""

    def run(job: ChunkJob, firsts: list[int]) -> Iterator[tuple]:
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
        limit = in_flight or max(1, threads) + 2
        # hash=False: keys of this run's own; content-hashed keys are shared with an earlier run of the same job,
        # whose release on the scheduler could drop the data under this run's chunks ("lost dependencies")
        job_future = client.scatter(job, broadcast=True, hash=False)
        run_id = uuid.uuid4().hex[:8]
        todo = iter(firsts)

        def submit(first_block: int):
            return client.submit(compute_chunk, job_future, first_block, key=f"pbrsim-chunk-{run_id}-{first_block}",
                                 pure=False)

        pending = deque(submit(b) for b in itertools.islice(todo, limit))
        try:
            while pending:
                result = pending[0].result()
                pending.popleft().release()
                pending.extend(submit(b) for b in itertools.islice(todo, 1))
                yield result
        finally:  # an interrupted run: stop what is still queued
            client.cancel(list(pending))

    return run


@contextmanager
def run_chunks_on(scheduler: str) -> Iterator[RemoteChunks | None]:
    """The engine's chunk source for a ``--scheduler`` value: None (in-process) or chunks on a Dask cluster."""
    if scheduler in (IN_PROCESS, "", None):
        yield None
        return
    with open_client(scheduler) as client:
        chunks = RemoteChunks(chunk_runner(client))
        try:
            yield chunks
        finally:
            chunks.close()
