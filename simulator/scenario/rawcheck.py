"""Checks on a raw scenario table before the schema sees it: shape limits and text safe to show.

The schema checks meaning; this module checks what could hurt the tools that handle the
table: nesting deep enough to exhaust Python's stack, whole numbers outside TOML's 64-bit
range, text with control characters (escape sequences that would reach a terminal, or
characters a spreadsheet refuses) and names too long to become file or sheet names. Every
problem is a :class:`ScenarioError` naming the key path, checked without recursion.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ScenarioError
from ..safe_text import first_control
from .fields import MAX_NAME

MAX_DEPTH = 32
MAX_TEXT = {"name": 500, "description": 20_000}
MAX_OTHER_TEXT = 1_000
INT_RANGE = (-(2**63), 2**63 - 1)


def _join(path: str, key: object) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)


def check_raw(raw: Mapping, *, source: str) -> None:
    """Raise :class:`ScenarioError` for the first problem found (see the module docstring)."""
    stack: list[tuple[object, str, int]] = [(raw, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(source, path, f"is nested more than {MAX_DEPTH} tables or arrays deep", has_value=False)
        if isinstance(node, Mapping):
            for key, value in node.items():
                _check_key(key, path, source)
                stack.append((value, _join(path, key), depth + 1))
        elif isinstance(node, list):
            stack.extend((value, _join(path, i), depth + 1) for i, value in enumerate(node))
        elif isinstance(node, str):
            _check_text(node, path, source)
        elif isinstance(node, int) and not isinstance(node, bool) and not INT_RANGE[0] <= node <= INT_RANGE[1]:
            raise ScenarioError(source, path, "must be a whole number within TOML's 64-bit range", node,
                                value_text=f"{node:.3e}")
    _check_stress_names(raw, source)


def _check_key(key: object, path: str, source: str) -> None:
    text = str(key)
    if first_control(text) is not None:
        raise ScenarioError(source, path, "has a key with a control character (not allowed in scenario text)", text)
    if len(text) > MAX_OTHER_TEXT:
        raise ScenarioError(source, path, f"has a key longer than {MAX_OTHER_TEXT} characters", has_value=False)


def _check_text(text: str, path: str, source: str) -> None:
    where = first_control(text, allow_newlines=path == "description")
    if where is not None:
        raise ScenarioError(source, path, f"must not contain control characters (found {text[where]!r} at "
                            f"position {where}); scenario text reaches terminals, spreadsheets and reports", text)
    limit = MAX_TEXT.get(path, MAX_OTHER_TEXT)
    if len(text) > limit:
        raise ScenarioError(source, path, f"must be at most {limit} characters (got {len(text)})", has_value=False)


def _check_stress_names(raw: Mapping, source: str) -> None:
    table = raw.get("stress")
    if isinstance(table, Mapping):
        for name in table:
            if len(str(name)) > MAX_NAME:
                raise ScenarioError(source, f"stress.{name}", f"stress names must be at most {MAX_NAME} characters",
                                    has_value=False)
