"""What a report shows when a scenario has many parties (a national run has 63).

Every party stays in the tables. Figures: the whole scenario's; for each area one figure of
cash headroom (the share of reserves and credit left, in bad futures) for all its parties;
and the full set of party figures only for the few parties most likely to run out of cash
(then most likely to make a loss), with their areas' cohort figures. That keeps a national
report around 1-2 MB and a minute's reading, instead of 360 figures and 10 MB.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..results import Results
from ..results.cash import cash_positions, party_reserves
from . import plots
from .figures import dated_months, finish_money_by_month, new_axes

DETAILED_ALL_UP_TO = 6  # up to this many parties, every party gets its full set of figures
DETAILED_MANY = 3  # beyond it, this many (the most at risk)
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))
BAD_FUTURES = 5  # percentile drawn in the area figures


def is_large(results: Results) -> bool:
    return len(results.party_names) > DETAILED_ALL_UP_TO


def detailed_parties(results: Results) -> list[str]:
    """Parties given every figure: all of them, or the few most at risk in a large scenario."""
    if not is_large(results):
        return list(results.party_names)
    parties = results.summary()["parties"]
    ranked = sorted(parties, key=lambda n: (-parties[n]["prob_reserves_exhausted"], -parties[n]["prob_loss"]))
    return [n for n in results.party_names if n in ranked[:DETAILED_MANY]]


def area_of(results: Results, party: str) -> int:
    """The area index of a party (its label starts with the area name in a multi-area run)."""
    if len(results.area_names) == 1:
        return 0
    return next(i for i, a in enumerate(results.area_names) if party.startswith(f"{a}."))


def area_parties(results: Results, area: int) -> list[int]:
    """Indices of the parties of one area, in party order."""
    if len(results.area_names) == 1:
        return list(range(len(results.party_names)))
    prefix = f"{results.area_names[area]}."
    return [i for i, n in enumerate(results.party_names) if n.startswith(prefix)]


def area_headroom(results: Results, area: int = 0, *, ax: Axes | None = None) -> Axes:
    """For each party of an area, the share of its reserves and credit left, month by month, in bad
    futures (the 5th percentile) and typical ones (the median): 100% untouched, 0% run out."""
    cash = cash_positions(results)
    reserves, credit = party_reserves(results)
    ax = ax or new_axes((8.0, 3.6))
    months = np.arange(cash.shape[2])
    prefix = f"{results.area_names[area]}." if len(results.area_names) > 1 else ""
    for k, p in enumerate(area_parties(results, area)):
        room = reserves[p] + credit[p]
        if room <= 0:
            continue
        share = (cash[:, p, :] + credit[p]) / room
        low, mid = np.percentile(share, [BAD_FUTURES, 50], axis=0)
        style = LINE_STYLES[k % len(LINE_STYLES)]
        name = results.party_names[p].removeprefix(prefix)
        ax.plot(months, low, color="black", ls=style, lw=1.6, label=f"{name}: bad futures (5th pct)")
        ax.plot(months, mid, color="0.55", ls=style, lw=1.1, label=f"{name}: median")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_ylim(max(ax.get_ylim()[0], -1.0), None)  # deeper than -100% is off the chart: it has run out long before
    finish_money_by_month(ax, ylabel="reserves and credit left", title=f"Cash headroom by party: "
                          f"{results.area_names[area]}", legend_loc="lower left")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(fontsize="x-small", loc="lower left", ncol=2)
    return dated_months(ax, results)


def report_figures(results: Results) -> tuple[list, list]:
    """(scenario-level figure specs, per-party figure specs) the report draws; see the module doc."""
    specs = plots.figure_specs(results)
    if not is_large(results):
        return [s for s in specs if s[1] is None], [s for s in specs if s[1] is not None]
    shown = detailed_parties(results)
    areas = {results.area_names[area_of(results, p)] for p in shown}
    scenario = [s for s in specs if s[1] is None and s[0] != "peak_funding"
                and (not s[0].startswith("cohort_") or any(s[0].endswith(f"_{a}") for a in areas))]
    if results.has_monthly:
        scenario += [(f"area_headroom_{a}", None, lambda r, ax, i=i: area_headroom(r, i, ax=ax))
                     for i, a in enumerate(results.area_names)]
    return scenario, [s for s in specs if s[1] in shown]
