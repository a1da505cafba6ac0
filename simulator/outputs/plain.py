"""One plain-English line per party: the answer before the table, for readers who want only that.

Each line gives the chance of a loss, the chance of running out of cash and when it most
often happens (the middle half of the months it first happens in), and the working capital
that covers 95% of simulated futures (the 95th percentile of peak funding). Every number
comes from the :class:`Results`; with no monthly cash flows kept, the "when" is left out.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from ..results import Results
from ..results.cash import cash_out_months, party_reserves
from ..results.monthly import has_monthly_data
from ..scenario.dates import month_text
from .units import gbp_text

SAFE = 0.95


def chance(p: float, sims: int, event: str, *, never: str, always: str) -> str:
    """``'a 71% chance of EVENT'``; ``never``/``always`` (with the count) when no or every simulation had it."""
    if p <= 0.0:
        return f"{never} in {sims:,} simulations"
    if p >= 1.0:
        return f"{always} in all {sims:,} simulations"
    digits = 1 if p < 0.005 or p > 0.995 else 0
    return f"a {100 * p:.{digits}f}% chance of {event}"


def when_text(months: np.ndarray, start: date | None) -> str:
    """``'most often between months 30 and 40'`` from the months cash first ran out (one per simulation)."""
    if len(months) == 0:
        return ""
    lo, hi = (int(round(x)) for x in np.percentile(months, [25, 75]))
    if lo == hi:
        return f", most often in {month_text(start, lo)}"
    if start is None:
        return f", most often between months {lo} and {hi}"
    return f", most often between {month_text(start, lo)} and {month_text(start, hi)}"


def party_line(results: Results, party: str, *, out_months: np.ndarray | None = None,
               summary: dict | None = None) -> str:
    """The plain-English line for one party (see the module docstring); ``summary``: ``results.summary()`` if known."""
    p = results.party_index(party)
    metrics = (summary or results.summary())["parties"][party]
    reserves, credit = party_reserves(results)
    needed = float(np.percentile(results.arrays["peak_funding"][:, p], 100 * SAFE))
    when = "" if out_months is None else when_text(out_months[out_months[:, p] >= 0, p],
                                                   results.scenario.timeline.start_date)
    loss = chance(metrics["prob_loss"], results.sims, "a loss", never="no loss", always="a loss")
    out = chance(metrics["prob_reserves_exhausted"], results.sims, "running out of cash",
                 never="cash never ran out", always="cash ran out")
    return (f"{party}: {loss}; {out}{when}; "
            f"{gbp_text(needed)} of working capital covers {SAFE:.0%} of simulated futures "
            f"(it has {gbp_text(float(reserves[p] + credit[p]))} in reserves and credit).")


def plain_lines(results: Results, parties: list[str] | None = None) -> str:
    """The plain-English lines for ``parties`` (default: every party), one a line."""
    out_months = cash_out_months(results) if has_monthly_data(results) else None
    summary = results.summary()  # once: a copy per party took 0.35 s for the 63 parties of a national run
    return "\n".join(party_line(results, name, out_months=out_months, summary=summary)
                     for name in parties or results.party_names)
