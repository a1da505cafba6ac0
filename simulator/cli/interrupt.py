"""Ctrl-C, recognised wherever it lands.

Python raises KeyboardInterrupt at the next bytecode, which may be inside a library that turns it
into another error (numba's unboxing of a random generator then reports an AttributeError). The
handler marks the interrupt before raising, so a command can tell an interrupt from a fault and
still say how much work was kept.

While a run simulates (:func:`stopping_between_chunks`), the first Ctrl-C does not raise: it
asks the run to stop when the chunk in progress is finished and saved (a chunk of 1,024
simulations takes under a second on the national scenario), so no finished simulation is
lost; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager

_seen = threading.Event()
_deferring = threading.Event()  # a run is simulating: the first Ctrl-C waits for the chunk in progress
_asked = threading.Event()  # ... and it came


def _on_interrupt(signum, frame):
    _seen.set()
    if _deferring.is_set() and not _asked.is_set():
        _asked.set()
        sys.stderr.write("\npbrsim: stopping when the chunk of simulations in progress is saved "
                         "(Ctrl-C again to stop at once)\n")
        return
    raise KeyboardInterrupt


@contextmanager
def stopping_between_chunks():
    """A first Ctrl-C in the block stops it at the next :func:`stop_point` (or at its end), not at once."""
    _asked.clear()
    _deferring.set()
    try:
        yield
    finally:
        _deferring.clear()
    stop_point()


def stop_point() -> None:
    """Where a run may stop: raise the KeyboardInterrupt a first Ctrl-C asked for."""
    if _asked.is_set():
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
