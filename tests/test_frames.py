"""Results for Python users: xarray with named dimensions, tidy pandas tables, dates, plain lines."""

import datetime

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.outputs.plain import plain_lines, when_text
from simulator.outputs.units import gbp_text
from simulator.results.cash import cash_out_months
from simulator.scenario.dates import financial_year, month_text

SIMS = 300


@pytest.fixture(scope="module")
def results():
    from .conftest import DEFAULT_SCENARIO, raw_scenario

    raw = raw_scenario(DEFAULT_SCENARIO)
    raw["timeline"]["start_date"] = datetime.date(2015, 2, 1)
    return simulate(scenario_from_dict(raw), sims=SIMS, seed=4)


def test_xarray_has_named_dimensions_and_the_same_numbers(results):
    ds = results.to_xarray()
    assert ds["monthly_net"].dims == ("simulation", "party", "month")
    assert ds["cohort_pbr"].dims == ("simulation", "area", "cohort")
    assert list(ds.party.values) == results.party_names
    np.testing.assert_array_equal(ds["npv"].sel(party="small_charity"), results.arrays["npv"][:, 2])
    assert str(ds["date"].values[0])[:10] == "2015-02-01" and ds["financial_year"].values[2] == "2015-16"
    assert ds.attrs["mode"] == "aggregate" and ds.attrs["seed"] == 4


def test_summary_frame_is_the_summary(results):
    frame = results.summary_frame()
    summary = results.summary()["parties"]
    assert list(frame["party"]) == results.party_names
    for _, row in frame.iterrows():
        assert row["prob_loss"] == summary[row["party"]]["prob_loss"]
        assert row["npv_gbp_mean"] == summary[row["party"]]["npv_gbp"]["mean"]


def test_monthly_frame_is_long_and_adds_up(results):
    frame = results.monthly_frame()
    months = results.arrays["monthly_net"].shape[2]
    assert len(frame) == SIMS * len(results.party_names) * months
    one = frame[(frame.simulation == 7) & (frame.party == "prime")]
    np.testing.assert_allclose(one["net_gbp"], results.arrays["monthly_net"][7, 0])
    np.testing.assert_allclose(one["fee_gbp"] + one["pbr_gbp"] - one["cost_gbp"], one["net_gbp"], atol=1e-6)
    assert one["cash_gbp"].iloc[-1] == pytest.approx(10e6 + results.arrays["monthly_net"][7, 0].sum())
    assert set(frame.columns) >= {"date", "financial_year", "contract_year"}
    assert len(results.monthly_frame(party="small_charity")) == SIMS * months


def test_months_as_dates_and_financial_years():
    start = datetime.date(2015, 2, 1)
    assert [month_text(start, m) for m in (0, 11, 23)] == ["Feb 2015", "Jan 2016", "Jan 2017"]
    assert [financial_year(start, m) for m in (0, 1, 2, 13, 14)] == ["2014-15"] * 2 + ["2015-16"] * 2 + ["2016-17"]
    assert month_text(None, 5) == "month 5"


def test_plain_lines_say_what_the_summary_says(results):
    lines = plain_lines(results).splitlines()
    assert len(lines) == len(results.party_names)
    charity = results.summary()["parties"]["small_charity"]
    line = lines[2]
    assert line.startswith("small_charity: a ") and f"{100 * charity['prob_loss']:.0f}% chance of a loss" in line
    assert f"{100 * charity['prob_reserves_exhausted']:.0f}% chance of running out of cash" in line
    months = cash_out_months(results)[:, 2]
    lo, hi = np.percentile(months[months >= 0], [25, 75]).round().astype(int)
    assert f"between {month_text(results.scenario.timeline.start_date, lo)} and" in line
    p95 = np.percentile(results.arrays["peak_funding"][:, 2], 95)
    assert f"{gbp_text(p95)} of working capital covers 95%" in line


def test_when_text_reads_naturally():
    assert when_text(np.array([30, 31, 40, 41]), None) == ", most often between months 31 and 40"
    assert when_text(np.array([12, 12]), None) == ", most often in month 12"
    assert when_text(np.array([], dtype=int), None) == ""
