"""Long runs survive interruption: finished chunks are kept and a resumed run matches a whole one."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.engine import BLOCK_SIZE, CHUNK_BLOCKS, run_checkpoint
from simulator.engine import run as engine_run

from .conftest import DEFAULT_SCENARIO

CHUNK = BLOCK_SIZE * CHUNK_BLOCKS


class Interrupt(Exception):
    pass


def test_resumed_run_equals_an_uninterrupted_one_and_reuses_chunks(tmp_path, monkeypatch):
    sc = load_scenario(DEFAULT_SCENARIO)
    sims = 3 * CHUNK + 10
    whole = simulate(sc, sims=sims, seed=21)

    ckpt = run_checkpoint(tmp_path / "partial", sc, sims=sims, seed=21, keep_monthly=True, keep_components=True)
    ckpt.start(resume=False)
    done = []

    def stop_after_two(n):
        done.append(n)
        if len(done) == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        simulate(sc, sims=sims, seed=21, checkpoint=ckpt, progress=stop_after_two)
    assert len(list((tmp_path / "partial").glob("chunk_*.npz"))) == 2

    calls = []
    real = engine_run.simulate_blocks
    monkeypatch.setattr(engine_run, "simulate_blocks", lambda *a: calls.append(1) or real(*a))
    ckpt.start(resume=True)
    resumed = simulate(sc, sims=sims, seed=21, checkpoint=ckpt)
    assert len(calls) == 2  # only the two unfinished chunks were simulated
    for name, arr in whole.arrays.items():
        assert np.array_equal(arr, resumed.arrays[name]), name


def test_checkpoint_of_other_settings_is_refused_on_resume(tmp_path):
    sc = load_scenario(DEFAULT_SCENARIO)
    a = run_checkpoint(tmp_path / "p", sc, sims=100, seed=1, keep_monthly=True, keep_components=True)
    a.start(resume=False)
    b = run_checkpoint(tmp_path / "p", sc, sims=100, seed=2, keep_monthly=True, keep_components=True)
    with pytest.raises(Exception, match="other settings"):
        b.start(resume=True)


def _pbrsim(*args):
    return [sys.executable, "-m", "simulator.cli", *map(str, args)]


def test_killed_cli_run_resumes_without_losing_work(tmp_path):
    out, ref = tmp_path / "out", tmp_path / "ref"
    sims = 40 * CHUNK
    proc = subprocess.Popen(_pbrsim("run", DEFAULT_SCENARIO, "--sims", sims, "--out", out, "--no-monthly"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((out / ".partial").glob("chunk_*.npz"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = len(list((out / ".partial").glob("chunk_*.npz")))
    assert 3 <= saved < 40, "the run should have been killed part-way"
    assert not (out / "summary.json").exists()

    refused = subprocess.run(_pbrsim("run", DEFAULT_SCENARIO, "--sims", sims, "--out", out, "--no-monthly"),
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = subprocess.run(_pbrsim("run", DEFAULT_SCENARIO, "--sims", sims, "--out", out, "--no-monthly", "--resume"),
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert not (out / ".partial").exists()
    whole = subprocess.run(_pbrsim("run", DEFAULT_SCENARIO, "--sims", sims, "--out", ref, "--no-monthly"),
                           capture_output=True, text=True)
    assert whole.returncode == 0
    a, b = json.loads((out / "summary.json").read_text()), json.loads((ref / "summary.json").read_text())
    assert a["parties"] == b["parties"] and a["commissioner"] == b["commissioner"]
    with np.load(out / "sims.npz") as x, np.load(ref / "sims.npz") as y:
        assert np.array_equal(x["npv"], y["npv"])
