"""The grid of a sweep: key paths and the values each takes, parsed from ``KEY=SPEC``.

A SPEC is a range ``LOW:HIGH:STEPS`` (whole numbers stay whole), a list ``V1,V2,...`` of
TOML values or bare words, or one value. The grid is every combination, the last key
varying fastest.
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ScenarioError
from ..scenario.keypaths import parse_key_path

MAX_POINTS = 1_000_000  # points in one sweep (and steps in one range)


@dataclass(frozen=True)
class Vary:
    """One swept key path and the values it takes."""

    key: str
    values: tuple


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_value(text: str) -> Any:
    """A TOML value (number, true/false, "text", inline table); a bare word stays text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _number(text: str, arg: str) -> float | int:
    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _spec_error(arg, f"'{text}' is not a number")
    return value


def _spec_error(arg: str, why: str) -> ScenarioError:
    return ScenarioError("--vary", arg, f"{why}; expected KEY=LOW:HIGH:STEPS (e.g. 0.5:1.0:6), "
                         "KEY=V1,V2,... or KEY=VALUE", has_value=False)


def parse_range(spec: str, arg: str) -> tuple:
    """``'0.5:1.0:6'`` -> six evenly spaced values from 0.5 to 1.0 (whole numbers stay whole)."""
    pieces = spec.split(":")
    if len(pieces) != 3:
        raise _spec_error(arg, f"range '{spec}' needs three parts LOW:HIGH:STEPS")
    low, high = _number(pieces[0], arg), _number(pieces[1], arg)
    steps = _number(pieces[2], arg)
    if not isinstance(steps, int) or not 2 <= steps <= MAX_POINTS:
        raise _spec_error(arg, f"STEPS must be a whole number >= 2 (and at most {MAX_POINTS:,}) (got {pieces[2]})")
    span = high - low
    if isinstance(low, int) and isinstance(high, int) and span % (steps - 1) == 0:
        return tuple(low + i * (span // (steps - 1)) for i in range(steps))
    return tuple(float(f"{low + i * span / (steps - 1):.12g}") for i in range(steps))


def parse_vary(arg: str) -> Vary:
    """``KEY=SPEC`` from the command line into a :class:`Vary`."""
    key, sep, spec = arg.partition("=")
    if not sep or not key.strip() or not spec.strip():
        raise _spec_error(arg, "missing '='")
    parse_key_path(key, source="--vary")
    spec = spec.strip()
    if ":" in spec and not spec.startswith(("{", "[", '"', "'")):
        values = parse_range(spec, arg)
    else:
        values = tuple(parse_value(v) for v in _split_top(spec))
        if any(v == "" for v in values):
            raise _spec_error(arg, "an empty value in the list")
    if len(set(map(json.dumps, values))) != len(values):
        raise _spec_error(arg, "a value appears twice")
    return Vary(key.strip(), values)


def grid_size(varies: Sequence[Vary]) -> int:
    """Number of points of the grid, known before any is built."""
    return math.prod(len(v.values) for v in varies)


def grid(varies: Sequence[Vary]) -> list[dict[str, Any]]:
    """Every combination of the swept values, the last key varying fastest."""
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        raise ScenarioError("--vary", next(k for k in keys if keys.count(k) > 1), "is given twice", has_value=False)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(v.values for v in varies))]


def parse_assignment(text: str, *, option: str = "--set") -> tuple[str, Any]:
    """``'KEY=VALUE'`` -> ``(key, value)``: the key path checked, the value read as TOML (a bare word as text)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ScenarioError(option, text, "must look like KEY=VALUE (e.g. volume.factor_mean=0.8)", has_value=False)
    parse_key_path(key.strip(), source=option)
    return key.strip(), parse_value(value.strip())
