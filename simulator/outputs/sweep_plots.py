"""Plots of a sweep table: lines of a metric against one key, or a heatmap over two keys.

Each function takes the tidy table from :func:`simulator.studies.sweep.run_sweep` (or read back
from sweep.parquet), draws on ``ax`` (a new figure when None) and returns the axes. Legible in
greyscale: lines differ by style and marker, heatmaps run from white to black; axes say in
words what was varied and in what unit. The heatmaps of one metric share one colour scale,
so the same shade means the same value for every party.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import FuncFormatter

from ..atomic import atomic_write
from ..errors import PbrsimError
from ..scenario.paths import number_text
from ..studies.metric_names import se_column
from .words import key_words, metric_words

Z95 = 1.96


def _check(table, keys: list[str], metric: str) -> None:
    if metric not in table.columns:
        raise PbrsimError(f"--plot: '{metric}' is not a metric of this sweep "
                          f"(metrics: {', '.join(c for c in table.columns if c not in ('point', 'party', *keys))})")


def _short(v: float) -> str:
    """A cell label: 1.25m, 340k, 0.0123."""
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}m"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:.3g}"


STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "x")
HEAT = "Greys"


def plain_ticks(axis, name: str) -> None:
    """Tick labels as people read them: GBP for money, plain numbers otherwise (no offset, no 1e7)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: number_text(v, name)))


def _tick(value, key: str) -> str:
    return number_text(value, key) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def plot_lines(table, key: str, metric: str, *, parties: list[str] | None = None, target: float | None = None,
               ax=None):
    """``metric`` against ``key``, one line per party, with a 95% band where a standard error exists,
    and a horizontal line at ``target`` when given."""
    import matplotlib.pyplot as plt

    _check(table, [key], metric)
    ax = ax if ax is not None else plt.subplots(figsize=(7, 4.5))[1]
    se_name = se_column(metric, list(table.columns))
    for i, party in enumerate(parties or list(dict.fromkeys(table["party"]))):
        rows = table[table["party"] == party].sort_values(key)
        x, y = rows[key].to_numpy(), rows[metric].to_numpy(dtype=float)
        ax.plot(x, y, color="black", ls=STYLES[i % len(STYLES)], marker=MARKERS[i % len(MARKERS)], mfc="white",
                label=party)
        if se_name is not None:
            se = rows[se_name].to_numpy(dtype=float)
            ax.fill_between(x, y - Z95 * se, y + Z95 * se, color="0.85", alpha=0.6, lw=0)
    if target is not None:
        ax.axhline(target, color="0.35", lw=1.6, ls=(0, (8, 3)), label=f"target {number_text(target, metric)}")
    ax.set_xlabel(key_words(key))
    ax.set_ylabel(metric_words(metric))
    plain_ticks(ax.xaxis, key)
    plain_ticks(ax.yaxis, metric)
    ax.grid(color="0.9", lw=0.6)
    ax.legend(title="party" + (" (bands: 95% Monte Carlo)" if se_name else ""), fontsize="small")
    return ax


def color_range(table, metric: str, parties: list[str] | None = None) -> tuple[float, float]:
    """(low, high) of ``metric`` over the parties shown: the one colour scale their heatmaps share."""
    rows = table if parties is None else table[table["party"].isin(parties)]
    values = rows[metric].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


def plot_heatmap(table, keys: list[str], metric: str, party: str, *, vmin: float | None = None,
                 vmax: float | None = None, colorbar: bool = True, ax=None):
    """``metric`` for one party over a grid of two keys (first key down, second across), white (low)
    to black (high) between ``vmin`` and ``vmax`` (default: this party's own range)."""
    import matplotlib.pyplot as plt

    _check(table, keys, metric)
    ax = ax if ax is not None else plt.subplots(figsize=(6, 5))[1]
    rows = table[table["party"] == party]
    grid = rows.pivot_table(index=keys[0], columns=keys[1], values=metric, aggfunc="first")
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, origin="lower", aspect="auto", cmap=HEAT, vmin=vmin, vmax=vmax)
    ax.set_yticks(range(len(grid.index)), [_tick(v, keys[0]) for v in grid.index])
    ax.set_xticks(range(len(grid.columns)), [_tick(v, keys[1]) for v in grid.columns], rotation=45)
    for (i, j), v in np.ndenumerate(values):
        dark = image.norm(v) > 0.5  # white text on the dark end of the scale
        ax.text(j, i, _short(v), ha="center", va="center", fontsize=7, color="w" if dark else "k")
    ax.set_ylabel(key_words(keys[0]))
    ax.set_xlabel(key_words(keys[1]))
    ax.set_title(party)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=metric_words(metric).replace(" (", "\n("))
    return ax


def save_sweep_plot(table, keys: list[str], metric: str, out_dir: Path, *, parties: list[str] | None = None,
                    target: float | None = None):
    """Lines (1 key, with ``target`` drawn) or one heatmap per party on one colour scale (2 keys), saved as
    ``sweep_<metric>.png``; None for more keys."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _check(table, keys, metric)
    parties = parties or list(dict.fromkeys(table["party"]))
    if len(keys) == 1:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_lines(table, keys[0], metric, parties=parties, target=target, ax=ax)
    elif len(keys) == 2:
        fig, axes = plt.subplots(1, len(parties), figsize=(5.5 * len(parties), 4.5), squeeze=False)
        low, high = color_range(table, metric, parties)
        for i, (party, ax) in enumerate(zip(parties, axes[0], strict=True)):
            plot_heatmap(table, keys, metric, party, vmin=low, vmax=high, colorbar=i == len(parties) - 1, ax=ax)
    else:
        return None
    fig.tight_layout()
    path = Path(out_dir) / f"sweep_{metric}.png"
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
    return path
