"""Fuzzing the scenario loader: arbitrary TOML documents give a Scenario or one ScenarioError, never a traceback.

Documents are the analytic scenario with random parts replaced by arbitrary TOML values
(huge and negative numbers, nan and inf, text with control characters, arrays and tables
nested deep, dates), plus arbitrary text; whatever loads must also lay out a calendar and
its model arrays, as ``pbrsim validate`` and ``run`` do next.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import load_scenario
from simulator.engine.model_arrays import build_model_arrays
from simulator.engine.timeline import build_calendar
from simulator.errors import PbrsimError

from .conftest import ANALYTIC_SCENARIO, raw_scenario


def toml_key(key: str) -> str:
    return toml_string(key)


def toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class Deep(str):
    """Arrays or inline tables nested thousands deep, written as TOML text directly."""


def deep(depth: int) -> Deep:
    return Deep("[" * depth + "1" + "]" * depth if depth % 2 else "{a = " * depth + "1" + "}" * depth)


def toml_value(value) -> str:
    """Any value as TOML, tables and arrays inline (so any nesting fits on one line)."""
    if isinstance(value, Deep):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def document(table: dict) -> str:
    return "\n".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()) + "\n"


KEYS = st.sampled_from(["name", "description", "dist", "value", "mean", "rate_gbp", "share", "segments", "volume",
                        "trigger", "stress", "areas", "term_months", "x"]) | st.text(max_size=8)
SCALARS = (st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.booleans()
           | st.text(max_size=12) | st.dates() | st.datetimes())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                      max_leaves=12)


def paths(node, prefix=()):
    """Every key path of a table (dict keys and list indices)."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


def replace(table, path, value):
    if not path:
        return value if isinstance(value, dict) else table
    node = table
    for part in path[:-1]:
        node = node[part]
    if isinstance(node, dict) != isinstance(path[-1], str):  # an earlier replacement turned a list into a table
        raise TypeError("the path no longer fits the document")  # (a table's key must be text to be TOML)
    node[path[-1]] = value
    return table


def nested(depth: int):
    value = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


BASE = raw_scenario(ANALYTIC_SCENARIO)
ALL_PATHS = list(paths(BASE))


@st.composite
def mutated(draw) -> str:
    table = raw_scenario(ANALYTIC_SCENARIO)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        value = draw(VALUES | st.integers(20, 80).map(nested) | st.integers(500, 4000).map(deep))
        try:
            table = replace(table, path, value)
        except (KeyError, IndexError, TypeError):
            pass
    return document(table)


def check_loads_or_one_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            scenario = load_scenario(path)
        except PbrsimError as exc:
            assert str(exc).startswith(str(path))  # names the file, then the key path and the rule
            return
        build_calendar(scenario.timeline)
        build_model_arrays(scenario)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenarios_load_or_fail_with_one_error(text):
    check_loads_or_one_error(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | st.dictionaries(KEYS, VALUES, max_size=5).map(document))
def test_arbitrary_toml_loads_or_fails_with_one_error(text):
    check_loads_or_one_error(text)
