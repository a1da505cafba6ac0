"""Precision control: runs stop at the first chunk where every named s.e. is met, the same for a seed."""

import numpy as np
import pytest
from click.testing import CliRunner

from simulator import ScenarioError, load_scenario, simulate
from simulator.cli import main
from simulator.studies.precision import Precision, parse_precision, simulate_precise, stopping_se
from simulator.studies.sweep import evaluate_point, metric_columns

from .conftest import DEFAULT_SCENARIO, raw_scenario

OPTS = dict(keep_monthly=False, keep_components=False)


def test_a_precise_run_equals_a_plain_run_of_as_many_simulations():
    sc = load_scenario(DEFAULT_SCENARIO)
    target = Precision("small_charity", "prob_reserves_exhausted", 0.012)
    first = simulate_precise(sc, [target], seed=5, max_sims=20_000, **OPTS)
    again = simulate_precise(sc, [target], seed=5, max_sims=20_000, **OPTS)
    n = first.results.sims
    assert first.met and n % 1024 == 0 and n > 1024 and again.results.sims == n
    plain = simulate(sc, sims=n, seed=5, **OPTS)
    assert all(np.array_equal(plain.arrays[k], first.results.arrays[k]) for k in plain.arrays)
    (_, value, se), = first.estimates
    assert se <= 0.012 and value == pytest.approx(plain.summary()["parties"]["small_charity"]["prob_reserves_exhausted"])
    fewer = simulate(sc, sims=n - 1024, seed=5, **OPTS).summary()["parties"]["small_charity"]
    assert stopping_se(target, fewer["prob_reserves_exhausted"], fewer["prob_reserves_exhausted_se"], n - 1024) > 0.012


def test_max_sims_stops_a_run_that_cannot_meet_its_target():
    sc = load_scenario(DEFAULT_SCENARIO)
    run = simulate_precise(sc, [Precision("prime", "npv_gbp_mean", 1.0)], seed=1, max_sims=1500, **OPTS)
    assert not run.met and run.results.sims == 1500


def test_a_probability_seen_zero_times_does_not_stop_a_run():
    t = Precision("prime", "prob_loss", 0.0005)
    p = 1 / 1026  # the add-one estimate after 0 events in 1,024 simulations
    assert stopping_se(t, 0.0, 0.0, 1024) == pytest.approx((p * (1 - p) / 1024) ** 0.5)
    assert stopping_se(t, 0.0, 0.0, 1024) > t.se


@pytest.mark.parametrize("text, words", [
    ("prime.npv_gbp_mean", "must look like PARTY.METRIC:SE"),
    ("charity.prob_loss:0.01", "does not start with a party name"),
    ("prime.npv_gbp_p5:100", "'npv_gbp_p5' is not a metric with a standard error"),
    ("prime.prob_loss:-1", "must be a number > 0"),
])
def test_bad_precision_targets(text, words):
    with pytest.raises(ScenarioError, match=words):
        parse_precision(text, ["prime", "small_charity"], metric_columns())


def test_sweep_points_run_to_precision():
    raw = {k: v for k, v in raw_scenario(DEFAULT_SCENARIO).items() if k != "stress"}
    rows = evaluate_point(raw, {}, sims=4096, seed=3, source="t", precision=("prime.npv_gbp_mean:150000",))
    assert {r["sims"] for r in rows} == {rows[0]["sims"]} and 1024 <= rows[0]["sims"] <= 4096
    assert rows[0]["npv_gbp_se_mean"] <= 150_000 or rows[0]["sims"] == 4096


def test_cli_run_precision(tmp_path):
    out = tmp_path / "r"
    args = ["run", str(DEFAULT_SCENARIO), "--precision", "prime.npv_gbp_mean:150000", "--max-sims", "5000",
            "--no-monthly", "--quiet", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "precision: every precision target met after" in result.output and "(target s.e. £150,000: met)" in result.output
    bad = CliRunner().invoke(main, [*args[:3], "prime.npv:1", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and bad.output.startswith("pbrsim: error: --precision") and not (tmp_path / "x").exists()
