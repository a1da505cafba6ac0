"""One run's chunks on a real Dask LocalCluster (127.0.0.1): bit-identical to the in-process run, resumable."""

import logging

import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator._version import __version__
from simulator.engine import BLOCK_SIZE, CHUNK_BLOCKS, run_checkpoint
from simulator.engine import run as engine_run
from simulator.engine.remote import RemoteChunks, compute_chunk
from simulator.errors import PbrsimError
from simulator.studies.cluster_run import chunk_runner

from .conftest import DEFAULT_SCENARIO
from .resultstate import canonical, invoke
from .test_scheduler_waits import _listener

distributed = pytest.importorskip("distributed")

CHUNK = BLOCK_SIZE * CHUNK_BLOCKS
SIMS = 3 * CHUNK + 37  # three whole chunks and a short one
MONTHLY = {"stats": {"monthly_stats": True}, "full": {},
           "none": {"keep_monthly": False, "keep_components": False}}


class Interrupt(Exception):
    pass


class StopAfter:
    """A progress callback that interrupts the run once ``chunks`` chunks are finished."""

    def __init__(self, chunks: int):
        self.left = chunks

    def __call__(self, sims: int) -> None:
        self.left -= 1
        if not self.left:
            raise Interrupt


@pytest.fixture(scope="module")
def client():
    """A LocalCluster on the loopback interface, its worker in this process (warm kernels), over TCP."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as c:
        assert c.scheduler.address.startswith("tcp://127.0.0.1:")
        yield c


class Recording:
    """A chunk runner that records which chunks it was asked for."""

    def __init__(self, client):
        self.asked: list[int] = []
        self.runner = chunk_runner(client, in_flight=2)

    def __call__(self, job, firsts):
        self.asked += firsts
        return self.runner(job, firsts)


def same(a, b) -> None:
    """Every array and the summary (but the run's id) equal, bit for bit."""
    assert a.arrays.keys() == b.arrays.keys()
    for name, arr in a.arrays.items():
        assert arr.dtype == b.arrays[name].dtype and np.array_equal(arr, b.arrays[name]), name
    sa, sb = a.summary(), b.summary()
    sa["provenance"].pop("run_id"), sb["provenance"].pop("run_id")
    assert sa == sb


@pytest.mark.parametrize("monthly", list(MONTHLY))
def test_chunks_on_a_cluster_equal_the_in_process_run(client, monthly):
    sc = load_scenario(DEFAULT_SCENARIO)
    recording = Recording(client)
    remote = simulate(sc, sims=SIMS, seed=23, chunks=RemoteChunks(recording), **MONTHLY[monthly])
    assert recording.asked == [0, CHUNK_BLOCKS, 2 * CHUNK_BLOCKS, 3 * CHUNK_BLOCKS]  # every chunk went out
    same(remote, simulate(sc, sims=SIMS, seed=23, **MONTHLY[monthly]))


def test_an_interrupted_cluster_run_resumes_in_process_or_on_the_cluster(client, tmp_path, monkeypatch):
    sc = load_scenario(DEFAULT_SCENARIO)
    whole = simulate(sc, sims=SIMS, seed=29, monthly_stats=True)

    def interrupted(folder):
        ckpt = run_checkpoint(folder, sc, sims=SIMS, seed=29, keep_monthly=False, keep_components=False,
                              monthly_stats=True)
        ckpt.start(resume=False)
        with pytest.raises(Interrupt):
            simulate(sc, sims=SIMS, seed=29, checkpoint=ckpt, progress=StopAfter(2), monthly_stats=True,
                     chunks=RemoteChunks(Recording(client)))
        assert sorted(p.name for p in folder.glob("chunk_*.npz")) == ["chunk_0000000.npz", "chunk_0000016.npz"]
        ckpt.start(resume=True)
        return ckpt

    ckpt = interrupted(tmp_path / "a")
    calls = []
    real = engine_run.simulate_chunk
    monkeypatch.setattr(engine_run, "simulate_chunk", lambda *a, **k: calls.append(k["first_block"]) or real(*a, **k))
    same(simulate(sc, sims=SIMS, seed=29, checkpoint=ckpt, monthly_stats=True), whole)
    assert calls == [2 * CHUNK_BLOCKS, 3 * CHUNK_BLOCKS]  # in-process: only the chunks not saved

    ckpt = interrupted(tmp_path / "b")
    recording = Recording(client)
    same(simulate(sc, sims=SIMS, seed=29, checkpoint=ckpt, monthly_stats=True, chunks=RemoteChunks(recording)),
         whole)
    assert recording.asked == [2 * CHUNK_BLOCKS, 3 * CHUNK_BLOCKS]  # on the cluster: only the chunks not saved


def test_pbrsim_run_with_a_local_cluster_writes_the_in_process_result(tmp_path):
    args = ("run", DEFAULT_SCENARIO, "--sims", 2 * CHUNK + 5, "--seed", 31, "--quiet")
    assert invoke(*args, "--out", tmp_path / "here").exit_code == 0
    result = invoke(*args, "--out", tmp_path / "there", "--scheduler", "local")  # two worker processes
    assert result.exit_code == 0, result.output
    assert canonical(tmp_path / "there") == canonical(tmp_path / "here")


@pytest.mark.parametrize("extra, fragment", [
    (("--scheduler", "nowhere"), "'nowhere' is not understood"),
    (("--scheduler", "local", "--precision", "prime.npv_gbp_mean:50000"), "--precision runs in-process only"),
])
def test_a_scheduler_that_cannot_be_used_is_one_line_and_writes_nothing(tmp_path, extra, fragment):
    result = invoke("run", DEFAULT_SCENARIO, "--sims", 100, "--out", tmp_path / "r", *extra)
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_an_endpoint_that_is_not_a_scheduler_is_one_line_and_leaves_no_folder(tmp_path):
    server, port = _listener(b"\xff" * 64 + b"not dask at all")
    try:
        result = invoke("run", DEFAULT_SCENARIO, "--sims", 100, "--out", tmp_path / "r", "--scheduler",
                        f"tcp://127.0.0.1:{port}")
    finally:
        server.close()
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.output.startswith("pbrsim: error: --scheduler: ") and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_chunks_from_another_version_or_of_another_shape_are_refused():
    sc = load_scenario(DEFAULT_SCENARIO)

    def runner(version, rows):
        def run(job, firsts):
            for first in firsts:
                _, _, arrays = compute_chunk(job, first)
                yield first, version, {k: v[:rows] for k, v in arrays.items()}
        return run

    with pytest.raises(PbrsimError, match="a worker runs pbrsim 0.0.1"):
        simulate(sc, sims=100, seed=1, chunks=RemoteChunks(runner("0.0.1", 100)))
    with pytest.raises(PbrsimError, match="as float64\\(99, .* expected float64\\(100, "):
        simulate(sc, sims=100, seed=1, chunks=RemoteChunks(runner(__version__, 99)))


def test_pbrsim_run_resumes_on_a_scheduler_by_address_what_a_cluster_run_left(client, tmp_path):
    sc = load_scenario(DEFAULT_SCENARIO)
    ckpt = run_checkpoint(tmp_path / "r" / ".partial", sc, sims=SIMS, seed=37, keep_monthly=False,
                          keep_components=False, monthly_stats=True)  # what `pbrsim run` keys by default
    ckpt.start(resume=False)
    with pytest.raises(Interrupt):
        simulate(sc, sims=SIMS, seed=37, checkpoint=ckpt, progress=StopAfter(3), monthly_stats=True,
                 chunks=RemoteChunks(Recording(client)))
    args = ("run", DEFAULT_SCENARIO, "--sims", SIMS, "--seed", 37, "--quiet")
    refused = invoke(*args, "--out", tmp_path / "r", "--scheduler", client.scheduler.address)
    assert refused.exit_code == 2 and "--resume" in refused.output  # the folder rules hold on a cluster too
    resumed = invoke(*args, "--out", tmp_path / "r", "--scheduler", client.scheduler.address, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert invoke(*args, "--out", tmp_path / "whole").exit_code == 0
    assert canonical(tmp_path / "r") == canonical(tmp_path / "whole")
    assert not (tmp_path / "r" / ".partial").exists()
