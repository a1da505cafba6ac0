"""The incentives study: the SMF (2013) finding in the TR-style example, and a design without it."""

import math

import numpy as np
import pytest

from simulator import ScenarioError, load_scenario
from simulator.studies.designs import variants
from simulator.studies.incentives import ALL_SEGMENTS, BEST, incentives, provider

from .conftest import DEFAULT_SCENARIO, SCENARIOS

INCENTIVES = SCENARIOS / "incentives_tr.toml"


@pytest.fixture(scope="module")
def tr_and_no_dead_band():
    designs = variants([INCENTIVES], stresses=["no_dead_band"])
    return incentives(designs, multipliers=(0.6, 0.8, 1.0, 1.2), sims=1000, seed=7)


def test_the_tr_design_rewards_cutting_spend_and_letting_reoffending_rise(tr_and_no_dead_band):
    """SMF (2013): cutting costs while reoffending rises up to ~3 points paid better, because of the dead band."""
    a = tr_and_no_dead_band.answers()["incentives_tr"]
    assert a["rewards_cutting"]
    best, contracted = a["best_uniform"], a["contracted"]
    assert best["multiplier"] < 1.0
    assert best["npv_gain_gbp"] > 2 * best["npv_gain_se"] > 0
    assert best["true_effect_points"] < contracted["true_effect_points"]  # the cut costs real reoffending
    assert 0.0 < best["binary_vs_baseline_points"] <= 3.0  # reoffending ends above the baseline, by up to 3 points


def test_without_the_dead_band_cutting_spend_does_not_pay(tr_and_no_dead_band):
    a = tr_and_no_dead_band.answers()["incentives_tr [stress: no_dead_band]"]
    assert not a["rewards_cutting"]
    assert a["best_uniform"]["multiplier"] == 1.0
    assert a["lowest_uniform"]["npv_gain_gbp"] < -2 * a["lowest_uniform"]["npv_gain_se"]


def test_one_price_per_point_invites_parking_the_dearest_segment(tr_and_no_dead_band):
    """Short custody costs most per point of effect: with one price per point, both designs reward cutting it."""
    for a in tr_and_no_dead_band.answers().values():
        assert a["hardest_segment"] == "short_custody" and a["easiest_segment"] == "community_lower_risk"
        assert a["rewards_parking_hardest"]
        assert a["rewards_concentrating_on_easiest"]


def test_the_table_and_the_npv_maximising_point(tr_and_no_dead_band):
    t = tr_and_no_dead_band.to_frame()
    assert set(t["series"]) == {ALL_SEGMENTS, BEST, "community_lower_risk", "community_higher_risk", "short_custody"}
    contracted = t[(t.series == ALL_SEGMENTS) & (t.multiplier == 1.0)]
    assert (contracted["npv_gain_gbp"] == 0).all() and (contracted["npv_gain_se"] == 0).all()
    # at the contracted spend the curves give 0.45 x 1.5 + 0.30 x 1.0 + 0.25 x 0.8 = 1.175 points
    assert contracted["true_effect_points"].iloc[0] == pytest.approx(1.175)
    best = t[t.series == BEST]
    for _, r in best.iterrows():
        rows = t[t.design == r.design]
        assert r.npv_gbp_mean >= rows[rows.series != BEST]["npv_gbp_mean"].max() - 3 * r.npv_gain_se
    assert math.isnan(best["multiplier"].iloc[0])
    assert tr_and_no_dead_band.plot().get_title().startswith("Does the design reward cutting spend?")


def test_a_scenario_without_spend_curves_is_refused():
    with pytest.raises(ScenarioError, match="spend_effect"):
        provider(load_scenario(DEFAULT_SCENARIO), "prime")
    with pytest.raises(ScenarioError, match="not a delivering party"):
        provider(load_scenario(INCENTIVES), "nobody")


def test_spend_per_segment_reads_party_overrides():
    p = provider(load_scenario(INCENTIVES), "prime")
    assert p.spend == (900.0, 1600.0, 2000.0)
    assert np.dot(p.shares, p.spend) == pytest.approx(1385.0)
