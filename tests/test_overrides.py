"""Key-path overrides: set, add optional keys, relative changes, national scenarios, clear errors."""

import pytest

from simulator import ScenarioError, scenario_from_dict
from simulator.scenario.keypaths import apply_overrides, flatten_table, parse_key_path, set_value


def test_set_existing_value_returns_a_copy(default_raw):
    out = set_value(default_raw, "supply_chain.subcontractors.1.upfront_share", 0.5)
    assert out["supply_chain"]["subcontractors"][1]["upfront_share"] == 0.5
    assert default_raw["supply_chain"]["subcontractors"][1]["upfront_share"] == 0.7
    assert scenario_from_dict(out).areas[0].supply_chain.subcontractors[1].upfront_share == 0.5


def test_bracket_and_dot_indices_agree(default_raw):
    assert parse_key_path("a.b[1].c") == parse_key_path("a.b.1.c") == ("a", "b", 1, "c")
    assert set_value(default_raw, "segments[2].cost_per_case_gbp", 10.0) == \
        set_value(default_raw, "segments.2.cost_per_case_gbp", 10.0)


def test_optional_keys_not_in_the_file_can_be_set(default_raw):
    out = apply_overrides(default_raw, {"payment.pbr.cap_gbp_per_offender": 100,
                                        "uncertainty.common_shock_points_mean": 1.5})
    sc = scenario_from_dict(out)
    assert sc.areas[0].payment.pbr.cap_gbp_per_offender == 100.0
    assert sc.uncertainty.common_shock_points_mean == 1.5


def test_numbers_are_matched_to_the_field_type(default_raw):
    out = set_value(default_raw, "timeline.processing_lag_months", 6.0)
    assert out["timeline"]["processing_lag_months"] == 6 and isinstance(out["timeline"]["processing_lag_months"], int)
    assert scenario_from_dict(out).timeline.processing_lag_months == 6


def test_relative_values(default_raw):
    out = apply_overrides(default_raw, {"volume.factor_mean": "*0.5", "timeline.processing_lag_months": "+6",
                                        "uncertainty.common_shock_points_mean": "-2"})
    assert out["volume"]["factor_mean"] == pytest.approx(0.45)
    assert out["timeline"]["processing_lag_months"] == 9
    assert out["uncertainty"]["common_shock_points_mean"] == -2.0  # from the schema default 0


def test_a_whole_table_can_be_replaced(default_raw):
    out = set_value(default_raw, "effect.binary_points", {"dist": "fixed", "value": 0.0})
    assert scenario_from_dict(out).effect.binary_points.params() == (0, 0.0, 0.0)


@pytest.mark.parametrize("path, words", [
    ("volume.factor_meen", ["'volume.factor_meen'", "not a scenario key", "did you mean 'factor_mean'"]),
    ("supply_chain.subcontractors.5.upfront_share", ["has entry 5", "has 2 entries"]),
    ("supply_chain.subcontractors.name", ["no entry is named 'name'", "regional_provider, small_charity"]),
    ("segments.community.share", ["several entries", "community_lower_risk"]),
    ("volume.factor_mean.x", ["holds a single value"]),
    ("stress.x", ["cannot be changed"]),
    ("nonsense", ["not a scenario key", "allowed:"]),
    ("volume..factor_mean", ["is not a key path"]),
])
def test_bad_paths_name_the_path(default_raw, path, words):
    with pytest.raises(ScenarioError) as err:
        set_value(default_raw, path, 1.0, source="f.toml")
    assert str(err.value).startswith("f.toml: ")
    for word in words:
        assert word in str(err.value)


def test_relative_change_must_keep_whole_numbers(default_raw):
    with pytest.raises(ScenarioError, match="must stay a whole number"):
        set_value(default_raw, "timeline.processing_lag_months", "*1.5")


def test_national_scenario_applies_area_keys_to_every_area(default_raw):
    raw = dict(default_raw, areas=[{"name": "north"}, {"name": "south", "volume": {"factor_mean": 1.0}}])
    out = set_value(raw, "volume.factor_mean", "*0.5")
    sc = scenario_from_dict(out)
    assert [a.volume.factor_mean for a in sc.areas] == pytest.approx([0.45, 0.5])
    assert [a.volume.contracted_cases_per_month for a in sc.areas] == [425, 425]
    out = set_value(raw, "supply_chain.subcontractors.1.upfront_share", 0.9)
    assert [a.supply_chain.subcontractors[1].upfront_share for a in scenario_from_dict(out).areas] == [0.9, 0.9]
    one = set_value(raw, "areas.1.volume.factor_mean", 2.0)
    assert [a.volume.factor_mean for a in scenario_from_dict(one).areas] == [0.9, 2.0]


def test_flatten_table_accepts_dotted_and_nested_keys():
    assert flatten_table({"a": {"b": 1}, "c.d": 2, "e": [1, 2]}) == {"a.b": 1, "c.d": 2, "e": [1, 2]}
