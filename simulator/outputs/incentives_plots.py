"""The figure of an incentives study: what the provider gains by spending more or less, per segment.

Takes the table of :mod:`simulator.studies.incentives` (``IncentivesResult.to_frame()`` or
incentives.csv read back), draws on ``ax`` (a new figure when None) and returns the axes:
the provider's mean NPV gain over spending as contracted against its spend (as a share of
the contracted level), one line per series (every segment together, or one segment alone),
with 95% paired bands; on a second axis, the true change in reoffending of the uniform series.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .figures import GBP, new_axes

Z95 = 1.96
STYLES = ("-", "--", ":", "-.")
MARKERS = "osv^D<>"


def plot_incentives(table, ax: Axes | None = None, *, design: str | None = None) -> Axes:
    """The provider's mean NPV gain against its spend per case, each series with a 95% paired band."""
    designs = list(dict.fromkeys(table["design"]))
    design = design if design is not None else designs[0]
    rows = table[(table["design"] == design) & table["multiplier"].notna()]
    if rows.empty:
        raise KeyError(f"no design named {design!r} in the incentives table; designs are {designs}")
    ax = ax or new_axes((8.0, 5.0))
    for i, (series, sub) in enumerate(rows.groupby("series", sort=False)):
        x, y, se = (sub[c].to_numpy(float) for c in ("multiplier", "npv_gain_gbp", "npv_gain_se"))
        ax.fill_between(x, y - Z95 * se, y + Z95 * se, color="0.88", lw=0)
        ax.plot(x, y, ls=STYLES[i % 4], marker=MARKERS[i % 7], ms=4, color="black" if i == 0 else "0.35",
                lw=2.0 if i == 0 else 1.2, label=f"spend changed on: {series}")
    best = rows[rows["series"] == rows["series"].iloc[0]]
    top = best.loc[best["npv_gbp_mean"].idxmax()]
    ax.annotate(f"best: {top['multiplier']:.0%}", (top["multiplier"], top["npv_gain_gbp"]), xytext=(0, 12),
                textcoords="offset points", ha="center", fontsize="small")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(1.0, color="0.5", lw=0.8, ls=(0, (4, 2)))
    _reoffending_axis(ax, best)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(GBP)
    ax.set_xlabel("provider's spend per case, share of the contracted level")
    ax.set_ylabel("mean NPV gain over contracted spend (GBP)")
    ax.set_title(f"Does the design reward cutting spend? {design}")
    ax.grid(color="0.9", lw=0.6)
    ax.legend(fontsize="small", loc="lower left")
    return ax


def _reoffending_axis(ax: Axes, uniform) -> None:
    """Right axis: the cohorts' binary rate against the baseline when every segment's spend changes."""
    twin = ax.twinx()
    x = uniform["multiplier"].to_numpy(float)
    twin.plot(x, uniform["binary_vs_baseline_points"].to_numpy(float), color="0.55", ls=(0, (1, 1)), lw=1.6,
              marker="x", label="binary rate vs baseline (right axis, every segment)")
    twin.axhline(0, color="0.7", lw=0.6)
    twin.set_ylabel("binary rate minus baseline (points; up = more reoffending)")
    low, high = twin.get_ylim()
    bound = max(abs(low), abs(high), 1.0)
    twin.set_ylim(-bound, bound)
    twin.legend(fontsize="small", loc="upper right")
    twin.set_yticks(np.round(np.linspace(-bound, bound, 5), 1))
