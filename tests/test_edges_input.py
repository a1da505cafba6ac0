"""Bad input at the edges: one line `pbrsim: error: ...`, exit 2, nothing written, never a traceback.

Usage errors of click, seeds out of range, a FIFO as the scenario, deeply nested TOML, long
names, control characters, an empty --out, files that would be overwritten, work too big to
start, and escape sequences that must never reach the terminal raw.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from simulator import load_scenario, simulate

from .conftest import ANALYTIC_SCENARIO, DEFAULT_SCENARIO
from .resultstate import invoke, run_process

BASE = ANALYTIC_SCENARIO.read_text()


def one_line_error(result, *fragments) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pbrsim: error: "), result.output
    assert "Traceback" not in result.output and "Usage:" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.mark.parametrize("args, fragment", [
    (["run", ANALYTIC_SCENARIO, "--sims", 0], "'--sims'"),
    (["run", ANALYTIC_SCENARIO, "--seed", -1], "'--seed'"),
    (["run", ANALYTIC_SCENARIO, "--seed", 2**64], "'--seed'"),
    (["run", ANALYTIC_SCENARIO, "--seed", 2**63], "'--seed'"),
    (["sweep", ANALYTIC_SCENARIO, "--vary", "volume.factor_mean=1", "--seed", 2**63], "'--seed'"),
    (["breakeven", ANALYTIC_SCENARIO, "--solve", "x", "--target", "prime.prob_loss<=0.1", "--seed", -5], "'--seed'"),
    (["run"], "Missing argument 'SCENARIO'"),
    (["run", ANALYTIC_SCENARIO, "--no-such-option"], "--no-such-option"),
    (["no-such-command"], "no-such-command"),
    (["run", ANALYTIC_SCENARIO, "--mode", "sideways"], "'--mode'"),
])
def test_click_usage_errors_are_one_line(tmp_path, args, fragment):
    one_line_error(invoke(*args, "--out", tmp_path / "o") if args[0] == "run" and len(args) > 1 else invoke(*args),
                   fragment)
    assert not (tmp_path / "o").exists()


def test_the_largest_seed_runs_and_reads_back(tmp_path):
    out = tmp_path / "o"
    assert invoke("run", ANALYTIC_SCENARIO, "--sims", 20, "--seed", 2**63 - 1, "--out", out).exit_code == 0
    shown = invoke("show", out)
    assert shown.exit_code == 0, shown.output
    with pytest.raises(ValueError, match="seed"):
        simulate(load_scenario(ANALYTIC_SCENARIO), sims=10, seed=2**64)


def test_installed_command_formats_usage_errors_too():
    proc = run_process("run", ANALYTIC_SCENARIO, "--sims", "0")
    assert proc.returncode == 2 and proc.stderr.startswith("pbrsim: error: ") and len(proc.stderr.splitlines()) == 1


def test_a_fifo_as_the_scenario_is_refused_at_once(tmp_path):
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    start = time.monotonic()
    proc = run_process("validate", fifo, timeout=60)
    assert time.monotonic() - start < 30
    assert proc.returncode == 2 and "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("text, rule", [
    ("x = " + "[" * 5000 + "]" * 5000, "nests tables or arrays too deeply"),
    ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "nests tables or arrays too deeply"),
    (BASE + "\n[stress.deep]\n\"volume.factor_mean\" = " + "[" * 3000 + "]" * 3000, "nests tables or arrays too deeply"),
    (BASE + "\n[stress.deep]\n\"volume.factor_mean\" = " + "[" * 60 + "]" * 60,
     "'stress.deep.volume.factor_mean[0][0]"),
])
def test_deeply_nested_toml_is_one_line(tmp_path, text, rule):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    one_line_error(invoke("run", path, "--sims", 10, "--out", tmp_path / "o"), str(path), rule, "nest")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("old, new, fragments", [
    ('name = "charity"', f'name = "{"c" * 65}"', ["supply_chain.subcontractors[0].name", "at most 64 characters"]),
    ('name = "analytic: binomial cohort, no effect"', 'name = "red \\u001b[31m alert"',
     ["'name' must not contain control characters", "\\x1b"]),
    ('name = "analytic: binomial cohort, no effect"', 'description = "bell \\u0007"',
     ["'description' must not contain control characters"]),
    ('name = "analytic: binomial cohort, no effect"', 'name = "invoice \\u202egpj.exe"',
     ["'name' must not contain control characters", "\\u202e"]),
])
def test_names_are_bounded_and_free_of_control_characters(tmp_path, old, new, fragments):
    path = tmp_path / "s.toml"
    assert old in BASE
    path.write_text(BASE.replace(old, new))
    one_line_error(invoke("run", path, "--sims", 10, "--out", tmp_path / "o"), *fragments)
    assert not (tmp_path / "o").exists()


def test_stress_names_are_bounded_and_checked(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(BASE + f'\n[stress.{"s" * 65}]\n"volume.factor_mean" = "*0.7"\n')
    one_line_error(invoke("validate", path), "at most 64 characters")
    path.write_text(BASE + '\n[stress."bad\\u001bname"]\n"volume.factor_mean" = "*0.7"\n')
    one_line_error(invoke("validate", path), "control character")


def test_escape_sequences_never_reach_the_terminal_raw(tmp_path):
    out = tmp_path / "r\x1b[2Jx"
    result = invoke("run", ANALYTIC_SCENARIO, "--sims", 20, "--out", out)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "r\\x1b[2Jx" in result.output
    bad = tmp_path / "s\x1b]0;owned\x07.toml"
    result = invoke("validate", bad)
    assert result.exit_code == 2 and "\x1b" not in result.output and "\x07" not in result.output


@pytest.mark.parametrize("command", [
    ["run", ANALYTIC_SCENARIO, "--sims", 10],
    ["sweep", ANALYTIC_SCENARIO, "--vary", "volume.factor_mean=1", "--sims", 10],
])
def test_an_empty_out_is_refused(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    one_line_error(invoke(*command, "--out", ""), "--out")
    assert list(tmp_path.iterdir()) == []


def test_the_current_folder_is_not_an_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_line_error(invoke("run", ANALYTIC_SCENARIO, "--sims", 10, "--out", "."), "current folder")
    assert list(tmp_path.iterdir()) == []


def test_breakeven_json_never_overwrites_without_force(tmp_path):
    target = tmp_path / "my.toml"
    target.write_text(BASE)
    args = ("breakeven", ANALYTIC_SCENARIO, "--solve", "payment.fee_for_service.rate_gbp", "--target",
            "prime.prob_loss<=0.5", "--range", "0:2000", "--sims", 50, "--grid", 3, "--json", target)
    one_line_error(invoke(*args), "already exists", "--force")
    assert target.read_text() == BASE
    forced = invoke(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert '"evaluations"' in target.read_text()


def test_a_finished_sweep_is_not_overwritten_without_force(tmp_path):
    args = ("sweep", ANALYTIC_SCENARIO, "--vary", "volume.factor_mean=0.9,1.1", "--sims", 50, "--out", tmp_path / "s",
            "--quiet")
    assert invoke(*args).exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "s").iterdir()}
    one_line_error(invoke(*args), "already holds this sweep", "--force")
    assert {p.name: p.read_bytes() for p in (tmp_path / "s").iterdir()} == before
    again = invoke(*args, "--force")
    assert again.exit_code == 0 and "0 run now, 2 from the checkpoint" in again.output


def test_files_pbrsim_did_not_write_are_never_replaced(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    one_line_error(invoke("run", ANALYTIC_SCENARIO, "--sims", 10, "--out", out, "--force"), "notes.txt")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_huge_individual_runs_are_refused_before_they_start(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(BASE.replace("contracted_cases_per_month = 100", "contracted_cases_per_month = 1000000"))
    start = time.monotonic()
    proc = run_process("run", path, "--mode", "individual", "--sims", 20000, "--no-monthly", "--out", tmp_path / "o",
                       timeout=90)
    assert time.monotonic() - start < 60
    assert proc.returncode == 2 and "--allow-long" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("varies, fragment", [
    (["a.b=0:1:1000", "c.d=0:1:1000", "e.f=0:1:1000"], "1,000,000,000 points"),
    (["volume.factor_mean=0.5:1.5:1000", "uncertainty.common_shock_points_sd=0:2:600"], "--allow-long"),
])
def test_huge_sweeps_are_refused_before_any_point_is_checked(tmp_path, varies, fragment):
    args = [a for v in varies for a in ("--vary", v)]
    start = time.monotonic()
    try:
        proc = run_process("sweep", DEFAULT_SCENARIO, *args, "--out", tmp_path / "s", timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the sweep was not refused within 60 s")
    assert time.monotonic() - start < 30
    assert proc.returncode == 2 and fragment in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "s").exists()


def test_a_deeply_nested_upload_to_the_app_is_one_error():
    from simulator.app.explore import load_text
    from simulator.errors import ScenarioError

    for text in ("x = " + "[" * 5000 + "]" * 5000, 'name = "a\\u001b[2Jb"\n'):
        with pytest.raises(ScenarioError, match="^upload.toml: "):
            load_text(text, "upload.toml")
