"""The national scenario: 21 CPAs in one run, its sourced figures, memory, conservation, seeds."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.engine.model_arrays import build_model_arrays
from simulator.engine.outputs import MAPPED_MIN, allocate_outputs, mapped_zeros, output_bytes

from .conftest import SCENARIOS, assert_identical_and_conserved, runs_at_thread_counts

NATIONAL = SCENARIOS / "national_tr21.toml"


@pytest.fixture(scope="module")
def national():
    return load_scenario(NATIONAL)


def test_all_21_cpas_with_their_own_figures(national):
    areas = national.areas
    assert len(areas) == 21
    assert {"Northumbria", "London", "Wales", "Essex"} <= {a.name for a in areas}
    for area in areas:
        assert len(area.segments) == 4
        assert len(area.supply_chain.subcontractors) == 2
    volumes = [a.volume.contracted_cases_per_month for a in areas]
    assert len(set(volumes)) >= 8 and max(volumes) / min(volumes) > 5  # cohort sizes differ widely
    assert len({tuple(s.share for s in a.segments) for a in areas}) > 5  # and its own mix
    t = national.timeline
    assert (t.term_months, t.cohort_period_months) == (84, 3)  # 7 years, quarterly cohorts
    assert len(national.party_names()) == 63 and national.party_names()[0] == "Northumbria.prime"


def test_sourced_totals(national):
    """~108,000 offenders a year; volume-weighted binary baseline 47.5%; Northumbria 55.2%."""
    yearly = np.array([a.volume.contracted_cases_per_month * 12 for a in national.areas])
    rate = np.array([sum(s.share * s.binary_rate for s in a.segments) for a in national.areas])
    assert yearly.sum() == pytest.approx(108_000, rel=0.002)
    assert np.sum(yearly * rate) / yearly.sum() == pytest.approx(0.475, abs=0.001)
    north = next(a for a in national.areas if a.name == "Northumbria")
    assert sum(s.share * s.binary_rate for s in north.segments) == pytest.approx(0.552, abs=0.001)
    assert rate.max() == pytest.approx(0.552, abs=0.001)


def test_national_run_at_10000_sims_fits_in_memory_without_monthly_arrays(national):
    """What a --no-monthly run keeps: well under 2 GiB at 10,000 simulations (no allocation here)."""
    m, _ = build_model_arrays(national)
    lean = allocate_outputs(m, 1, keep_monthly=False, keep_components=False)
    full = allocate_outputs(m, 1, keep_monthly=True, keep_components=True)

    def gib(out, sims, keep):  # arrays were allocated for one simulation: scale the per-sim ones
        rows = {name: sims if keep or not name.startswith("monthly_") else 1 for name in out._fields}
        return sum(arr.nbytes * rows[name] for name, arr in out._asdict().items()) / 2**30

    assert gib(lean, 10_000, False) < 0.5
    assert gib(full, 10_000, True) > 2.0  # why the national CLI run uses --no-monthly


MAPPED = """
import os, sys
from simulator import load_scenario
from simulator.engine.model_arrays import build_model_arrays
from simulator.engine.outputs import allocate_outputs

def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

m, _ = build_model_arrays(load_scenario(sys.argv[1]))
before = resident()
lazy = allocate_outputs(m, 10_000, keep_monthly=False, keep_components=False, ahead=False)
middle = resident()
out = allocate_outputs(m, 10_000, keep_monthly=False, keep_components=False)
grown_lazy, grown = middle - before, resident() - middle
assert all(not a.any() for a in out)
mapped = sum(a.nbytes for name, a in out._asdict().items() if name not in ("pooled_pbr", "cohort_clawback"))
print(grown_lazy, grown, mapped, out.cohort_clawback.nbytes)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_outputs_are_mapped_before_the_kernels_write_them():
    """allocate_outputs writes its arrays once on one thread, so that the kernels' threads do not take their
    page faults together; the clawback and pooled arrays, which most contracts never write, stay unmapped, and so
    does every array with ``ahead=False``. In a fresh process, so that no memory freed earlier is reused."""
    done = subprocess.run([sys.executable, "-c", MAPPED, str(NATIONAL)], capture_output=True, text=True,
                          check=True, timeout=300)
    grown_lazy, grown, mapped, clawback = (int(x) for x in done.stdout.split()[-4:])
    assert grown >= 0.9 * mapped
    assert grown < mapped + clawback / 2
    assert grown_lazy < 0.1 * mapped


EARLY_STOP = """
import resource, sys
from simulator import load_scenario, simulate
sc = load_scenario(sys.argv[1])
simulate(sc, sims=64, seed=1, keep_monthly=False, keep_components=False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = simulate(sc, sims=20_000, seed=1, keep_monthly=False, keep_components=False, until=lambda out, n: True)
assert res.sims == 1024, res.sims
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="Linux's ru_maxrss in KiB")
def test_a_run_that_may_stop_early_maps_only_what_it_writes(national):
    """A precision run allocates for its most simulations (200,000 by default) and may stop after 1,024: its
    outputs are not mapped ahead, or its peak memory would be that of every simulation it never runs."""
    m, _ = build_model_arrays(national)
    full = output_bytes(m, 20_000, keep_monthly=False, keep_components=False)
    done = subprocess.run([sys.executable, "-c", EARLY_STOP, str(NATIONAL)], capture_output=True, text=True,
                          check=True, timeout=300)
    grown = int(done.stdout.split()[-1]) * 1024
    assert grown < 0.25 * full, (grown, full)


def test_conserves_money_and_same_for_any_thread_count(national):
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    runs = runs_at_thread_counts(national, threads, sims=130, seed=9)
    assert_identical_and_conserved(runs)
    a = runs[0].arrays
    # every area's cohorts are drawn and settled
    assert (a["cohort_n"].sum(axis=(0, 2)) > 0).all()


def test_first_simulations_do_not_depend_on_run_length(national):
    short = simulate(national, sims=64, seed=4, keep_monthly=False, keep_components=False)
    longer = simulate(national, sims=200, seed=4, keep_monthly=False, keep_components=False)
    np.testing.assert_array_equal(short.arrays["npv"], longer.arrays["npv"][:64])


@pytest.mark.parametrize("shape, dtype", [((0, 63, 109), np.float32), ((3, 5), float), ((2**20, 3), np.float32),
                                          ((2**19, 2), np.int64), ((2**23,), np.bool_)])
def test_mapped_zeros_are_writable_zeros_of_the_shape_and_type_asked(shape, dtype):
    """Small arrays come from numpy, large ones (>= MAPPED_MIN bytes) from an anonymous map where Linux has
    MAP_POPULATE: either way zeros of that shape and type that the kernels can write."""
    arr = mapped_zeros(shape, dtype=dtype)
    assert arr.shape == shape and arr.dtype == np.dtype(dtype) and arr.flags.writeable and arr.flags.c_contiguous
    assert not arr.any()
    if arr.size:
        arr.reshape(-1)[-1] = 1
        assert arr.sum() == 1
    large = arr.nbytes >= MAPPED_MIN and hasattr(mmap, "MAP_POPULATE")
    base = arr
    while isinstance(base, np.ndarray):
        base = base.base
    assert isinstance(getattr(base, "obj", base), mmap.mmap) == large  # numpy holds a memoryview of the map


@pytest.mark.skipif(not hasattr(mmap, "MAP_POPULATE"), reason="maps zeros only where Linux has MAP_POPULATE")
def test_mapped_zeros_beyond_memory_is_a_memory_error():
    """A map the system refuses (ENOMEM) is a MemoryError, as numpy's own allocation would be, so the CLI says
    "ran out of memory" with its advice rather than an operating-system error."""
    with pytest.raises(MemoryError, match="cannot map"):
        mapped_zeros((1 << 62,), dtype=np.uint8)  # beyond any address space: refused whatever the overcommit
