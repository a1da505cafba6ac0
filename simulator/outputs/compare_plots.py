"""The figure of a design comparison: each design's difference from the first, with paired intervals.

Takes the table of :mod:`simulator.studies.compare` (``CompareResult.to_frame()`` or
compare.csv read back), draws on ``ax`` (a new figure when None) and returns the axes.
Bars are grey with hatching per design, so the figure reads in greyscale.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .figures import GBP, new_axes

Z95 = 1.96
HATCHES = ("", "///", "...", "xx", "\\\\", "oo")
LABELS = {"npv_gbp_mean": "mean NPV (GBP)", "prob_loss": "chance of a loss", "cvar_5_gbp": "CVaR 5% (GBP)",
          "peak_funding_gbp_mean": "mean peak funding (GBP)", "prob_reserves_exhausted": "chance reserves run out"}


def plot_compare(table, ax: Axes | None = None, *, metric: str = "npv_gbp_mean") -> Axes:
    """Bars of ``metric``'s difference from the first design per party (and the commissioner), 95% paired bars."""
    rows = table[table["metric"] == metric]
    if rows.empty:
        raise KeyError(f"no metric {metric!r} in the comparison; metrics are {sorted(set(table['metric']))}")
    designs = list(dict.fromkeys(table["design"]))
    others, whos = designs[1:], list(dict.fromkeys(rows["who"]))
    ax = ax or new_axes((8.0, 1.2 + 0.55 * len(whos) * max(1, len(others))))
    height = 0.8 / max(1, len(others))
    for j, design in enumerate(others):
        sub = rows[rows["design"] == design].set_index("who").reindex(whos)
        y = np.arange(len(whos)) + (j - (len(others) - 1) / 2) * height
        ax.barh(y, sub["diff"], height=height * 0.9, color="0.75", edgecolor="black", lw=0.6,
                hatch=HATCHES[j % len(HATCHES)], xerr=Z95 * sub["diff_se"], capsize=3, label=f"{design} - {designs[0]}")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(np.arange(len(whos)), whos)
    ax.invert_yaxis()
    label = LABELS.get(metric, metric)
    if metric.startswith("prob_"):
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    elif metric.endswith(("_gbp", "_gbp_mean")):
        ax.xaxis.set_major_formatter(GBP)
    ax.set_xlabel(f"difference in {label} from '{designs[0]}' (95% paired interval)")
    ax.set_title(f"Design comparison on common random numbers: {label}")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.legend(fontsize="small")
    return ax
