"""Compile part of the kernels in a second process while the first compiles the rest.

numba compiles one function at a time per process (a global lock), so a fresh install's
first run used one core of two. The CLI starts this module beside the run when the kernels
are not in the cache yet. It compiles, for exactly the argument types of the run:

1. :func:`~simulator.kernels.cohorts.simulate_area_cohorts` (a third of the engine's
   compile), from a signature built here with ``numba.typeof`` on the same arrays the run
   builds; the first process reaches that function about 9 s into its own compile;
2. the monthly-statistics kernels, by folding one block of zero flows into a
   :class:`MonthlyStats` of the same scenario and computing its percentiles.

Each is saved in numba's cache (written whole: a temporary file, then a rename), and the
run loads it when it gets there. Should this process fail, be late, or get a type wrong,
the run compiles the function itself: only time is at stake (``tests/test_side_compile.py``
checks that a run after this one compiles none of them).
"""

from __future__ import annotations

import subprocess
import sys

import numba
import numpy as np
from numba import types

from ..kernels.cohorts import simulate_area_cohorts
from ..kernels.individual import make_count_tables
from ..kernels.records import ModelArrays, ModelRecord, OutputsRecord
from ..scenario import Scenario
from .model_arrays import build_model_arrays
from .monthly_stats import MonthlyStats
from .outputs import allocate_outputs

BLOCK = 64  # simulations of the dummy piece: any size has the same types


def record_type(record: type, values: tuple) -> types.Type:
    """The StructRef type the kernels see for a NamedTuple passed through ``model_ref``/``outputs_ref``."""
    return record([(name, numba.typeof(v)) for name, v in zip(values._fields, values, strict=True)])


def area_signature(m: ModelArrays) -> tuple:
    """The argument types :func:`simulate_one` passes to ``simulate_area_cohorts`` (see its call there).

    Every output array has the same type whether monthly flows are kept, summarised or dropped
    (C-contiguous, one dtype each), so one output record of one simulation stands for all.
    """
    f8, i8 = types.float64, types.int64
    row = types.Array(f8, 1, "C")
    outputs = allocate_outputs(m, 1, keep_monthly=True, keep_components=True)
    tables = numba.typeof(make_count_tables.py_func(m.seg_share.shape[1]))
    generator = numba.typeof(np.random.default_rng(0))
    return (generator, record_type(ModelRecord, m), i8, row, row, row, f8, f8, f8, i8, record_type(OutputsRecord, outputs),
            row, types.Array(types.boolean, 1, "C"), types.boolean, tables, types.Array(f8, 2, "C"), row, f8,
            numba.typeof(m.outcome_tables))


def compile_area(scenario: Scenario) -> None:
    """Compile (and cache) ``simulate_area_cohorts`` for the scenario's run."""
    m, _ = build_model_arrays(scenario)
    simulate_area_cohorts.compile(area_signature(m))


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
    """Start :func:`compile_area`, then :func:`compile_monthly`, for ``scenario`` in a child process (no output).

    None if it cannot start.
    """
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
    scenario = Scenario.model_validate_json(sys.stdin.buffer.read())
    compile_area(scenario)
    compile_monthly(scenario)
