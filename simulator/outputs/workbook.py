"""An Excel workbook of a run, for bid teams whose model lives in Excel.

Sheets: ``About`` (run, provenance, commissioner, where each party's sheets are),
``Overview`` (every party side by side), ``Cash by contract year`` (and ``Cash by financial
year`` with a start date), per party a summary sheet (every summary.json metric with its
Monte Carlo standard error and key path) and a monthly sheet (percentiles of net cash flow
and of cash position by month), then ``Inputs`` (key paths as ``--set`` takes them).
Each party sheet starts with the party's full name (sheet names are shortened to fit Excel).

Text is inert: every text cell is a string cell, never a formula, whatever it starts with.
openpyxl stores text starting with '=' as a formula, and scenario text (names, stress values)
could then run when the workbook is opened (OWASP, "CSV Injection"); :func:`inert` fixes
every cell once the sheets are built. Values that are tables or arrays are written as JSON.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import atomic_write
from ..results import Results
from ..safe_text import terminal_text
from ..scenario.paths import value_text
from .figures import party_reserves
from .labels import input_rows, kind_of, metric_rows
from .workbook_sheets import by_year_sheet, month_cell, overview_sheet, short_parties

XLSX_FILE = "results.xlsx"
PERCENTILES = (5, 25, 50, 75, 95)
FORMATS = {"gbp": '"£"#,##0;-"£"#,##0', "pct": "0.00%", "month": "0", "number": "#,##0.00##"}
BOLD = Font(bold=True)


def sheet_title(name: str, taken: set[str], suffix: str = "") -> str:
    """A legal, unique Excel sheet name: 31 characters, none of []:*?/\\, ``suffix`` kept whole."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)
    title, n = base[: 31 - len(suffix)] + suffix, 2
    while title.lower() in taken:
        tag = f"~{n}{suffix}"
        title, n = base[: 31 - len(tag)] + tag, n + 1
    taken.add(title.lower())
    return title


def _header(ws: Worksheet, *cells: str) -> None:
    ws.append(list(cells))
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _metric_sheet(ws: Worksheet, block: dict, party: str) -> None:
    """Rows: label, estimate, s.e., summary.json key; numbers formatted by kind."""
    _party_line(ws, party)
    _header(ws, "metric", "estimate", "Monte Carlo s.e.", "summary.json key")
    for path, label, value, se in metric_rows(block):
        ws.append([label, value, se, path])
        for cell in ws[ws.max_row][1:3]:
            cell.number_format = FORMATS[kind_of(path)]
    ws.freeze_panes = "A3"
    _widths(ws, [52, 18, 18, 40])


def _party_line(ws: Worksheet, party: str) -> None:
    ws.append(["party", party])
    ws["A1"].font = ws["B1"].font = BOLD


def _about_sheet(ws: Worksheet, results: Results, summary: dict) -> None:
    ws.append(["pbrsim results", summary["scenario"]])
    ws["A1"].font = BOLD
    ws.append(["simulations", results.sims])
    ws.append(["seed", results.seed])
    ws.append(["simulation mode", summary["mode"]])
    start = results.scenario.timeline.start_date
    ws.append(["contract start", "month 0 (no start date given)" if start is None else start.strftime("%b %Y")])
    for key, value in summary["provenance"].items():  # the scenario's path is the user's: may hold anything
        ws.append([key, terminal_text(value) if isinstance(value, str) else value])
    ws.append(["units", "GBP; months from contract start; s.e. = Monte Carlo standard error"])
    ws.append([])
    _header(ws, "commissioner metric", "estimate", "Monte Carlo s.e.", "summary.json key")
    for path, label, value, se in metric_rows(summary["commissioner"]):
        ws.append([label, value, se, f"commissioner.{path}"])
        for cell in ws[ws.max_row][1:3]:
            cell.number_format = FORMATS["gbp"]
    _widths(ws, [36, 22, 18, 40])


def _monthly_sheet(ws: Worksheet, results: Results, p: int) -> None:
    """Percentiles of net cash flow and cash position (reserves + cumulative net) by month."""
    _party_line(ws, results.party_names[p])
    net = results.arrays["monthly_net"]
    if net.shape[0] != results.sims:
        ws.append(["Monthly cash flows were not kept for this run (--no-monthly)."])
        return
    flows = net[:, p, :]
    cash = party_reserves(results)[0][p] + np.cumsum(flows, axis=1)
    names = [f"p{q}" for q in PERCENTILES] + ["mean"]
    dated = results.scenario.timeline.start_date is not None
    _header(ws, "month", *(["date"] if dated else []), *(f"net cash flow {n} (GBP)" for n in names),
            *(f"cash position {n} (GBP)" for n in names))
    stats = [np.percentile(x, PERCENTILES, axis=0) for x in (flows, cash)]
    means = [x.mean(axis=0) for x in (flows, cash)]
    for m in range(flows.shape[1]):
        values = [*stats[0][:, m], means[0][m], *stats[1][:, m], means[1][m]]
        ws.append([m, *([month_cell(results, m)] if dated else []), *(float(v) for v in values)])
        for cell in ws[ws.max_row][1 + dated:]:
            cell.number_format = FORMATS["gbp"]
    ws.freeze_panes = "C3" if dated else "B3"
    _widths(ws, [8] + [10] * dated + [16] * 12)


def _sheet_index(ws: Worksheet, names: list[tuple[str, str, str]]) -> None:
    """Where each party's sheets are (their names are shortened to fit Excel's 31 characters)."""
    ws.append([])
    _header(ws, "party", "summary sheet", "monthly sheet")
    for row in names:
        ws.append(list(row))


def build_workbook(results: Results) -> Workbook:
    """The workbook in memory (see the module docstring for its sheets)."""
    summary = results.summary()
    wb = Workbook()
    taken: set[str] = set()
    about = wb.active
    about.title = sheet_title("About", taken)
    _about_sheet(about, results, summary)
    overview_sheet(wb.create_sheet(sheet_title("Overview", taken)), results, summary, FORMATS, BOLD)
    by_year_sheet(wb.create_sheet(sheet_title("Cash by contract year", taken)), results, FORMATS, BOLD)
    if results.scenario.timeline.start_date is not None:
        by_year_sheet(wb.create_sheet(sheet_title("Cash by financial year", taken)), results, FORMATS, BOLD,
                      financial=True)
    names, labels = [], short_parties(results.party_names)
    for p, party in enumerate(results.party_names):
        names.append((party, sheet_title(labels[party], taken, " summary"), sheet_title(labels[party], taken, " monthly")))
        _metric_sheet(wb.create_sheet(names[-1][1]), summary["parties"][party], party)
        _monthly_sheet(wb.create_sheet(names[-1][2]), results, p)
    _sheet_index(about, names)
    ws = wb.create_sheet(sheet_title("Inputs", taken))
    _header(ws, "scenario input (key path)", "value")
    for path, value in input_rows(results):
        ws.append([path, _input_cell(value)])
    _widths(ws, [70, 30])
    return inert(wb)


def _input_cell(value: object) -> object:
    if value is None or isinstance(value, bool | str):
        return value_text(value)
    return json.dumps(value) if isinstance(value, dict | list | tuple) else value


def inert(wb: Workbook) -> Workbook:
    """Every text cell a string cell: no text becomes a formula (see the module docstring)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    return wb


def write_xlsx(results: Results, out_dir: str | Path) -> Path:
    """Write ``out_dir/results.xlsx`` atomically (the caller checks for overwrites)."""
    buf = io.BytesIO()
    build_workbook(results).save(buf)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write(out / XLSX_FILE, lambda f: f.write(buf.getvalue()))
