"""Plain-text views for the terminal: the per-party summary table and a sweep's points."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ScenarioError
from ..scenario import Scenario, scenario_from_dict
from ..scenario.paths import number_text, scenario_paths, value_text
from ..studies.sweep import CSV_FILE
from .units import gbp_text as gbp


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def summary_table(summary: dict) -> str:
    """A fixed-width table: one row per party, then the commissioner's outlay."""
    head = ("party", "NPV mean (±se)", "NPV p5", "NPV p95", "P(loss)", "CVaR 5%", "peak fund mean",
            "peak fund p95", "P(reserves out)", "PbR share", "1st PbR month")
    rows = [head]
    for name, p in summary["parties"].items():
        npv = p["npv_gbp"]
        rows.append((
            name,
            f"{gbp(npv['mean'])} (±{gbp(npv['se_mean'])})",
            gbp(npv["p5"]),
            gbp(npv["p95"]),
            pct(p["prob_loss"]),
            gbp(p["cvar_5_gbp"]),
            gbp(p["peak_funding_gbp"]["mean"]),
            gbp(p["peak_funding_gbp"]["p95"]),
            pct(p["prob_reserves_exhausted"]),
            pct(p["pbr_share_of_revenue"]),
            "-" if p["first_pbr_cash_month"] is None else str(p["first_pbr_cash_month"]),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    paid = summary["commissioner"]["total_paid_gbp"]
    lines.append("")
    lines.append(
        f"commissioner total outlay: mean {gbp(paid['mean'])} (±{gbp(paid['se_mean'])}), "
        f"p5 {gbp(paid['p5'])}, p95 {gbp(paid['p95'])}  (undiscounted, all months)"
    )
    for area, a in summary["areas"].items():
        met = a.get("prob_cohort_met")
        target = f", met its target {pct(met)}" if met is not None and met != a["prob_cohort_paid"] else ""
        pooled = f", pooled trigger paid {pct(a['prob_pooled_paid'])}" if "prob_pooled_paid" in a else ""
        lines.append(
            f"area {area}: cohort paid {pct(a['prob_cohort_paid'])}, deducted {pct(a['prob_cohort_deducted'])}"
            f"{target}{pooled}; "
            f"binary rate {pct(a['binary_rate']['mean'])} vs baseline {pct(a['binary_rate']['baseline_mean'])}"
        )
    return "\n".join(lines)


SHOWN_PARTIES = 6


def choose_parties(raw: dict, wanted: Sequence[str], *, source: str) -> tuple[list[str], str]:
    """Parties to print and plot: those asked for (checked), else the first few; and a note if cut."""
    names = scenario_from_dict(raw, source=source).party_names()
    unknown = [p for p in wanted if p not in names]
    if unknown:
        raise ScenarioError("--party", unknown[0], f"is not a party of this scenario (parties: {', '.join(names)})",
                            has_value=False)
    if wanted:
        return list(wanted), ""
    if len(names) <= SHOWN_PARTIES:
        return names, ""
    return names[:SHOWN_PARTIES], (f"showing {SHOWN_PARTIES} of {len(names)} parties (all are in {CSV_FILE}); "
                                   "choose others with --party")


def format_points(table, keys: Sequence[str], metric: str, *, parties: Sequence[str] | None = None,
                  max_rows: int = 30) -> str:
    """A fixed-width view of one metric: one line per point, one column per party (money as GBP)."""
    if parties:
        table = table[table["party"].isin(parties)]
    wide = table.pivot_table(index=["point", *keys], columns="party", values=metric, aggfunc="first", sort=False)
    wide = wide.reset_index().drop(columns="point")
    shown = wide.head(max_rows).astype(object)
    for column in shown.columns:
        kind = column if column in keys else metric
        shown[column] = [v if isinstance(v, str) else number_text(v, kind) for v in shown[column]]
    text = shown.to_string(index=False)
    if len(wide) > max_rows:
        text += f"\n... {len(wide) - max_rows} more points (see {CSV_FILE})"
    return f"{metric} by point and party:\n{text}"


def paths_listing(scenario: Scenario) -> str:
    """Every key path a user may vary (``--set``, ``sweep --vary``, ``breakeven --solve``) with its value."""
    lines = ["key paths you may vary (run --set KEY=VALUE, sweep --vary, breakeven --solve) and their values:"]
    lines += [f"  {path} = {value_text(value)}" for path, value in scenario_paths(scenario)]
    if len(scenario.areas) > 1:
        lines.append("a path without 'areas.NAME.' (e.g. volume.factor_mean) sets that key in every area")
    return "\n".join(lines)
