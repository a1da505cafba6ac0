"""Figures of the sensitivity study: the tornado chart and the Sobol' indices.

Each takes a table of :mod:`simulator.studies.sensitivity` / :mod:`simulator.studies.sobol`
(``to_frame()``, or the CSV read back), draws on ``ax`` (a new figure when None) and returns
the axes. Greyscale-legible: the low end is light grey, the high end dark grey with hatching.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .compare_plots import LABELS
from .figures import GBP, new_axes

Z95 = 1.96


def _axis_format(ax: Axes, metric: str) -> None:
    if metric.startswith("prob_"):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    elif metric.endswith(("_gbp", "_gbp_mean")):
        ax.xaxis.set_major_formatter(GBP)


def plot_tornado(table, ax: Axes | None = None, *, metric: str = "npv_gbp_mean", base: float = 0.0,
                 party: str = "") -> Axes:
    """One bar per input, from its low-end to its high-end value, sorted by swing, with 95% paired bars."""
    rows = table.iloc[::-1]
    ax = ax or new_axes((9.0, 1.4 + 0.42 * len(rows)))
    y = np.arange(len(rows))
    for end, colour, hatch in (("low", "0.85", ""), ("high", "0.45", "///")):
        diff = rows[f"{end}_diff"].to_numpy(dtype=float)
        ax.barh(y, diff, left=base, height=0.7, color=colour, edgecolor="black", lw=0.6, hatch=hatch,
                xerr=Z95 * rows[f"{end}_diff_se"].to_numpy(dtype=float), capsize=2,
                label="low end (P10, or the term moved down)" if end == "low" else "high end (P90, or moved up)")
    ax.axvline(base, color="black", lw=0.9)
    ax.set_yticks(y, [str(v) for v in rows["input"]])
    _axis_format(ax, metric)
    label = LABELS.get(metric, metric)
    ax.set_xlabel(f"{label}; base {_base_text(base, metric)} (95% paired intervals)")
    ax.set_title(f"What moves {party}'s {label}", loc="left")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.legend(fontsize="small", loc="lower right")
    return ax


def _base_text(base: float, metric: str) -> str:
    if metric.startswith("prob_"):
        return f"{base:.1%}"
    from .units import gbp_exact

    return gbp_exact(base) if "gbp" in metric else f"{base:.4g}"


def plot_sobol(table, ax: Axes | None = None, *, metric: str = "npv_gbp_mean", party: str = "") -> Axes:
    """First-order and total indices per input group, with their confidence intervals."""
    ax = ax or new_axes((8.0, 1.4 + 0.5 * len(table)))
    y = np.arange(len(table))
    for k, (col, colour, hatch, name) in enumerate((("S1", "0.8", "", "first-order"),
                                                    ("ST", "0.4", "///", "total"))):
        ax.barh(y + (k - 0.5) * 0.38, table[col].to_numpy(dtype=float), height=0.36, color=colour, hatch=hatch,
                edgecolor="black", lw=0.6, xerr=table[f"{col}_conf"].to_numpy(dtype=float), capsize=2, label=name)
    ax.set_yticks(y, [str(v) for v in table["label"]])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of the variance (Sobol' index; bars: confidence intervals)")
    ax.set_title(f"Sobol' indices of {party}'s {LABELS.get(metric, metric)}", loc="left")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.legend(fontsize="small")
    return ax
