"""Shared pieces of the figures: axes on an Agg canvas, GBP ticks, fans, month axes, saving.

No pyplot and no global state: every figure is drawn on its own
:class:`matplotlib.figure.Figure`. Greyscale-legible by construction (grey bands, line
styles, hatching).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import __version__ as mpl_version
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..atomic import atomic_write
from ..results import Results
from ..results.cash import party_reserves  # noqa: F401  (re-exported for plots and the workbook)
from ..scenario.dates import month_text
from .units import gbp_text

FIG_SIZE = (8.0, 4.5)
BAND_OUTER, BAND_INNER = "0.85", "0.6"
PLOT_DIR = "plots"
FORMATS = ("png", "svg")


# boxplot's ``vert`` gave way to ``orientation`` in matplotlib 3.10
HORIZONTAL = {"orientation": "horizontal"} if tuple(map(int, mpl_version.split(".")[:2])) >= (3, 10) else {"vert": False}


class NoMonthlyData(ValueError):
    """The figure needs monthly cash flows, which this run did not keep (--no-monthly)."""


# ---------------------------------------------------------------- helpers


def new_axes(figsize: tuple[float, float] = FIG_SIZE) -> Axes:
    """Axes on a fresh Agg-backed figure (independent of pyplot's current backend)."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def gbp_tick(x: float, _pos=None) -> str:
    return gbp_text(x, digits=1)


GBP = FuncFormatter(gbp_tick)


def monthly(results: Results, name: str) -> np.ndarray:
    """A sims x parties x months array, or :class:`NoMonthlyData` when it was not kept."""
    arr = results.arrays.get(name)
    if arr is None or arr.ndim != 3 or arr.shape[0] != results.sims:
        raise NoMonthlyData(f"this run kept no '{name}' per simulation "
                            "(it was run with --no-monthly, or keep_components=False)")
    return arr


def who(results: Results, party: str | None) -> tuple[list[int], str]:
    if party is None:
        return list(range(len(results.party_names))), "all parties combined"
    return [results.party_index(party)], party


def fan(ax: Axes, months: np.ndarray, paths: np.ndarray) -> None:
    """Median with 5-95% and 25-75% bands of ``paths`` (sims x months)."""
    p5, p25, p50, p75, p95 = np.percentile(paths, [5, 25, 50, 75, 95], axis=0)
    ax.fill_between(months, p5, p95, color=BAND_OUTER, lw=0, label="5-95% of simulations")
    ax.fill_between(months, p25, p75, color=BAND_INNER, lw=0, label="25-75%")
    ax.plot(months, p50, color="black", lw=1.8, label="median")


def mark_pay_months(ax: Axes, results: Results) -> None:
    pay = np.unique(results.cohort_pay_month)
    ax.plot(pay, np.zeros(len(pay)), ls="none", marker="^", ms=8, color="black", mfc="white", clip_on=False,
            transform=ax.get_xaxis_transform(), label="PbR settlement month")
    for m in pay:
        ax.axvline(m, color="0.5", lw=0.6, ls=(0, (1, 3)))


def month_axis(ax: Axes, label: str = "month from contract start") -> None:
    ax.set_xlabel(label)
    ax.grid(axis="y", color="0.9", lw=0.6)


def dated_months(ax: Axes, results: Results) -> Axes:
    """Month ticks as calendar months ('Feb 2016') when the scenario gives ``timeline.start_date``."""
    start = results.scenario.timeline.start_date
    if start is not None:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: month_text(start, round(x)) if x >= 0 else ""))
        ax.set_xlabel(f"month (contract start {month_text(start, 0)})")
    return ax


def finish_gbp_histogram(ax: Axes, *, xlabel: str, title: str) -> Axes:
    """GBP x axis, counts of simulations, title and legend: the finish of the distribution figures."""
    ax.xaxis.set_major_formatter(GBP)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("number of simulations")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def finish_money_by_month(ax: Axes, *, ylabel: str, title: str, legend_loc: str = "best") -> Axes:
    """GBP y axis, month x axis, title and legend: the common finish of the over-time figures."""
    ax.yaxis.set_major_formatter(GBP)
    ax.set_ylabel(ylabel)
    month_axis(ax)
    ax.set_title(title)
    ax.legend(fontsize="small", loc=legend_loc)
    return ax


def save_figure(ax: Axes, path: Path) -> Path:
    """Write the figure holding ``ax`` atomically, in the format its suffix names."""
    return atomic_write(path, lambda f: ax.figure.savefig(f, format=path.suffix[1:], dpi=120))
