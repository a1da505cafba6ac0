"""Run sweep points on a Dask cluster: a local one, or an existing scheduler by address.

``--scheduler local`` starts a LocalCluster of 2 worker processes x 1 thread on the
loopback interface; ``--scheduler tcp://host:8786`` connects to a running scheduler whose
workers have pbrsim installed. Each point is one task returning its metric rows; a point's
random numbers depend on the seed alone, so the rows are identical to an in-process run.
Tasks are submitted a few at a time, so memory stays bounded on large sweeps, and rows are
yielded as each task finishes so the sweep's checkpoint grows as it goes.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import PbrsimError
from .sweep import SweepSpec, evaluate_point

LOCAL_WORKERS = 2
IN_PROCESS = "in-process"


@contextmanager
def open_client(scheduler: str) -> Iterator:
    """A connected ``distributed.Client``; a local cluster is closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cluster = LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if not scheduler.startswith(("tcp://", "tls://")):
        raise PbrsimError(f"--scheduler: '{scheduler}' is not understood; expected 'in-process' (the default), "
                          "'local' or a scheduler address such as tcp://host:8786")
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise PbrsimError(f"--scheduler: cannot connect to {scheduler} ({exc})") from None
    with client:
        yield client


def dask_runner(client, *, in_flight: int | None = None):
    """A sweep runner (see :func:`simulator.sweep.run_sweep`) that submits points to ``client``."""
    from distributed import as_completed

    def run(tasks: list[tuple[int, dict]], raw: dict, spec: SweepSpec) -> Iterator[tuple[int, list[dict]]]:
        limit = in_flight or 2 * max(1, len(client.scheduler_info().get("workers", {}))) + 2
        pending = iter(tasks)
        raw_future = client.scatter(raw, broadcast=True)
        run_id = uuid.uuid4().hex[:8]

        def submit(index: int, overrides: dict):
            return client.submit(_task, index, raw_future, overrides, spec.sims, spec.seed, spec.scenario,
                                 spec.precision, spec.max_sims, key=f"pbrsim-point-{run_id}-{index}", pure=False)

        queue = as_completed([submit(i, o) for i, o in itertools.islice(pending, limit)])
        for future in queue:
            index, rows = future.result()
            future.release()
            following = next(pending, None)
            if following is not None:
                queue.add(submit(*following))
            yield index, rows

    return run


def _task(index: int, raw: dict, overrides: dict, sims: int, seed: int, source: str, precision: tuple[str, ...] = (),
          max_sims: int | None = None) -> tuple[int, list[dict]]:
    return index, evaluate_point(raw, overrides, sims=sims, seed=seed, source=source, precision=precision,
                                 max_sims=max_sims)


@contextmanager
def runner_for(scheduler: str) -> Iterator:
    """The sweep runner for a ``--scheduler`` value: None (in-process) or a Dask runner."""
    if scheduler in (IN_PROCESS, "", None):
        yield None
        return
    with open_client(scheduler) as client:
        yield dask_runner(client)
