"""Key paths and metric names in words, with units, for axis labels and tables.

``supply_chain.subcontractors.small_charity.upfront_share`` reads "small_charity: share of the
fee paid up front (share, 0-1)"; ``prob_loss`` reads "chance of a loss (share of simulations)".
Keys not listed fall back to their own name with underscores as spaces and a unit from the
name's ending (``_gbp``: GBP, ``_months``: months).
"""

from __future__ import annotations

from .labels import NAMES, STATS

KEY_WORDS = {
    "upfront_share": ("share of the fee paid up front", "share, 0-1"),
    "pbr_upside_share": ("share of outcome payments received", "share, 0-1"),
    "deduction_share": ("share of deductions borne", "share, 0-1"),
    "management_fee": ("management fee kept by the prime", "share, 0-1"),
    "fee_share_passed": ("share of the fee passed down", "share, 0-1"),
    "caseload_share": ("share of the caseload", "share, 0-1"),
    "reserves_gbp": ("reserves at the start", "GBP"),
    "credit_line_gbp": ("credit line", "GBP"),
    "fixed_cost_per_month_gbp": ("fixed costs a month", "GBP"),
    "rate_gbp": ("fee for service rate", "GBP"),
    "binary_gbp_per_point_per_offender": ("outcome rate per point per offender", "GBP"),
    "frequency_gbp_per_reoffence": ("outcome rate per reoffence avoided", "GBP"),
    "maximum_annual_payment_gbp": ("maximum annual payment", "GBP"),
    "factor_mean": ("caseload as a multiple of the contracted volume", "x"),
    "contracted_cases_per_month": ("contracted cases a month", "cases"),
    "processing_lag_months": ("months to process results", "months"),
    "stretch_per_year": ("yearly baseline stretch", "share, 0-1"),
    "learning_curve_discount": ("yearly learning-curve discount", "share, 0-1"),
    "common_shock_points_mean": ("national shock to reoffending", "percentage points"),
}
EFFECTS = {"binary_points": ("true effect on the reoffending rate", "percentage points"),
           "frequency_relative": ("true relative cut in reoffences", "share, 0-1")}
OWNERS = ("subcontractors", "segments", "areas")


def key_words(key: str) -> str:
    """A key path as an axis label: its owner (a named entry), what it is, and its unit."""
    parts = key.split(".")
    owner = next((parts[i + 1] for i, p in enumerate(parts[:-1]) if p in OWNERS), None)
    leaf = parts[-1]
    if len(parts) >= 2 and parts[-2] in EFFECTS:
        words, unit = EFFECTS[parts[-2]]
        words = f"{words} ({leaf})"
    elif leaf in KEY_WORDS:
        words, unit = KEY_WORDS[leaf]
    else:
        words = leaf.replace("_", " ")
        unit = "GBP" if leaf.endswith("_gbp") else "months" if leaf.endswith("_months") else ""
    text = f"{owner}: {words}" if owner else words
    return f"{text} ({unit})" if unit else text


def metric_words(metric: str) -> str:
    """A sweep table's metric column as words with its unit ('npv_gbp_mean' -> 'NPV, mean (GBP)')."""
    head = max((n for n in NAMES if metric == n or metric.startswith(n + "_")), key=len, default=None)
    if head is None:
        return metric.replace("_", " ")
    rest = metric[len(head) + 1:]
    text = NAMES[head] + (f", {STATS.get(rest, rest.replace('_', ' '))}" if rest else "")
    if "gbp" in metric:
        return f"{text} (GBP)"
    return f"{text} (share of simulations)" if metric.startswith("prob_") else text
