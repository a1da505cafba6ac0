"""A record case, read from its file: what happened, its source, the criterion, the run (see :mod:`.record`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import simulate
from ..errors import ScenarioError
from ..results import Results
from ..scenario import Scenario, read_scenario_toml, scenario_from_dict
from ..scenario.keypaths import apply_overrides, flatten_table

RECORD_DIR = Path("scenarios") / "record"
_TEXT_KEYS = ("name", "scenario", "happened", "source", "agree_means", "why_fair")
_KEYS = {*_TEXT_KEYS, "sims", "seed", "expect", "reason"}
EXPECTS = ("agree", "cannot_reproduce")


@dataclass(frozen=True)
class Case:
    """One record case, read from its file (see the module notes)."""

    path: Path
    name: str
    scenario: Path
    happened: str
    source: str
    agree_means: str
    why_fair: str
    sims: int
    seed: int
    expect: str
    reason: str
    overrides: dict[str, Any]
    check: dict[str, Any]

    def raw(self, extra: Mapping[str, Any] | None = None) -> dict:
        """The scenario's raw table with this case's overrides (then ``extra``) applied."""
        raw, _ = read_scenario_toml(self.scenario)
        return apply_overrides(raw, {**self.overrides, **(extra or {})}, source=str(self.path))

    def scenario_model(self, extra: Mapping[str, Any] | None = None) -> Scenario:
        """The validated scenario of this case (with ``extra`` overrides, e.g. one effect of a grid)."""
        _, sha = read_scenario_toml(self.scenario)
        return scenario_from_dict(self.raw(extra), source=str(self.scenario), sha256=sha)

    def run(self, extra: Mapping[str, Any] | None = None, *, sims: int | None = None) -> Results:
        """Simulate the case's scenario (same seed for every variant: common random numbers)."""
        return simulate(self.scenario_model(extra), sims=sims or self.sims, seed=self.seed)


@dataclass(frozen=True)
class Outcome:
    """What a check found: the model's figures as text (estimates with s.e.) and the verdict."""

    model: str
    agree: bool


@dataclass(frozen=True)
class Row:
    """One line of the validation table."""

    case: Case
    outcome: Outcome
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.outcome.agree:
            return "agree"
        return "cannot_reproduce" if self.case.expect == "cannot_reproduce" else "disagree"

    @property
    def holds(self) -> bool:
        """The row is what the case file says it should be (agreement, or a stated failure)."""
        return self.verdict == self.case.expect

    @property
    def verdict_text(self) -> str:
        if self.outcome.agree:
            return "yes"
        if self.case.expect == "cannot_reproduce":
            return f"no: cannot reproduce ({self.case.reason})"
        return "NO: the model disagrees with the record"


def _require(table: Mapping, key: str, kind: type, path: Path, where: str = "case"):
    value = table.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ScenarioError(str(path), f"{where}.{key}", f"is required and must be a {kind.__name__}", value,
                            has_value=key in table)
    return value


def load_case(path: str | Path) -> Case:
    """Read one case file; a missing or mistyped key is one clear error naming it."""
    path = Path(path)
    raw, _ = read_scenario_toml(path)
    unknown = sorted(set(raw) - {"case", "set", "check"})
    if unknown:
        raise ScenarioError(str(path), unknown[0], "is not a record case table (allowed: case, set, check)",
                            has_value=False)
    case, check = raw.get("case", {}), raw.get("check", {})
    extra = sorted(set(case) - _KEYS)
    if extra:
        raise ScenarioError(str(path), f"case.{extra[0]}", f"is not a case key (allowed: {', '.join(sorted(_KEYS))})",
                            has_value=False)
    texts = {k: _require(case, k, str, path) for k in _TEXT_KEYS}
    expect = case.get("expect", "agree")
    if expect not in EXPECTS:
        raise ScenarioError(str(path), "case.expect", f"must be one of {', '.join(EXPECTS)}", expect)
    if expect == "cannot_reproduce" and not isinstance(case.get("reason"), str):
        raise ScenarioError(str(path), "case.reason", "is required (why the model cannot reproduce the case)",
                            has_value=False)
    _require(check, "kind", str, path, "check")
    return Case(path=path, scenario=(path.parent / texts.pop("scenario")).resolve(), **texts,
                sims=_require(case, "sims", int, path), seed=_require(case, "seed", int, path), expect=expect,
                reason=case.get("reason", ""), overrides=flatten_table(raw.get("set", {})), check=dict(check))


def case_files(folder: str | Path = RECORD_DIR) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(str(folder), "", "is not a folder of record cases (*.toml)", has_value=False)
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ScenarioError(str(folder), "", "holds no record cases (*.toml)", has_value=False)
    return files


# ---------------------------------------------------------------- small helpers for the checks


def fmt_p(p: float, se: float) -> str:
    """A probability with its standard error: '0.912 (s.e. 0.004)'."""
    return f"{p:.3f} (s.e. {se:.3f})"


def prob_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1.0 - p), 0.0) / n)
