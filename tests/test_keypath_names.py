"""Key paths name entries of named arrays, and every path 'pbrsim validate' lists can be set."""

import datetime

import pytest

from simulator import ScenarioError, load_scenario, scenario_from_dict
from simulator.scenario.keypaths import parse_key_path, set_value
from simulator.scenario.paths import scenario_paths, value_text

from .conftest import DEFAULT_SCENARIO, SCENARIOS, raw_scenario

NATIONAL = SCENARIOS / "national_tr21.toml"


def test_names_and_numbers_reach_the_same_entry(default_raw):
    by_name = set_value(default_raw, "supply_chain.subcontractors.small_charity.upfront_share", 0.5)
    assert by_name == set_value(default_raw, "supply_chain.subcontractors.1.upfront_share", 0.5)
    assert by_name == set_value(default_raw, "supply_chain.subcontractors[small_charity].upfront_share", 0.5)
    assert parse_key_path("a.b[x y].c") == ("a", "b", "x y", "c")
    segs = set_value(default_raw, "segments.short_custody.cost_per_case_gbp", 10.0)
    assert scenario_from_dict(segs).areas[0].segments[2].cost_per_case_gbp == 10.0


def test_an_area_by_name_or_unique_prefix_and_its_inherited_subcontractors():
    raw = raw_scenario(NATIONAL)
    one = scenario_from_dict(set_value(raw, "areas.Humberside.volume.factor_mean", 0.5))
    names = [a.name for a in one.areas]
    i = names.index("Humberside_Lincolnshire_and_North_Yorkshire")
    assert [a.volume.factor_mean for a in one.areas] == [0.5 if k == i else 0.9 for k in range(len(names))]
    sub = scenario_from_dict(set_value(raw, "areas.Humberside.supply_chain.subcontractors.small_charity.upfront_share",
                                       0.2))
    shares = [a.supply_chain.subcontractors[1].upfront_share for a in sub.areas]
    assert shares[i] == 0.2 and sum(s == 0.2 for s in shares) == 1
    every = scenario_from_dict(set_value(raw, "supply_chain.subcontractors.small_charity.upfront_share", 0.3))
    assert {a.supply_chain.subcontractors[1].upfront_share for a in every.areas} == {0.3}


@pytest.mark.parametrize("path, words", [
    ("supply_chain.subcontractors.big.upfront_share", ["no entry is named 'big'", "regional_provider, small_charity"]),
    ("segments.community.share", ["'community' starts the names of several entries"]),
])
def test_an_unknown_or_ambiguous_name_is_one_clear_error(default_raw, path, words):
    with pytest.raises(ScenarioError) as err:
        set_value(default_raw, path, 1.0, source="f.toml")
    assert str(err.value).startswith(f"f.toml: '{path}' names no single entry")
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("path", [DEFAULT_SCENARIO, SCENARIOS / "peterborough_sib.toml", NATIONAL])
def test_every_listed_path_can_be_set_to_its_value(path):
    """The listing is honest: each path is accepted by --set and names the value shown."""
    scenario = load_scenario(path)
    raw = raw_scenario(path)
    rows = scenario_paths(scenario)
    assert len({p for p, _ in rows}) == len(rows)
    step = 1 if len(rows) < 300 else 37  # a national scenario: a sample of its ~2,000 paths
    for key, value in rows[::step]:
        if value is None:
            continue
        again = scenario_from_dict(set_value(raw, key, value, source=str(path)))
        assert again.model_dump() == scenario.model_dump(), key


def test_listing_uses_names_and_shows_values_as_toml():
    rows = dict(scenario_paths(load_scenario(DEFAULT_SCENARIO)))
    assert rows["supply_chain.subcontractors.small_charity.upfront_share"] == 0.7
    assert rows["segments.short_custody.share"] == 0.25
    assert rows["effect.binary_points.dist"] == "normal" and "effect.binary_points.value" not in rows
    assert value_text(rows["payment.pbr.cap_gbp_per_offender"]) == "(not set)"
    assert value_text(True) == "true" and value_text("x") == '"x"'
    assert value_text(datetime.date(2015, 2, 1)) == "2015-02-01"


def test_start_date_is_a_toml_date(default_raw):
    raw = dict(default_raw, timeline={**default_raw["timeline"], "start_date": datetime.date(2015, 2, 1)})
    assert scenario_from_dict(raw).timeline.start_date == datetime.date(2015, 2, 1)
    with pytest.raises(ScenarioError, match="'timeline.start_date' must be a date"):
        scenario_from_dict(dict(default_raw, timeline={"start_date": "Feb 2015"}), source="f.toml")
