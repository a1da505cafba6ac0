"""Whether the compiled kernels are already in numba's cache, so the CLI can say before it compiles.

The kernels are cached in a folder named after a digest of their sources (see
:mod:`simulator.kernels.cache`); a fresh install, a new numba or an edited kernel has none
there yet, and the first run then compiles for a while.
"""

from __future__ import annotations

from pathlib import Path

from ..kernels import SOURCES
from ..kernels.cache import PREFIX, cache_base, source_digest

KERNELS_DIR = Path(SOURCES[0]).parent
MAIN_KERNEL = "simulate.simulate_blocks-"  # the index file numba writes for the simulation kernel
COMPILE_TIME = "about 15 seconds"  # the default's first run on 2 cores: 11.8-14.1 s (whole-process timings, issue 11)


def cache_folder() -> Path:
    """The folder the kernels of this tree are cached in (it may not exist yet)."""
    return cache_base(KERNELS_DIR)[0] / (PREFIX + source_digest(SOURCES))


def is_compiled() -> bool:
    """True when the simulation kernel has a cached compiled version (no long compile ahead)."""
    folder = cache_folder()
    return folder.is_dir() and any(p.name.startswith(MAIN_KERNEL) for p in folder.rglob("*.nbi"))
