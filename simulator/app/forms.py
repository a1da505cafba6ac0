"""Form fields to scenario changes, every one checked by the scenario validation.

A page lists its :class:`Field` s and turns the text a user typed into key-path overrides.
Each field's overrides are validated alone against the base scenario, so its error can be
shown next to it; then all of them together (a rule across fields, such as caseload shares
adding up to more than 1, is shown next to the field it names, or above the form).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ScenarioError
from ..scenario import Scenario, scenario_from_dict
from ..scenario.keypaths import apply_overrides, parse_key_path, resolve_names

GENERAL = ""  # errors not tied to one field


@dataclass(frozen=True)
class Field:
    """One input: its form name, words for a person, and the key paths it changes."""

    name: str
    label: str
    paths: tuple[str, ...]
    hint: str = ""
    unit: str = ""  # "GBP", "%", "months", "cases" ... shown beside the box
    scale: float = 1.0  # the box shows value x scale (100 for a share shown in %)
    options: tuple[str, ...] = ()  # a choice instead of a number
    note: str = ""  # the limit in the box's own words, for a box that maps onto another quantity


@dataclass
class Checked:
    """The outcome of a form: the scenario (None when any field is wrong), the raw table, errors by field."""

    scenario: Scenario | None
    raw: dict
    errors: dict[str, str] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)


def number(text: str) -> float | str:
    """A number typed by a person ('1,500', '£2k' is not accepted: digits, ',' and '.' only); else the text."""
    cleaned = text.strip().replace(",", "").replace("£", "")
    try:
        return float(cleaned)
    except ValueError:
        return text.strip()


def scaled(f: Field, text: str) -> float | str:
    value = number(text)
    return value / f.scale if isinstance(value, float) and f.scale != 1.0 else value


def shown(f: Field, value: Any) -> str:
    """A scenario value as the box shows it (a share of 0.7 as '70' when the field is in %)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    x = value * f.scale
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.10g}" if abs(x) < 1e9 else f"{x:,.2f}"  # never scientific notation


def field_message(f: Field, err: ScenarioError) -> str:
    """The validation error in the units of the box."""
    rule = err.rule
    if f.scale == 100.0 and "[0, 1]" in rule:
        rule = rule.replace("[0, 1]", "[0, 100] %")
    if f.note:
        return f"{f.note} (the scenario's rule: '{err.key_path}' {rule})"
    got = f" (got {err.value_text})" if err.has_value and f.scale == 1.0 else ""
    return f"{rule}{got}"


def _concrete(raw: dict, path: str) -> tuple:
    try:
        return resolve_names(raw, parse_key_path(path), source="", text=path)
    except ScenarioError:
        return parse_key_path(path)


def field_for_error(raw: dict, fields: list[Field], err: ScenarioError) -> Field | None:
    """The field an error is about: the longest shared key-path prefix, then its key named in the rule."""
    if not err.key_path:
        return None
    target = parse_key_path(re.sub(r"^areas\[\d+\]\.", "", err.key_path.split(": ")[-1]))
    best, score = None, (0, False)
    for f in fields:
        for path in f.paths:
            mine = _concrete(raw, path)
            common = next((i for i, (a, b) in enumerate(zip(mine, target, strict=False)) if a != b), min(len(mine),
                                                                                                         len(target)))
            candidate = (common, str(mine[-1]) in err.rule or common == len(target) == len(mine))
            if common and candidate > score:
                best, score = f, candidate
    return best


def check_form(raw: dict, fields: list[Field], values: Mapping[str, str], defaults: Mapping[str, str],
               to_overrides: Callable[[Field, str], dict[str, Any]], *, source: str) -> Checked:
    """Apply every field whose text differs from its default; validate each alone, then together.

    A box left as it was shown (or left empty) changes nothing, so the scenario's own values
    are used to the last digit.
    """
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for f in fields:
        text = values.get(f.name)
        if text is None or text.strip() == "" or text.strip() == defaults.get(f.name, "").strip():
            continue
        try:
            overrides = to_overrides(f, text)
            scenario_from_dict(apply_overrides(raw, overrides, source=source), source=source)
            changes.update(overrides)
        except ScenarioError as err:
            errors[f.name] = field_message(f, err)
    if errors:
        return Checked(None, raw, errors, changes)
    out = apply_overrides(raw, changes, source=source)
    try:
        return Checked(scenario_from_dict(out, source=source), out, {}, changes)
    except ScenarioError as err:
        where = field_for_error(raw, fields, err)
        return Checked(None, out, {where.name if where else GENERAL: field_message(where or Field("", "", ()), err)},
                       changes)
