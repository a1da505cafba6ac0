"""Validation of a merged scenario table, with errors that name the key path a user wrote.

pydantic reports ``('areas', 0, 'supply_chain', 'subcontractors', 1, 'upfront_share')``;
a user wrote ``supply_chain.subcontractors[1].upfront_share`` in a single-area file. This
module turns the first error into that path, the value and the rule
(:class:`simulator.errors.ScenarioError`).
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError
from .fields import _SEP
from .merge import AREA_KEYS, _restructure
from .schema import Scenario


def format_key_path(loc: tuple, single_area: bool) -> str:
    """('areas', 0, 'supply_chain', 'subcontractors', 1, 'x') -> 'supply_chain.subcontractors[1].x'."""
    parts = list(loc)
    if single_area and len(parts) >= 2 and parts[0] == "areas" and parts[1] == 0:
        parts = ["area_name"] if parts[2:] == ["name"] else parts[2:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part and not str(part).startswith(("function-", "literal[", "nullable", "list[")):
            text += ("." if text else "") + str(part)
    return text


_TYPE_RULES = {
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be a text string",
    "list_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "missing": "is required",
    "too_short": "must not be empty",
    "date_type": "must be a date (a TOML date such as 2015-02-01)",
}


def _rule_for(err: dict, loc_key: str, allowed_keys: list[str]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(loc_key, allowed_keys, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"is not a known key (allowed here: {', '.join(sorted(allowed_keys))}){hint}"
    if kind == "literal_error":
        return "must be one of " + err["ctx"]["expected"]
    if kind in _TYPE_RULES:
        return _TYPE_RULES[kind]
    if kind == "string_too_long":
        return f"must be at most {err['ctx']['max_length']} characters"
    if kind == "string_pattern_mismatch":
        return "must use only letters, digits, spaces, '-' and '_'"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys the model at ``loc``'s parent accepts (for unknown-key hints)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        model = annotation
        if inner:
            model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), annotation)
    fields = [f for f in getattr(model, "model_fields", {}) if f not in ("source", "source_sha256")]
    return fields + [*AREA_KEYS, "area_name"] if model is Scenario else fields




def validate(raw: dict, *, source: str = "<memory>", sha256: str = "") -> Scenario:
    """Merge and validate a raw scenario table (``[stress.NAME]`` tables are not checked here)."""
    data = _restructure(raw)
    single_area = "areas" not in raw
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _scenario_error(exc, source, single_area) from None
    return scenario.model_copy(update={"source": source, "source_sha256": sha256})


def _scenario_error(exc: ValidationError, source: str, single_area: bool) -> ScenarioError:
    """The first validation error as a :class:`ScenarioError` naming the key path."""
    err = exc.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    rule = _rule_for(err, str(loc[-1]) if loc else "", _allowed_keys(loc))
    value, has_value = err.get("input"), err["type"] != "missing"
    if rule.startswith(_SEP):
        field, rule, shown = rule[1:].split(_SEP)
        return ScenarioError(source, format_key_path((*loc, field), single_area), rule, value, value_text=shown)
    if isinstance(value, dict):
        has_value = False
    return ScenarioError(source, format_key_path(loc, single_area), rule, value, has_value=has_value)
