"""Sweeps: grid specs, common random numbers, the tidy table, resuming, refusals, the CLI."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from simulator import ScenarioError, scenario_from_dict, simulate
from simulator.cli import main
from simulator.errors import OutputError
from simulator.folders import PARTIAL_DIR
from simulator.studies.grid import Vary, grid, parse_vary
from simulator.studies.sweep import CHECKPOINT_FILE, CSV_FILE, PARQUET_FILE, SweepSpec, run_sweep

from .conftest import DEFAULT_SCENARIO

UPFRONT = "supply_chain.subcontractors.1.upfront_share"


def spec(values=(0.6, 0.7, 0.8), sims=200, **kw):
    return SweepSpec(str(DEFAULT_SCENARIO), (Vary(UPFRONT, tuple(values)),), sims, 5, **kw)


@pytest.mark.parametrize("arg, key, values", [
    (f"{UPFRONT}=0.5:1.0:6", UPFRONT, (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
    ("timeline.processing_lag_months=0:12:5", "timeline.processing_lag_months", (0, 3, 6, 9, 12)),
    ("a.b=1,2.5,true", "a.b", (1, 2.5, True)),
    ("payment.pbr.trigger=significant,\"any_improvement\"", "payment.pbr.trigger", ("significant", "any_improvement")),
    ("effect.binary_points={dist=\"fixed\", value=0.0}", "effect.binary_points", ({"dist": "fixed", "value": 0.0},)),
    ("x=0.3", "x", (0.3,)),
])
def test_parse_vary(arg, key, values):
    assert parse_vary(arg) == Vary(key, values)


@pytest.mark.parametrize("arg, words", [
    ("x", "missing '='"), ("x=1:2", "three parts"), ("x=1:2:1", "STEPS must be a whole number >= 2"),
    ("x=a:2:3", "'a' is not a number"), ("x=1,,2", "empty value"), ("x=1,1", "twice"),
])
def test_bad_vary_specs(arg, words):
    with pytest.raises(ScenarioError, match=words) as err:
        parse_vary(arg)
    assert "expected KEY=LOW:HIGH:STEPS" in str(err.value)


def test_grid_is_every_combination():
    points = grid([Vary("a", (1, 2)), Vary("b", (3, 4, 5))])
    assert len(points) == 6 and points[0] == {"a": 1, "b": 3} and points[-1] == {"a": 2, "b": 5}
    with pytest.raises(ScenarioError, match="given twice"):
        grid([Vary("a", (1,)), Vary("a", (2,))])


def test_sweep_table_and_common_random_numbers(tmp_path, default_raw):
    result = run_sweep(spec(), tmp_path / "s")
    table = result.table
    assert list(table.columns[:3]) == ["point", UPFRONT, "party"]
    assert len(table) == 9 and set(table["party"]) == {"prime", "regional_provider", "small_charity"}
    assert (tmp_path / "s" / CSV_FILE).exists() and (tmp_path / "s" / PARQUET_FILE).exists()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s" / PARQUET_FILE), table)
    # the point at the file's own value (0.7) is exactly a plain run with the same seed
    plain = simulate(scenario_from_dict(default_raw), sims=200, seed=5).summary()["parties"]["small_charity"]
    row = table[(table[UPFRONT] == 0.7) & (table["party"] == "small_charity")].iloc[0]
    assert row["npv_gbp_mean"] == plain["npv_gbp"]["mean"] and row["prob_loss"] == plain["prob_loss"]
    # common random numbers: more upfront never raises the charity's chance of running out
    charity = table[table["party"] == "small_charity"].sort_values(UPFRONT)
    assert charity["prob_reserves_exhausted"].is_monotonic_decreasing


class Interrupt(Exception):
    pass


def stop_after(n):
    from simulator.studies.sweep import in_process

    def runner(tasks, raw, s):
        for i, item in enumerate(in_process(tasks, raw, s)):
            if i == n:
                raise Interrupt
            yield item
    return runner


def test_interrupted_sweep_resumes_and_matches(tmp_path):
    full = run_sweep(spec(values=(0.5, 0.6, 0.7, 0.8, 0.9)), tmp_path / "full")
    with pytest.raises(Interrupt):
        run_sweep(spec(values=(0.5, 0.6, 0.7, 0.8, 0.9)), tmp_path / "cut", runner=stop_after(2))
    assert len((tmp_path / "cut" / PARTIAL_DIR / CHECKPOINT_FILE).read_text().splitlines()) == 2
    assert not (tmp_path / "cut" / CSV_FILE).exists()
    with open(tmp_path / "cut" / PARTIAL_DIR / CHECKPOINT_FILE, "a") as f:
        f.write('{"point": 4, "params": {"supply')  # a line cut short by a kill
    again = run_sweep(spec(values=(0.5, 0.6, 0.7, 0.8, 0.9)), tmp_path / "cut")
    assert (again.resumed, again.computed) == (2, 3)
    pd.testing.assert_frame_equal(again.table, full.table, check_exact=True)
    assert (tmp_path / "cut" / CSV_FILE).read_bytes() == (tmp_path / "full" / CSV_FILE).read_bytes()
    points = [json.loads(line)["point"] for line in (tmp_path / "cut" / CHECKPOINT_FILE).read_text().splitlines()]
    assert sorted(points) == [0, 1, 2, 3, 4]


def test_other_arguments_are_refused_without_force(tmp_path):
    run_sweep(spec(), tmp_path / "s")
    before = (tmp_path / "s" / CSV_FILE).read_bytes()
    with pytest.raises(OutputError, match="different arguments.*--force"):
        run_sweep(spec(sims=100), tmp_path / "s")
    assert (tmp_path / "s" / CSV_FILE).read_bytes() == before
    again = run_sweep(spec(sims=100), tmp_path / "s", force=True)
    assert again.computed == 3


def test_bad_point_writes_nothing(tmp_path):
    with pytest.raises(ScenarioError, match=r"upfront_share' must be in \[0, 1\] \(got 1.5\)"):
        run_sweep(spec(values=(0.5, 1.5)), tmp_path / "s")
    assert not (tmp_path / "s").exists()


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_two_key_sweep_with_stress_and_heatmap(tmp_path):
    out = tmp_path / "s"
    result = invoke("sweep", DEFAULT_SCENARIO, "--vary", f"{UPFRONT}=0.6,0.9", "--vary",
                    "supply_chain.subcontractors.1.reserves_gbp=250000,500000", "--stress", "volume_down_30",
                    "--sims", 150, "--out", out, "--plot", "prob_reserves_exhausted", "--quiet",
                    "--party", "small_charity")
    assert result.exit_code == 0, result.output
    assert "4 points x 150 simulations" in result.output and "small_charity" in result.output
    assert "regional_provider" not in result.output
    assert (out / "sweep_prob_reserves_exhausted.png").stat().st_size > 1000
    table = pd.read_csv(out / CSV_FILE)
    assert len(table) == 12


@pytest.mark.parametrize("args, words", [
    (["--vary", "volume.factr_mean=1,2"], "'volume.factr_mean' is not a scenario key"),
    (["--vary", "volume.factor_mean=1:2"], "three parts"),
    (["--vary", "volume.factor_mean=-1,1"], "'volume.factor_mean' must be a number > 0 and <= 1e+09 (got -1.0)"),
    (["--vary", "volume.factor_mean=1", "--plot", "nope"], "'nope' is not a metric"),
    (["--vary", "volume.factor_mean=1", "--scheduler", "nowhere"], "--scheduler: 'nowhere' is not understood"),
    (["--vary", "volume.factor_mean=1", "--stress", "nope"], "no stress named 'nope'"),
    (["--vary", "volume.factor_mean=1", "--party", "charity"], "'charity' is not a party of this scenario"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, args, words):
    result = invoke("sweep", DEFAULT_SCENARIO, "--sims", 50, "--out", tmp_path / "s", *args)
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_killed_sweep_resumes_without_loss(tmp_path):
    """Kill a real `pbrsim sweep` process mid-way, restart it, compare with an uninterrupted run."""
    args = [sys.executable, "-m", "simulator.cli", "sweep", str(DEFAULT_SCENARIO), "--vary",
            "payment.pbr.binary_gbp_per_point_per_offender=20:80:25", "--sims", "1500", "--seed", "3",
            "--plot", "none", "--quiet"]
    cut = tmp_path / "cut"
    proc = subprocess.Popen(args + ["--out", str(cut)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    checkpoint = cut / PARTIAL_DIR / CHECKPOINT_FILE
    while time.time() < deadline and proc.poll() is None:
        if checkpoint.exists() and len(checkpoint.read_text().splitlines()) >= 3:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(checkpoint.read_text().splitlines())
    assert 3 <= finished < 25 and not (cut / CSV_FILE).exists()
    restart = subprocess.run(args + ["--out", str(cut)], capture_output=True, text=True, timeout=120)
    assert restart.returncode == 0, restart.stderr
    assert f"{25 - finished} run now, {finished} from the checkpoint" in restart.stdout
    full = subprocess.run(args + ["--out", str(tmp_path / "full")], capture_output=True, text=True, timeout=120)
    assert full.returncode == 0, full.stderr
    assert (cut / CSV_FILE).read_bytes() == (tmp_path / "full" / CSV_FILE).read_bytes()
    points = [json.loads(line)["point"] for line in (cut / CHECKPOINT_FILE).read_text().splitlines()]
    assert sorted(points) == list(range(25)) and not (cut / PARTIAL_DIR).exists()
