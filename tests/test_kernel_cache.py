"""numba's cache across processes: a second process compiles nothing, an edit recompiles.

numba stamps a cached function with its own file only; ``simulator/kernels/cache.py`` keys
the cache folder on every source the compiled code depends on. Shown here on a two-file
package (a caller in one file, its callee in another: the shape of ``simulate_blocks``),
which compiles in a second rather than the engine's minute, then on the engine itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from numba.core.registry import CPUDispatcher

from simulator.kernels import SOURCES
from simulator.kernels.cache import source_digest

ROOT = Path(__file__).resolve().parents[1]

INIT = """
from pathlib import Path
from simulator.kernels.cache import compiled_cache
_here = Path(__file__).resolve().parent
with compiled_cache(_here, sorted(_here.glob("*.py"))):
    from .caller import twice
"""
CALLER = """
from numba import njit
from .callee import base

@njit(cache=True)
def twice(x):
    return 2 * base(x)
"""
CALLEE = """
from numba import njit

@njit(cache=True)
def base(x):
    return x + {offset}
"""
PROBE = """
import json
from toy import twice
value = twice(1.0)
stats = twice.stats
print(json.dumps({"value": value, "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


def _run(folder: Path, code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _toy(folder: Path, offset: int) -> None:
    pkg = folder / "toy"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text(INIT)
    (pkg / "caller.py").write_text(CALLER)
    (pkg / "callee.py").write_text(CALLEE.format(offset=offset))


def test_editing_a_callee_in_another_file_recompiles_its_caller(tmp_path):
    _toy(tmp_path, offset=1)
    first = _run(tmp_path, PROBE)
    second = _run(tmp_path, PROBE)
    assert (first["value"], first["misses"]) == (4.0, 1)
    assert (second["value"], second["hits"], second["misses"]) == (4.0, 1, 0)  # the cache served it
    loose = [tmp_path / "toy" / "__pycache__" / name for name in ("callee.base-3.py311.nbi", "callee.base-3.py311.1.nbc")]
    for stale in loose:  # what numba leaves beside a module cached outside the digest folder
        stale.write_bytes(b"stale")
    _toy(tmp_path, offset=10)  # only the callee's file changes
    edited = _run(tmp_path, PROBE)
    assert edited["value"] == 22.0, "stale machine code of the caller was served from the cache"
    assert not list((tmp_path / "toy" / "__pycache__").glob("pbrsim-numba-*"))[1:], "old digests are pruned"
    assert not any(stale.exists() for stale in loose), "loose cache files are pruned"


def test_the_digest_follows_every_source_and_only_them(tmp_path):
    files = []
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(f"# {name}\n")
        files.append(tmp_path / name)
    before = source_digest(files)
    assert source_digest(list(reversed(files))) == before
    files[1].write_text("# b.py edited\n")
    assert source_digest(files) != before
    names = {p.name for p in SOURCES}
    assert {"simulate.py", "cohorts.py", "payments.py", "records.py"} <= names


def test_a_second_process_compiles_no_kernel():
    code = textwrap.dedent("""
        import json
        from simulator import load_scenario, simulate
        from simulator.kernels import simulate_blocks
        for mode in ("aggregate", "individual"):
            simulate(load_scenario("scenarios/tr_crc_default.toml"), sims=64, seed=1, mode=mode)
        stats = simulate_blocks.stats
        print(json.dumps({"hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
    """)
    _run(ROOT, code)  # warms the cache if this test runs first
    again = _run(ROOT, code)
    assert again["misses"] == 0 and again["hits"] >= 1, again  # loaded from the cache, never compiled


def test_every_kernel_is_cached_in_the_digest_folder():
    """All of them, the monthly statistics' too: an edit or an upgrade then leaves no stale machine code behind."""
    from simulator.engine.compiled import cache_folder
    from simulator.kernels import monthly

    folder = cache_folder()
    kernels = [obj for module in (monthly, *_kernel_modules()) for obj in vars(module).values()
               if isinstance(obj, CPUDispatcher) and obj._cache.__class__.__name__ != "NullCache"]
    assert monthly.reduce_months in kernels and len(kernels) > 20
    outside = {k.py_func.__qualname__ for k in kernels if not Path(k._cache._cache_path).is_relative_to(folder)}
    assert not outside, outside


def _kernel_modules():
    import importlib

    return [importlib.import_module(f"simulator.kernels.{p.stem}") for p in SOURCES if p.stem != "__init__"]


def test_a_process_that_only_loads_kernels_does_not_refresh_numbas_compiler():
    """``LoadOnly``: loading a cached kernel skips numba's refresh of its compiler registries (0.25 s a process),
    gives the same figures as this process's kernels, and a compile later in the process still works."""
    import numpy as np

    from simulator import load_scenario, simulate
    from simulator.kernels.cache import LoadOnly

    assert LoadOnly is not None  # this numba has the internals it needs
    assert all(type(k._cache) is LoadOnly for module in _kernel_modules() for k in vars(module).values()
               if isinstance(k, CPUDispatcher) and k._cache.__class__.__name__ != "NullCache")
    code = textwrap.dedent("""
        import json, sys
        import numpy as np
        from numba import njit
        from simulator import load_scenario, simulate
        from simulator.kernels import monthly as mk
        r = simulate(load_scenario("scenarios/tr_crc_default.toml"), sims=128, seed=3, monthly_stats=True)
        refreshed = "numba.np.linalg" in sys.modules  # imported by numba's refresh, by nothing else here
        loaded = sum(mk.monthly_percentiles.stats.cache_hits.values())  # loaded by the run, before any refresh

        @njit
        def later(job, a, b, c, d, probs, e, f, g, x, out):  # compiled after the loads: numba refreshes for it
            mk.monthly_percentiles(job, a, b, c, d, probs, e, f, g, x, out)  # the kernel the run loaded
            return np.linalg.norm(np.ones(4))

        x, probs, out = np.arange(101, dtype=np.float32)[::-1].reshape(-1, 1).copy(), np.array([5.0, 50.0]), np.zeros((2, 1))
        norm = later(mk.COLUMNS, mk._EMPTY3_32, mk._EMPTY1_INT, mk._EMPTY1, 0.0, probs, mk._EMPTY3, mk._EMPTY3,
                     mk._EMPTY2, x, out)
        print(json.dumps({"refreshed": refreshed, "npv": r.arrays["npv"].tolist(), "cash_q": r.arrays["cash_q"].tolist(),
                          "loaded": loaded, "misses": sum(mk.monthly_percentiles.stats.cache_misses.values()),
                          "later": [norm, *out[:, 0].tolist()]}))
    """)
    _run(ROOT, code)  # warms the cache if this test runs first
    out = _run(ROOT, code)
    assert out["refreshed"] is False and out["loaded"] >= 1 and out["misses"] == 0
    assert out["later"] == pytest.approx([2.0, 5.0, 50.0], rel=1e-12)  # a later compile calls the loaded kernel
    here = simulate(load_scenario(ROOT / "scenarios" / "tr_crc_default.toml"), sims=128, seed=3, monthly_stats=True)
    assert np.array_equal(np.array(out["npv"]), here.arrays["npv"])
    assert np.array_equal(np.array(out["cash_q"]), here.arrays["cash_q"])
