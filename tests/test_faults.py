"""Fault suite: runs and sweeps killed with SIGKILL, two writers at once, damaged checkpoints.

Whatever happens, an output folder holds the complete old result or the complete new one
(identical to a clean run, apart from its run id), the next run cleans up after a killed
one, and no traceback is printed. Kills come at seeded random moments and at every step of
making a result current (a small driver kills the process from inside at that step).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulator import load_scenario, simulate
from simulator.engine import BLOCK_SIZE, CHUNK_BLOCKS, run_checkpoint
from simulator.engine import run as engine_run

from .conftest import ANALYTIC_SCENARIO, takes_o_direct
from .resultstate import canonical, invoke, pbrsim, snapshot, state, strays

CHUNK = BLOCK_SIZE * CHUNK_BLOCKS
RUN = ("run", ANALYTIC_SCENARIO, "--sims", 3 * CHUNK, "--quiet")


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory):
    """An old result (seed 7, with a workbook) and a clean run of the new command (seed 8, no workbook)."""
    base = tmp_path_factory.mktemp("refs")
    assert invoke(*RUN, "--seed", 7, "--out", base / "old", "--xlsx").exit_code == 0
    assert invoke(*RUN, "--seed", 8, "--out", base / "new").exit_code == 0
    return base / "old", snapshot(base / "old"), canonical(base / "new")


def _recover_and_check(out, new):
    """The user's next command (the same run, resuming) finishes the new result and leaves nothing stray."""
    again = invoke(*RUN, "--seed", 8, "--out", out, "--force", "--resume")
    assert again.exit_code == 0, again.output
    assert canonical(out) == new
    assert strays(out) == []


def test_sigkill_at_random_moments_of_run_force(tmp_path, old_and_new):
    old_dir, old, new = old_and_new
    rng = random.Random(9)
    start = time.monotonic()
    done = subprocess.run(pbrsim(*RUN, "--seed", 8, "--out", tmp_path / "timed"), capture_output=True)
    whole = time.monotonic() - start
    assert done.returncode == 0
    outcomes = []
    for trial in range(5):
        out = tmp_path / f"t{trial}" / "R"
        shutil.copytree(old_dir, out)
        proc = subprocess.Popen(pbrsim(*RUN, "--seed", 8, "--out", out, "--force"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.4, 1.0) * whole)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        assert "Traceback" not in err
        outcomes.append(state(out, old, new))
        assert outcomes[-1] in ("old", "new"), outcomes[-1]
        _recover_and_check(out, new)


DRIVER = r"""
import os, shutil, signal, sys
import numpy as np
import simulator.folders.unit as unit

def die():
    os.kill(os.getpid(), signal.SIGKILL)

step, args = sys.argv[1], sys.argv[2:]
chunks = []
if step == "mid-chunk":  # the second checkpoint chunk's file is half written
    import simulator.engine.checkpoint as checkpoint
    real_savez = checkpoint.savez
    def savez(f, *a, **k):
        if "pbrsim_run_key" in k:
            chunks.append(1)
            if len(chunks) == 2:
                f.write(b"PK\x03\x04" + b"\0" * 5000); f.flush(); die()
        real_savez(f, *a, **k)
    checkpoint.savez = savez
elif step == "mid-sims":  # sims.npz partly written past the page cache (a block of it on disk)
    import simulator.direct_io as direct_io
    real_put = direct_io.DirectFile._put
    def put(self, length):
        real_put(self, min(length, direct_io.BLOCK))
        die()
    direct_io.DirectFile._put = put
elif step == "staged":  # every file of the new result written, its manifest not yet
    unit.write_manifest = lambda *a, **k: die()
elif step == "pause":  # hold the lock, everything staged, until the test says go
    import pathlib, time
    real_manifest = unit.write_manifest
    def wait_then_write(*a, **k):
        pathlib.Path(os.environ["PAUSED"]).touch()
        while not pathlib.Path(os.environ["GO"]).exists():
            time.sleep(0.01)
        return real_manifest(*a, **k)
    unit.write_manifest = wait_then_write
elif step == "before-swap":
    unit.exchange = lambda a, b: die()
elif step == "after-swap":
    real_exchange = unit.exchange
    unit.exchange = lambda a, b: (real_exchange(a, b), die())
elif step == "deleting-old":  # part of the old result deleted from beside the folder
    real_rmtree = shutil.rmtree
    def rmtree(path, *a, **k):
        if ".pbrsim-stage-" in str(path):
            os.unlink(os.path.join(path, "summary.json"))
            die()
        real_rmtree(path, *a, **k)
    shutil.rmtree = rmtree
elif step == "between-renames":  # where two folders cannot be exchanged
    def unsupported(a, b):
        raise unit.ExchangeUnsupported(22, "no exchange here")
    unit.exchange = unsupported
    real_rename = os.rename
    def rename(a, b):
        if ".pbrsim-stage-" in str(a):
            die()
        real_rename(a, b)
    os.rename = rename
from simulator.cli import main
main(args)
"""


@pytest.mark.parametrize("step, expect", [
    ("mid-chunk", "old"), ("mid-sims", "old"), ("staged", "old"), ("before-swap", "old"), ("after-swap", "new"),
    ("deleting-old", "new"),
])
def test_sigkill_at_each_step_of_making_a_result_current(tmp_path, old_and_new, step, expect):
    old_dir, old, new = old_and_new
    if step == "mid-sims" and not takes_o_direct(tmp_path):
        pytest.skip("this file system refuses O_DIRECT: sims.npz goes through the page cache here")
    out = tmp_path / "R"
    shutil.copytree(old_dir, out)
    proc = subprocess.run([sys.executable, "-c", DRIVER, step, *map(str, RUN), "--seed", "8", "--out", str(out),
                           "--force"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL and "Traceback" not in proc.stderr
    assert state(out, old, new) == expect
    _recover_and_check(out, new)


def test_sigkill_between_the_two_renames_where_folders_cannot_be_exchanged(tmp_path, old_and_new):
    old_dir, old, new = old_and_new
    out = tmp_path / "R"
    shutil.copytree(old_dir, out)
    proc = subprocess.run([sys.executable, "-c", DRIVER, "between-renames", *map(str, RUN), "--seed", "8",
                           "--out", str(out), "--force"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    moved = [p for p in tmp_path.iterdir() if p.name.startswith(".R.pbrsim-old-")]
    assert not out.exists() and len(moved) == 1  # the old result, whole, renamed away
    assert state(moved[0], old, new) == "old"
    refused = invoke("run", ANALYTIC_SCENARIO, "--sims", 10, "--out", out)  # any writer recovers it first
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert state(out, old, new) == "old" and not moved[0].exists()
    _recover_and_check(out, new)


def _wait_for(path, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return path.exists()


def test_a_second_writer_stops_at_once_naming_the_first(tmp_path):
    out, paused, go = tmp_path / "R", tmp_path / "paused", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", DRIVER, "pause", *map(str, RUN), "--seed", "7", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PAUSED": str(paused), "GO": str(go)})
    try:
        assert _wait_for(paused, first), "the first run never reached its commit"
        start = time.monotonic()
        second = subprocess.run(pbrsim(*RUN, "--seed", 8, "--out", out, "--force"), capture_output=True, text=True,
                                timeout=60)
        assert time.monotonic() - start < 20  # at once, not after the first run
    finally:
        go.touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1
    assert "another pbrsim is writing here" in second.stderr and f"pid {first.pid} " in second.stderr
    assert "--seed 7" in second.stderr  # the holder's command
    assert invoke(*RUN, "--seed", 7, "--out", tmp_path / "clean").exit_code == 0
    assert canonical(out) == canonical(tmp_path / "clean")
    assert strays(out) == []


def test_writers_started_together_leave_one_whole_result(tmp_path):
    out = tmp_path / "R"
    clean = {}
    for seed in (7, 8):
        assert invoke(*RUN, "--seed", seed, "--out", tmp_path / f"clean{seed}").exit_code == 0
        clean[seed] = canonical(tmp_path / f"clean{seed}")
    for _ in range(2):
        procs = [subprocess.Popen(pbrsim(*RUN, "--seed", seed, "--out", out, "--force"), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for seed in (7, 8)]
        errors = [p.communicate(timeout=180)[1] for p in procs]
        codes = [p.returncode for p in procs]
        assert 0 in codes and set(codes) <= {0, 2}, errors
        for code, err in zip(codes, errors, strict=True):
            assert "Traceback" not in err
            assert code == 0 or "another pbrsim is writing here" in err
        assert canonical(out) in (clean[7], clean[8])
        assert strays(out) == []


def test_a_lock_held_in_this_process_is_named_and_released_on_exit(tmp_path):
    from simulator.folders import FolderLock

    out = tmp_path / "R"
    with FolderLock(out, command="pbrsim run held.toml"):
        refused = invoke(*RUN, "--seed", 1, "--out", out)
        assert refused.exit_code == 2 and f"pid {os.getpid()} " in refused.output and "held.toml" in refused.output
        assert not out.exists()
    assert not (tmp_path / ".R.pbrsim-lock").exists()
    assert invoke(*RUN, "--seed", 1, "--out", out).exit_code == 0


def test_sigkill_during_a_sweep_leaves_the_old_sweep_or_the_new(tmp_path):
    rng = random.Random(4)
    sweep = ("sweep", ANALYTIC_SCENARIO, "--sims", 300, "--plot", "none", "--quiet")
    old_args = ("--vary", "payment.pbr.binary_gbp_per_point_per_offender=5,10")
    new_args = ("--vary", "payment.pbr.binary_gbp_per_point_per_offender=5:25:12")
    assert invoke(*sweep, *old_args, "--out", tmp_path / "old").exit_code == 0
    assert invoke(*sweep, *new_args, "--out", tmp_path / "new").exit_code == 0
    old = snapshot(tmp_path / "old")
    new_csv = (tmp_path / "new" / "sweep.csv").read_bytes()
    for trial in range(3):
        out = tmp_path / f"t{trial}" / "S"
        shutil.copytree(tmp_path / "old", out)
        proc = subprocess.Popen(pbrsim(*sweep, *new_args, "--out", out, "--force"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(1.0, 3.0))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        assert "Traceback" not in err
        now = {k: v for k, v in snapshot(out).items() if not k.startswith(".partial/")}
        if "sweep.csv" in now and now["sweep.csv"] == new_csv:
            assert {"sweep.json", "points.jsonl", "sweep.parquet", "manifest.json"} <= set(now)
        else:
            assert now == old
        again = invoke(*sweep, *new_args, "--out", out, "--force")
        assert again.exit_code == 0, again.output
        assert (out / "sweep.csv").read_bytes() == new_csv
        pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), pd.read_parquet(tmp_path / "new" / "sweep.parquet"))
        assert strays(out) == []


# ---------------------------------------------------------------- damaged checkpoints


def _flip(path, at):
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_chunks_are_named_and_only_they_are_simulated_again(tmp_path, monkeypatch):
    sc = load_scenario(ANALYTIC_SCENARIO)
    sims = 4 * CHUNK
    whole = simulate(sc, sims=sims, seed=5)
    messages = []
    ckpt = run_checkpoint(tmp_path / "p", sc, sims=sims, seed=5, keep_monthly=True, keep_components=True,
                          notify=messages.append)
    ckpt.start(resume=False)
    simulate(sc, sims=sims, seed=5, checkpoint=ckpt)
    other = run_checkpoint(tmp_path / "q", sc, sims=sims, seed=6, keep_monthly=True, keep_components=True)
    other.start(resume=False)
    simulate(sc, sims=sims, seed=6, checkpoint=other)
    chunks = sorted((tmp_path / "p").glob("chunk_*.npz"))
    chunks[0].write_bytes(chunks[0].read_bytes()[:1000])  # truncated
    _flip(chunks[1], chunks[1].stat().st_size // 2)  # a flipped byte inside an array
    shutil.copy(sorted((tmp_path / "q").glob("chunk_*.npz"))[2], chunks[2])  # a chunk of another run (seed 6)
    calls = []
    real = engine_run.simulate_blocks
    monkeypatch.setattr(engine_run, "simulate_blocks", lambda *a: calls.append(1) or real(*a))
    ckpt.start(resume=True)
    resumed = simulate(sc, sims=sims, seed=5, checkpoint=ckpt)
    assert len(calls) == 3  # the three damaged chunks, not the good one
    assert [m.split(":")[0] for m in messages] == [str(c) for c in chunks[:3]]
    assert "another run" in messages[2]
    for name, arr in whole.arrays.items():
        assert np.array_equal(arr, resumed.arrays[name]), name


def test_damaged_chunk_in_a_cli_resume_is_named_and_the_result_is_whole(tmp_path, monkeypatch):
    out = tmp_path / "R"  # every month kept: one kernel call per chunk (statistics fill a chunk in pieces)
    real = engine_run.simulate_blocks
    calls = []

    def fail_third(*a):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        return real(*a)

    monkeypatch.setattr(engine_run, "simulate_blocks", fail_third)
    failed = invoke(*RUN, "--keep-monthly", "--seed", 3, "--out", out)
    assert failed.exit_code == 2 and "Input/output error" in failed.output and "Traceback" not in failed.output
    chunks = sorted((out / ".partial").glob("chunk_*.npz"))
    assert len(chunks) == 2  # a failure keeps the finished chunks
    chunks[1].write_bytes(b"")
    monkeypatch.setattr(engine_run, "simulate_blocks", real)
    resumed = invoke(*RUN, "--keep-monthly", "--seed", 3, "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert f"{chunks[1]}: damaged checkpoint chunk" in resumed.output
    assert invoke(*RUN, "--keep-monthly", "--seed", 3, "--out", tmp_path / "clean").exit_code == 0
    assert canonical(out) == canonical(tmp_path / "clean")
