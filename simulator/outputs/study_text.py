"""Plain-text views of the studies for the terminal: power curves, design comparisons, incentives.

Money reads as whole pounds (``£1,004,880``), chances as percentages, each estimate with
its Monte Carlo standard error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .units import gbp_exact

SHOWN_AREAS = 10
SHOWN_PARTIES = 6


def columns(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A fixed-width table: the first column left-aligned, the others right-aligned, a rule under the head."""
    rows = [list(head), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def pct(x: float, se: float | None = None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{100 * x:.1f}%" + ("" if se is None or not math.isfinite(se) else f" ±{100 * se:.1f}%")


def money(x: float, se: float | None = None) -> str:
    return gbp_exact(x) + ("" if se is None or not math.isfinite(se) else f" ±{gbp_exact(se)}")


def number(x: float, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "beyond the grid" if x is not None and math.isinf(x) else "-"
    return f"{x:.{digits}g}"


# ---------------------------------------------------------------- power


def format_power(result) -> str:
    """The power curve (whole contract, or the one area), each party's risk, and the effects needed."""
    table, col = result.areas, result.effect_column
    unit = "points" if result.measure == "binary" else "(relative cut)"
    shown = "all" if "all" in set(table["area"]) else table["area"].iloc[0]
    rows = table[table["area"] == shown]
    out = [f"{'whole contract' if shown == 'all' else 'area ' + shown} "
           f"(mean cohort {rows['mean_cohort_size'].mean():,.0f} offenders):", _curve(rows, col)]
    out += ["", "each party: mean NPV and chance of a loss (NPV < 0)", _party_table(result.parties, col)]
    out += ["", f"true effect needed for a cohort to be paid ({unit}; probit interpolation between effects, "
            "bootstrap s.e. and 95% interval over simulations):"]
    needed = result.needed
    areas = list(dict.fromkeys(needed["area"]))
    for area in ([a for a in areas if a == "all"] + [a for a in areas if a != "all"])[:SHOWN_AREAS + 1]:
        out.append(f"  {area}: " + "; ".join(_needed_text(r) for r in needed[needed["area"] == area].itertuples()))
    if len(areas) > SHOWN_AREAS + 1:
        out.append(f"  ... {len(areas) - SHOWN_AREAS - 1} more areas in power_needed.csv")
    return "\n".join(out)


def _curve(rows, col: str) -> str:
    theory = rows["prob_cohort_binary_paid_theory"].notna().all()
    head = ["effect", "P(cohort paid)", "P(deducted)", "P(dead band)"]
    head += ["binary paid: sim / exact binomial"] if theory else []
    head += ["P(contract nets a payment)"]
    body = []
    for r in rows.itertuples():
        line = [f"{getattr(r, col):g}", pct(r.prob_cohort_paid, r.prob_cohort_paid_se),
                pct(r.prob_cohort_deducted, r.prob_cohort_deducted_se),
                pct(r.prob_cohort_dead_band, r.prob_cohort_dead_band_se)]
        if theory:
            line.append(f"{pct(r.prob_cohort_binary_paid)} / {pct(r.prob_cohort_binary_paid_theory)}")
        body.append([*line, pct(r.prob_contract_net_paid, r.prob_contract_net_paid_se)])
    return columns(head, body)


def _party_table(parties, col: str) -> str:
    names = list(dict.fromkeys(parties["party"]))[:SHOWN_PARTIES]
    body = []
    for effect, rows in parties.groupby(col, sort=True):
        cells = [f"{effect:g}"]
        for name in names:
            r = rows[rows["party"] == name].iloc[0]
            cells.append(f"{money(r.npv_gbp_mean, r.npv_gbp_se)}, loss {pct(r.prob_loss)}")
        body.append(cells)
    note = "" if len(set(parties["party"])) <= SHOWN_PARTIES else "\n(first parties only: all are in power_parties.csv)"
    return columns(["effect", *names], body) + note


def _needed_text(r) -> str:
    level = f"{100 * r.level:.0f}%"
    if not math.isfinite(r.effect):
        return f"{level} {r.note}"
    se = "" if not math.isfinite(r.se) else f"s.e. {r.se:.2g}; "
    text = f"{level} at {r.effect:.3g} ({se}95% {number(r.ci_low)} to {number(r.ci_high)})"
    return text + (f" [{r.note}]" if r.note else "")


# ---------------------------------------------------------------- compare

METRIC_NAMES = {
    "npv_gbp_mean": "mean NPV", "prob_loss": "P(loss)", "cvar_5_gbp": "CVaR 5%", "peak_funding_gbp_mean": "peak funding",
    "prob_reserves_exhausted": "P(reserves out)", "total_paid_gbp_mean": "total outlay",
    "npv_paid_gbp_mean": "outlay NPV", "outcome_payments_gbp_mean": "outcome payments",
    "effect_points_mean": "true fall in binary rate (points)", "reoffences_avoided_mean": "reoffences avoided",
    "outlay_per_point_gbp": "outlay per point of reduction", "outlay_per_reoffence_avoided_gbp": "outlay per reoffence avoided",
    "outcome_payments_per_point_gbp": "outcome payments per point",
    "outcome_payments_per_reoffence_avoided_gbp": "outcome payments per reoffence avoided",
}


def metric_value(metric: str, x: float, se: float | None = None) -> str:
    """A metric's value as a reader wants it: money, a chance, or a plain number."""
    if metric.startswith("prob_"):
        return pct(x, se)
    if metric.endswith(("_gbp", "_gbp_mean")):
        return money(x, se)
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:,.2f}" + ("" if se is None or not math.isfinite(se) else f" ±{se:,.2f}")


def design_codes(labels: Sequence[str]) -> dict[str, str]:
    """Short names for the designs in tables: A, B, C, ... (AA, AB, ... past Z)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return {label: letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i, label in enumerate(labels)}


def format_compare(result) -> str:
    """Per party and for the commissioner: each design's level (± s.e.) and its difference (± paired s.e.)."""
    codes = design_codes(result.labels)
    first = codes[result.labels[0]]
    out = []
    for who, rows in result.table.groupby("who", sort=False):
        body = []
        for r in rows.itertuples():
            diff = "" if codes[r.design] == first else metric_value(r.metric, r.diff, r.diff_se)
            body.append([METRIC_NAMES.get(r.metric, r.metric), codes[r.design], metric_value(r.metric, r.value, r.se),
                         diff])
        out += ["", f"{who}:", columns(["metric", "design", "level ± s.e.", f"minus {first} ± paired s.e."], body)]
    return "\n".join(out[1:])
