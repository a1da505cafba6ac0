"""Every key path a user may vary, with its current value, in the form ``--set`` accepts.

One form everywhere (``pbrsim validate``, the report's and the workbook's inputs): tables
joined by ``.``, entries of named arrays by their name
(``supply_chain.subcontractors.small_charity.upfront_share``, ``segments.short_custody.share``).
A one-area scenario lists its area's tables at the top (``volume.factor_mean``); a national
one lists each area under ``areas.NAME.``. A distribution lists the keys its ``dist`` uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import tomli_w

from .schema import Scenario

_SKIP = ("stress",)
DIST_KEYS = {"fixed": ("value",), "normal": ("mean", "sd"), "uniform": ("low", "high")}


def scenario_paths(scenario: Scenario) -> list[tuple[str, Any]]:
    """(key path, value) for every value of the scenario, defaults included; None where unset."""
    data = scenario.model_dump(exclude=set(_SKIP))
    areas = data.pop("areas")
    segments = [s["name"] for s in areas[0]["segments"]]
    rows = list(_walk(data, "", segments))
    if len(areas) == 1:
        area = areas[0]
        rows.append(("area_name", area.pop("name")))
        rows += _walk(area, "", segments)
    else:
        for area in areas:
            names = [s["name"] for s in area["segments"]]
            rows += _walk({k: v for k, v in area.items() if k != "name"}, f"areas.{area['name']}", names)
    return rows


def _walk(node: Any, path: str, segments: list[str]) -> Iterator[tuple[str, Any]]:
    join = (lambda key: f"{path}.{key}") if path else str
    if isinstance(node, dict) and "dist" in node:
        for key in ("dist", *DIST_KEYS[node["dist"]]):
            yield join(key), node[key]
    elif isinstance(node, dict) and path.endswith("cost_per_case_gbp"):
        for name in segments:
            yield join(name), node.get(name)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "investor" and value is None:
                continue
            yield from _walk(value, join(key), segments)
    elif isinstance(node, list) and node and all(isinstance(x, dict) and "name" in x for x in node):
        for item in node:  # the entry's name is in its path
            yield from _walk({k: v for k, v in item.items() if k != "name"}, join(item["name"]), segments)
    else:
        yield path, node


def value_text(value: Any) -> str:
    """A value as TOML text (what ``--set KEY=VALUE`` accepts); ``(not set)`` for None."""
    if value is None:
        return "(not set)"
    return tomli_w.dumps({"v": value}).strip().removeprefix("v = ")


def number_text(x: float | None, key: str = "", *, sig: int = 6) -> str:
    """A number for people, never in scientific notation: GBP for a money key (``..._gbp``, ``npv_gbp_mean``),
    else up to ``sig`` significant digits (``0.876953``, ``12``, ``1,250,000``)."""
    if x is None or not math.isfinite(x):
        return "-"
    if "gbp" in key.rsplit(".", 1)[-1]:
        return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"
    if x == 0 or abs(x) >= 1e5:
        return f"{x:,.0f}"
    digits = max(0, sig - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")
