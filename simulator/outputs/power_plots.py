"""Figures of a power study: the chance of being paid against the true effect, and each party's risk.

Each function takes a table of :mod:`simulator.studies.power` (``PowerResult.to_frame()`` or
``.parties``, or power.csv read back), draws on ``ax`` (a new figure when None) and returns
the axes. Greyscale-legible: line styles and markers, not colours, tell the curves apart.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .figures import GBP, new_axes

Z95 = 1.96
EFFECT_LABELS = {"effect_binary_points": "true effect (points off the binary reoffending rate)",
                 "effect_frequency_relative": "true effect (relative cut in reoffences per reoffender)"}


def effect_column(table) -> str:
    """The effect the table varies (the other is held at the scenario's mean)."""
    varied = [c for c in EFFECT_LABELS if c in table.columns and table[c].nunique() > 1]
    return varied[0] if varied else "effect_binary_points"


def _whole(table, area: str | None):
    names = list(dict.fromkeys(table["area"]))
    name = area if area is not None else ("all" if "all" in names else names[0])
    if name not in names:
        raise KeyError(f"no area named {name!r} in the power table; areas are {names}")
    return table[table["area"] == name], name


def plot_power(table, ax: Axes | None = None, *, area: str | None = None) -> Axes:
    """P(cohort paid / deducted) against the true effect, 95% bands, and the exact binomial theory."""
    rows, name = _whole(table, area)
    col = effect_column(table)
    x = rows[col].to_numpy(dtype=float)
    ax = ax or new_axes()
    for key, label, style, marker in (("paid", "paid (net outcome payment > 0)", "-", "o"),
                                      ("deducted", "deducted", "--", "v")):
        y, se = rows[f"prob_cohort_{key}"].to_numpy(float), rows[f"prob_cohort_{key}_se"].to_numpy(float)
        ax.fill_between(x, np.clip(y - Z95 * se, 0, 1), np.clip(y + Z95 * se, 0, 1), color="0.85", lw=0)
        ax.plot(x, y, ls=style, marker=marker, color="black", ms=4, label=f"simulated: cohort {label}")
    theory = rows["prob_cohort_binary_paid_theory"].to_numpy(float)
    if np.isfinite(theory).all():
        ax.plot(x, rows["prob_cohort_binary_paid"].to_numpy(float), ls="none", marker="s", mfc="white",
                color="0.3", ms=6, label="simulated: binary measure paid")
        ax.plot(x, theory, ls=":", lw=2, color="0.3", marker="x", label="exact binomial theory: binary measure paid")
    for level in (0.5, 0.8):
        ax.axhline(level, color="0.6", lw=0.8, ls="-.")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlabel(EFFECT_LABELS[col])
    ax.set_ylabel("chance for one cohort")
    ax.set_title(f"Power curve: is a cohort paid for real work or by luck? ({name})")
    ax.grid(color="0.9", lw=0.6)
    ax.legend(fontsize="small", loc="upper left")
    return ax


SHOWN_PARTIES = 6


def plot_power_parties(table, ax: Axes | None = None, *, metric: str = "prob_loss") -> Axes:
    """Each party's chance of a loss (or mean NPV, ``metric='npv_gbp_mean'``) against the true effect.

    At most the first six parties are drawn (a national run has dozens); the table has them all.
    """
    col = effect_column(table)
    names = list(dict.fromkeys(table["party"]))
    table = table[table["party"].isin(names[:SHOWN_PARTIES])]
    se_col = "prob_loss_se" if metric == "prob_loss" else "npv_gbp_se"
    ax = ax or new_axes()
    styles = ["-", "--", ":", "-."]
    for i, (party, rows) in enumerate(table.groupby("party", sort=False)):
        x, y, se = rows[col].to_numpy(float), rows[metric].to_numpy(float), rows[se_col].to_numpy(float)
        ax.fill_between(x, y - Z95 * se, y + Z95 * se, color="0.88", lw=0)
        ax.plot(x, y, ls=styles[i % 4], marker="os^dv<>"[i % 7], ms=4, color="black", label=party)
    if metric == "prob_loss":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(0, 1)
        ax.set_ylabel("chance of a loss (NPV < 0)")
    else:
        ax.yaxis.set_major_formatter(GBP)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_ylabel("mean NPV (GBP)")
    ax.set_xlabel(EFFECT_LABELS[col])
    shown = "" if len(names) <= SHOWN_PARTIES else f" (first {SHOWN_PARTIES} of {len(names)} parties)"
    ax.set_title(f"Each party's risk against the true effect{shown}")
    ax.grid(color="0.9", lw=0.6)
    ax.legend(fontsize="small")
    return ax
