"""The kernels compiled in a second process are the ones the run then loads (no compile of its own).

The probe is a fresh process with a fresh numba cache: it reports, per kernel, how often it
compiled (cache misses) and how often it loaded from the cache (hits).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from simulator import load_scenario, simulate
from simulator.engine import compiled
from simulator.engine.side_compile import HELD, SideCompile, start_beside

from .conftest import DEFAULT_SCENARIO

MONTHLY = ("reduce_months", "monthly_percentiles")
PROBE = f"""
import json
from simulator import load_scenario, simulate
from simulator.engine.model_arrays import build_model_arrays
from simulator.engine.side_compile import engine_signatures
from simulator.kernels import monthly
scenario = load_scenario({str(DEFAULT_SCENARIO)!r})
simulate(scenario, sims=300, seed=3, monthly_stats=True)
kernels = {{name: getattr(monthly, name) for name in {MONTHLY!r}}}
kernels.update((k.py_func.__name__, k) for k, _ in engine_signatures(build_model_arrays(scenario)[0]))
print(json.dumps({{name: [sum(k.stats.cache_misses.values()), sum(k.stats.cache_hits.values())]
                  for name, k in kernels.items()}}))
"""


def probe(env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_first_run_after_the_side_compile_loads_its_kernels(tmp_path, monkeypatch):
    """Fresh cache: the side process compiles; the run then loads those kernels (hits) and compiles none."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba-cache"))
    side = start_beside(load_scenario(DEFAULT_SCENARIO))
    assert side is not None and side.process.wait(timeout=600) == 0
    assert not side.wait_for("the end", stall=60)  # returns when the reader has taken every line
    assert {k.py_func.__name__ for k in HELD} <= side.done and len(side.done) == 11
    got = probe(dict(os.environ))
    assert {name: misses for name, (misses, _) in got.items()} == dict.fromkeys(got, 0)
    assert len(got) == 11 and all(hits >= 1 for _, hits in got.values())


def test_without_the_side_compile_the_run_compiles_them(tmp_path):
    """The probe above can fail: with no side compile, the monthly kernels are compiled by the run."""
    simulate(load_scenario(DEFAULT_SCENARIO), sims=64, seed=1)  # the engine is in this tree's cache: copy it ...
    cache = tmp_path / "numba-cache"
    shutil.copytree(compiled.cache_folder(), cache / compiled.cache_folder().name)
    for path in cache.rglob("monthly.*"):  # ... without the monthly kernels
        path.unlink()
    (cache / compiled.cache_folder().name / (compiled.MARKER + compiled.MONTHLY)).unlink(missing_ok=True)
    got = probe({**os.environ, "NUMBA_CACHE_DIR": str(cache)})
    assert all(got[name][0] > 0 for name in MONTHLY)


def test_a_side_process_that_cannot_start_leaves_the_run_alone(monkeypatch):
    """Whatever fails in starting the side process, the run goes on (it compiles everything itself)."""
    scenario = load_scenario(DEFAULT_SCENARIO)

    def fails(*args, **kwargs):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(subprocess, "Popen", fails)
    assert start_beside(scenario) is None
    monkeypatch.undo()
    monkeypatch.setattr(type(scenario), "model_dump_json", lambda self: fails())
    assert start_beside(scenario) is None


HELD_PROBE = f"""
import json
from simulator import load_scenario, simulate
from simulator.engine.side_compile import HELD
scenario = load_scenario({str(DEFAULT_SCENARIO)!r})
simulate(scenario, sims=300, seed=3, monthly_stats=True)
simulate(scenario, sims=300, seed=4, monthly_stats=True)
print(json.dumps({{k.py_func.__name__: sum(k.stats.cache_misses.values()) for k in HELD}}))
"""


def test_a_first_simulate_from_python_says_so_once_and_waits_for_the_side_process(tmp_path):
    """A fresh process and cache, simulate() twice as a notebook would: one line on stderr, and the
    side process started by the first call compiles the held kernels while the run waits for them."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    done = subprocess.run([sys.executable, "-c", HELD_PROBE], env=env, capture_output=True, text=True, check=True)
    misses = json.loads(done.stdout.strip().splitlines()[-1])
    assert misses == dict.fromkeys((k.py_func.__name__ for k in HELD), 0)
    assert done.stderr.count("compiling the simulation engine") == 1 and "first run only" in done.stderr


def fake_side(script: str) -> SideCompile:
    return SideCompile(subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE))


def test_waits_end_with_the_name_the_process_ends_or_a_stall():
    side = fake_side("import time; print('a', flush=True); time.sleep(0.3); print('b', flush=True)")
    assert side.wait_for("a", stall=30) and side.wait_for("b", stall=30)
    t0 = time.perf_counter()
    assert not side.wait_for("never", stall=30)  # the process has ended: no wait
    assert time.perf_counter() - t0 < 5
    side.stop()
    slow = fake_side("import time\nfor k in range(4): time.sleep(0.2); print(k, flush=True)")
    assert slow.wait_for("3", stall=1.0)  # 0.8 s in all, but never 1 s without news: waited for
    slow.stop()
    hung = fake_side("import time; time.sleep(60)")
    t0 = time.perf_counter()
    assert not hung.wait_for("x", stall=0.3)
    assert not hung.wait_for("y", stall=30)  # given up on: no second wait
    assert time.perf_counter() - t0 < 5
    hung.stop()
    assert hung.process.returncode is not None


def test_hold_wraps_the_cache_lookup_and_release_restores_it():
    kernel = HELD[0]
    before = kernel._cache.load_overload
    first, second = fake_side("pass"), fake_side("pass")
    first.hold([kernel])
    assert kernel._cache.load_overload != before
    second.hold([kernel])
    held_by_second = kernel._cache.load_overload
    first.stop()  # its wrapper is no longer the outer one: the second's hold stays
    assert kernel._cache.load_overload is held_by_second
    second.stop()
    assert kernel._cache.load_overload == before and "load_overload" not in vars(kernel._cache)
    first, second = fake_side("pass"), fake_side("pass")
    first.hold([kernel])
    second.hold([kernel])
    second.stop()
    assert kernel._cache.load_overload is not before and "load_overload" in vars(kernel._cache)
    first.stop()
    assert "load_overload" not in vars(kernel._cache)


def test_without_the_monthly_kernels_only_the_area_kernel_is_held():
    side = SideCompile(subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE), monthly=False)
    side.hold()
    assert [cache for cache, _ in side._held] == [HELD[0]._cache]
    side.stop()
