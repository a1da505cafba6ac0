"""Monthly cash flows as the outputs use them, from either kind of run that keeps them.

A run keeps monthly cash flows in one of three ways (``pbrsim run`` options):
- ``--keep-monthly``: every simulation's months (``monthly_net`` ... sims x parties x months);
- the default: their statistics only, computed while the run goes (see
  :mod:`simulator.engine.monthly_stats`): percentiles 5/25/50/75/95 of each party's net flow
  and cash position by month and of all parties' cash together, means of each flow, the
  outcome money's 5th/95th percentiles in settlement months, the net flow by year's 5th/95th
  percentiles, and each simulation's first month out of cash;
- ``--no-monthly``: none.
The functions here answer the figures' and the workbook's questions from whichever is kept,
so both give the same figures (the statistics from float32 flows: within a millionth).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from ..scenario.dates import contract_year, financial_year
from .cash import cash_out_months, party_reserves  # noqa: F401  (cash_out_months: answered here too)

BANDS = (5.0, 25.0, 50.0, 75.0, 95.0)  # percentiles kept by month (the fans, the workbook, the headroom figure)
TAILS = (5.0, 95.0)  # percentiles kept of settlement outcome money and of yearly net flows
FLOWS = ("net", "fee", "pbr", "cost")  # order of the first axis of ``monthly_mean``
STATS = ("monthly_mean", "monthly_net_q", "cash_q", "cash_total_q", "settle_pbr_q", "year_net_q", "cash_out_month")


class NoMonthlyData(ValueError):
    """The figure needs monthly cash flows, which this run did not keep (--no-monthly)."""


def kind(results) -> str:
    """'full' (every simulation's months), 'stats' (their statistics) or 'none'."""
    if results.has_monthly:
        return "full"
    return "stats" if "cash_q" in results.arrays else "none"


def has_monthly_data(results) -> bool:
    return kind(results) != "none"


def _require(results, what: str = "monthly_net") -> str:
    k = kind(results)
    if k == "none":
        raise NoMonthlyData(f"this run kept no '{what}' per simulation (it was run with --no-monthly)")
    return k


def _full(results, name: str) -> np.ndarray:
    arr = results.arrays.get(name)
    if arr is None or arr.ndim != 3 or arr.shape[0] != results.sims:
        raise NoMonthlyData(f"this run kept no '{name}' per simulation "
                            "(it was run with --no-monthly, or keep_components=False)")
    return arr


def cash_bands(results, idx: list[int]) -> np.ndarray:
    """Percentiles :data:`BANDS` of the cash position of parties ``idx`` together: 5 x months (GBP)."""
    if _require(results) == "full":
        net = _full(results, "monthly_net")
        reserves = party_reserves(results)[0][idx].sum()
        return np.percentile(reserves + np.cumsum(net[:, idx, :].sum(axis=1), axis=1), BANDS, axis=0)
    if len(idx) == 1:
        return results.arrays["cash_q"][:, idx[0]]
    if sorted(idx) == list(range(len(results.party_names))):
        return results.arrays["cash_total_q"]
    raise NoMonthlyData("this run kept the cash percentiles of each party and of all parties, not of a group")


def net_bands(results, p: int) -> np.ndarray:
    """Percentiles :data:`BANDS` of party ``p``'s net cash flow by month: 5 x months (GBP)."""
    if _require(results) == "full":
        return np.percentile(_full(results, "monthly_net")[:, p, :], BANDS, axis=0)
    return results.arrays["monthly_net_q"][:, p]


def has_flow(results, flow: str) -> bool:
    """Whether the run kept flow ``flow`` (net, fee, pbr, cost) by month, per simulation or as statistics."""
    k = kind(results)
    return k == "stats" or (k == "full" and results.arrays[f"monthly_{flow}"].shape[0] == results.sims)


def monthly_mean(results, flow: str, idx: list[int]) -> np.ndarray:
    """Mean over simulations of flow ``flow`` (net, fee, pbr, cost) of parties ``idx`` together, by month (GBP)."""
    if _require(results, f"monthly_{flow}") == "full":
        return _full(results, f"monthly_{flow}")[:, idx, :].sum(axis=1).mean(axis=0)
    return results.arrays["monthly_mean"][FLOWS.index(flow), idx].sum(axis=0)


def pay_months(cohort_pay_month: np.ndarray, n_months: int) -> np.ndarray:
    """The settlement months inside the horizon, in order."""
    pay = np.unique(cohort_pay_month)
    return pay[pay < n_months]


def settlement_pbr(results, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(settlement months, mean, 5th, 95th percentile) of party ``p``'s outcome money in them (GBP)."""
    n_months = results.arrays["commissioner_paid"].shape[1]
    pay = pay_months(results.cohort_pay_month, n_months)
    mean = monthly_mean(results, "pbr", [p])[pay]
    if kind(results) == "full":
        lo, hi = np.percentile(_full(results, "monthly_pbr")[:, p][:, pay], TAILS, axis=0)
    else:
        lo, hi = results.arrays["settle_pbr_q"][:, p]
    return pay, mean, lo, hi


def year_groupings(start: date | None, n_months: int) -> list[list]:
    """The year label of each month: contract years, then (with a start date) financial years."""
    groups = [[contract_year(m) for m in range(n_months)]]
    if start is not None:
        groups.append([financial_year(start, m) for m in range(n_months)])
    return groups


def year_columns(start: date | None, n_months: int) -> np.ndarray:
    """groupings x months: the column of ``year_net_q`` each month's flow is summed into."""
    cols, offset = [], 0
    for labels in year_groupings(start, n_months):
        order = list(dict.fromkeys(labels))
        cols.append([offset + order.index(x) for x in labels])
        offset += len(order)
    return np.array(cols, dtype=np.int64)


def year_net_tails(results, p: int, months: np.ndarray, *, financial: bool) -> np.ndarray:
    """5th and 95th percentiles of party ``p``'s net flow summed over ``months`` (one year of a grouping)."""
    if _require(results) == "full":
        return np.percentile(_full(results, "monthly_net")[:, p, months].sum(axis=1), TAILS)
    n_months = results.arrays["commissioner_paid"].shape[1]
    col = int(year_columns(results.scenario.timeline.start_date, n_months)[int(financial), months[0]])
    return results.arrays["year_net_q"][:, p, col]


def stat_shapes(sims: int, n_p: int, n_m: int, cohort_pay_month: np.ndarray,
                start: date | None) -> dict[str, tuple[int, ...]]:
    """The shape of each statistics array (the reader checks them)."""
    n_pay, n_years = len(pay_months(cohort_pay_month, n_m)), int(year_columns(start, n_m).max()) + 1
    return {"monthly_mean": (len(FLOWS), n_p, n_m), "monthly_net_q": (len(BANDS), n_p, n_m),
            "cash_q": (len(BANDS), n_p, n_m), "cash_total_q": (len(BANDS), n_m),
            "settle_pbr_q": (len(TAILS), n_p, n_pay), "year_net_q": (len(TAILS), n_p, n_years),
            "cash_out_month": (sims, n_p)}
