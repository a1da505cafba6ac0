"""Compile the monthly-statistics kernels in a second process while the first compiles the engine.

numba compiles one function at a time per process (a global lock), so a fresh install's
first run used one core of two. The CLI starts this module beside the run when the kernels
are not in the cache yet: it folds one block of zero flows into a :class:`MonthlyStats` of
the same scenario and computes its percentiles, which compiles
:mod:`simulator.kernels.monthly` for exactly the argument types of the run and saves them
in numba's cache (numba writes each cache file whole: a temporary file, then a rename).
When the run reaches its statistics it loads them instead of compiling. Should this process
fail or still be compiling, the run compiles them itself: only time is at stake.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from ..scenario import Scenario
from .model_arrays import build_model_arrays
from .monthly_stats import MonthlyStats

BLOCK = 64  # simulations of the dummy piece: any size has the same types


def compile_monthly(scenario: Scenario) -> None:
    """Fold one piece of zero flows and finish: every monthly kernel of a run is then compiled (and cached)."""
    m, calendar = build_model_arrays(scenario)
    stats = MonthlyStats(scenario, m, calendar.cohort_pay_month, BLOCK, BLOCK)
    stats.chunk_state(0, BLOCK)
    net, fee, pbr, cost = (b[:BLOCK] for b in stats.buffer)
    stats.fold(net, fee, pbr, cost, 0)
    stats.add_chunk()
    stats.finish(BLOCK)


def start_beside(scenario: Scenario) -> subprocess.Popen | None:
    """Start :func:`compile_monthly` for ``scenario`` in a child process (no output); None if it cannot start."""
    try:
        child = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        child.stdin.write(scenario.model_dump_json().encode())
        child.stdin.close()
    except OSError:
        return None
    return child


if __name__ == "__main__":
    np.seterr(all="ignore")
    compile_monthly(Scenario.model_validate_json(sys.stdin.buffer.read()))
