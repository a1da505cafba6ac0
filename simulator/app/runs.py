"""Runs for the app: one at a time (numba's thread pool is not re-entrant), the last few kept.

A page and its downloads (report.html, results.xlsx) read the same :class:`Results`: a run
is keyed on everything that determines its numbers (the validated scenario, sims, seed), so
a download shows exactly what the page showed without simulating again.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import OrderedDict

from ..engine import simulate
from ..engine.compiled import COMPILE_TIME, MONTHLY, MONTHLY_COMPILE_TIME
from ..outputs.report import grey_png
from ..results import Results
from ..scenario import Scenario

KEEP = 4
MAX_SIMS = 50_000
MANY_PARTIES = 6  # beyond this, monthly flows are kept as their statistics (memory: 2.7 GB a national run at 50,000)

_lock = threading.Lock()
_cache: OrderedDict[tuple, Results] = OrderedDict()


def run(scenario: Scenario, *, sims: int, seed: int) -> tuple[Results, float]:
    """(results, seconds spent simulating: 0 when they were kept from an earlier request)."""
    key = (scenario.model_dump_json(), sims, seed)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key], 0.0
        started = time.perf_counter()
        results = simulate(scenario, sims=sims, seed=seed, **_monthly(scenario))
        _cache[key] = results
        while len(_cache) > KEEP:
            _cache.popitem(last=False)
        return results, time.perf_counter() - started


def _monthly(scenario: Scenario) -> dict[str, bool]:
    """What the app keeps of the monthly flows: every month of a few parties, statistics beyond (memory)."""
    few = len(scenario.party_names()) <= MANY_PARTIES
    return {"keep_components": few, "monthly_stats": not few}


def warm_up(scenario: Scenario) -> threading.Thread | None:
    """On a first start (the scenario's kernels not in numba's cache), compile them while the browser opens.

    The first page runs a simulation at once, and compiling it used to keep that page blank for
    the whole compile. A background thread now runs a small simulation of ``scenario`` under
    the runs' lock (a first request waits for it rather than compiling beside it), with a second
    process compiling part of the kernels on the other core (the engine's
    :func:`~simulator.engine.first_run.first_run`; the CLI says so). None when they are cached already.
    """
    from ..engine.compiled import to_compile
    from ..engine.first_run import first_run, kind_of

    kind = kind_of(scenario)
    options = _monthly(scenario)
    missing = to_compile(kind, monthly=options["monthly_stats"])
    if missing is None:
        return None

    def compile_kernels() -> None:
        with _lock, first_run(scenario, kind=kind, monthly=options["monthly_stats"], announce=lambda line: None):
            try:
                simulate(scenario, sims=64, seed=1, **options)
            except Exception:  # noqa: BLE001  (a request meets the same error and shows it on the page)
                pass

    thread = WarmUp(target=compile_kernels, name="pbrsim-warm-up", daemon=True)
    if missing == MONTHLY:
        thread.what, thread.takes = "its monthly statistics", MONTHLY_COMPILE_TIME
    thread.start()
    return thread


class WarmUp(threading.Thread):
    """The warm-up thread, with what it compiles (``what``) and about how long that takes (``takes``), for the
    getting-ready page and the command's line: the monthly statistics alone take seconds, not the engine's 15."""

    what: str = "its simulation engine"
    takes: str = COMPILE_TIME


def solve_locked(function, *args, **kwargs):
    """Run a study (many simulations) under the same lock as :func:`run`."""
    with _lock:
        return function(*args, **kwargs)


def png_uri(ax) -> str:
    """A figure as a greyscale PNG data URI (the page needs no file and no network).

    Fixed margins instead of the figures' constrained layout, and no PNG optimisation: the
    layout pass took about half of each figure's time, and a page draws several.
    """
    fig = ax.figure
    fig.set_layout_engine(None)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.13, top=0.91)
    return "data:image/png;base64," + base64.b64encode(grey_png(ax, dpi=90, optimize=False)).decode("ascii")
