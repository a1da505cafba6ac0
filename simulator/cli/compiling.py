"""A first run's compile as every command shows it: one line before it, and the other core put to work.

On a fresh install (nothing in numba's cache for these kernels) the first simulation compiles
for a while; without a word first, that looks like a hang. Each command that simulates wraps
its work in :func:`compiling`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..engine.compiled import COMPILE_TIME
from .common import say

__all__ = ["COMPILE_TIME", "compiling"]


@contextmanager
def compiling(scenario=None, *, monthly_stats: bool = False, in_process: bool = True) -> Iterator[None]:
    """Before the kernels compile (a fresh install, a new numba), one line saying so: the wait is not a hang.

    With a ``scenario`` simulated in this process, part of the kernels (and the
    monthly-statistics kernels when the run keeps statistics) are compiled by a second
    process on the other core (:mod:`simulator.engine.side_compile`) for that scenario's
    types, and this process waits for those it has started rather than compiling them too;
    one still compiling at the end is stopped.
    """
    from ..engine.compiled import is_compiled

    side = None
    if not is_compiled():
        say(f"pbrsim: compiling the simulation engine for this machine (first run only, {COMPILE_TIME} on 2 cores)...",
            err=True)
        if in_process and scenario is not None:
            from ..engine.side_compile import start_beside

            side = start_beside(scenario, monthly=monthly_stats)
            if side is not None:
                side.hold()
    try:
        yield
    finally:
        if side is not None:
            side.stop()
