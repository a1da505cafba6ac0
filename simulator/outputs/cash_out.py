"""The chance a party has run out of cash by each month: the survival view of the cash fan.

Cumulative share of simulations whose cash fell below minus the credit line by the end of
each month (the last value is ``prob_reserves_exhausted``), with a 95% band from the
binomial standard error.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..results import Results
from ..results.cash import cash_out_months
from .figures import dated_months, mark_pay_months, month_axis, new_axes

Z95 = 1.96


def cash_out_by_month(results: Results, party: str) -> np.ndarray:
    """Share of simulations that have run out of cash by the end of each month."""
    first = cash_out_months(results)[:, results.party_index(party)]
    months = np.arange(results.arrays["monthly_net"].shape[2])
    return ((first[:, None] >= 0) & (first[:, None] <= months[None, :])).mean(axis=0)


def cash_out_chance(results: Results, party: str, *, level: float | None = None, ax: Axes | None = None) -> Axes:
    """Step chart of the chance of having run out of cash by each month, with a line at ``level``."""
    share = cash_out_by_month(results, party)
    se = np.sqrt(share * (1 - share) / results.sims)
    months = np.arange(len(share))
    ax = ax or new_axes((8.0, 3.2))
    ax.fill_between(months, np.clip(share - Z95 * se, 0, 1), np.clip(share + Z95 * se, 0, 1), step="post",
                    color="0.85", lw=0, label="95% Monte Carlo band")
    ax.step(months, share, where="post", color="black", lw=1.8, label="chance cash has run out")
    if level is not None:
        ax.axhline(level, color="black", ls="--", lw=1.1, label=f"your limit ({level:.0%})")
    mark_pay_months(ax, results)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    top = max(0.05, min(1.0, 1.15 * float(share.max())), 1.3 * (level or 0.0))
    ax.set_ylim(0, min(1.0, top))
    ax.set_ylabel("share of simulated futures")
    month_axis(ax)
    ax.set_title(f"Chance of having run out of cash, by month: {party}")
    ax.legend(fontsize="small", loc="upper left")
    return dated_months(ax, results)
