"""The file layout to the model's shape: top-level area tables merged into each area.

A scenario file describes one CPA with top-level ``segments``, ``volume``, ``baseline``,
``payment`` and ``supply_chain`` tables, or lists ``[[areas]]``: each entry is merged over
those top-level tables (tables merge key by key, arrays and values replace), so shared
terms are written once.
"""

from __future__ import annotations

import copy

AREA_KEYS = ("segments", "volume", "baseline", "payment", "supply_chain")


def _deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _restructure(raw: dict) -> dict:
    """Top-level area keys become the template for each of ``areas`` (or the single area)."""
    data = {k: v for k, v in raw.items() if k not in AREA_KEYS and k not in ("areas", "area_name")}
    template = {k: raw[k] for k in AREA_KEYS if k in raw}
    if "area_name" in raw:
        template["name"] = raw["area_name"]
    areas = raw.get("areas")
    if areas is None:
        data["areas"] = [template]
    elif isinstance(areas, list) and all(isinstance(a, dict) for a in areas):
        data["areas"] = [_deep_merge(template, a) for a in areas]
    else:
        data["areas"] = areas
    return data
