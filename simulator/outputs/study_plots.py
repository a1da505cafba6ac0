"""The studies' figures: registered with :mod:`simulator.studies.drawing` and saved as PNG and SVG.

Importing this module lets ``PowerResult.plot()`` (and the other study results) find their
figures; ``import simulator`` imports it. It is light: each figure module, and matplotlib
with it, loads only when a figure is drawn.
"""

from __future__ import annotations

from pathlib import Path

from ..studies.drawing import register


def _power(table, ax=None, **options):
    from .power_plots import plot_power

    return plot_power(table, ax=ax, **options)


def _power_parties(table, ax=None, **options):
    from .power_plots import plot_power_parties

    return plot_power_parties(table, ax=ax, **options)


def _compare(table, ax=None, **options):
    from .compare_plots import plot_compare

    return plot_compare(table, ax=ax, **options)


def _incentives(table, ax=None, **options):
    from .incentives_plots import plot_incentives

    return plot_incentives(table, ax=ax, **options)


def _tornado(table, ax=None, **options):
    from .sensitivity_plots import plot_tornado

    return plot_tornado(table, ax=ax, **options)


def _sobol(table, ax=None, **options):
    from .sensitivity_plots import plot_sobol

    return plot_sobol(table, ax=ax, **options)


register("power", _power)
register("power_parties", _power_parties)
register("compare", _compare)
register("incentives", _incentives)
register("tornado", _tornado)
register("sobol", _sobol)


def save_study_figure(ax, out_dir: str | Path, stem: str) -> list[Path]:
    """``stem.png`` and ``stem.svg`` in ``out_dir`` (atomically)."""
    from .figures import FORMATS, save_figure

    return [save_figure(ax, Path(out_dir) / f"{stem}.{fmt}") for fmt in FORMATS]
