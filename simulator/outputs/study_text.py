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
             .rstrip() for r in rows]
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


# ---------------------------------------------------------------- incentives


def _spend(point: dict, contracted: dict) -> str:
    return (f"{point['multiplier']:.0%} of the contracted spend per case ({gbp_exact(point['spend_gbp'])} a case on "
            f"average against {gbp_exact(contracted['spend_gbp'])})")


def _reoffending(point: dict, contracted: dict) -> str:
    change = point["true_effect_points"] - contracted["true_effect_points"]
    return (f"the true reoffending rate {'rises' if change < 0 else 'falls'} {abs(change):.1f} points against spending "
            f"as contracted, and the cohorts' measured binary rate sits {point['binary_vs_baseline_points']:+.1f} "
            f"points against the baseline ({contracted['binary_vs_baseline_points']:+.1f} as contracted)")


def incentive_words(a: dict) -> list[str]:
    """The answers of one design in plain sentences (see ``studies.incentive_answers``)."""
    c, u, party = a["contracted"], a["best_uniform"], a["party"]
    gain = f"{gbp_exact(u['npv_gain_gbp'])} (paired s.e. {gbp_exact(u['npv_gain_se'])})"
    if a["rewards_cutting"]:
        cut = (f"Yes, this design rewards cutting spend: {party}'s mean NPV is highest at {_spend(u, c)}, {gain} above "
               f"spending as contracted, while {_reoffending(u, c)}. This is the SMF (2013) finding.")
    elif u["multiplier"] < 1.0:
        cut = (f"Not clearly: {party}'s mean NPV is highest at {_spend(u, c)}, but the gain, {gain}, is within "
               "two paired standard errors of spending as contracted.")
    else:
        low = a["lowest_uniform"]
        cut = (f"No, this design does not reward cutting spend: {party}'s mean NPV is highest at {_spend(u, c)}; "
               f"cutting to {low['multiplier']:.0%} would change it by {gbp_exact(low['npv_gain_gbp'])} "
               f"(paired s.e. {gbp_exact(low['npv_gain_se'])}).")
    h, e = a["best_hardest"], a["best_easiest"]
    parks = a["rewards_parking_hardest"]
    park = (f"{'Yes' if parks else 'No'}, it {'rewards' if parks else 'does not reward'} parking the hardest segment "
            f"({a['hardest_segment']}): spending {h['multiplier']:.0%} of the contracted level there alone changes "
            f"{party}'s mean NPV by {gbp_exact(h['npv_gain_gbp'])} (paired s.e. {gbp_exact(h['npv_gain_se'])}).")
    cream = (f"Its best spend on the easiest segment ({a['easiest_segment']}) is {e['multiplier']:.0%} of contracted "
             f"against {h['multiplier']:.0%} on the hardest: "
             + ("it rewards concentrating on the easiest cases." if a["rewards_concentrating_on_easiest"]
                else "it does not tilt effort towards the easiest cases."))
    b = a["best"]
    spends = ", ".join(f"{s} {gbp_exact(v)}" for s, v in b["spend_by_segment_gbp"].items())
    best = (f"At the NPV-maximising spend ({spends} a case) {party}'s mean NPV is {gbp_exact(b['npv_gbp_mean'])} "
            f"({gbp_exact(b['npv_gain_gbp'])} above contracted, s.e. {gbp_exact(b['npv_gain_se'])}); the commissioner "
            f"pays {gbp_exact(b['commissioner_outlay_gbp_mean'])} ({gbp_exact(b['commissioner_outlay_change_gbp'])} "
            f"against contracted spend) and {_reoffending(b, c)}.")
    return [cut, park, cream, best]


def format_incentives(result) -> str:
    """Per design: the answers in words, then a table of the uniform-spend series."""
    out = []
    for label, a in result.answers().items():
        rows = result.table[(result.table["design"] == label) & (result.table["series"] == "all segments")]
        body = [[f"{r.multiplier:.0%}", gbp_exact(r.spend_gbp), money(r.npv_gbp_mean, r.npv_gbp_se),
                 money(r.npv_gain_gbp, r.npv_gain_se), pct(r.prob_loss), f"{r.true_effect_points:+.2f}",
                 f"{r.binary_vs_baseline_points:+.2f}", gbp_exact(r.commissioner_outlay_gbp_mean)] for r in rows.itertuples()]
        head = ["spend", "per case", f"{result.party} mean NPV", "gain ± paired s.e.", "P(loss)", "true effect (pts)",
                "binary vs baseline (pts)", "commissioner outlay"]
        out += ["", f"design: {label}", *(f"- {s}" for s in incentive_words(a)),
                "spend on every segment together:", columns(head, body)]
    if len(result.labels) > 1:
        out += ["", "how the answers change with the design:", incentive_summary(result)]
    return "\n".join(out[1:])


def incentive_summary(result) -> str:
    """One line per design: the best uniform spend, its gain and reoffending, and the three answers."""
    body = []
    for label, a in result.answers().items():
        u = a["best_uniform"]
        body.append([label, f"{u['multiplier']:.0%}", money(u["npv_gain_gbp"], u["npv_gain_se"]),
                     f"{u['binary_vs_baseline_points']:+.1f}", "yes" if a["rewards_cutting"] else "no",
                     "yes" if a["rewards_parking_hardest"] else "no",
                     "yes" if a["rewards_concentrating_on_easiest"] else "no"])
    head = ["design", "best spend (all)", "gain ± paired s.e.", "binary vs baseline there", "rewards cutting",
            "parks hardest", "favours easiest"]
    return columns(head, body)
