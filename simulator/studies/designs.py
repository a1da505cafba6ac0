"""Designs to study: scenario files, stressed or ``--set`` variants of one file, or tables in memory.

Every study takes ``scenario_or_raw`` (a :class:`Scenario`, a raw table as parsed from TOML,
or a path) and turns it into a raw table it can edit by key path. A :class:`Design` is one
labelled raw table; :func:`variants` builds the designs a command line names:
``A.toml B.toml`` (one design per file), ``--stress NAME`` or ``--set KEY=VALUE[;KEY=VALUE]``
(each a variant of the first file).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..scenario import Scenario, apply_stresses, read_scenario_toml, scenario_from_dict
from ..scenario.keypaths import apply_overrides
from .grid import parse_assignment


@dataclass(frozen=True)
class Design:
    """One labelled design: a raw scenario table (stresses applied, no ``[stress]`` tables)."""

    label: str
    raw: dict
    source: str
    sha256: str = ""

    def scenario(self, overrides: Mapping[str, Any] | None = None) -> Scenario:
        """The validated scenario, with ``overrides`` (key path -> value) applied first."""
        raw = apply_overrides(self.raw, overrides or {}, source=self.source)
        return scenario_from_dict(raw, source=self.source, sha256=self.sha256)


def _strip(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k != "stress"}


def as_design(scenario_or_raw: Scenario | Mapping | str | Path, *, label: str | None = None) -> Design:
    """A :class:`Design` from a Scenario, a raw table or a scenario file (validated here)."""
    if isinstance(scenario_or_raw, Design):
        return scenario_or_raw
    if isinstance(scenario_or_raw, Scenario):
        sc = scenario_or_raw
        raw = sc.model_dump(mode="json", exclude={"stress"})
        return Design(label or sc.name, raw, sc.source, sc.source_sha256)
    if isinstance(scenario_or_raw, str | Path):
        raw, sha = read_scenario_toml(scenario_or_raw)
        scenario_from_dict(raw, source=str(scenario_or_raw), sha256=sha)
        return Design(label or Path(scenario_or_raw).stem, _strip(raw), str(scenario_or_raw), sha)
    raw = dict(scenario_or_raw)
    sc = scenario_from_dict(raw)
    return Design(label or sc.name, _strip(raw), sc.source)


def parse_set(text: str) -> dict[str, Any]:
    """``'KEY=VALUE;KEY=VALUE'`` -> overrides (values as TOML, bare words as text)."""
    return dict(parse_assignment(piece.strip()) for piece in text.split(";"))


def variants(files: Sequence[str | Path], *, stresses: Sequence[str] = (), sets: Sequence[str] = ()) -> list[Design]:
    """The designs a command line names: each file, then each ``--stress`` and ``--set`` variant of the first.

    A stress argument may join several presets with ``+`` (applied in order). Every design is
    validated here, so a bad one stops the command before anything runs.
    """
    if not files:
        raise ScenarioError("<command line>", "", "needs at least one scenario file", has_value=False)
    designs = [as_design(f) for f in files]
    first, first_raw = designs[0], read_scenario_toml(files[0])[0]
    for spec in stresses:
        names = [n.strip() for n in spec.split("+") if n.strip()]
        raw = _strip(apply_stresses(first_raw, names, source=first.source))
        designs.append(_checked(Design(f"{first.label} [stress: {', '.join(names)}]", raw, first.source, first.sha256)))
    for spec in sets:
        overrides = parse_set(spec)
        raw = apply_overrides(first.raw, overrides, source="--set")
        label = f"{first.label} [{'; '.join(f'{k}={_text(v)}' for k, v in overrides.items())}]"
        designs.append(_checked(Design(label, raw, first.source, first.sha256)))
    return _unique_labels(designs)


def _text(value: Any) -> str:
    """A value as the user wrote it in TOML: true/false, numbers, words, inline tables as JSON."""
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _checked(design: Design) -> Design:
    design.scenario()
    return design


def _unique_labels(designs: list[Design]) -> list[Design]:
    """Number repeated labels (two files with the same stem): ``name``, ``name (2)``."""
    seen: dict[str, int] = {}
    out = []
    for d in designs:
        seen[d.label] = seen.get(d.label, 0) + 1
        out.append(d if seen[d.label] == 1 else Design(f"{d.label} ({seen[d.label]})", d.raw, d.source, d.sha256))
    return out
