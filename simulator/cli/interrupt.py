"""Ctrl-C, recognised wherever it lands.

Python raises KeyboardInterrupt at the next bytecode, which may be inside a library that turns it
into another error (numba's unboxing of a random generator then reports an AttributeError). The
handler marks the interrupt before raising, so a command can tell an interrupt from a fault and
still say how much work was kept.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

_seen = threading.Event()


def _on_interrupt(signum, frame):
    _seen.set()
    raise KeyboardInterrupt


@contextmanager
def watching_interrupts():
    """Mark every SIGINT while the block runs (main thread only; other threads cannot set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _seen.clear()
    previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def was_interrupted(exc: BaseException) -> bool:
    """True for a KeyboardInterrupt, or for any error raised after Ctrl-C was pressed."""
    return isinstance(exc, KeyboardInterrupt) or _seen.is_set()
