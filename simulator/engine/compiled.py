"""Whether the compiled kernels are already in numba's cache, so the CLI can say before it compiles.

The kernels are cached in a folder named after a digest of their sources (see
:mod:`simulator.kernels.cache`); a fresh install, a new numba or an edited kernel has none
there yet, and the first run then compiles for a while.

The kernels come in two variants, by the type of ``ModelArrays.outcome_tables``: ``plain``
(no ladder, rate card, pooled trigger or control group: None) and ``designs`` (an array). A
cache holding one still compiles the other for ~15 s, so after a run the engine leaves a
marker file for its variant (:func:`mark_compiled`), and :func:`is_compiled` asks for it.
The monthly-statistics kernels (the default for a national run) have a marker of their own:
after runs with ``--no-monthly`` only, the first default run compiled them (~3 s) in silence.
"""

from __future__ import annotations

from pathlib import Path

from ..kernels import SOURCES
from ..kernels.cache import PREFIX, cache_base, source_digest

KERNELS_DIR = Path(SOURCES[0]).parent
MAIN_KERNEL = "simulate.simulate_blocks-"  # the index file numba writes for the simulation kernel
COMPILE_TIME = "about 15 seconds"  # the default's first run on 2 cores: 11.8-14.1 s (whole-process timings, issue 11)
MONTHLY_COMPILE_TIME = "a few seconds"  # the monthly-statistics kernels alone: about 3 s (issue 11)


def cache_folder() -> Path:
    """The folder the kernels of this tree are cached in (it may not exist yet)."""
    return cache_base(KERNELS_DIR)[0] / (PREFIX + source_digest(SOURCES))


MARKER = "pbrsim-compiled-"  # + variant: a run of that variant finished with the kernels of this folder
MONTHLY = "monthly"  # the marker's name for the monthly-statistics kernels (a run that kept statistics finished)


def variant(outcome_tables) -> str:
    """The kernels' variant for a model whose ``outcome_tables`` is this (see the module docstring)."""
    return "plain" if outcome_tables is None else "designs"


def is_compiled(kind: str | None = None, *, monthly: bool = False) -> bool:
    """True when the simulation kernel has a cached compiled version (no long compile ahead); with ``kind``,
    one of that variant; with ``monthly``, the monthly-statistics kernels too."""
    folder = cache_folder()
    if not (folder.is_dir() and any(p.name.startswith(MAIN_KERNEL) for p in folder.rglob("*.nbi"))):
        return False
    wanted = ([kind] if kind else []) + ([MONTHLY] if monthly else [])
    return all((folder / (MARKER + name)).is_file() for name in wanted)


ENGINE = "engine"  # what :func:`to_compile` answers when the simulation kernels are missing


def to_compile(kind: str | None, *, monthly: bool = False) -> str | None:
    """What a run of variant ``kind`` (``monthly``: keeping statistics) compiles before it can start: :data:`ENGINE`
    (the simulation kernels, with the monthly ones), :data:`MONTHLY` (those alone: seconds), or None (all cached).
    One look at the cache when nothing is missing."""
    if is_compiled(kind, monthly=monthly):
        return None
    return MONTHLY if monthly and is_compiled(kind) else ENGINE


_marked: set[str] = set()


def mark_compiled(kind: str, *, monthly: bool = False) -> None:
    """Note that a run of variant ``kind`` (``monthly``: keeping statistics) finished here (once per process and
    marker; a marker not written only costs the line and a side process next time)."""
    for name in [kind] + ([MONTHLY] if monthly else []):
        if name in _marked:
            continue
        _marked.add(name)
        try:
            folder = cache_folder()
            if folder.is_dir():
                (folder / (MARKER + name)).touch()
        except OSError:
            pass
