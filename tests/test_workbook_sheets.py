"""The workbook's overview, yearly cash flows (contract and financial years) and readable sheet names."""

import datetime

import numpy as np
import pytest
from openpyxl import load_workbook

from simulator import load_scenario, scenario_from_dict, simulate
from simulator.outputs.workbook import write_xlsx
from simulator.outputs.workbook_sheets import short_parties
from simulator.results.cash import cash_positions

from .conftest import DEFAULT_SCENARIO, SCENARIOS, raw_scenario

SIMS = 200


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    raw = raw_scenario(DEFAULT_SCENARIO)
    raw["timeline"]["start_date"] = datetime.date(2015, 2, 1)
    results = simulate(scenario_from_dict(raw), sims=SIMS, seed=8)
    return results, load_workbook(write_xlsx(results, tmp_path_factory.mktemp("wb")))


def rows(ws):
    return list(ws.iter_rows(values_only=True))


def test_overview_has_every_party_side_by_side(dated):
    results, wb = dated
    table = rows(wb["Overview"])
    assert table[1] == ("metric", *results.party_names, "summary.json key")
    by_key = {r[-1]: r[1:-1] for r in table[2:]}
    summary = results.summary()["parties"]
    assert by_key["prob_loss"] == tuple(summary[p]["prob_loss"] for p in results.party_names)
    p95 = [summary[p]["peak_funding_gbp"]["p95"] for p in results.party_names]
    assert by_key["peak_funding_gbp.p95"] == pytest.approx(p95, rel=1e-15)  # a cell keeps 15-16 digits


def test_cash_by_contract_year_sums_the_months(dated):
    results, wb = dated
    table = rows(wb["Cash by contract year"])
    head, body = table[0], table[1:]
    net = results.arrays["monthly_net"]
    years = -(-net.shape[2] // 12)
    assert len(body) == years * len(results.party_names)
    row = next(r for r in body if r[0] == "small_charity" and r[1] == 2)
    assert row[2:4] == ("Feb 2016", "Jan 2017")  # months shown as dates
    assert row[head.index("net cash flow mean (GBP)")] == pytest.approx(net[:, 2, 12:24].sum(axis=1).mean())
    fee = row[head.index("fee mean (GBP)")] + row[head.index("outcome money mean (GBP)")] - row[head.index("costs mean (GBP)")]
    assert fee == pytest.approx(row[head.index("net cash flow mean (GBP)")], rel=1e-9, abs=1e-3)
    end = cash_positions(results)[:, 2, 23]
    assert row[head.index("cash at year end median (GBP)")] == pytest.approx(np.median(end))


def test_cash_by_financial_year_runs_april_to_march(dated):
    results, wb = dated
    body = rows(wb["Cash by financial year"])[1:]
    prime = [r for r in body if r[0] == "prime"]
    assert [r[1] for r in prime[:3]] == ["2014-15", "2015-16", "2016-17"]
    assert prime[0][2:4] == ("Feb 2015", "Mar 2015") and prime[1][2:4] == ("Apr 2015", "Mar 2016")
    assert sum(r[rows(wb["Cash by financial year"])[0].index("net cash flow mean (GBP)")] for r in prime) == \
        pytest.approx(results.arrays["monthly_net"][:, 0].sum(axis=1).mean())
    monthly = rows(wb["prime monthly"])
    assert monthly[1][:2] == ("month", "date") and monthly[2][:2] == (0, "Feb 2015")


def test_national_sheet_names_are_readable_unique_and_hold_the_full_name(tmp_path):
    results = simulate(load_scenario(SCENARIOS / "national_tr21.toml"), sims=64, seed=1, keep_monthly=False,
                       keep_components=False)
    wb = load_workbook(write_xlsx(results, tmp_path))
    labels = short_parties(results.party_names)
    assert labels["Durham_Tees_Valley.small_charity"] == "DTV small_charity"
    assert labels["Wales.prime"] == "Wales prime" and short_parties(["prime"]) == {"prime": "prime"}
    assert labels["Northumbria.prime"] == "NOR prime" and labels["Northumbria.regional_provider"] == "NOR regional_provider"
    names = wb.sheetnames
    assert len(names) == len(set(n.lower() for n in names)) == 3 + 2 * len(results.party_names) + 1
    assert all(len(n) <= 31 and "~" not in n for n in names)
    index = {r[0]: r[1:] for r in rows(wb["About"]) if r and r[0] in results.party_names}
    for party in results.party_names:
        summary_sheet, monthly_sheet = index[party][:2]
        assert wb[summary_sheet]["B1"].value == party and wb[monthly_sheet]["B1"].value == party
