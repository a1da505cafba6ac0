"""A self-contained HTML report of a run: figures as embedded PNG, metrics with their errors, inputs.

One file, no scripts, no network: it opens in any browser and can be forwarded on its own.
Every number comes from the :class:`Results` (its summary, arrays and scenario).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from . import plots
from .results import Results, atomic_write

REPORT_FILE = "report.html"

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


CAPTIONS = {
    "cash_fan": "Reserves plus cumulative net cash flow, month by month. Bands hold 90% and 50% of simulations. "
                "Below the dotted line the party is living on credit; triangles mark the months PbR is settled.",
    "commissioner_outlay": "Cumulative payments by the commissioner (fee for service, foundation and PbR, "
                           "net of clawbacks), undiscounted.",
    "npv_distribution": "Net present value over the contract across simulations; the hatched region is a loss.",
    "loss_exceedance": "Read across: the chance that the loss is larger than the amount on the horizontal axis.",
    "peak_funding": "The most working capital needed at any point: the lowest cumulative net cash flow, negated. "
                    "Beyond the reserves line the party needs credit or fails.",
    "pbr_vs_fee": "Money received by month (or by cohort): fee for service against outcome payments, "
                  "which arrive years after the work.",
    "cohort_binary": "Share of each cohort with a proven reoffence, against the baseline and its yearly stretch.",
    "cohort_frequency": "Proven reoffences per offender in each cohort, against the baseline and its stretch.",
}

KEY_INPUTS = (
    "term_months", "bedding_in_months", "cohort_period_months", "follow_up_months", "conviction_wait_months",
    "settlement_interval_months", "discount_rate_annual", "binary_points", "frequency_relative",
    "common_shock_points_sd", "contracted_cases_per_month", "factor_mean", "factor_sd", "estimation_cohort_size",
    "stretch_per_year", "rate_gbp", "learning_curve_discount", "volume_band", "monthly_gbp", "trigger",
    "significance_level", "binary_gbp_per_point_per_offender", "frequency_gbp_per_reoffence", "binary_hurdle",
    "maximum_annual_payment_gbp", "fixed_cost_per_month_gbp", "reserves_gbp", "credit_line_gbp", "caseload_share",
    "management_fee", "upfront_share", "pbr_upside_share", "deduction_share", "financing",
)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #333;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #999;padding:.25em .6em}
th{background:#eee;text-align:left}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
figure{margin:1.2em 0;page-break-inside:avoid}figure img{max-width:100%;height:auto;border:1px solid #ccc}
figcaption{font-size:.9em;color:#333}.missing{border:2px dashed #666;padding:1em;background:#f6f6f6}
.meta{color:#333;font-size:.9em}nav a{margin-right:1em}code{font-size:.9em}
"""


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
    """(key path, value) for every scenario input, distributions written compactly as text."""
    return list(_walk(results.scenario.model_dump(), ""))


def _walk(node, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict) and "dist" in node:
        yield path, _dist_text(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        for i, item in enumerate(node):
            label = item.get("name", i)
            yield from _walk(item, f"{path}[{label}]")
    else:
        yield path, node


def _dist_text(d: dict) -> str:
    if d["dist"] == "fixed":
        return f"{d['value']:g}"
    if d["dist"] == "normal":
        return f"normal(mean {d['mean']:g}, sd {d['sd']:g})"
    return f"uniform({d['low']:g}, {d['high']:g})"


def key_input_rows(results: Results) -> list[tuple[str, object]]:
    return [(p, v) for p, v in input_rows(results) if p.rsplit(".", 1)[-1] in KEY_INPUTS]


# ---------------------------------------------------------------- HTML pieces

e = html.escape


def _table(head: list[str], rows: list[list[str]], num_from: int = 1) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{e(c)}</td>' if i >= num_from else f"<td>{e(c)}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _inputs_table(rows: list[tuple[str, object]]) -> str:
    return _table(["input", "value"], [[p, "-" if v is None else str(v)] for p, v in rows])


def _metrics_table(block: dict) -> str:
    rows = [[label, fmt(v, kind_of(p)), fmt(se, kind_of(p)), p] for p, label, v, se in metric_rows(block)]
    return _table(["metric", "estimate", "Monte Carlo s.e.", "summary.json key"], rows)


def _overview_table(summary: dict) -> str:
    rows = []
    for name, p in summary["parties"].items():
        npv = p["npv_gbp"]
        rows.append([name, f"{fmt(npv['mean'], 'gbp')} ± {fmt(npv['se_mean'], 'gbp')}", fmt(npv["p5"], "gbp"),
                     f"{fmt(p['prob_loss'], 'pct')} ± {fmt(p['prob_loss_se'], 'pct')}",
                     fmt(p["cvar_5_gbp"], "gbp"),
                     f"{fmt(p['peak_funding_gbp']['mean'], 'gbp')} ± {fmt(p['peak_funding_gbp']['se_mean'], 'gbp')}",
                     f"{fmt(p['prob_reserves_exhausted'], 'pct')} ± {fmt(p['prob_reserves_exhausted_se'], 'pct')}",
                     fmt(p["first_pbr_cash_month"], "month")])
    head = ["party", "NPV mean ± s.e.", "NPV 5th pct", "P(loss) ± s.e.", "CVaR 5%", "peak funding mean ± s.e.",
            "P(reserves run out) ± s.e.", "first PbR month"]
    return _table(head, rows)


def grey_png(ax, dpi: int = 100) -> bytes:
    """The figure as an 8-bit greyscale PNG: the figures use no colour, and it is 3-4 times smaller."""
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=dpi)
    out = io.BytesIO()
    Image.open(buf).convert("L").save(out, format="PNG", optimize=True)
    return out.getvalue()


def _figure(results: Results, stem: str, party: str | None, draw) -> str:
    base = stem if party is None else stem[: -len(party) - 1]
    base = "cohort_binary" if base.startswith("cohort_binary") else base
    base = "cohort_frequency" if base.startswith("cohort_frequency") else base
    fig_id = f"fig-{stem}"
    try:
        ax = draw(results, plots.new_axes())
    except plots.NoMonthlyData as exc:
        return (f'<figure id="{e(fig_id)}" class="figure"><div class="missing">Not available: {e(str(exc))}. '
                f"Re-run without <code>--no-monthly</code> to see this figure.</div>"
                f"<figcaption>{e(CAPTIONS.get(base, ''))}</figcaption></figure>")
    data = base64.b64encode(grey_png(ax)).decode("ascii")
    title = ax.get_title()
    return (f'<figure id="{e(fig_id)}" class="figure"><img alt="{e(title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{e(CAPTIONS.get(base, ''))}</figcaption></figure>")


def render_report(results: Results) -> str:
    """The report as one HTML string (figures embedded as base64 PNG)."""
    s = results.summary()
    sc = results.scenario
    specs = plots.figure_specs(results)
    prov = s["provenance"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>pbrsim report: {e(sc.name)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f"<h1>pbrsim report: {e(sc.name)}</h1>",
        f"<p>{e(sc.description)}</p>" if sc.description else "",
        f'<p class="meta">{results.sims:,} simulations, seed {results.seed}; scenario file '
        f"<code>{e(str(prov['scenario_file']))}</code> (SHA-256 <code>{e(prov['scenario_sha256'][:16])}</code>…); "
        f"pbrsim {e(prov['pbrsim_version'])}, numpy {e(prov['numpy_version'])}, numba {e(prov['numba_version'])}. "
        "Money in GBP; months from contract start. ± is one Monte Carlo standard error.</p>",
        "<nav>" + '<a href="#overview">Overview</a><a href="#scenario">Whole scenario</a>'
        + "".join(f'<a href="#party-{e(p)}">{e(p)}</a>' for p in results.party_names)
        + '<a href="#inputs">Inputs</a></nav>',
        '<section id="overview"><h2>Overview</h2>', _overview_table(s),
        _commissioner_text(s), "</section>",
        '<section id="scenario"><h2>Whole scenario</h2>',
        *(_figure(results, stem, party, draw) for stem, party, draw in specs if party is None),
        _areas_table(s), "</section>",
    ]
    for party in results.party_names:
        parts += [f'<section id="party-{e(party)}"><h2>Party: {e(party)}</h2>',
                  _reserves_text(results, party),
                  *(_figure(results, stem, p, draw) for stem, p, draw in specs if p == party),
                  f"<h3>Summary metrics: {e(party)}</h3>", _metrics_table(s["parties"][party]), "</section>"]
    parts += ['<section id="inputs"><h2>Scenario inputs</h2><h3>Key inputs</h3>',
              _inputs_table(key_input_rows(results)),
              "<details><summary>All inputs</summary>",
              _inputs_table(input_rows(results)),
              "</details></section>", "</body>", "</html>"]
    return "\n".join(x for x in parts if x)


def _commissioner_text(s: dict) -> str:
    c = s["commissioner"]
    rows = [[lab, fmt(v, "gbp"), fmt(se, "gbp"), f"commissioner.{p}"]
            for p, lab, v, se in metric_rows(c)]
    return "<h3>Commissioner</h3>" + _table(["metric", "estimate", "Monte Carlo s.e.", "summary.json key"], rows)


def _areas_table(s: dict) -> str:
    rows = []
    for name, a in s["areas"].items():
        rows.append([name, fmt(a["mean_cohort_size"], "number"),
                     f"{fmt(a['binary_rate']['mean'], 'pct')} vs {fmt(a['binary_rate']['baseline_mean'], 'pct')}",
                     f"{fmt(a['frequency_per_offender']['mean'], 'number')} vs "
                     f"{fmt(a['frequency_per_offender']['baseline_mean'], 'number')}",
                     f"{fmt(a['prob_cohort_paid'], 'pct')} ± {fmt(a['prob_cohort_paid_se'], 'pct')}",
                     f"{fmt(a['prob_cohort_deducted'], 'pct')} ± {fmt(a['prob_cohort_deducted_se'], 'pct')}",
                     fmt(a["cohort_pbr_gbp"]["mean"], "gbp")])
    head = ["area", "mean cohort size", "binary rate vs baseline", "reoffences per offender vs baseline",
            "P(cohort paid) ± s.e.", "P(cohort deducted) ± s.e.", "mean PbR per cohort"]
    return "<h3>Cohorts by area</h3>" + _table(head, rows)


def _reserves_text(results: Results, party: str) -> str:
    reserves, credit = plots.party_reserves(results)
    i = results.party_index(party)
    return (f"<p>Reserves {fmt(float(reserves[i]), 'gbp')}, credit line {fmt(float(credit[i]), 'gbp')} "
            "(scenario inputs).</p>")


def write_report(results: Results, out_dir: str | Path) -> Path:
    """Write ``out_dir/report.html`` atomically (the caller checks for overwrites)."""
    text = render_report(results)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write(out / REPORT_FILE, lambda f: f.write(text.encode("utf-8")))
