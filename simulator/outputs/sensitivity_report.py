"""The sensitivity study as people read it: terminal tables, figures (PNG/SVG) and report.html."""

from __future__ import annotations

import math
from pathlib import Path

from .study_plots import save_study_figure
from .study_report import REPORT_FILE, Section, write_study_report
from .study_text import columns, metric_value, pct
from .units import gbp_exact

SENSITIVITY_FIGURES = ("tornado.png", "tornado.svg", "sobol.png", "sobol.svg")


def setting_text(value, key: str) -> str:
    """A bar end's setting: 'P10' for inputs; a term's value, in GBP when the key is money."""
    if isinstance(value, str):
        return value
    if key.endswith("_gbp") or "_gbp_" in key:
        return gbp_exact(value)
    return f"{value:.4g}"


def tornado_rows(result) -> tuple[list[str], list[list[str]]]:
    """Each bar's settings, ends and swing with paired s.e., largest swing first."""
    m = result.metric
    rows = [[r.input, setting_text(r.low_setting, r.input), setting_text(r.high_setting, r.input),
             metric_value(m, r.low_diff, r.low_diff_se), metric_value(m, r.high_diff, r.high_diff_se),
             metric_value(m, r.swing, r.swing_se)] for r in result.table.itertuples()]
    return ["input or term", "low", "high", "low - base ± s.e.", "high - base ± s.e.", "swing ± s.e."], rows


def format_tornado(result) -> str:
    m = result.metric
    return (f"{result.party} {m} at base: {metric_value(m, result.base, result.base_se)} "
            f"({result.sims:,} simulations per setting, seed {result.seed}, common random numbers)\n"
            + columns(*tornado_rows(result)))


def sobol_rows(result) -> tuple[list[str], list[list[str]]]:
    """The Sobol' indices with their confidence half-widths, largest total first."""
    table = result.table.sort_values("ST", ascending=False)
    rows = [[r.label, _index(r.S1, r.S1_conf), _index(r.ST, r.ST_conf)] for r in table.itertuples()]
    return ["input", "first-order", "total"], rows


def format_sobol(result) -> str:
    return (f"Sobol' indices of {result.party}'s {result.metric} ({result.sims:,} simulations: {result.n:,} base "
            f"samples, seed {result.seed}; ± half-width of the {result.conf_level:.0%} interval)\n"
            + columns(*sobol_rows(result)))


def _index(x: float, conf: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{pct(x)} ±{100 * conf:.1f}%"


def write_sensitivity_outputs(tornado, sobol, out_dir: str | Path, *, report: bool) -> list[Path]:
    """tornado.png/svg, sobol.png/svg (when computed), and report.html when asked."""
    ax_t = tornado.plot()
    written = save_study_figure(ax_t, out_dir, "tornado")
    ax_s = None
    if sobol is not None:
        ax_s = sobol.plot()
        written += save_study_figure(ax_s, out_dir, "sobol")
    if report:
        sections = [_tornado_section(tornado, ax_t)] + ([_sobol_section(sobol, ax_s)] if sobol is not None else [])
        meta = f"Party {tornado.party}, metric {tornado.metric}; seed {tornado.seed}."
        written.append(write_study_report(out_dir, "pbrsim sensitivity", meta, sections))
    return written


def _tornado_section(result, ax) -> Section:
    words = [f"Each uncertain input was set to its 10th and then its 90th percentile in all {result.sims:,} "
             "simulations (inputs drawn many times, such as every cohort's shock, all at once), and each contract "
             "term moved down and up, everything else on the same random numbers. Bars are sorted by swing; "
             "each difference carries its paired standard error."]
    return Section("What drives the result: the tornado", words, [ax], [tornado_rows(result)])


def _sobol_section(result, ax) -> Section:
    words = ["The share of the result's variance each input explains on its own (first-order) and with all its "
             "interactions (total), by SALib's Sobol' estimators (Saltelli 2010, Jansen 1999) with bootstrap "
             "intervals. 'Chance' is what no input controls: which offenders reoffend, noise in cohorts and volumes."]
    return Section("How the variance splits: Sobol' indices", words, [ax], [sobol_rows(result)])


__all__ = ["REPORT_FILE", "SENSITIVITY_FIGURES", "format_sobol", "format_tornado", "write_sensitivity_outputs"]
