"""Cash positions of the parties: reserves plus cumulative net cash flow, and when it runs out.

A party runs out of cash in the first month its cash position falls below minus its credit
line (the kernel's ``lowest_headroom < 0``, so these months agree with
``prob_reserves_exhausted``). They need the monthly cash flows (not kept with ``--no-monthly``).
Functions take a :class:`~simulator.results.Results` (not imported: ``Results`` calls into here).
"""

from __future__ import annotations

import numpy as np

NEVER = -1


def party_reserves(results) -> tuple[np.ndarray, np.ndarray]:
    """Reserves and credit lines (GBP) per party, in ``results.party_names`` order."""
    reserves, credit = [], []
    for area in results.scenario.areas:
        chain = area.supply_chain
        funders = [chain.prime, *chain.subcontractors] + [s.investor for s in chain.subcontractors if s.investor]
        reserves += [f.reserves_gbp for f in funders]
        credit += [f.credit_line_gbp for f in funders]
    return np.array(reserves), np.array(credit)


def cash_positions(results) -> np.ndarray:
    """Cash position (GBP) at the end of each month: sims x parties x months."""
    if not results.has_monthly:
        raise ValueError("this run kept no monthly cash flows (it was run with --no-monthly)")
    reserves, _ = party_reserves(results)
    return reserves[None, :, None] + np.cumsum(results.arrays["monthly_net"], axis=2)


def cash_out_months(results) -> np.ndarray:
    """First month each party's cash falls below minus its credit line (sims x parties); -1 if never."""
    _, credit = party_reserves(results)
    short = cash_positions(results) + credit[None, :, None] < 0.0
    return np.where(short.any(axis=2), short.argmax(axis=2), NEVER)
