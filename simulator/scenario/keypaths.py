"""Set values in a raw scenario table by key path, checked against the scenario schema.

A key path names one value as the TOML file lays it out: ``volume.factor_mean``,
``payment.pbr.binary_gbp_per_point_per_offender`` or
``supply_chain.subcontractors.small_charity.upfront_share``. An entry of an array of named
tables (segments, subcontractors, areas) is named by its ``name`` (or a prefix of it that
only one entry has: ``areas.Humberside``) or by its number from 0
(``supply_chain.subcontractors.1``, ``subcontractors[1]``). A path must exist in the file or
be a key the schema allows there (an optional key left at its default). Sweeps, stress
presets, ``--set`` and break-even searches all edit scenarios this way, then validate the
result with :func:`simulator.scenario.scenario_from_dict`.

In a national scenario (``[[areas]]``), a path into an area's tables (``volume...``,
``payment...``) is applied to every area, after merging the shared tables into each.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..errors import ScenarioError
from .merge import AREA_KEYS, _restructure
from .schema import Area, Scenario

KeyPath = tuple[str | int, ...]

_NOT_OVERRIDABLE = ("stress", "source", "source_sha256")
_RELATIVE = re.compile(r"^\s*([*+\-])\s*([0-9.eE+\-]+)\s*$")


# ---------------------------------------------------------------- key paths


def parse_key_path(text: str, *, source: str = "<command line>") -> KeyPath:
    """``'a.b[1].c'`` or ``'a.b.1.c'`` -> ``('a', 'b', 1, 'c')``; ``'a.b[x].c'`` -> ``('a', 'b', 'x', 'c')``."""
    parts: list[str | int] = []
    for piece in re.sub(r"\[([^\[\]]+)\]", r".\1", text.strip()).split("."):
        if not piece:
            raise ScenarioError(source, text, "is not a key path (expected names joined by '.', "
                                "e.g. 'payment.pbr.binary_gbp_per_point_per_offender')", has_value=False)
        parts.append(int(piece) if piece.isdigit() else piece)
    return tuple(parts)


def format_path(parts: KeyPath) -> str:
    return ".".join(str(p) for p in parts)


# ---------------------------------------------------------------- the schema at a path


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; ``Annotated`` and plain types unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def _top_fields() -> dict[str, Any]:
    """Keys allowed at the top of a scenario file, with their field info (None: free)."""
    fields = {k: f for k, f in Scenario.model_fields.items() if k not in ("areas", *_NOT_OVERRIDABLE)}
    fields.update({k: Area.model_fields[k] for k in AREA_KEYS})
    fields["area_name"] = Area.model_fields["name"]
    fields["areas"] = Scenario.model_fields["areas"]
    return fields


class _Leaf(typing.NamedTuple):
    annotation: Any
    default: Any
    metadata: tuple = ()


def schema_at(raw: Mapping, parts: KeyPath, *, source: str, text: str, value: object = None) -> _Leaf:
    """The type and default of the value at ``parts``; ScenarioError if the schema has no such key."""
    fields: dict[str, Any] | None = _top_fields()
    node: Any = raw
    annotation: Any = None
    default: Any = PydanticUndefined
    metadata: tuple = ()
    for i, part in enumerate(parts):
        here = format_path(parts[:i]) or "the top level"
        if annotation is not None and typing.get_origin(annotation) is list:
            if not isinstance(part, int) and isinstance(node, list):
                part = _entry_number(node, part, source=source, text=text, here=here, value=value)
            if not isinstance(part, int):
                raise ScenarioError(source, text, f"needs an entry name or number after '{here}' (e.g. '{here}.0')",
                                    value)
            if not isinstance(node, list):
                raise ScenarioError(source, text, f"needs '{here}' in the scenario file, and it is not there", value)
            size = len(node)
            if part >= size:
                raise ScenarioError(source, text, f"has entry {part}, but '{here}' has {size} entries "
                                    f"(numbered from 0)", value)
            annotation, default, fields = _unwrap(typing.get_args(annotation)[0]), PydanticUndefined, None
        elif annotation is not None and typing.get_origin(annotation) is dict:
            annotation, default, fields = _unwrap(typing.get_args(annotation)[1]), PydanticUndefined, None
        else:
            if fields is None or isinstance(part, int) or part not in fields:
                raise _unknown_key(source, text, here, part, fields, value)
            info = fields[part]
            annotation, default = _unwrap(info.annotation), info.get_default(call_default_factory=True)
            metadata = tuple(info.metadata)
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        fields = dict(annotation.model_fields) if is_model else None
        node = node.get(part) if isinstance(node, Mapping) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
    return _Leaf(annotation, default, metadata)


def leaf_at(raw: dict, key: str, *, source: str) -> _Leaf:
    """The schema leaf a key path (names, numbers, national shorthand) stands for."""
    parts = parse_key_path(key, source=source)
    tree, paths = concrete_paths(copy.deepcopy(raw), parts, source=source, text=key)
    return schema_at(tree, paths[0], source=source, text=key)


def _unknown_key(source: str, text: str, here: str, part: object, fields: dict | None, value: object):
    if fields is None or isinstance(part, int):
        return ScenarioError(source, text, f"goes below '{here}', which holds a single value", value)
    allowed = sorted(fields)
    close = difflib.get_close_matches(str(part), allowed, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ScenarioError(source, text, f"is not a scenario key: '{part}' is not allowed under {here} "
                         f"(allowed: {', '.join(allowed)}){hint}", value)


def coerce(value: Any, annotation: Any) -> Any:
    """Match a number to its field: 6.0 -> 6 for whole-number keys, 6 -> 6.0 for real ones."""
    if isinstance(value, bool):
        return value
    if annotation is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if annotation is float and isinstance(value, int):
        return float(value)
    return value


# ---------------------------------------------------------------- reading and writing


def _is_area_path(raw: Mapping, parts: KeyPath) -> bool:
    return "areas" in raw and isinstance(raw.get("areas"), list) and parts[0] in AREA_KEYS


def _materialise_areas(raw: dict) -> dict:
    """A national scenario with the shared area tables merged into each ``[[areas]]`` entry."""
    data = _restructure(raw)
    out = {k: v for k, v in raw.items() if k not in AREA_KEYS and k != "area_name"}
    out["areas"] = data["areas"]
    return out


def concrete_paths(raw: dict, parts: KeyPath, *, source: str = "<memory>", text: str = "",
                   value: object = None) -> tuple[dict, list[KeyPath]]:
    """The raw table to edit and the concrete path(s) one key path stands for (one per area).

    Entry names become entry numbers; a path into one area of a national scenario sees the
    shared tables merged into that area (so ``areas.X.supply_chain.subcontractors.Y`` exists).
    """
    text = text or format_path(parts)
    if _is_area_path(raw, parts):
        raw = _materialise_areas(raw)
        paths = [("areas", i, *parts) for i in range(len(raw["areas"]))]
    else:
        if parts[0] == "areas" and isinstance(raw.get("areas"), list) and len(parts) > 2:
            raw = _materialise_areas(raw)
        paths = [parts]
    return raw, [resolve_names(raw, p, source=source, text=text, value=value) for p in paths]


def resolve_names(raw: Mapping, parts: KeyPath, *, source: str, text: str, value: object = None) -> KeyPath:
    """``parts`` with each entry name of an array of named tables replaced by the entry's number."""
    node: Any = raw
    out: list[str | int] = []
    for part in parts:
        if isinstance(node, list) and isinstance(part, str):
            part = _entry_number(node, part, source=source, text=text, here=format_path(tuple(out)), value=value)
        out.append(part)
        node = get_value(node, (part,), None)
    return tuple(out)


def _entry_number(entries: list, name: str, *, source: str, text: str, here: str, value: object) -> int:
    """The number of the entry called ``name`` (or the only entry whose name starts with it)."""
    names = [e.get("name") if isinstance(e, Mapping) else None for e in entries]
    if name in names:
        return names.index(name)
    starting = [i for i, n in enumerate(names) if isinstance(n, str) and n.startswith(name)]
    if len(starting) == 1:
        return starting[0]
    listed = ", ".join(str(n) for n in names if n is not None) or "none has a name"
    why = f"'{name}' starts the names of several entries" if starting else f"no entry is named '{name}'"
    raise ScenarioError(source, text, f"names no single entry of '{here}': {why} (entries: {listed}; "
                        "or give the entry's number from 0)", value)


def get_value(raw: Mapping, parts: KeyPath, default: Any = PydanticUndefined) -> Any:
    """The value at ``parts`` in ``raw``, else ``default`` (the schema's)."""
    node: Any = raw
    for part in parts:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return default
    return node


def _put(raw: dict, parts: KeyPath, value: Any) -> None:
    node: Any = raw
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[part]
        else:
            node = node.setdefault(part, {})
    node[parts[-1]] = value


def _relative(value: Any, current: Any, annotation: Any, *, source: str, text: str) -> Any:
    """``'*0.7'``, ``'+2'`` or ``'-2'`` applied to the current value of a numeric key."""
    match = _RELATIVE.match(value) if isinstance(value, str) and annotation in (int, float) else None
    if match is None:
        return value
    op, amount = match.group(1), float(match.group(2))
    if current is PydanticUndefined or isinstance(current, bool) or not isinstance(current, int | float):
        raise ScenarioError(source, text, "has no current number to change (give the value itself)", value)
    result = current * amount if op == "*" else current + (amount if op == "+" else -amount)
    if annotation is int and not float(result).is_integer():
        raise ScenarioError(source, text, f"must stay a whole number ({current} {op} {amount} = {result})", value)
    return result


def set_value(raw: dict, key: str | KeyPath, value: Any, *, source: str = "<command line>") -> dict:
    """A copy of ``raw`` with the value at ``key`` replaced (or added, where the schema allows).

    ``value`` may be relative for a numeric key: ``'*0.7'`` multiplies, ``'+2'``/``'-2'`` add.
    Raises :class:`ScenarioError` naming the path when the schema has no such key.
    """
    parts = parse_key_path(key, source=source) if isinstance(key, str) else tuple(key)
    text = key if isinstance(key, str) else format_path(parts)
    if parts[0] in _NOT_OVERRIDABLE:
        raise ScenarioError(source, text, f"cannot be changed by an override ('{parts[0]}' is not a model value)",
                            value)
    out, paths = concrete_paths(copy.deepcopy(raw), parts, source=source, text=text, value=value)
    for concrete in paths:
        leaf = schema_at(out, concrete, source=source, text=text, value=value)
        current = get_value(out, concrete, leaf.default)
        new = coerce(_relative(value, current, leaf.annotation, source=source, text=text), leaf.annotation)
        if isinstance(new, float) and not math.isfinite(new):
            raise ScenarioError(source, text, "must be a finite number", new)
        _put(out, concrete, copy.deepcopy(new))
    return out


def apply_overrides(raw: dict, overrides: Mapping[str, Any], *, source: str = "<command line>") -> dict:
    """``set_value`` for each ``key path -> value`` in order; the input is left unchanged."""
    out = raw
    for key, value in overrides.items():
        out = set_value(out, key, value, source=source)
    return out


def flatten_table(table: Mapping, prefix: str = "") -> dict[str, Any]:
    """``{'a': {'b': 1}, 'c.d': 2}`` -> ``{'a.b': 1, 'c.d': 2}`` (TOML dotted or quoted keys alike).

    A table with a ``dist`` key is a whole distribution and replaces the old one as a unit.
    """
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and "dist" not in value:  # a distribution table is one value
            flat.update(flatten_table(value, path))
        else:
            flat[path] = value
    return flat
