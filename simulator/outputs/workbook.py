"""An Excel workbook of a run, for bid teams whose model lives in Excel.

Sheets: ``About`` (run, provenance, commissioner), per party a summary sheet (every
summary.json metric with its Monte Carlo standard error and key path) and a monthly sheet
(percentiles of net cash flow and of cash position by month), then ``Inputs``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import atomic_write
from ..results import Results
from ..scenario.paths import value_text
from .figures import party_reserves
from .labels import input_rows, kind_of, metric_rows

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


def _metric_sheet(ws: Worksheet, block: dict, prefix: str = "") -> None:
    """Rows: label, estimate, s.e., summary.json key; numbers formatted by kind."""
    _header(ws, "metric", "estimate", "Monte Carlo s.e.", "summary.json key")
    for path, label, value, se in metric_rows(block):
        ws.append([label, value, se, prefix + path])
        for cell in ws[ws.max_row][1:3]:
            cell.number_format = FORMATS[kind_of(path)]
    ws.freeze_panes = "A2"
    _widths(ws, [52, 18, 18, 40])


def _about_sheet(ws: Worksheet, results: Results, summary: dict) -> None:
    ws.append(["pbrsim results", summary["scenario"]])
    ws["A1"].font = BOLD
    ws.append(["simulations", results.sims])
    ws.append(["seed", results.seed])
    for key, value in summary["provenance"].items():
        ws.append([key, value])
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
    net = results.arrays["monthly_net"]
    if net.shape[0] != results.sims:
        ws.append(["Monthly cash flows were not kept for this run (--no-monthly)."])
        return
    flows = net[:, p, :]
    cash = party_reserves(results)[0][p] + np.cumsum(flows, axis=1)
    names = [f"p{q}" for q in PERCENTILES] + ["mean"]
    _header(ws, "month", *(f"net cash flow {n} (GBP)" for n in names), *(f"cash position {n} (GBP)" for n in names))
    stats = [np.percentile(x, PERCENTILES, axis=0) for x in (flows, cash)]
    means = [x.mean(axis=0) for x in (flows, cash)]
    for m in range(flows.shape[1]):
        row = [m, *stats[0][:, m], means[0][m], *stats[1][:, m], means[1][m]]
        ws.append([float(v) if i else int(v) for i, v in enumerate(row)])
        for cell in ws[ws.max_row][1:]:
            cell.number_format = FORMATS["gbp"]
    ws.freeze_panes = "B2"
    _widths(ws, [8] + [16] * 12)


def build_workbook(results: Results) -> Workbook:
    """The workbook in memory (see the module docstring for its sheets)."""
    summary = results.summary()
    wb = Workbook()
    taken: set[str] = set()
    about = wb.active
    about.title = sheet_title("About", taken)
    _about_sheet(about, results, summary)
    for p, party in enumerate(results.party_names):
        _metric_sheet(wb.create_sheet(sheet_title(party, taken, " summary")), summary["parties"][party])
        _monthly_sheet(wb.create_sheet(sheet_title(party, taken, " monthly")), results, p)
    ws = wb.create_sheet(sheet_title("Inputs", taken))
    _header(ws, "scenario input (key path)", "value")
    for path, value in input_rows(results):
        ws.append([path, value_text(value) if value is None or isinstance(value, bool | str) else value])
    _widths(ws, [70, 30])
    return wb


def write_xlsx(results: Results, out_dir: str | Path) -> Path:
    """Write ``out_dir/results.xlsx`` atomically (the caller checks for overwrites)."""
    buf = io.BytesIO()
    build_workbook(results).save(buf)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write(out / XLSX_FILE, lambda f: f.write(buf.getvalue()))
