"""Outputs safe to open: no scenario text becomes a live formula in results.xlsx or sweep.csv.

OWASP's CSV-injection guidance: a text cell starting with '=', '+', '-', '@', tab or carriage
return may run as a formula. In the workbook such text is a string cell (never a formula);
in a CSV it is prefixed with a single quote. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from simulator import scenario_from_dict, simulate
from simulator.outputs.workbook import write_xlsx

from .conftest import ANALYTIC_SCENARIO, raw_scenario, set_key
from .resultstate import invoke

EVIL = ['=HYPERLINK("http://x","y")', "+1+2", "@SUM(1)", "-2+3", "\t=1", "=cmd|' /C calc'!A0"]


def test_csv_cell_rule():
    from simulator.safe_text import csv_cell, terminal_text

    for text in EVIL:
        assert csv_cell(text) == "'" + text
    assert csv_cell("plain") == "plain" and csv_cell(-3.5) == -3.5 and csv_cell(None) is None
    assert terminal_text("a\x1b[31mb\tc\nd\x9b") == "a\\x1b[31mb\tc\nd\\x9b"


def test_workbook_text_is_never_a_formula(tmp_path):
    raw = raw_scenario(ANALYTIC_SCENARIO)
    raw = set_key(raw, "name", EVIL[0])
    raw = set_key(raw, "description", EVIL[5])
    raw = set_key(raw, "supply_chain.subcontractors.0.name", "-2")
    raw["stress"] = {"evil": {"name": "=1+1", "volume.factor_mean": "*0.9"}}
    results = simulate(scenario_from_dict(raw), sims=50, seed=1)
    path = write_xlsx(results, tmp_path)
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    book = load_workbook(path)
    texts = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    cells = [c for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)
    assert EVIL[0] in texts and "-2" in texts
    numbers = [c.value for c in book["-2 summary"]["B"] if isinstance(c.value, float)]
    assert numbers  # figures are still numbers


def test_sweep_csv_text_cells_are_quoted_against_formulas(tmp_path):
    out = tmp_path / "s"
    result = invoke("sweep", ANALYTIC_SCENARIO, "--vary", 'name="=1+2","@SUM(A1)","plain"', "--sims", 30,
                    "--out", out, "--quiet", "--plot", "none")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((out / "sweep.csv").read_text())))
    column = [r[1] for r in rows[1:]]
    assert set(column) == {"'=1+2", "'@SUM(A1)", "plain"}
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for r in rows for cell in r)
    assert any(cell.startswith("-") and float(cell) < 0 for r in rows[1:] for cell in r[3:] if cell)  # numbers stay


def test_study_tables_quote_formulas_in_pandas_string_columns(tmp_path):
    """pandas 3 keeps text in a string dtype, not object: the study CSVs must still quote it."""
    import pandas as pd

    from simulator.studies.tables import write_csv

    frame = pd.DataFrame({"design": ["=1+2", "plain"], "npv": [-1.5, 2.0]})
    rows = list(csv.reader(io.StringIO(write_csv(frame, tmp_path / "t.csv").read_text())))
    assert rows == [["design", "npv"], ["'=1+2", "-1.5"], ["plain", "2.0"]]
