"""The standard-error companion of a flattened metric column (see ``results.frames.flatten_metrics``)."""

from __future__ import annotations

from collections.abc import Sequence


def se_column(metric: str, columns: Sequence[str]) -> str | None:
    """The standard-error companion of a metric column, where the summary has one."""
    candidates = [metric + "_se"]
    if metric.endswith("_mean"):
        candidates.append(metric[:-5] + "_se_mean")
    if metric.endswith("_gbp"):
        candidates.append(metric[:-4] + "_se_gbp")
    return next((c for c in candidates if c in columns), None)
