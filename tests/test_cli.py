"""The CLI end to end: outputs, refusal to overwrite, and every class of bad input."""

import gc
import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from simulator.cli import main

from .conftest import ANALYTIC_SCENARIO, DEFAULT_SCENARIO

REQUIRED_PARTY_KEYS = {
    "npv_gbp", "prob_loss", "cvar_5_gbp", "peak_funding_gbp", "prob_reserves_exhausted",
    "pbr_share_of_revenue", "first_pbr_cash_month",
}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_writes_summary_and_sims(tmp_path):
    out = tmp_path / "res"
    result = invoke("run", DEFAULT_SCENARIO, "--sims", 300, "--seed", 7, "--out", out, "--keep-monthly")
    assert result.exit_code == 0, result.output
    for party in ("prime", "regional_provider", "small_charity"):
        assert party in result.output
    assert "commissioner total outlay" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sims"] == 300 and summary["seed"] == 7 and summary["scenario"]
    assert set(summary["parties"]) == {"prime", "regional_provider", "small_charity"}
    for metrics in summary["parties"].values():
        assert REQUIRED_PARTY_KEYS <= set(metrics)
        assert set(metrics["npv_gbp"]) >= {"mean", "se_mean", "p5", "p50", "p95"}
        assert set(metrics["peak_funding_gbp"]) >= {"mean", "p95"}
    assert set(summary["commissioner"]["total_paid_gbp"]) >= {"mean", "p5", "p95"}
    prov = summary["provenance"]
    assert len(prov["scenario_sha256"]) == 64 and prov["seed"] == 7
    assert prov["numpy_version"] == np.__version__ and prov["numba_version"] and prov["pbrsim_version"]
    with np.load(out / "sims.npz") as z:
        assert list(z["party_names"]) == ["prime", "regional_provider", "small_charity"]
        assert z["monthly_net_gbp"].shape[:2] == (300, 3)
        assert z["commissioner_paid_gbp"].shape == (300, z["monthly_net_gbp"].shape[2])
        # the printed figures are the simulation's: NPV mean recomputed from the monthly flows
        npv = (z["monthly_net_gbp"][:, 0, :] * (1.035 ** (-np.arange(z["monthly_net_gbp"].shape[2]) / 12))).sum(1)
        assert summary["parties"]["prime"]["npv_gbp"]["mean"] == pytest.approx(npv.mean(), rel=1e-9)
    assert not list(out.glob(".*tmp"))


def test_existing_results_are_not_overwritten_without_force(tmp_path):
    out = tmp_path / "res"
    assert invoke("run", ANALYTIC_SCENARIO, "--sims", 50, "--out", out).exit_code == 0
    before = (out / "summary.json").read_bytes()
    again = invoke("run", ANALYTIC_SCENARIO, "--sims", 60, "--out", out)
    assert again.exit_code == 2
    assert "--force" in again.output and "Traceback" not in again.output
    assert (out / "summary.json").read_bytes() == before
    forced = invoke("run", ANALYTIC_SCENARIO, "--sims", 60, "--out", out, "--force")
    assert forced.exit_code == 0
    assert json.loads((out / "summary.json").read_text())["sims"] == 60


def test_show_prints_saved_results(tmp_path):
    out = tmp_path / "res"
    invoke("run", ANALYTIC_SCENARIO, "--sims", 50, "--out", out)
    shown = invoke("show", out)
    assert shown.exit_code == 0 and "charity" in shown.output


BASE = ANALYTIC_SCENARIO.read_text()

BAD_INPUTS = {
    # name: (scenario text or None for a missing file, expected fragments of the message)
    "missing file": (None, ["not found"]),
    "broken toml": (BASE + "\n[timeline\n", ["not valid TOML"]),
    "unknown key": (BASE.replace("upfront_share = 0.8", "upfront_shar = 0.8"),
                    ["supply_chain.subcontractors[0].upfront_shar", "not a known key", "upfront_share"]),
    "wrong type": (BASE.replace("contracted_cases_per_month = 100", 'contracted_cases_per_month = "lots"'),
                   ["volume.contracted_cases_per_month", "must be a number", "'lots'"]),
    "rate above 1": (BASE.replace("binary_rate = 0.4", "binary_rate = 1.7"),
                     ["segments[0].binary_rate", "must be in [0, 1]", "1.7"]),
    "shares over 100%": (BASE.replace("caseload_share = 0.2", "caseload_share = 0.2\n")
                         + "\n[[supply_chain.subcontractors]]\nname = \"other\"\ncaseload_share = 0.9\n",
                         ["supply_chain", "add up to 1.1", "more than 1"]),
    "negative money": (BASE.replace("reserves_gbp = 5000", "reserves_gbp = -5000"),
                       ["supply_chain.subcontractors[0].reserves_gbp", "in [0, 1e+12]", "-5000"]),
    "negative months": (BASE.replace("conviction_wait_months = 6", "conviction_wait_months = -6"),
                        ["timeline.conviction_wait_months", "in [0, 1200]", "-6"]),
    "segment shares": (BASE.replace("share = 1.0", "share = 0.8"), ["segments", "add up to 1"]),
    "empty file": ("", ["'segments' is required"]),
    "not a number (nan)": (BASE.replace("binary_rate = 0.4", "binary_rate = nan"), ["segments[0].binary_rate", "nan"]),
    "infinite money": (BASE.replace("rate_gbp = 500", "rate_gbp = inf"), ["fee_for_service.rate_gbp", "inf"]),
    "array for a table": ("volume = [1, 2]\n" + BASE.replace("[volume]\ncontracted_cases_per_month = 100", ""),
                          ["'volume' must be a table"]),
    "too many months": (BASE.replace("term_months = 36", "term_months = 99999999"), ["timeline.term_months", "1200"]),
    "effect key that does not apply": (BASE.replace('binary_points = { dist = "fixed", value = 0.0 }',
                                                    'binary_points = { mean = 2.0 }'),
                                       ["effect.binary_points.mean", "does not apply to dist = 'fixed'"]),
    "bad choice": (BASE.replace('trigger = "any_improvement"', 'trigger = "sometimes"'),
                   ["payment.pbr.trigger", "'significant'", "'sometimes'"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_clear_message_and_writes_nothing(tmp_path, case):
    text, fragments = BAD_INPUTS[case]
    path = tmp_path / "scenario.toml"
    if text is not None:
        path.write_text(text)
    out = tmp_path / "res"
    result = invoke("run", path, "--sims", 10, "--out", out)
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith(f"pbrsim: error: {path}")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert not out.exists()


def test_installed_entry_point_reports_errors_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(tmp_path / "none.toml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "not found" in proc.stderr


def test_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = invoke("run", ANALYTIC_SCENARIO, "--sims", 10, "--out", target)
    assert result.exit_code == 2 and "not a folder" in result.output


def test_a_single_simulation_writes_valid_json_with_empty_standard_errors(tmp_path):
    out = tmp_path / "one"
    assert invoke("run", ANALYTIC_SCENARIO, "--sims", 1, "--out", out).exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["parties"]["prime"]["npv_gbp"]["se_mean"] is None


def test_a_run_too_big_for_memory_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "big"
    result = invoke("run", DEFAULT_SCENARIO, "--sims", 10**11, "--out", out)
    assert result.exit_code == 2 and "GiB" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_output_under_a_file_is_an_error_not_a_traceback(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = invoke("run", ANALYTIC_SCENARIO, "--sims", 10, "--out", tmp_path / "afile" / "sub")
    assert result.exit_code == 2 and "Not a directory" in result.output


def test_show_on_a_corrupt_results_file_is_a_clear_error(tmp_path):
    (tmp_path / "sims.npz").write_bytes(b"not a zip")
    result = invoke("show", tmp_path)
    assert result.exit_code == 2 and "not a readable pbrsim results file" in result.output


def test_the_pbrsim_process_freezes_its_imports_and_a_test_runner_does_not():
    """gc.freeze() in the process pbrsim runs in (its full collections then skip what the imports made), never in
    a process that calls the command group with its own arguments (it would keep that process's garbage)."""
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
            "sys.argv = ['pbrsim', '--version']\n"
            "from simulator.cli import main\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out.split("frozen")[1]) > 10_000  # the imports' objects
    before = gc.get_freeze_count()
    assert CliRunner().invoke(main, ["--version"]).exit_code == 0
    assert gc.get_freeze_count() == before
