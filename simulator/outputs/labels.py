"""Summary metrics and scenario inputs as labelled rows, shared by the report and the workbook.

Every row keeps its summary.json key path, so a reader of either output can find the
number in the files; standard errors sit beside the estimate they belong to.
"""

from __future__ import annotations

import math

from ..results import Results
from ..scenario.paths import scenario_paths

NAMES = {
    "npv_gbp": "NPV",
    "peak_funding_gbp": "Peak funding need",
    "revenue_gbp": "Revenue (undiscounted)",
    "cost_gbp": "Costs (undiscounted)",
    "total_paid_gbp": "Total outlay (undiscounted)",
    "npv_paid_gbp": "Outlay NPV",
    "prob_loss": "Probability of a loss (NPV < 0)",
    "cvar_5_gbp": "CVaR 5%: mean NPV of the worst 5% of simulations",
    "prob_reserves_exhausted": "Probability reserves and credit run out",
    "pbr_share_of_revenue": "PbR share of revenue",
    "first_pbr_cash_month": "First month PbR money moves (earliest simulation)",
    "first_pbr_cash_month_median": "First month PbR money moves (median)",
}
STATS = {
    "mean": "mean", "p5": "5th percentile", "p50": "median", "p95": "95th percentile",
    "fee_mean": "mean, fee for service", "pbr_mean": "mean, PbR (incl. foundation, net of clawbacks)",
}


def label(path: str) -> str:
    """A reader's label for a summary.json key path ('npv_gbp.p5' -> 'NPV, 5th percentile')."""
    head, _, last = path.partition(".")
    name = NAMES.get(head, head.replace("_", " "))
    return f"{name}, {STATS.get(last, last.replace('_', ' '))}" if last else name


KEY_INPUTS = (
    "term_months", "bedding_in_months", "cohort_period_months", "follow_up_months", "conviction_wait_months",
    "settlement_interval_months", "discount_rate_annual", "binary_points", "frequency_relative",
    "common_shock_points_sd", "contracted_cases_per_month", "factor_mean", "factor_sd", "estimation_cohort_size",
    "stretch_per_year", "rate_gbp", "learning_curve_discount", "volume_band", "monthly_gbp", "trigger",
    "significance_level", "binary_gbp_per_point_per_offender", "frequency_gbp_per_reoffence", "binary_hurdle",
    "maximum_annual_payment_gbp", "fixed_cost_per_month_gbp", "reserves_gbp", "credit_line_gbp", "caseload_share",
    "management_fee", "upfront_share", "pbr_upside_share", "deduction_share", "financing",
)

# ---------------------------------------------------------------- metrics as rows


def _se_key(path: str) -> list[str]:
    head, _, last = path.rpartition(".")
    pre = f"{head}." if head else ""
    keys = [f"{path}_se", f"{pre}se_{last}"]
    if last.endswith("_gbp"):
        keys.append(f"{pre}{last[:-4]}_se_gbp")
    return keys


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def metric_rows(block: dict) -> list[tuple[str, str, float | None, float | None]]:
    """(key path, label, value, Monte Carlo s.e.) for every metric of a summary.json block.

    Standard errors are folded into their metric's row (``x.se_mean`` beside ``x.mean``,
    ``prob_loss_se`` beside ``prob_loss``); key paths match summary.json.
    """
    flat = _flatten(block)
    se_keys = {k for path in flat for k in _se_key(path) if k in flat}
    rows = []
    for path, value in flat.items():
        if path in se_keys:
            continue
        se = next((flat[k] for k in _se_key(path) if k in flat), None)
        rows.append((path, label(path), value, se))
    return rows


def kind_of(path: str) -> str:
    """How to show a metric: 'gbp', 'pct', 'month' or 'number' (from its key path)."""
    if "gbp" in path:
        return "gbp"
    if path.startswith(("prob_", "pbr_share", "binary_rate")):
        return "pct"
    if "month" in path:
        return "month"
    return "number"


def fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "gbp":
        return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"
    if kind == "pct":
        return f"{100 * value:.2f}%"
    if kind == "month":
        return f"{value:g}"
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------- inputs as rows


def input_rows(results: Results) -> list[tuple[str, object]]:
    """(key path, value) for every scenario input, paths in the form ``--set`` takes (None: not set)."""
    return scenario_paths(results.scenario)


def key_input_rows(results: Results) -> list[tuple[str, object]]:
    return [(p, v) for p, v in input_rows(results) if any(part in KEY_INPUTS for part in p.split("."))]
