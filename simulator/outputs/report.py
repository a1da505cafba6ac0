"""A self-contained HTML report of a run: figures as embedded PNG, metrics with their errors, inputs.

One file, no scripts, no network: it opens in any browser and can be forwarded on its own.
Every number comes from the :class:`Results` (its summary, arrays and scenario).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from ..atomic import atomic_write
from ..results import Results
from ..scenario.paths import value_text
from . import plots
from .labels import fmt, input_rows, key_input_rows, kind_of, metric_rows
from .plain import plain_lines
from .report_plan import detailed_parties, is_large, report_figures

REPORT_FILE = "report.html"

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
    "area_headroom": "For each party of the area: the share of its reserves and credit left, month by month, in bad "
                     "futures (5th percentile, black) and typical ones (median, grey). Below 0% the party has run out.",
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #333;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #999;padding:.25em .6em}
th{background:#eee;text-align:left}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
figure{margin:1.2em 0;page-break-inside:avoid}figure img{max-width:100%;height:auto;border:1px solid #ccc}
figcaption{font-size:.9em;color:#333}.missing{border:2px dashed #666;padding:1em;background:#f6f6f6}
.meta{color:#333;font-size:.9em}nav a{margin-right:1em;display:inline-block}code{font-size:.9em}
table{max-width:100%}td,th{overflow-wrap:anywhere}.plain li{margin:.3em 0}
"""


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
    return _table(["input (key path)", "value"], [[p, value_text(v)] for p, v in rows])


def _metrics_table(block: dict) -> str:
    rows = [[label, fmt(v, kind_of(p)), fmt(se, kind_of(p)), p] for p, label, v, se in metric_rows(block)]
    return _table(["metric", "estimate", "Monte Carlo s.e.", "summary.json key"], rows)


def overview_table(summary: dict) -> str:
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


def grey_png(ax, dpi: int = 100, *, optimize: bool = True) -> bytes:
    """The figure as an 8-bit greyscale PNG: the figures use no colour, and it is 3-4 times smaller.

    A figure of the package's own (Agg, no window) is drawn into Agg's pixel buffer and encoded
    once: the pixels ``savefig`` gives, without its colour PNG being encoded, decoded and encoded
    again as grey (a fifth of a report's time). Any other figure goes through ``savefig``.
    """
    fig = ax.figure
    if _buffer_is_savefig(fig):
        old_dpi = fig.dpi
        fig.set_dpi(dpi)
        try:
            fig.canvas.draw()
            rgba = Image.frombuffer("RGBA", fig.canvas.get_width_height(physical=True), fig.canvas.buffer_rgba(),
                                    "raw", "RGBA", 0, 1)
            grey = rgba.convert("L")
        finally:
            fig.set_dpi(old_dpi)
    else:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        grey = Image.open(buf).convert("L")
    out = io.BytesIO()
    grey.save(out, format="PNG", optimize=optimize)
    return out.getvalue()


def _buffer_is_savefig(fig) -> bool:
    """Whether Agg's buffer after a draw holds what ``savefig`` would write: a plain Agg canvas with no window
    (a GUI canvas would redraw and resize its window), ``savefig.*`` settings at matplotlib's defaults (a
    colour, transparency or tight box applies to saving only) and no animated artist (a draw leaves those out)."""
    rc = matplotlib.rcParams
    return (type(fig.canvas) is FigureCanvasAgg and fig.canvas.manager is None
            and rc["savefig.facecolor"] == "auto" and rc["savefig.edgecolor"] == "auto"
            and not rc["savefig.transparent"] and rc["savefig.bbox"] is None
            and not fig.findobj(lambda artist: artist.get_animated()))


def _figure(results: Results, stem: str, party: str | None, draw) -> str:
    base = stem if party is None else stem[: -len(party) - 1]
    base = next((b for b in ("cohort_binary", "cohort_frequency", "area_headroom") if base.startswith(b)), base)
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
    scenario_figs, party_figs = report_figures(results)
    shown = detailed_parties(results)
    prov = s["provenance"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="pbrsim-run-id" content="{e(results.run_id)}">',
        f"<title>pbrsim report: {e(sc.name)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f"<h1>pbrsim report: {e(sc.name)}</h1>",
        f"<p>{e(sc.description)}</p>" if sc.description else "",
        _plain_section(results),
        f'<p class="meta">{results.sims:,} simulations, seed {results.seed}, {e(s["mode"])} mode; scenario file '
        f"<code>{e(str(prov['scenario_file']))}</code> (SHA-256 <code>{e(prov['scenario_sha256'][:16])}</code>…); "
        f"pbrsim {e(prov['pbrsim_version'])}, numpy {e(prov['numpy_version'])}, numba {e(prov['numba_version'])}; "
        f"run <code>{e(results.run_id)}</code>. "
        "Money in GBP; months from contract start. ± is one Monte Carlo standard error.</p>",
        "<nav>" + '<a href="#overview">Overview</a><a href="#scenario">Whole scenario</a>'
        + "".join(f'<a href="#party-{e(p)}">{e(p)}</a>' for p in shown)
        + ('<a href="#all-parties">Every party</a>' if is_large(results) else "")
        + '<a href="#inputs">Inputs</a></nav>',
        '<section id="overview"><h2>Overview</h2>', overview_table(s),
        _commissioner_text(s), "</section>",
        '<section id="scenario"><h2>Whole scenario</h2>', _large_note(results, shown),
        *(_figure(results, stem, party, draw) for stem, party, draw in scenario_figs),
        _areas_table(s), "</section>",
    ]
    for party in shown:
        parts += [f'<section id="party-{e(party)}"><h2>Party: {e(party)}</h2>',
                  _reserves_text(results, party),
                  *(_figure(results, stem, p, draw) for stem, p, draw in party_figs if p == party),
                  f"<h3>Summary metrics: {e(party)}</h3>", _metrics_table(s["parties"][party]), "</section>"]
    if is_large(results):
        parts += ['<section id="all-parties"><h2>Every party</h2><details><summary>Summary metrics of every party'
                  "</summary>", *(f"<h3>{e(p)}</h3>" + _metrics_table(s["parties"][p]) for p in results.party_names),
                  "</details></section>"]
    parts += ['<section id="inputs"><h2>Scenario inputs</h2><h3>Key inputs</h3>',
              _inputs_table(key_input_rows(results)),
              "<details><summary>All inputs</summary>",
              _inputs_table(input_rows(results)),
              "</details></section>", "</body>", "</html>"]
    return "\n".join(x for x in parts if x)


def _plain_section(results: Results) -> str:
    """The answer first: one plain-English line per party."""
    items = "".join(f"<li>{e(line)}</li>" for line in plain_lines(results).splitlines())
    return f'<section id="answer" class="plain"><h2>In plain words</h2><ul>{items}</ul></section>'


def _large_note(results: Results, shown: list[str]) -> str:
    if not is_large(results):
        return ""
    return (f"<p>{len(results.party_names)} parties: every party is in the tables; one figure per area shows "
            f"each party's cash headroom; the full set of figures is drawn for the {len(shown)} parties most "
            f"likely to run out of cash ({e(', '.join(shown))}).</p>")


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
