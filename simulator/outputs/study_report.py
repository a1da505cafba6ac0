"""The studies' figures and their self-contained HTML report (``report.html`` in the study's folder).

One page per study, in the style of the run report (same stylesheet, greyscale PNGs
embedded, no scripts, no network): the answer in words, the figures, the tables with their
standard errors, and what was run (scenario, sims, seed, versions).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from .._version import __version__
from ..atomic import atomic_write
from .report import CSS, _table, grey_png
from .study_plots import save_study_figure
from .study_text import money, number, pct

REPORT_FILE = "report.html"
POWER_FILES = ("power.png", "power.svg", "power_parties.png", "power_parties.svg")
e = html.escape


@dataclass
class Section:
    """One section of a study report: words, figures (axes) and tables (head, rows)."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)


def render_study(title: str, meta: str, sections: list[Section]) -> str:
    """The report as one HTML string."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', '<head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(title)}</title><style>{CSS}</style></head><body>", f"<h1>{e(title)}</h1>",
             f'<p class="meta">{e(meta)} pbrsim {e(__version__)}. Money in GBP; ± is one Monte Carlo standard error.</p>']
    for s in sections:
        parts.append(f"<section><h2>{e(s.heading)}</h2>")
        parts += [f"<p>{e(p)}</p>" for p in s.paragraphs]
        for ax in s.figures:
            data = base64.b64encode(grey_png(ax)).decode("ascii")
            parts.append(f'<figure><img alt="{e(ax.get_title())}" src="data:image/png;base64,{data}"></figure>')
        parts += [_table(head, rows) for head, rows in s.tables]
        parts.append("</section>")
    return "\n".join([*parts, "</body></html>"])


def write_study_report(out_dir: str | Path, title: str, meta: str, sections: list[Section]) -> Path:
    text = render_study(title, meta, sections)
    return atomic_write(Path(out_dir) / REPORT_FILE, lambda f: f.write(text.encode("utf-8")))


def _meta(result) -> str:
    return (f"Scenario {result.scenario} (file {result.source}); {result.sims:,} simulations per point, "
            f"seed {result.seed} at every point (common random numbers).")


# ---------------------------------------------------------------- power


def write_power_outputs(result, out_dir: str | Path, *, report: bool) -> list[Path]:
    """power.png/svg and power_parties.png/svg, and report.html when asked."""
    from .power_plots import plot_power, plot_power_parties

    curve, parties = plot_power(result.to_frame()), plot_power_parties(result.parties)
    written = save_study_figure(curve, out_dir, "power") + save_study_figure(parties, out_dir, "power_parties")
    if report:
        written.append(write_study_report(out_dir, f"pbrsim power study: {result.scenario}", _meta(result),
                                          [_power_section(result, curve, parties)]))
    return written


def _power_section(result, curve, parties) -> Section:
    col = result.effect_column
    unit = "points" if result.measure == "binary" else "relative cut"
    words = [f"Each point of the curve fixes the true {result.measure} effect and simulates the contract "
             f"{result.sims:,} times on the same random numbers. A cohort is paid when its net outcome payment is "
             "positive, deducted when negative, and in the dead band when nothing moves."]
    for r in result.needed.itertuples():
        if r.area in ("all", result.areas["area"].iloc[0]):
            words.append(f"{r.area}: a {100 * r.level:.0f}% chance of a cohort being paid needs a true effect of "
                         f"{number(r.effect)} {unit} (s.e. {number(r.se, 2)}; 95% interval {number(r.ci_low)} to "
                         f"{number(r.ci_high)}). {r.note}")
    if result.theory_gaps:
        words.append("The exact binomial theory leaves out: " + ", ".join(result.theory_gaps) + ".")
    rows = [[r.area, f"{getattr(r, col):g}", pct(r.prob_cohort_paid, r.prob_cohort_paid_se),
             pct(r.prob_cohort_deducted, r.prob_cohort_deducted_se),
             pct(r.prob_cohort_dead_band, r.prob_cohort_dead_band_se), pct(r.prob_cohort_binary_paid_theory)]
            for r in result.areas.itertuples()]
    head = ["area", "effect", "P(cohort paid)", "P(deducted)", "P(dead band)", "binary paid, exact binomial"]
    prow = [[r.party, f"{getattr(r, col):g}", money(r.npv_gbp_mean, r.npv_gbp_se), pct(r.prob_loss, r.prob_loss_se)]
            for r in result.parties.itertuples()]
    return Section("Power: paid for real work, or by luck?", words, [curve, parties],
                   [(head, rows), (["party", "effect", "mean NPV", "P(loss)"], prow)])


# ---------------------------------------------------------------- compare

COMPARE_FILES = ("compare.png", "compare.svg")


def write_compare_outputs(result, out_dir: str | Path, *, report: bool) -> list[Path]:
    """compare.png/svg (mean NPV differences), and report.html when asked."""
    from .compare_plots import plot_compare
    from .study_text import METRIC_NAMES, metric_value

    ax = plot_compare(result.to_frame())
    written = save_study_figure(ax, out_dir, "compare")
    if report:
        first = result.labels[0]
        words = [f"Every design ran {result.sims:,} simulations with seed {result.seed}. Differences are from "
                 f"'{first}', each with its paired standard error (the spread of the per-simulation differences), "
                 "which is far below either level's standard error when the designs share their simulated outcomes.",
                 *result.warnings]
        rows = [[r.who, METRIC_NAMES.get(r.metric, r.metric), r.design, metric_value(r.metric, r.value, r.se),
                 "reference" if r.design == first else metric_value(r.metric, r.diff, r.diff_se)]
                for r in result.table.itertuples()]
        head = ["party", "metric", "design", "level ± s.e.", f"minus '{first}' ± paired s.e."]
        meta = (f"Designs: {', '.join(result.labels)}; {result.sims:,} simulations each, seed {result.seed} "
                "for every design.")
        written.append(write_study_report(out_dir, "pbrsim design comparison", meta,
                                          [Section("Which design is better, and by how much?", words, [ax],
                                                   [(head, rows)])]))
    return written


# ---------------------------------------------------------------- incentives

INCENTIVE_FILES = ("incentives.png", "incentives.svg")


def incentive_figure_names(labels) -> tuple[str, ...]:
    """incentives.png/svg for the first design, incentives_2.png/svg ... for the others."""
    stems = ["incentives"] + [f"incentives_{i + 1}" for i in range(1, len(labels))]
    return tuple(f"{s}.{fmt}" for s in stems for fmt in ("png", "svg"))


def write_incentive_outputs(result, out_dir: str | Path, *, report: bool) -> list[Path]:
    """One figure per design (incentives.png/svg, incentives_2.png/svg, ...), and report.html when asked."""
    from .incentives_plots import plot_incentives
    from .study_text import incentive_words

    written, sections = [], []
    answers = result.answers()
    for i, label in enumerate(result.labels):
        ax = plot_incentives(result.table, design=label)
        written += save_study_figure(ax, out_dir, "incentives" if i == 0 else f"incentives_{i + 1}")
        rows = result.table[result.table["design"] == label]
        body = [[r.series, "-" if r.multiplier != r.multiplier else f"{r.multiplier:.0%}", money(r.spend_gbp),
                 money(r.npv_gbp_mean, r.npv_gbp_se), money(r.npv_gain_gbp, r.npv_gain_se), pct(r.prob_loss),
                 f"{r.true_effect_points:+.2f}", f"{r.binary_vs_baseline_points:+.2f}",
                 money(r.commissioner_outlay_gbp_mean)] for r in rows.itertuples()]
        head = ["spend changed on", "share of contracted", "mean spend per case", "mean NPV", "gain ± paired s.e.",
                "P(loss)", "true effect (points)", "binary vs baseline (points)", "commissioner outlay"]
        sections.append(Section(f"Design: {label}", incentive_words(answers[label]), [ax], [(head, body)]))
    if report:
        meta = (f"Provider: {result.party}; designs: {', '.join(result.labels)}; {result.sims:,} simulations per "
                f"spend level, seed {result.seed} at every level.")
        written.append(write_study_report(out_dir, "pbrsim incentives study: what does the design reward?", meta,
                                          sections))
    return written
