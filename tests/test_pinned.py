"""Pinned figures: fixed-seed runs reproduce the numbers of the model they were taken from.

``tests/pinned/figures_0.1.0.json`` was written by ``scripts/pin_figures.py`` on pbrsim 0.1.0;
``figures_issue10.json`` after the record's deliberate model changes (issue 10: the MAP caps a
year's total outcome payments, deferred fees and clawbacks key off a cohort meeting its
target, no volume band unless set, the TR scenarios' frequency baseline not case-mix adjusted,
the Doncaster and Peterborough scenarios rebuilt to the record;
see CHANGELOG.md). A refactor, a speed-up or a new output must leave every figure and array
digest unchanged; only a deliberate model change may alter them, and then it writes a new pin
file and says why.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PINNED = json.loads((ROOT / "tests" / "pinned" / "figures_issue10.json").read_text())

_spec = importlib.util.spec_from_file_location("pin_figures", ROOT / "scripts" / "pin_figures.py")
pin_figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pin_figures)


@pytest.mark.parametrize("case", sorted(PINNED))
def test_figures_match_the_pinned_release(case):
    now = pin_figures.figures(pin_figures.CASES[case])
    assert now == PINNED[case]
