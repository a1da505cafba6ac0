"""The monthly kernels compiled in a second process are the ones the run then loads (no compile of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from simulator import load_scenario, simulate
from simulator.engine import compiled
from simulator.engine.side_compile import start_beside

from .conftest import DEFAULT_SCENARIO

MONTHLY = ("reduce_months", "party_percentiles", "total_percentiles", "column_percentiles")
PROBE = f"""
import json
from simulator import load_scenario, simulate
from simulator.kernels import monthly
simulate(load_scenario({str(DEFAULT_SCENARIO)!r}), sims=300, seed=3, monthly_stats=True)
print(json.dumps({{name: sum(getattr(monthly, name).stats.cache_misses.values()) for name in {MONTHLY!r}}}))
"""


def test_a_run_after_the_side_compile_compiles_no_monthly_kernel(tmp_path, monkeypatch):
    scenario = load_scenario(DEFAULT_SCENARIO)
    simulate(scenario, sims=64, seed=1)  # the engine is in this tree's cache: link it, so only the monthly part is new
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    (cache / compiled.cache_folder().name).symlink_to(compiled.cache_folder())
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}

    def misses() -> dict:
        done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    child = start_beside(scenario)
    assert child is not None and child.wait(timeout=300) == 0
    assert misses() == dict.fromkeys(MONTHLY, 0)


def test_without_the_side_compile_the_probe_does_compile(tmp_path):
    """The probe above can fail: with an empty cache for the monthly kernels, the run compiles them."""
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    (cache / compiled.cache_folder().name).symlink_to(compiled.cache_folder())
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert all(n > 0 for n in json.loads(done.stdout.strip().splitlines()[-1]).values())
