"""Names of the per-party metrics as tables flatten them, and their standard-error companions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def flatten_metrics(block: Mapping, prefix: str = "") -> dict[str, Any]:
    """``{'npv_gbp': {'mean': 1}}`` -> ``{'npv_gbp_mean': 1}``."""
    flat: dict[str, Any] = {}
    for key, value in block.items():
        name = f"{prefix}_{key}" if prefix else key
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, name))
        else:
            flat[name] = value
    return flat


def se_column(metric: str, columns: Sequence[str]) -> str | None:
    """The standard-error companion of a metric column, where the summary has one."""
    candidates = [metric + "_se"]
    if metric.endswith("_mean"):
        candidates.append(metric[:-5] + "_se_mean")
    if metric.endswith("_gbp"):
        candidates.append(metric[:-4] + "_se_gbp")
    return next((c for c in candidates if c in columns), None)
