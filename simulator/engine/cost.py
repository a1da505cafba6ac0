"""How long work will take, estimated before it starts; work beyond an hour needs the user's say-so.

A run's time is about ``sims x`` the work of one simulation: its cohort-segment outcomes
(aggregate mode) or its offenders (individual mode), plus the payment rules and cash flows
of every party in every month. The rates below are per thread, from ``benchmarks/run.py`` on
the 2-core development machine (README, Performance) and rounded down, so the estimate errs
long: draws 8.7 M cohort-segment outcomes/s, 72 M offenders/s with personal spread (175 M
without), and the rules and cash flows ~58 M party-months/s.
"""

from __future__ import annotations

import numba

from ..errors import ResourceError
from ..scenario import Scenario
from .model_arrays import build_model_arrays
from .outputs import check_memory
from .timeline import build_calendar

COHORT_SEGMENTS_PER_S = 8e6
OFFENDERS_PER_S = 7e7
PARTY_MONTHS_PER_S = 5e7
MAX_SECONDS = 3600.0  # beyond this a command needs --allow-long


def seconds_per_simulation(scenario: Scenario, *, threads: int | None = None) -> float:
    """Estimated seconds of compute for one simulation of ``scenario`` on ``threads`` threads."""
    calendar = build_calendar(scenario.timeline)
    months = calendar.horizon_months
    cohort_months = float((calendar.cohort_end - calendar.cohort_start).sum())
    segments = sum(len(a.segments) for a in scenario.areas) * calendar.n_cohorts
    parties = len(scenario.party_names())
    work = parties * months / PARTY_MONTHS_PER_S
    if scenario.simulation.mode == "individual":
        offenders = sum(a.volume.contracted_cases_per_month * a.volume.factor_mean for a in scenario.areas)
        work += offenders * cohort_months / OFFENDERS_PER_S
    else:
        work += segments / COHORT_SEGMENTS_PER_S
    return work / max(1, threads or numba.get_num_threads())


def duration_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:,.0f} days"


def check_duration(scenario: Scenario, sims: int, *, runs: int = 1, allow_long: bool = False,
                   what: str = "this run") -> float:
    """Refuse work estimated over :data:`MAX_SECONDS` unless ``allow_long``; return the estimate (s)."""
    seconds = seconds_per_simulation(scenario) * sims * runs
    if seconds > MAX_SECONDS and not allow_long:
        hint = ", the aggregate mode" if scenario.simulation.mode == "individual" else ""
        raise ResourceError(f"{what} would take about {duration_text(seconds)} ({runs * sims:,} simulations on "
                            f"{numba.get_num_threads()} threads; estimated before starting); work over "
                            f"{duration_text(MAX_SECONDS)} needs --allow-long, or use fewer --sims{hint}")
    return seconds


def check_run(scenario: Scenario, sims: int, *, keep_monthly: bool, keep_components: bool,
              allow_long: bool = False) -> None:
    """Before a run starts: refuse one whose outputs cannot fit in memory, then one over the time bound."""
    check_memory(build_model_arrays(scenario)[0], sims, keep_monthly=keep_monthly, keep_components=keep_components)
    check_duration(scenario, sims, allow_long=allow_long)
