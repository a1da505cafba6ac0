"""Sweep points on a real Dask LocalCluster (loopback): identical rows to the in-process run."""

import socket

import pandas as pd
import pytest

from simulator.errors import PbrsimError
from simulator.studies.distributed import dask_runner, open_client, runner_for
from simulator.studies.grid import Vary
from simulator.studies.sweep import SweepSpec, run_sweep

from .conftest import DEFAULT_SCENARIO

pytest.importorskip("distributed")  # the module imports Dask lazily; skip cleanly where it is missing


def test_local_cluster_gives_identical_results(tmp_path):
    spec = SweepSpec(str(DEFAULT_SCENARIO), (Vary("supply_chain.subcontractors.1.upfront_share", (0.6, 0.8, 1.0)),
                                             Vary("volume.factor_mean", (0.7, 0.9))), 300, 11)
    local = run_sweep(spec, tmp_path / "local")
    with open_client("local") as client:
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2 and all(w["nthreads"] == 1 for w in workers.values())
        remote = run_sweep(spec, tmp_path / "dask", runner=dask_runner(client, in_flight=2))
        with runner_for(client.scheduler.address) as by_address:  # --scheduler tcp://host:port
            again = run_sweep(spec, tmp_path / "tcp", runner=by_address)
    pd.testing.assert_frame_equal(remote.table, local.table, check_exact=True)
    pd.testing.assert_frame_equal(again.table, local.table, check_exact=True)
    assert (tmp_path / "dask" / "sweep.csv").read_bytes() == (tmp_path / "local" / "sweep.csv").read_bytes()


def test_a_local_cluster_beside_another_one_says_nothing_about_ports(recwarn):
    """Port 8787 (Dask's dashboard port) held by someone else: the local cluster takes another, in silence."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
    except OSError:
        pass  # already held by someone else: the case this test is about
    holder.listen()
    try:
        with open_client("local") as client:
            assert len(client.scheduler_info()["workers"]) == 2
            assert not client.cluster.scheduler_spec["options"].get("dashboard"), "the dashboard stays off"
    finally:
        holder.close()
    assert not [w for w in recwarn if "already in use" in str(w.message)]


def test_in_process_is_the_default_and_bad_schedulers_are_refused():
    with runner_for("in-process") as runner:
        assert runner is None
    with pytest.raises(PbrsimError, match="'nowhere' is not understood"):
        with runner_for("nowhere"):
            pass
