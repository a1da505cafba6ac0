"""How a study result finds its figure without importing the layer above.

Studies sit below ``outputs`` in the layers, so ``PowerResult.plot`` cannot import the
figure function. ``simulator.outputs.study_plots`` registers one drawing function per
study here when it is imported (``import simulator`` does that), and a result's ``plot``
looks it up: the figure code stays in ``outputs``, the call stays on the result.
"""

from __future__ import annotations

from collections.abc import Callable

_DRAWERS: dict[str, Callable] = {}


def register(kind: str, draw: Callable) -> None:
    """Make ``draw(table, ax=None, **options)`` the figure of study ``kind``."""
    _DRAWERS[kind] = draw


def draw(kind: str, table, ax=None, **options):
    """Draw study ``kind``'s figure of ``table`` on ``ax`` (a new figure when None); return the axes."""
    if kind not in _DRAWERS:
        raise LookupError(f"no figure registered for the {kind!r} study: import simulator.outputs.study_plots")
    return _DRAWERS[kind](table, ax=ax, **options)
