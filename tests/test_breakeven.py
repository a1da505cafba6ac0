"""Break-even search: target parsing, a closed-form answer, bracket checks and messages."""

import json

import pytest
from click.testing import CliRunner

from simulator import ScenarioError
from simulator.cli import main
from simulator.studies.breakeven import parse_range_option, parse_target, se_column, solve
from simulator.studies.sweep import evaluate_point, metric_columns

from .conftest import ANALYTIC_SCENARIO, DEFAULT_SCENARIO

METRICS = [m for m in metric_columns() if not m.startswith("commissioner_")]
UPFRONT = "supply_chain.subcontractors.1.upfront_share"


def test_parse_target():
    t = parse_target("small_charity.prob_reserves_exhausted<=0.01", ["prime", "small_charity"], METRICS)
    assert (t.party, t.metric, t.op, t.value) == ("small_charity", "prob_reserves_exhausted", "<=", 0.01)
    t = parse_target(" north.prime.npv_gbp.mean >= -1e6 ", ["north.prime", "south.prime"], METRICS)
    assert (t.party, t.metric, t.op, t.value) == ("north.prime", "npv_gbp_mean", ">=", -1e6)
    assert t.met(0.0) and not t.met(-2e6)


@pytest.mark.parametrize("text, words", [
    ("prime.prob_loss=0.1", "must look like PARTY.METRIC<=VALUE"),
    ("prime.prob_loss<0.1", "must look like"),
    ("charity.prob_loss<=0.1", "does not start with a party name (parties: prime, small_charity)"),
    ("prime.prob_los<=0.1", "'prob_los' is not a metric"),
    ("prime.prob_loss<=ten", "'ten' is not a number"),
])
def test_bad_targets(text, words):
    with pytest.raises(ScenarioError) as err:
        parse_target(text, ["prime", "small_charity"], METRICS)
    assert words in str(err.value) and str(err.value).startswith("--target: ")


def test_se_columns():
    assert se_column("prob_loss", METRICS) == "prob_loss_se"
    assert se_column("npv_gbp_mean", METRICS) == "npv_gbp_se_mean"
    assert se_column("cvar_5_gbp", METRICS) == "cvar_5_se_gbp"
    assert se_column("npv_gbp_p5", METRICS) is None


def test_range_option():
    assert parse_range_option("0.5:1", None, "k") == (0.5, 1.0)
    assert parse_range_option(None, (0.0, 1.0), "k") == (0.0, 1.0)
    for bad in ("1", "a:b", "0:inf"):
        with pytest.raises(ScenarioError, match="LOW:HIGH"):
            parse_range_option(bad, None, "k")
    with pytest.raises(ScenarioError, match="no natural range"):
        parse_range_option(None, None, "k")


def test_linear_npv_gives_the_closed_form_root(analytic_raw):
    # fixed volume, no shocks: the prime's NPV is exactly linear in the fee rate on common
    # random numbers, so the root follows from two evaluations
    key, target = "payment.fee_for_service.rate_gbp", parse_target("prime.npv_gbp_mean>=0", ["prime"], METRICS)
    npv = {x: evaluate_point(analytic_raw, {key: x}, sims=100, seed=2, source="a")[0]["npv_gbp_mean"]
           for x in (0.0, 1000.0)}
    root = -npv[0.0] * 1000.0 / (npv[1000.0] - npv[0.0])
    result = solve(analytic_raw, key, target, low=0.0, high=1000.0, sims=100, seed=2, xtol=0.01)
    assert result.status == "solved" and result.meets_above
    assert result.value == pytest.approx(root, abs=0.02) and result.value >= root - 1e-9
    lo, hi = result.interval
    assert lo <= root <= hi and result.se == pytest.approx((hi - lo) / 3.92)
    assert result.turn() is None


def test_charity_upfront_share_bracket_is_tight(default_raw):
    target = parse_target("small_charity.prob_reserves_exhausted<=0.05", ["small_charity"], METRICS)
    result = solve(default_raw, UPFRONT, target, low=0.5, high=1.0, sims=300, seed=4, xtol=0.005)
    assert result.status == "solved" and result.meets_above
    met = sorted(e.x for e in result.evaluations if e.met)
    missed = sorted(e.x for e in result.evaluations if not e.met)
    assert result.value == met[0] and max(missed) < result.value <= max(missed) + 0.005
    assert result.metric <= 0.05 and result.se is not None and result.se > 0
    assert "values >= " in result.message()


def test_target_met_nowhere_or_everywhere(default_raw):
    nowhere = parse_target("small_charity.prob_reserves_exhausted<=0.01", ["small_charity"], METRICS)
    result = solve(default_raw, UPFRONT, nowhere, low=0.2, high=0.6, sims=200, seed=4, grid=3)
    assert result.status == "none_met" and result.value is None
    assert "no value of supply_chain.subcontractors.1.upfront_share in [0.2, 0.6] meets" in result.message()
    everywhere = parse_target("small_charity.prob_reserves_exhausted<=1", ["small_charity"], METRICS)
    result = solve(default_raw, UPFRONT, everywhere, low=0.2, high=0.6, sims=200, seed=4, grid=3)
    assert result.status == "all_met" and "lies outside the range" in result.message()


def test_whole_number_keys_are_solved_on_whole_numbers(default_raw):
    target = parse_target("small_charity.npv_gbp_mean>=-350000", ["small_charity"], METRICS)
    result = solve(default_raw, "timeline.processing_lag_months", target, low=0, high=24, sims=200, seed=4)
    assert all(isinstance(e.x, int) for e in result.evaluations)
    assert result.status == "solved"
    assert any(e.x == result.value + (-1 if result.meets_above else 1) and not e.met for e in result.evaluations)


def test_cli_breakeven(tmp_path):
    out = tmp_path / "b.json"
    result = CliRunner().invoke(main, ["breakeven", str(DEFAULT_SCENARIO), "--solve", UPFRONT, "--target",
                                       "small_charity.prob_reserves_exhausted<=0.05", "--range", "0.5:1",
                                       "--sims", "200", "--tol", "0.01", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "break-even supply_chain.subcontractors.1.upfront_share = " in result.output
    assert "Monte Carlo standard error of the answer" in result.output and "95% interval" in result.output
    record = json.loads(out.read_text())
    assert record["status"] == "solved" and record["interval_95"][0] < record["value"] < record["interval_95"][1]


def test_money_keys_print_as_pounds_never_in_scientific_notation():
    result = CliRunner().invoke(main, ["breakeven", str(ANALYTIC_SCENARIO), "--solve", "payment.fee_for_service.rate_gbp",
                                       "--target", "prime.npv_gbp_mean>=0", "--range", "0:2000000", "--sims", "50"])
    assert result.exit_code == 0, result.output
    assert "£2,000,000" in result.output and "e+0" not in result.output
    assert "break-even payment.fee_for_service.rate_gbp = £" in result.output


@pytest.mark.parametrize("args, words", [
    (["--solve", UPFRONT, "--target", "prime.prob_loss=0.1"], "must look like"),
    (["--solve", "payment.fee_for_service.rate_gbp", "--target", "prime.prob_loss<=0.1"], "give --range LOW:HIGH"),
    (["--solve", "volume.factr", "--target", "prime.prob_loss<=0.1", "--range", "0:1"], "not a scenario key"),
    (["--solve", UPFRONT, "--target", "prime.prob_loss<=0.1", "--range", "0:2"], "must be in [0, 1] (got 2.0)"),
    (["--solve", UPFRONT, "--target", "prime.prob_loss<=0.1", "--range", "1:0"], "LOW must be less than HIGH"),
])
def test_cli_breakeven_bad_input(args, words):
    result = CliRunner().invoke(main, ["breakeven", str(ANALYTIC_SCENARIO if "fee" in args[1] else DEFAULT_SCENARIO),
                                       "--sims", "50", *args])
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
