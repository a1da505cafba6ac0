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


class CountBar:
    """A bar for a count of finished items, fed as ``bar(done, total)`` (see ``run_sweep(progress=)``).

    Drawn only on a terminal and when not quiet; created at the first call, when the total
    and the count already done (resumed work) are known.
    """

    def __init__(self, *, unit: str, desc: str, quiet: bool = False, stream: TextIO | None = None):
        self.unit, self.desc, self.quiet = unit, desc, quiet
        self.stream = sys.stderr if stream is None else stream
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, initial=done, unit=self.unit, desc=self.desc, file=self.stream,
                            disable=not wanted(quiet=self.quiet, stream=self.stream))
        else:
            self.bar.update(done - self.bar.n)

    def __enter__(self) -> CountBar:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
