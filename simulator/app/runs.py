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
from ..outputs.report import grey_png
from ..results import Results
from ..scenario import Scenario

KEEP = 4
MAX_SIMS = 50_000
MANY_PARTIES = 6  # beyond this, monthly fee/PbR/cost components are not kept (memory)

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
        components = len(scenario.party_names()) <= MANY_PARTIES
        results = simulate(scenario, sims=sims, seed=seed, keep_components=components)
        _cache[key] = results
        while len(_cache) > KEEP:
            _cache.popitem(last=False)
        return results, time.perf_counter() - started


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
