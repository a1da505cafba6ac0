"""Scenario loading: defaults, areas merged over the template, and precise error paths."""

import numpy as np
import pytest

from simulator import ScenarioError, load_scenario, scenario_from_dict, simulate

from .conftest import ANALYTIC_SCENARIO, DEFAULT_SCENARIO, SCENARIOS, raw_scenario, set_key


def test_shipped_scenarios_load():
    sc = load_scenario(DEFAULT_SCENARIO)
    assert sc.party_names() == ["prime", "regional_provider", "small_charity"]
    assert len(sc.source_sha256) == 64


def test_areas_merge_over_the_top_level_template():
    raw = raw_scenario(ANALYTIC_SCENARIO)
    raw["areas"] = [{"name": "north", "volume": {"contracted_cases_per_month": 50}}, {"name": "south"}]
    sc = scenario_from_dict(raw)
    assert [a.name for a in sc.areas] == ["north", "south"]
    assert sc.areas[0].volume.contracted_cases_per_month == 50
    assert sc.areas[1].volume.contracted_cases_per_month == 100
    assert sc.areas[0].segments == sc.areas[1].segments
    assert sc.party_names() == ["north.prime", "north.charity", "south.prime", "south.charity"]


def test_error_inside_an_area_names_the_area():
    raw = raw_scenario(ANALYTIC_SCENARIO)
    raw["areas"] = [{"name": "north"}, {"name": "south", "volume": {"contracted_cases_per_month": -1}}]
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, source="national.toml")
    assert str(err.value) == (
        "national.toml: 'areas[1].volume.contracted_cases_per_month' must be a number of cases > 0 and <= 1000000 (got -1)"
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("supply_chain.subcontractors.0.financing", "investor",
         "'supply_chain.subcontractors[0].investor' is required when financing = 'investor'"),
        ("payment.pbr.scale_rates_with_pot", True, "'payment.pbr.scale_rates_with_pot' needs maximum_annual_payment_gbp"),
        ("payment.pbr.trigger", "significant", None),
        ("effect.binary_points", {"dist": "uniform", "low": 2.0, "high": 1.0}, "'effect.binary_points.high' must be >= low"),
        ("supply_chain.prime.cost_per_case_gbp", {"nobody": 5.0}, "unknown segment"),
        ("volume.factor_sd", True, "'volume.factor_sd' must be a number (got True)"),
    ],
)
def test_cross_field_rules(key, value, message):
    raw = set_key(raw_scenario(ANALYTIC_SCENARIO), key, value)
    if message is None:
        scenario_from_dict(raw)
        return
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, source="s.toml")
    assert message in str(err.value)


SHIPPED = sorted(p for p in SCENARIOS.rglob("*.toml") if "record" not in p.relative_to(SCENARIOS).parts)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_runs_and_conserves_money(path):
    res = simulate(load_scenario(path), sims=64, seed=3, keep_monthly=True, keep_components=True)
    a = res.arrays
    np.testing.assert_allclose((a["monthly_fee"] + a["monthly_pbr"]).sum(axis=1), a["commissioner_paid"],
                               rtol=1e-9, atol=1e-6)
    assert np.all(np.isfinite(a["npv"])) and len(res.party_names) == a["npv"].shape[1]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_survives_a_round_trip(path):
    """Saved results hold the validated scenario as JSON; reading it back must give the same scenario."""
    from simulator import Scenario

    sc = load_scenario(path)
    assert Scenario.model_validate_json(sc.model_dump_json()) == sc.model_copy(update={"source": "<memory>",
                                                                                        "source_sha256": ""})
