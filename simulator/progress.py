"""A progress bar for long runs: tqdm on stderr, only when it helps.

Silent when stderr is not a terminal (pipes, CI, logs) or when asked to be quiet, and
shown only once a run has lasted ``DELAY_S`` seconds, so short runs print nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

DELAY_S = 1.5


def wanted(*, quiet: bool, stream: TextIO | None = None) -> bool:
    """True when a bar may be drawn: not quiet and the stream is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty())


@contextmanager
def sims_progress(total: int, *, quiet: bool = False, stream: TextIO | None = None,
                  delay: float = DELAY_S) -> Iterator[Callable[[int], None]]:
    """Yield a callback for ``engine.simulate(progress=...)`` (called with sims finished per chunk)."""
    stream = sys.stderr if stream is None else stream
    bar = tqdm(total=total, unit="sim", unit_scale=True, desc="simulating", file=stream, delay=delay,
               disable=not wanted(quiet=quiet, stream=stream), leave=False, dynamic_ncols=True)
    try:
        yield bar.update
    finally:
        bar.close()
