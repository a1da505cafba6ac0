"""The Excel workbook opens and holds the same numbers as summary.json."""

import json

import numpy as np
import pytest
from openpyxl import load_workbook

from simulator import Results, load_scenario, simulate
from simulator.outputs.workbook import XLSX_FILE, sheet_title, write_xlsx

from .conftest import DEFAULT_SCENARIO, SCENARIOS


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        out.update(flatten(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Results saved and reloaded (as 'pbrsim report' sees them), the workbook, summary.json."""
    out = tmp_path_factory.mktemp("res")
    simulate(load_scenario(DEFAULT_SCENARIO), sims=300, seed=9).save(out)
    results = Results.load(out)
    path = write_xlsx(results, out)
    assert path == out / XLSX_FILE
    return results, load_workbook(path), json.loads((out / "summary.json").read_text())


def same(x):
    """Equal to the JSON number up to the 16 significant digits a workbook cell stores."""
    return x if x is None or isinstance(x, int) else pytest.approx(x, rel=1e-15, abs=0)


def rows_by_key(ws):
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "party"
    assert rows[1] == ("metric", "estimate", "Monte Carlo s.e.", "summary.json key")
    return {key: (value, se) for _, value, se, key in rows[2:]}


def test_sheets(saved):
    results, wb, _ = saved
    expected = ["About", "Overview", "Cash by contract year"]
    for p in results.party_names:
        expected += [f"{p} summary", f"{p} monthly"]
    assert wb.sheetnames == expected + ["Inputs"]


def test_party_sheets_hold_the_summary_json_numbers(saved):
    results, wb, summary = saved
    for party in results.party_names:
        flat = flatten(summary["parties"][party])
        rows = rows_by_key(wb[f"{party} summary"])
        values = {k: v for k, (v, _) in rows.items()}
        ses = {k: se for k, (_, se) in rows.items() if se is not None}
        assert set(values) | set(ses) <= set(flat)
        for key, value in values.items():
            assert value == same(flat[key]), (party, key)
        assert ses["npv_gbp.mean"] == same(flat["npv_gbp.se_mean"])
        assert ses["prob_loss"] == same(flat["prob_loss_se"])
        # every number of summary.json is in the sheet, as a value or as a standard error
        se_values = list(ses.values())
        shown = set(values) | {k for k in flat if any(flat[k] == same(v) for v in se_values)}
        assert {k for k, v in flat.items() if v is not None} <= shown


def test_number_formats(saved):
    _, wb, _ = saved
    ws = wb["small_charity summary"]
    fmts = {row[3].value: row[1].number_format for row in ws.iter_rows(min_row=2)}
    assert "£" in fmts["npv_gbp.mean"] and fmts["prob_loss"] == "0.00%" and fmts["first_pbr_cash_month"] == "0"


def test_commissioner_on_the_about_sheet(saved):
    _, wb, summary = saved
    cells = {row[3]: row[1] for row in wb["About"].iter_rows(values_only=True) if len(row) > 3 and row[3]}
    assert cells["commissioner.total_paid_gbp.mean"] == same(summary["commissioner"]["total_paid_gbp"]["mean"])
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True)}
    assert about["seed"] == 9 and about["simulations"] == 300
    assert about["scenario_sha256"] == summary["provenance"]["scenario_sha256"]


def test_monthly_percentiles(saved):
    results, wb, _ = saved
    p = results.party_index("prime")
    rows = list(wb["prime monthly"].iter_rows(values_only=True))[1:]
    head = rows[0]
    months = results.arrays["monthly_net"].shape[2]
    assert len(rows) == months + 1 and head[0] == "month"
    flows = results.arrays["monthly_net"][:, p]
    cash = results.scenario.areas[0].supply_chain.prime.reserves_gbp + np.cumsum(flows, axis=1)
    col = {name: i for i, name in enumerate(head)}
    m = 40
    assert rows[m + 1][0] == m
    assert rows[m + 1][col["net cash flow p50 (GBP)"]] == pytest.approx(np.median(flows[:, m]))
    assert rows[m + 1][col["cash position p5 (GBP)"]] == pytest.approx(np.percentile(cash[:, m], 5))
    assert rows[m + 1][col["cash position mean (GBP)"]] == pytest.approx(cash[:, m].mean())


def test_inputs_sheet(saved):
    _, wb, _ = saved
    inputs = {row[0]: row[1] for row in wb["Inputs"].iter_rows(values_only=True)}
    assert inputs["timeline.term_months"] == 84
    assert inputs["supply_chain.subcontractors.small_charity.reserves_gbp"] == 250000
    assert inputs["effect.binary_points.dist"] == '"normal"'
    assert inputs["effect.binary_points.sd"] == 1.5
    assert inputs["payment.pbr.cap_gbp_per_offender"] == "(not set)"


def test_without_monthly_flows(tmp_path):
    r = simulate(load_scenario(SCENARIOS / "peterborough_sib.toml"), sims=64, seed=1, keep_monthly=False,
                 keep_components=False)
    wb = load_workbook(write_xlsx(r, tmp_path))
    second = list(wb[f"{r.party_names[0]} monthly"].iter_rows(values_only=True))[1]
    assert "--no-monthly" in second[0]
    assert "--no-monthly" in wb["Cash by contract year"]["A1"].value


def test_sheet_titles_are_legal_and_unique():
    taken = set()
    a = sheet_title("south.a_very_long_party_name_indeed", taken, " summary")
    b = sheet_title("south.a_very_long_party_name_indeed", taken, " monthly")
    c = sheet_title("south.a_very_long_party_name_indeed_too", taken, " summary")
    assert a.endswith(" summary") and b.endswith(" monthly") and c.endswith("~2 summary")
    assert max(map(len, (a, b, c))) <= 31 and len({a, b, c}) == 3
    assert sheet_title("x[1]:y?", taken) == "x_1__y_"
