"""Sheets of the workbook that compare parties or sum months: the overview, cash flows by year, names.

- ``Overview``: every party's key metrics side by side (one column per party).
- ``Cash by contract year``: each party's mean fee, outcome money, costs and net cash flow per
  contract year (months 0-11 are year 1), the 5th and 95th percentiles of the year's net cash
  flow, and the cash position at the year's end; ``Cash by financial year`` the same by UK
  financial year (April-March) when the scenario gives ``timeline.start_date``.
- Sheet names readable and unique within Excel's 31 characters: a national party
  ``Durham_Tees_Valley.small_charity`` becomes ``DTV small_charity summary``; the full name is
  always the first line inside the sheet, and ``About`` lists which sheets are whose.
"""

from __future__ import annotations

import re

import numpy as np
from openpyxl.worksheet.worksheet import Worksheet

from ..results import Results
from ..results.cash import cash_positions
from ..scenario.dates import contract_year, financial_year, month_text
from .labels import kind_of, label

OVERVIEW_KEYS = (
    "npv_gbp.mean", "npv_gbp.p5", "npv_gbp.p95", "prob_loss", "cvar_5_gbp", "peak_funding_gbp.mean",
    "peak_funding_gbp.p95", "prob_reserves_exhausted", "pbr_share_of_revenue", "first_pbr_cash_month",
    "revenue_gbp.mean", "cost_gbp.mean",
)
_SMALL_WORDS = {"and", "of", "the"}


def short_parties(names: list[str], room: int = 23) -> dict[str, str]:
    """Party -> sheet label: ``'Durham_Tees_Valley.small_charity'`` -> ``'DTV small_charity'``.

    An area keeps its whole name when all its parties fit in ``room`` characters with it;
    otherwise it is shortened the same way for all of them: the initials of its words
    ('DTV'), or the first three letters of a one-word name ('NOR').
    """
    roles: dict[str, list[str]] = {}
    for name in names:
        area, _, role = name.rpartition(".")
        roles.setdefault(area, []).append(role)
    short = {area: _area_label(area, max(len(r) for r in rs), room) for area, rs in roles.items()}
    return {name: (f"{short[area]} {role}" if area else role)
            for name in names for area, _, role in [name.rpartition(".")]}


def _area_label(area: str, longest_role: int, room: int) -> str:
    if len(area) + 1 + longest_role <= room:
        return area
    words = [w for w in re.split(r"[_\- ]+", area) if w and w.lower() not in _SMALL_WORDS]
    return "".join(w[0].upper() for w in words) if len(words) > 1 else area[:3].upper()


def _value(block: dict, path: str):
    node = block
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def overview_sheet(ws: Worksheet, results: Results, summary: dict, fmt: dict, bold) -> None:
    """One row per key metric, one column per party (full names), the summary.json key last."""
    parties = results.party_names
    ws.append(["Every party's key metrics (Monte Carlo estimates; standard errors are on each party's sheet)"])
    ws.append(["metric", *parties, "summary.json key"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for key in OVERVIEW_KEYS:
        ws.append([label(key), *(_value(summary["parties"][p], key) for p in parties), key])
        for cell in ws[ws.max_row][1:-1]:
            cell.number_format = fmt[kind_of(key)]
    ws.freeze_panes = "B3"
    ws.column_dimensions["A"].width = 48


def month_cell(results: Results, month: int):
    """A month as a workbook shows it: 'Feb 2015' when the scenario has a start date, else its number."""
    start = results.scenario.timeline.start_date
    return int(month) if start is None else month_text(start, int(month))


def year_labels(results: Results, n_months: int, *, financial: bool) -> list:
    """The year each month belongs to: contract year (1, 2 ...) or financial year ('2015-16')."""
    start = results.scenario.timeline.start_date
    if financial:
        return [financial_year(start, m) for m in range(n_months)]
    return [contract_year(m) for m in range(n_months)]


def by_year_sheet(ws: Worksheet, results: Results, fmt: dict, bold, *, financial: bool = False) -> None:
    """Cash flows summed by year, per party (see the module docstring)."""
    if not results.has_monthly:
        ws.append(["Monthly cash flows were not kept for this run (--no-monthly): no yearly sums."])
        return
    a = results.arrays
    n_months = a["monthly_net"].shape[2]
    years = np.array(year_labels(results, n_months, financial=financial), dtype=object)
    order = list(dict.fromkeys(years))
    parts = [k for k in ("monthly_fee", "monthly_pbr", "monthly_cost") if a[k].shape[0] == results.sims]
    cash = cash_positions(results)
    head = ["party", "financial year" if financial else "contract year", "first month", "last month",
            *(f"{n} mean (GBP)" for n in ("fee", "outcome money", "costs")[: len(parts)] if parts),
            "net cash flow mean (GBP)", "net p5 (GBP)", "net p95 (GBP)", "cash at year end p5 (GBP)",
            "cash at year end median (GBP)"]
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for p, party in enumerate(results.party_names):
        for year in order:
            months = np.flatnonzero(years == year)
            net = a["monthly_net"][:, p, months].sum(axis=1)
            end = cash[:, p, months[-1]]
            row = [party, year, month_cell(results, months[0]), month_cell(results, months[-1]),
                   *(float(a[k][:, p, months].sum(axis=1).mean()) for k in parts),
                   float(net.mean()), *(float(v) for v in np.percentile(net, [5, 95])),
                   *(float(v) for v in np.percentile(end, [5, 50]))]
            ws.append(row)
            for cell in ws[ws.max_row][4:]:
                cell.number_format = fmt["gbp"]
    ws.freeze_panes = "C2"
    ws.column_dimensions["A"].width = 40
