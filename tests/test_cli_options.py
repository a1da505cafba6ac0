"""The terminal: --set, the mode in every header, the key-path listing, plain lines, Ctrl-C."""

import json
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from simulator.cli import main
from simulator.engine import BLOCK_SIZE, CHUNK_BLOCKS

from .conftest import DEFAULT_SCENARIO

CHARITY_UPFRONT = "supply_chain.subcontractors.small_charity.upfront_share"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_set_changes_the_run_like_an_edited_file(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    edited = tmp_path / "edited.toml"
    edited.write_text(DEFAULT_SCENARIO.read_text().replace("upfront_share = 0.70", "upfront_share = 0.95"))
    done = invoke("run", DEFAULT_SCENARIO, "--sims", 200, "--out", a, "--set", f"{CHARITY_UPFRONT}=0.95",
                  "--set", "payment.pbr.cap_gbp_per_offender=500")
    assert done.exit_code == 0, done.output
    assert invoke("run", edited, "--sims", 200, "--out", b, "--set", "payment.pbr.cap_gbp_per_offender=500").exit_code == 0
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    assert sa["parties"] == sb["parties"]
    assert f"[set: {CHARITY_UPFRONT}=0.95, payment.pbr.cap_gbp_per_offender=500]" in sa["scenario"]


def test_bad_set_is_one_line_and_writes_nothing(tmp_path):
    for bad, words in ((f"{CHARITY_UPFRONT}=1.7", "must be in [0, 1]"), ("volume.factr_mean=1", "did you mean"),
                       ("volume.factor_mean", "KEY=VALUE")):
        out = invoke("run", DEFAULT_SCENARIO, "--sims", 10, "--out", tmp_path / "x", "--set", bad)
        assert out.exit_code == 2 and words in out.output and "Traceback" not in out.output
        assert len(out.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_mode_is_in_summary_and_headers_and_plain_lines_come_first(tmp_path):
    out = invoke("run", DEFAULT_SCENARIO, "--sims", 200, "--out", tmp_path, "--mode", "individual")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].endswith("200 simulations, seed 7, individual mode")
    assert lines[1].startswith("prime: ") and "chance of a loss" in lines[1] and "working capital" in lines[1]
    assert json.loads((tmp_path / "summary.json").read_text())["mode"] == "individual"
    shown = invoke("show", tmp_path)
    assert "individual mode" in shown.output.splitlines()[0] and "small_charity: " in shown.output


def test_validate_lists_every_path_with_its_value():
    out = invoke("validate", DEFAULT_SCENARIO)
    assert out.exit_code == 0
    assert f"  {CHARITY_UPFRONT} = 0.7" in out.output.splitlines()
    assert "  segments.short_custody.share = 0.25" in out.output.splitlines()
    assert "key paths" not in invoke("validate", DEFAULT_SCENARIO, "--brief").output


def test_ctrl_c_says_how_much_was_kept_and_how_to_resume(tmp_path):
    out = tmp_path / "out"
    sims = 40 * BLOCK_SIZE * CHUNK_BLOCKS
    args = ["run", str(DEFAULT_SCENARIO), "--sims", str(sims), "--out", str(out), "--no-monthly"]
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((out / ".partial").glob("chunk_*.npz"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    kept = len(list((out / ".partial").glob("chunk_*.npz"))) * BLOCK_SIZE * CHUNK_BLOCKS
    assert f"interrupted: {kept:,} of {sims:,} simulations are kept in {out / '.partial'}" in err
    command = err.split("continue with: ")[1].strip()
    assert command.startswith("pbrsim run ") and command.endswith("--resume") and "Traceback" not in err
    resumed = subprocess.run([sys.executable, "-m", "simulator.cli", *command.split()[1:]], capture_output=True,
                             text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "summary.json").read_text())["sims"] == sims


def _interrupted_run(tmp_path, chunks_before: int):
    """A long run of the default scenario, started and signalled once ``chunks_before`` chunks are saved."""
    out = tmp_path / "out"
    sims = 400 * BLOCK_SIZE * CHUNK_BLOCKS
    args = ["run", str(DEFAULT_SCENARIO), "--sims", str(sims), "--out", str(out), "--no-monthly", "--allow-long"]
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((out / ".partial").glob("chunk_*.npz"))) < chunks_before:
        time.sleep(0.01)
    return proc, out, len(list((out / ".partial").glob("chunk_*.npz")))


def test_a_first_ctrl_c_keeps_the_chunk_in_progress(tmp_path):
    proc, out, saved_at_signal = _interrupted_run(tmp_path, 3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stopping when the chunk of simulations in progress is saved" in err and "Traceback" not in err
    assert len(list((out / ".partial").glob("chunk_*.npz"))) >= saved_at_signal + 1


def test_a_second_ctrl_c_stops_at_once(tmp_path):
    proc, _, _ = _interrupted_run(tmp_path, 3)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err, err
