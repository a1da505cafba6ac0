"""benchmarks/rules_removed.py: the copy it times removes what it says, from today's kernels.

The benchmark bounds the engine target by timing a copy of the kernels without their rules.
These check, without timing anything, that each removal still finds its code exactly once (an
edit to the kernels fails here, not in a five-minute benchmark run), that the copy differs from
the kernels in those places only, and the arithmetic of what the target leaves the rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import rules_removed  # noqa: E402


def test_each_removal_finds_its_code_once_in_the_kernels() -> None:
    for name, old, _new in rules_removed.REMOVED:
        assert (rules_removed.ROOT / name).read_text().count(old) == 1, name


def test_the_copy_differs_from_the_kernels_only_where_it_removes(tmp_path: Path) -> None:
    copy = rules_removed.rules_removed_tree(tmp_path)
    restored = {}
    for name, old, new in rules_removed.REMOVED:
        text = restored.get(name, (copy / name).read_text())
        assert text.count(new) == 1, name
        restored[name] = text.replace(new, old)
    for path in sorted((copy / "simulator").rglob("*.py")):
        rel = path.relative_to(copy).as_posix()
        assert restored.get(rel, path.read_text()) == (rules_removed.ROOT / rel).read_text(), rel
    assert len(restored) == 2  # cohorts.py (settle) and simulate.py (cash flows, balances)


def test_a_kernel_edited_away_from_the_removal_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name, old, new = rules_removed.REMOVED[0]
    monkeypatch.setattr(rules_removed, "REMOVED", [(name, old + "  # no longer matches anything\n", new)])
    with pytest.raises(RuntimeError, match="no longer has the code it removes"):
        rules_removed.rules_removed_tree(tmp_path)


def test_what_the_target_leaves_the_rules() -> None:
    # floor 1 s; engine 1/0.7 s; without its rules 1/0.8 s: the rules take 0.179 s and x0.85 allows 1/0.85 - 1/0.8 < 0
    assert rules_removed.rules_allowed(0.7, 0.8) < 0
    # without its rules at the floor itself (1 s): the rules take 3/7 s and may take 0.15/0.85 s
    assert rules_removed.rules_allowed(0.7, 1.0) == pytest.approx((1 / 0.85 - 1) / (1 / 0.7 - 1))
    assert rules_removed.rules_allowed(0.85, 0.9) == pytest.approx(1.0)  # already at the target: all of it
