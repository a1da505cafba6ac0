"""Where numba keeps the compiled kernels, so that an edit anywhere invalidates what it touches.

numba stamps each cached function with a hash of *its own* source file only. A kernel that
calls into another file (``simulate_blocks`` -> ``cohorts.settle`` -> ``payments``...) is
compiled with its callees inside it, so editing a callee left the caller's stale machine
code in the cache; and a type in a kernel's signature that moved module (``ModelArrays``)
made the old cache index unreadable (``ModuleNotFoundError`` while unpickling it).

The fix: the cache lives in a folder named after a digest of every source the compiled
code depends on (the kernel files and the files defining the records they receive) and
numba's version. Any edit gives a new folder, hence a fresh compile; an unchanged tree
finds its folder again and compiles nothing. Uses numba's public ``config.CACHE_DIR``,
read when a ``cache=True`` function is decorated; it is restored afterwards, so other
numba code in the process is unaffected.

The kernels also load from that cache without numba's refresh of its compiler (:class:`LoadOnly`):
0.25 s of every run that compiles nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numba
from numba.core.dispatcher import Dispatcher

try:  # numba's internals: where they differ, kernels load as numba loads them (only time is at stake)
    from numba.core.caching import FunctionCache
    from numba.core.runtime import rtsys
except ImportError:  # pragma: no cover
    FunctionCache = rtsys = object

PREFIX = "pbrsim-numba-"


def source_digest(sources: Iterable[Path]) -> str:
    """SHA-256 (16 hex digits) over the numba version and each source's name and bytes."""
    h = hashlib.sha256(numba.__version__.encode())
    for path in sorted(sources, key=lambda p: p.name):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
        return True
    except OSError:
        return False


def cache_base(package_dir: Path) -> tuple[Path, bool]:
    """(folder for digest-named caches, whether old digests there may be pruned).

    ``NUMBA_CACHE_DIR`` when the user set one; else the package's own ``__pycache__`` when
    writable (an install of its own: old digests are pruned); else a user cache folder.
    """
    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR), False
    in_tree = package_dir / "__pycache__"
    if _writable(in_tree):
        return in_tree, True
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pbrsim", False


def _prune(base: Path, keep: Path) -> None:
    """Remove the other digests' folders, and numba's loose files in ``base``: every kernel is cached in a digest
    folder, so a loose one is stale (an earlier pbrsim cached the monthly-statistics kernels there)."""
    for old in base.glob(PREFIX + "*"):
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for loose in (*base.glob("*.nbi"), *base.glob("*.nbc")):
        loose.unlink(missing_ok=True)


@contextmanager
def compiled_cache(package_dir: Path, sources: Iterable[Path]) -> Iterator[Path]:
    """Decorate kernels inside this block to cache them under a folder keyed by ``sources``."""
    base, prune = cache_base(package_dir)
    folder = base / (PREFIX + source_digest(sources))
    if prune:
        _prune(base, folder)
    before = numba.config.CACHE_DIR
    numba.config.CACHE_DIR = str(folder)
    try:
        yield folder
    finally:
        numba.config.CACHE_DIR = before


# the numba versions whose cache loading and compiler refresh were read and checked against LoadOnly (0.68.1:
# refresh imports and installs implementations, refreshes the typing context and starts the runtime; nothing
# else). Other versions load as numba loads them.
CHECKED_NUMBA = ("0.68.",)

if numba.__version__.startswith(CHECKED_NUMBA) and all(
        hasattr(FunctionCache, name) for name in ("_load_overload", "_guard_against_spurious_io_errors")):
    class LoadOnly(FunctionCache):
        """numba's cache of one kernel, loading without first refreshing numba's compiler.

        Before its first load from the cache numba refreshes the compiler's registries: it
        imports and installs every implementation it could compile (linear algebra, typed
        containers, the random module's lowering...), 0.25 s of every process that runs a
        cached kernel and compiles nothing. Loaded machine code needs none of it, only numba's
        runtime (its memory manager), which this starts: the symbols of every cached kernel's
        machine code are numba's runtime, its helpers, libm and Python's API, all present without
        the refresh. A compile still refreshes first (numba's ``CompilerBase`` does), so a kernel
        missing from the cache compiles as before. Used with the numba versions in
        :data:`CHECKED_NUMBA` only.
        """

        def load_overload(self, sig, target_context):
            rtsys.initialize(target_context)
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
else:  # pragma: no cover
    LoadOnly = None


def load_only(modules) -> None:
    """Have every cached kernel in ``modules`` load from the cache through :class:`LoadOnly`."""
    if LoadOnly is None:  # pragma: no cover
        return
    for module in modules:
        for kernel in vars(module).values():
            if isinstance(kernel, Dispatcher) and type(getattr(kernel, "_cache", None)) is FunctionCache:
                kernel._cache.__class__ = LoadOnly
