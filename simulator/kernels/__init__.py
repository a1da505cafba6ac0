"""Compiled kernels: pure ``@njit`` functions over arrays and scalars.

Nothing here knows about files, scenarios or the CLI; the engine turns a scenario into
:class:`simulator.engine.model_arrays.ModelArrays` and calls :func:`simulate_blocks`.
Every kernel module is imported here, inside :func:`.cache.compiled_cache`, so the numba
cache is keyed on all the sources the compiled code depends on (see ``cache.py``).
"""

from pathlib import Path
from types import ModuleType

from .cache import compiled_cache, load_only

_HERE = Path(__file__).resolve().parent
# every kernel, and records.py whose types their signatures carry (pickled into numba's cache index)
SOURCES = tuple(sorted(_HERE.glob("*.py")))

with compiled_cache(_HERE, SOURCES):
    from . import (  # noqa: F401
        cashflows,
        cohorts,
        designs,
        financing,
        individual,
        monthly,
        outcomes,
        payments,
        records,
        sampling,
        simulate,
    )
    from .simulate import simulate_blocks

load_only([module for module in list(globals().values()) if isinstance(module, ModuleType)])  # those imported above

__all__ = ["SOURCES", "simulate_blocks"]
