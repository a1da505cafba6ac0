"""The PbR payment rules, one function per rule, each unit-tested on hand-computed cases.

Conventions: rates are fractions (0.45 = 45%); a *difference* ``baseline - actual`` is
positive when reoffending fell. Money is GBP for one cohort.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def stretched(baseline, stretch_per_year, year):
    """Baseline tightened by a relative ``stretch_per_year`` for each contract year."""
    return baseline * (1.0 - stretch_per_year) ** year


@njit(cache=True)
def binary_standard_error(baseline_rate, n):
    """Standard error of a cohort's binary rate under the baseline (binomial)."""
    if n <= 0:
        return np.inf
    return np.sqrt(baseline_rate * (1.0 - baseline_rate) / n)


@njit(cache=True)
def trigger(improvement, threshold):
    """+1 pay, -1 deduct, 0 dead band: ``improvement`` beyond +/- ``threshold``.

    ``threshold`` is ``z * se`` for the significance test, 0 for "any improvement".
    """
    if improvement > threshold:
        return 1
    if -improvement > threshold:
        return -1
    return 0


@njit(cache=True)
def binary_payment(baseline_rate, actual_rate, n, threshold, rate_gbp, deduction_gbp, deductions):
    """Binary measure: GBP per percentage point below baseline per offender in the cohort."""
    diff = baseline_rate - actual_rate
    state = trigger(diff, threshold)
    if state > 0:
        return rate_gbp * 100.0 * diff * n
    if state < 0 and deductions:
        return deduction_gbp * 100.0 * diff * n
    return 0.0


@njit(cache=True)
def frequency_payment(baseline_freq, actual_freq, units, threshold, rate_gbp, deduction_gbp, deductions, hurdle_met):
    """Frequency measure: GBP per reoffence avoided (``units`` offenders or reoffenders).

    A payment needs the binary hurdle met (``hurdle_met``); deductions do not.
    """
    diff = baseline_freq - actual_freq
    state = trigger(diff, threshold)
    if state > 0 and hurdle_met:
        return rate_gbp * diff * units
    if state < 0 and deductions:
        return deduction_gbp * diff * units
    return 0.0


@njit(cache=True)
def cap_and_collar(amount, cap_gbp, collar_gbp):
    """Limit a cohort's net payment to at most ``cap_gbp`` and a deduction to ``collar_gbp``."""
    if amount > cap_gbp:
        return cap_gbp
    if amount < -collar_gbp:
        return -collar_gbp
    return amount

