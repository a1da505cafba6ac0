"""A fresh install's first simulation: one line saying it compiles, and the other core put to work.

On a fresh install (nothing in numba's cache for these kernels) the first simulation in a
process compiles for about 20 s on one core; without a word first, that looks like a hang.
:func:`first_run` wraps it: when the kernels are not cached it announces the compile and
starts :mod:`.side_compile` for the scenario's types, waiting for the kernels that process
has started, and stops it at the end. The CLI wraps each command with it (once per command);
``simulate()`` wraps itself with ``once=True``, so code that calls it from Python (a notebook)
gets the same on the first simulation of the process, and nothing when a command or the app
has already seen to it. Worker processes (Dask, process pools) never start a second process.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .compiled import COMPILE_TIME, MONTHLY, MONTHLY_COMPILE_TIME

LINE = f"pbrsim: compiling the simulation engine for this machine (first run only, {COMPILE_TIME} on 2 cores)..."
MONTHLY_LINE = (f"pbrsim: compiling the monthly statistics for this machine (first run with them only, "
                f"{MONTHLY_COMPILE_TIME})...")

_lock = threading.Lock()
_seen: set[str | None] = set()  # the kernel variants (and MONTHLY) this process has met the first run of (None: any)


def kind_of(scenario) -> str | None:
    """The kernels' variant a scenario's run needs (see :mod:`.compiled`); None without a scenario."""
    if scenario is None:
        return None
    from .compiled import variant
    from .model_arrays import build_model_arrays

    return variant(build_model_arrays(scenario)[0].outcome_tables)


def to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def first_run(scenario, *, kind: str | None = None, monthly: bool = False, beside: bool = True, once: bool = False,
              announce: Callable[[str], None] = to_stderr) -> Iterator[None]:
    """If the kernels are not cached: ``announce`` :data:`LINE` and (``beside`` and a ``scenario``) compile on the
    other core for it, the monthly-statistics kernels too when ``monthly``. When only those are missing
    (earlier runs all without statistics): :data:`MONTHLY_LINE`, and no second process.

    ``kind``: the scenario's kernel variant when the caller has it (``simulate()`` has built the
    model already), else found from the scenario. ``once``: only if nothing in this process has
    met the first run of that variant (and, with ``monthly``, of the monthly kernels) before.
    """
    from .compiled import to_compile  # looked up at each call (tests replace compiled.is_compiled)

    side = None
    kind = kind or kind_of(scenario)
    needs = {kind, MONTHLY} if monthly else {kind}
    with _lock:
        skip = once and (None in _seen or needs <= _seen)
        _seen.update(needs)
    missing = None if skip or multiprocessing.parent_process() is not None else to_compile(kind, monthly=monthly)
    if missing is not None:
        announce(MONTHLY_LINE if missing == MONTHLY else LINE)
        if beside and scenario is not None and missing != MONTHLY:  # the monthly kernels alone: no time to win
            from .side_compile import start_beside

            side = start_beside(scenario, monthly=monthly)
            if side is not None:
                side.hold()
    try:
        yield
    finally:
        if side is not None:
            side.stop()
