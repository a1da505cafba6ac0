"""Run sweep points on a Dask cluster: a local one, or an existing scheduler by address.

``--scheduler local`` starts a LocalCluster of 2 worker processes x 1 thread on the
loopback interface; ``--scheduler tcp://host:8786`` connects to a running scheduler whose
workers have pbrsim installed. Each point is one task returning its metric rows; a point's
random numbers depend on the seed alone, so the rows are identical to an in-process run.
Tasks are submitted a few at a time, so memory stays bounded on large sweeps, and rows are
yielded as each task finishes so the sweep's checkpoint grows as it goes.

Before a client is made, the address is parsed (``tcp://HOST:PORT`` only: TLS needs
certificates pbrsim does not configure) and the endpoint asked for its identity within
``PROBE_S`` seconds: something that accepts connections but does not speak Dask (a web
server, a silent port) fails with one line instead of hanging, and an answer that is not
Dask's is reported as such, never as the memory error its garbage frame lengths can cause.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from ..errors import PbrsimError
from .sweep import SweepSpec, evaluate_point

LOCAL_WORKERS = 2
LOOPBACK_ANY_PORT = "127.0.0.1:0"
IN_PROCESS = "in-process"
PROBE_S = 10.0
_ADDRESS = re.compile(r"^tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>[0-9]{1,5})/?$")


@contextmanager
def open_client(scheduler: str) -> Iterator:
    """A connected ``distributed.Client``; a local cluster is closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        # dashboard off (None), and the scheduler's HTTP server on a free loopback port: left to itself it took 8787
        # and warned "Port 8787 is already in use" beside another cluster or a notebook's dashboard
        cluster = LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard_address": LOOPBACK_ANY_PORT},
                               silence_logs=logging.ERROR)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    address = parse_address(scheduler)
    probe(address)
    try:
        client = Client(address, timeout=f"{PROBE_S:.0f}s")
    except Exception as exc:  # whatever distributed raises, the user gets one line
        raise PbrsimError(f"--scheduler: cannot connect to {address} ({type(exc).__name__}: {exc})") from None
    with client:
        yield client


def parse_address(scheduler: str) -> str:
    """``tcp://HOST:PORT`` checked (a port from 1 to 65535); anything else is one clear error."""
    if scheduler.startswith("tls://"):
        raise PbrsimError(f"--scheduler: '{scheduler}': tls:// needs TLS certificates, which pbrsim does not set "
                          "up; use tcp://HOST:PORT on a trusted network, or 'local'")
    match = _ADDRESS.match(scheduler)
    if not scheduler.startswith("tcp://"):
        raise PbrsimError(f"--scheduler: '{scheduler}' is not understood; expected 'in-process' (the default), "
                          "'local' or a scheduler address such as tcp://host:8786")
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise PbrsimError(f"--scheduler: '{scheduler}' is not an address tcp://HOST:PORT with a port from 1 to 65535")
    return f"tcp://{match['host']}:{int(match['port'])}"


def probe(address: str, timeout: float = PROBE_S) -> dict:
    """Ask the endpoint for its identity; within ``timeout`` seconds it must answer as a Dask scheduler."""
    from distributed.comm import connect

    async def ask() -> object:
        comm = await connect(address, timeout=timeout / 2)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, also when the caller runs one (Jupyter)
        try:
            reply = pool.submit(asyncio.run, asyncio.wait_for(ask(), timeout)).result()
        except TimeoutError:
            raise PbrsimError(f"--scheduler: {address} did not answer as a Dask scheduler within {timeout:.0f} s "
                              "(is it a Dask scheduler's address?)") from None
        except Exception as exc:  # refused, reset, garbage: all one line
            raise PbrsimError(f"--scheduler: cannot talk to a Dask scheduler at {address} "
                              f"({type(exc).__name__}: {exc or 'no details'})") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise PbrsimError(f"--scheduler: {address} answered, but not as a Dask scheduler")
    return reply


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
