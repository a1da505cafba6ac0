"""Plots of a sweep table: lines of a metric against one key, or a heatmap over two keys.

Each function takes the tidy table from :func:`simulator.studies.sweep.run_sweep` (or read back
from sweep.parquet), draws on ``ax`` (a new figure when None) and returns the axes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import PbrsimError
from ..studies.breakeven import se_column

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


def plot_lines(table, key: str, metric: str, *, parties: list[str] | None = None, ax=None):
    """``metric`` against ``key``, one line per party, with a 95% band where a standard error exists."""
    import matplotlib.pyplot as plt

    _check(table, [key], metric)
    ax = ax if ax is not None else plt.subplots(figsize=(7, 4.5))[1]
    se_name = se_column(metric, list(table.columns))
    for party in parties or list(dict.fromkeys(table["party"])):
        rows = table[table["party"] == party].sort_values(key)
        x, y = rows[key].to_numpy(), rows[metric].to_numpy(dtype=float)
        ax.plot(x, y, marker="o", label=party)
        if se_name is not None:
            se = rows[se_name].to_numpy(dtype=float)
            ax.fill_between(x, y - Z95 * se, y + Z95 * se, alpha=0.15)
    ax.set_xlabel(key)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(title="party")
    return ax


def plot_heatmap(table, keys: list[str], metric: str, party: str, *, ax=None):
    """``metric`` for one party over a grid of two keys (first key down, second across)."""
    import matplotlib.pyplot as plt

    _check(table, keys, metric)
    ax = ax if ax is not None else plt.subplots(figsize=(6, 5))[1]
    rows = table[table["party"] == party]
    grid = rows.pivot_table(index=keys[0], columns=keys[1], values=metric, aggfunc="first")
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
    ax.set_yticks(range(len(grid.index)), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index])
    ax.set_xticks(range(len(grid.columns)), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns],
                  rotation=45)
    for (i, j), v in np.ndenumerate(values):
        light = image.norm(v) > 0.6  # dark text on the bright end of the colour map
        ax.text(j, i, _short(v), ha="center", va="center", fontsize=7, color="k" if light else "w")
    ax.set_ylabel(keys[0])
    ax.set_xlabel(keys[1])
    ax.set_title(f"{party}: {metric}")
    ax.figure.colorbar(image, ax=ax, label=metric)
    return ax


def save_sweep_plot(table, keys: list[str], metric: str, out_dir: Path, *, parties: list[str] | None = None):
    """Lines (1 key) or one heatmap per party (2 keys) saved as ``sweep_<metric>.png``; None for more keys."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _check(table, keys, metric)
    parties = parties or list(dict.fromkeys(table["party"]))
    if len(keys) == 1:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        plot_lines(table, keys[0], metric, parties=parties, ax=ax)
    elif len(keys) == 2:
        fig, axes = plt.subplots(1, len(parties), figsize=(5.5 * len(parties), 4.5), squeeze=False)
        for party, ax in zip(parties, axes[0], strict=True):
            plot_heatmap(table, keys, metric, party, ax=ax)
    else:
        return None
    fig.tight_layout()
    path = Path(out_dir) / f"sweep_{metric}.png"
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
    return path
