"""A first run's compile as every command shows it: one line before it, and the other core put to work.

Each command that simulates wraps its work in :func:`compiling` (the engine's
:func:`~simulator.engine.first_run.first_run`, announced through ``say``).
"""

from __future__ import annotations

from ..engine.first_run import first_run
from .common import say


def compiling(scenario=None, *, monthly_stats: bool = False, in_process: bool = True):
    """Before the kernels compile (a fresh install, a new numba), one line saying so: the wait is not a hang.

    With a ``scenario`` simulated in this process, part of the kernels (and the
    monthly-statistics kernels when the run keeps statistics) are compiled by a second
    process on the other core (:mod:`simulator.engine.side_compile`) for that scenario's
    types, and this process waits for those it has started rather than compiling them too;
    one still compiling at the end is stopped.
    """
    return first_run(scenario, monthly=monthly_stats, beside=in_process, announce=lambda line: say(line, err=True))
