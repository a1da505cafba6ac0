"""Stress presets and [stress.NAME] tables: what each changes, validation, and `run --stress`."""

import numpy as np
import pytest
from click.testing import CliRunner

from simulator import ScenarioError, scenario_from_dict, simulate
from simulator.cli import main
from simulator.scenario import apply_stresses, load_stressed
from simulator.scenario.stress import PRESETS

from .conftest import DEFAULT_SCENARIO


def _summary(raw, sims=200, seed=3):
    return simulate(scenario_from_dict(raw), sims=sims, seed=seed, keep_monthly=False,
                    keep_components=False).summary()


def test_presets_change_what_they_say(default_raw):
    base = scenario_from_dict(default_raw)
    sc = {name: scenario_from_dict(apply_stresses(default_raw, [name])) for name in PRESETS}
    assert sc["volume_down_30"].areas[0].volume.factor_mean == pytest.approx(0.7 * base.areas[0].volume.factor_mean)
    assert sc["zero_effect"].effect.binary_points.params() == (0, 0.0, 0.0)
    assert sc["zero_effect"].effect.frequency_relative.params() == (0, 0.0, 0.0)
    assert sc["common_shock_plus_2"].uncertainty.common_shock_points_mean == base.uncertainty.common_shock_points_mean + 2
    assert sc["payment_delay_6m"].timeline.processing_lag_months == base.timeline.processing_lag_months + 6
    assert "[stress: payment_delay_6m]" in sc["payment_delay_6m"].name


def test_stresses_compound_in_order(default_raw):
    sc = scenario_from_dict(apply_stresses(default_raw, ["volume_down_30", "volume_down_30"]))
    assert sc.areas[0].volume.factor_mean == pytest.approx(0.9 * 0.49)


def test_common_shock_raises_reoffending_two_points(default_raw):
    # same seed on both sides (common random numbers): per-simulation differences are the shock
    # plus a little binomial noise; the tolerance is 4 standard errors of their mean
    base = simulate(scenario_from_dict(default_raw), sims=400, seed=7, keep_monthly=False, keep_components=False)
    shocked = simulate(scenario_from_dict(apply_stresses(default_raw, ["common_shock_plus_2"])), sims=400, seed=7,
                       keep_monthly=False, keep_components=False)
    diff = (shocked.arrays["cohort_binary"] - base.arrays["cohort_binary"])[:, 0, :].mean(axis=1)
    assert abs(diff.mean() - 0.02) < 4 * diff.std(ddof=1) / np.sqrt(len(diff))


def test_zero_effect_has_no_true_effect(default_raw):
    effect = _summary(apply_stresses(default_raw, ["zero_effect"]))["true_effect"]
    assert effect["binary_points"]["p95"] == 0.0 and effect["frequency_relative"]["p5"] == 0.0


def _with_stress(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(DEFAULT_SCENARIO.read_text() + "\n" + text)
    return path


def test_user_stress_tables_with_quoted_or_dotted_keys(tmp_path):
    path = _with_stress(tmp_path, '[stress.half_effect]\n"effect.binary_points.mean" = 0.5\n'
                                  'supply_chain.subcontractors.1.upfront_share = 0.9\n')
    sc, _ = load_stressed(path, ["half_effect", "payment_delay_6m"])
    assert sc.effect.binary_points.mean == 0.5
    assert sc.areas[0].supply_chain.subcontractors[1].upfront_share == 0.9
    assert sc.timeline.processing_lag_months == 9


@pytest.mark.parametrize("text, words", [
    ('[stress.bad]\n"volume.factor_mean" = -1\n', ["'stress.bad: volume.factor_mean'", "> 0", "-1"]),
    ('[stress.bad]\n"volume.factr_mean" = 1\n', ["'stress.bad: volume.factr_mean'", "did you mean 'factor_mean'"]),
    ('[stress.zero_effect]\n"volume.factor_mean" = 1\n', ["'stress.zero_effect'", "built-in preset name"]),
    ('stress = 3\n', ["'stress'"]),
])
def test_bad_user_stresses_are_rejected_at_load(tmp_path, text, words):
    path = _with_stress(tmp_path, text) if not text.startswith("stress =") else tmp_path / "s.toml"
    if text.startswith("stress ="):
        base = DEFAULT_SCENARIO.read_text()
        path.write_text(text + base.split("\n[stress.")[0])  # the file's own [stress.*] tables would clash
    with pytest.raises(ScenarioError) as err:
        load_stressed(path)
    for word in words:
        assert word in str(err.value)


def test_unknown_stress_lists_the_available_ones(default_raw):
    with pytest.raises(ScenarioError, match="no stress named 'nope'.*volume_down_30.*payment_delay_6m"):
        apply_stresses(default_raw, ["nope"], source="f.toml")


def test_run_with_stress(tmp_path):
    out = tmp_path / "res"
    result = CliRunner().invoke(main, ["run", str(DEFAULT_SCENARIO), "--sims", "100", "--out", str(out),
                                       "--stress", "volume_down_30", "--stress", "zero_effect", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "[stress: volume_down_30, zero_effect]" in result.output
    bad = CliRunner().invoke(main, ["run", str(DEFAULT_SCENARIO), "--sims", "100", "--out", str(tmp_path / "b"),
                                    "--stress", "nope"])
    assert bad.exit_code == 2 and "no stress named 'nope'" in bad.output
    assert not (tmp_path / "b").exists()
