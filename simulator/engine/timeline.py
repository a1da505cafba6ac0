"""The contract calendar: cohort windows, when each cohort's result is known and paid.

Month 0 is the first month of the contract. A cohort is everyone who starts in its window;
its result is known after the last starter's follow-up plus the wait for convictions, then
it is processed and paid at the next settlement (yearly in the TR contracts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Timeline


def _ceil_to(month: int, interval: int) -> int:
    return -(-month // interval) * interval


@dataclass(frozen=True)
class Calendar:
    """Month indices derived from a :class:`Timeline`; all arrays are int64."""

    term_months: int
    horizon_months: int
    cohort_start: np.ndarray
    cohort_end: np.ndarray
    cohort_result_month: np.ndarray
    cohort_pay_month: np.ndarray
    month_cohort: np.ndarray
    month_year: np.ndarray
    year_end_reconcile_month: np.ndarray

    @property
    def n_cohorts(self) -> int:
        return len(self.cohort_start)

    @property
    def n_years(self) -> int:
        return len(self.year_end_reconcile_month)


def build_calendar(t: Timeline) -> Calendar:
    """Lay out cohorts and payment months for a timeline."""
    starts = np.arange(t.bedding_in_months, t.term_months, t.cohort_period_months, dtype=np.int64)
    ends = np.minimum(starts + t.cohort_period_months, t.term_months)
    result = ends + t.follow_up_months + t.conviction_wait_months
    pay = np.array(
        [_ceil_to(int(r) + t.processing_lag_months, t.settlement_interval_months) for r in result], dtype=np.int64
    )
    months = np.arange(t.term_months, dtype=np.int64)
    month_cohort = np.clip((months - t.bedding_in_months) // t.cohort_period_months, 0, len(starts) - 1)
    n_years = -(-t.term_months // 12)
    year_end = np.minimum(np.arange(1, n_years + 1) * 12, t.term_months) + t.ffs_payment_lag_months - 1
    year_end = np.maximum(year_end, 0).astype(np.int64)
    horizon = int(max(pay.max() + 1, t.term_months + t.ffs_payment_lag_months, year_end.max() + 1))
    return Calendar(
        term_months=t.term_months,
        horizon_months=horizon,
        cohort_start=starts,
        cohort_end=ends,
        cohort_result_month=result,
        cohort_pay_month=pay,
        month_cohort=month_cohort.astype(np.int64),
        month_year=(months // 12).astype(np.int64),
        year_end_reconcile_month=year_end,
    )
