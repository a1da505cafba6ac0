"""The record: contracts that really ran, modelled, and checked against what happened.

Each case is a TOML file in ``scenarios/record/``::

    [case]
    name = "Doncaster cohort 2"
    scenario = "../doncaster_clawback.toml"   # relative to the case file
    happened = "..."        # what happened, in words
    source = "..."          # where that is recorded (row, seed and quote)
    agree_means = "..."     # the criterion, in words
    why_fair = "..."        # why that criterion is a fair test
    sims = 4000
    seed = 7
    expect = "agree"        # or "cannot_reproduce", with reason = "..." saying why

    [set]                   # key-path overrides on the scenario (each with its source in a comment)
    "effect.binary_points" = { dist = "fixed", value = 4.5 }

    [check]                 # what to compute: a kind of :mod:`.record_checks` and its parameters
    kind = "cohort_result"

:func:`run_record` runs every case and returns one :class:`Row` each: what happened, what
the model gives (with its Monte Carlo standard error) and whether they agree. A row whose
verdict differs from its case's ``expect`` makes the record fail (``Row.holds``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import ScenarioError
from .record_cases import EXPECTS, RECORD_DIR, Case, Outcome, Row, case_files, load_case
from .record_checks import CHECKS

__all__ = ["EXPECTS", "RECORD_DIR", "Case", "Outcome", "Row", "case_files", "load_case", "run_case", "run_record"]


def run_case(case: Case) -> Row:
    """Run one case's check (see :mod:`.record_checks` for the kinds)."""
    kind = case.check["kind"]
    if kind not in CHECKS:
        raise ScenarioError(str(case.path), "check.kind", f"is not a kind of check (known: {', '.join(sorted(CHECKS))})",
                            kind)
    return Row(case, CHECKS[kind](case, {k: v for k, v in case.check.items() if k != "kind"}))


def run_record(folder: str | Path = RECORD_DIR, *, names: list[str] | None = None,
               progress: Callable[[Case], None] | None = None) -> list[Row]:
    """Every case of ``folder`` (or those whose file stem is in ``names``), run in file order."""
    cases = [load_case(p) for p in case_files(folder)]
    if names:
        missing = sorted(set(names) - {c.path.stem for c in cases})
        if missing:
            raise ScenarioError(str(folder), "", f"has no case named '{missing[0]}' "
                                f"(cases: {', '.join(c.path.stem for c in cases)})", has_value=False)
        cases = [c for c in cases if c.path.stem in names]
    rows = []
    for case in cases:
        if progress is not None:
            progress(case)
        rows.append(run_case(case))
    return rows
