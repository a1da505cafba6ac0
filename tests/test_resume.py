"""Long runs survive interruption: finished chunks are kept and a resumed run matches a whole one."""

import json
import signal
import subprocess
import sys
import time
import zipfile

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


# ---------------------------------------------------------------- saved chunks read in place


def _saved_run(tmp_path, sc, sims, seed, **options):
    """A finished run's checkpoint (chunks kept) and the whole run's results."""
    ckpt = run_checkpoint(tmp_path / "p", sc, sims=sims, seed=seed, keep_monthly=False, keep_components=False,
                          **options)
    ckpt.start(resume=False)
    whole = simulate(sc, sims=sims, seed=seed, keep_monthly=False, keep_components=False, checkpoint=ckpt, **options)
    return ckpt, whole


def _with_gaps(tmp_path, gone: tuple[int, ...]):
    """(scenario, sims, checkpoint, whole run, chunk paths) of a finished 5-chunk run with monthly statistics whose
    chunks ``gone`` were then deleted."""
    sc = load_scenario(DEFAULT_SCENARIO)
    sims = 4 * CHUNK + 100
    ckpt, whole = _saved_run(tmp_path, sc, sims, 9, monthly_stats=True)
    chunks = sorted(ckpt.folder.glob("chunk_*.npz"))
    for i in gone:
        chunks[i].unlink()
    return sc, sims, ckpt, whole, chunks


def test_a_resume_with_saved_chunks_between_missing_ones_has_the_whole_runs_bits(tmp_path):
    """Saved chunks 1 and 3 of 0-4, read straight into the run's arrays between chunks simulated anew: every
    array, the monthly statistics' too (their sums are added in chunk order at the end), is the whole run's."""
    sc, sims, ckpt, whole, chunks = _with_gaps(tmp_path, (0, 2, 4))
    resumed = simulate(sc, sims=sims, seed=9, keep_monthly=False, keep_components=False, checkpoint=ckpt,
                       monthly_stats=True)
    assert len(list(ckpt.folder.glob("chunk_*.npz"))) == 5
    for name, arr in whole.arrays.items():
        assert np.array_equal(arr, resumed.arrays[name]), name


def test_a_resume_reading_its_chunks_first_keeps_a_damaged_ones_statistics_apart(tmp_path):
    """A resume reads its saved chunks on threads of their own while it simulates the others, then takes them. A
    damaged one among them is simulated then, into sums of its own, not those of the saved chunk read last: saved
    0, 1 (damaged) and 3 of 0-4, the monthly statistics, 2 threads, gives the whole run's bits, with chunk 1 named
    and simulated."""
    import numba

    sc, sims, ckpt, whole, chunks = _with_gaps(tmp_path, (2, 4))
    raw = bytearray(chunks[1].read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    chunks[1].write_bytes(bytes(raw))
    messages = []
    ckpt.notify = messages.append
    threads = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        resumed = simulate(sc, sims=sims, seed=9, keep_monthly=False, keep_components=False, checkpoint=ckpt,
                           monthly_stats=True)
    finally:
        numba.set_num_threads(threads)
    assert [m.split(":")[0] for m in messages] == [str(chunks[1])]
    for name, arr in whole.arrays.items():
        assert np.array_equal(arr, resumed.arrays[name]), name


def test_a_chunk_that_fails_its_checks_part_way_leaves_zeros_behind(tmp_path):
    """Read in place, a chunk damaged in one array has filled others: they are zeroed again, so that
    simulating it anew leaves nothing of the damaged file (the kernel does not write every element)."""
    sc = load_scenario(DEFAULT_SCENARIO)
    ckpt, whole = _saved_run(tmp_path, sc, CHUNK, 4)
    path = next(ckpt.folder.glob("chunk_*.npz"))
    with zipfile.ZipFile(path) as zf:
        last = max(zf.infolist(), key=lambda i: i.header_offset)  # the last member in the file
    raw = bytearray(path.read_bytes())
    raw[last.header_offset + last.compress_size] ^= 0xFF  # inside its bytes (they follow a ~100-byte header)
    path.write_bytes(bytes(raw))
    with np.load(path) as saved:
        stored = {k: np.zeros_like(v) for k, v in whole.arrays.items() if k + ".npy" in saved.zip.namelist()}
    assert len(stored) > 10
    reason = ckpt.read_into(stored, 0)
    assert reason is not None and "CRC" in reason
    assert not any(arr.any() for arr in stored.values())


def test_chunks_go_past_the_page_cache_until_a_write_is_still_going_when_the_next_chunk_comes(tmp_path, monkeypatch):
    """Checkpoints are written with O_DIRECT (their fresh page-cache pages cost a national run 0.4-0.5 s here) while
    the disk keeps up; a chunk that finds the last one still being written sends it and the rest through the page
    cache, which absorbs a slow disk's writes. Every chunk reads back whole either way."""
    import threading

    import simulator.engine.checkpoint as ck

    sent, gate, real = [], threading.Event(), ck.atomic_write

    def recording(path, write, *, durable=True, direct=False):
        sent.append(direct)
        if len(sent) == 3:  # the manifest, then the chunks: the second chunk's write is slow, and the third chunk
            assert gate.wait(10)  # comes while it goes on
        return real(path, write, durable=durable, direct=direct)

    monkeypatch.setattr(ck, "atomic_write", recording)
    cp = run_checkpoint(tmp_path / "cp", load_scenario(DEFAULT_SCENARIO), sims=64 * 4, seed=3, keep_monthly=False,
                        keep_components=False)
    cp.start(resume=False)
    chunks = [{"x": np.full(1000, float(i))} for i in range(4)]
    cp.save(chunks[0], 0)
    cp.wait()  # the disk kept up with the first
    cp.save(chunks[1], 1)
    threading.Timer(0.3, gate.set).start()
    cp.save(chunks[2], 2)  # the second was still being written
    cp.save(chunks[3], 3)
    cp.wait()
    assert sent == [False, True, True, False, False]  # the manifest (small, plain), then the chunks
    for i, chunk in enumerate(chunks):
        back = {"x": np.zeros(1000)}
        assert cp.load_into(back, i) and (back["x"] == chunk["x"]).all()


def test_a_resume_stopped_while_it_reads_leaves_its_chunks_and_resumes_whole(tmp_path):
    """A resume stopped (Ctrl-C at its first chunk's end) while its saved chunks are still being read beside the
    simulation waits for the reads before it leaves: the saved chunks are the same files, the chunk it finished is
    kept, and the next resume gives the whole run's bits."""
    sc, sims, ckpt, whole, chunks = _with_gaps(tmp_path, (0, 1))
    before = {p.name: p.read_bytes() for p in chunks[2:]}

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(sc, sims=sims, seed=9, keep_monthly=False, keep_components=False, checkpoint=ckpt, monthly_stats=True,
                 progress=stop)
    assert {p.name: p.read_bytes() for p in chunks[2:]} == before
    assert len(list(ckpt.folder.glob("chunk_*.npz"))) == 4  # chunk 0 was simulated and saved before the stop
    resumed = simulate(sc, sims=sims, seed=9, keep_monthly=False, keep_components=False, checkpoint=ckpt,
                       monthly_stats=True)
    for name, arr in whole.arrays.items():
        assert np.array_equal(arr, resumed.arrays[name]), name


def test_a_damaged_chunk_is_named_once_when_the_resume_then_stops(tmp_path):
    """The reads' answer is taken once: a resume that read a damaged chunk and then stopped (Ctrl-C at its last
    chunk) names the damaged chunk once, not again while it settles."""
    sc, sims, ckpt, whole, chunks = _with_gaps(tmp_path, (4,))
    raw = bytearray(chunks[1].read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    chunks[1].write_bytes(bytes(raw))
    messages, calls = [], []
    ckpt.notify = messages.append

    def stop_at_the_last(done: int) -> None:
        calls.append(done)
        if len(calls) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(sc, sims=sims, seed=9, keep_monthly=False, keep_components=False, checkpoint=ckpt, monthly_stats=True,
                 progress=stop_at_the_last)
    assert [m.split(":")[0] for m in messages] == [str(chunks[1])] and ckpt.damaged == [chunks[1]]
