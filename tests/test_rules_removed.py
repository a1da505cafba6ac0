"""benchmarks/rules_removed.py: the copy it times removes what it says, from today's kernels.

The benchmark bounds the engine target by timing a copy of the kernels without their rules.
These check, without timing anything, that each removal still finds its code exactly once (an
edit to the kernels fails here, not in a five-minute benchmark run), that the copy differs from
the kernels in those places only, and the arithmetic of what the target leaves the rules.
"""

from __future__ import annotations

import re
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
    for folder in ("simulator", "benchmarks", "scenarios"):
        for path in sorted((rules_removed.ROOT / folder).rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            rel = path.relative_to(rules_removed.ROOT).as_posix()
            ours = (copy / rel).read_bytes()
            assert (restored[rel].encode() if rel in restored else ours) == path.read_bytes(), rel
    assert set(restored) == {"simulator/kernels/cohorts.py", "simulator/kernels/simulate.py"}


def _calls(code: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_][A-Za-z_0-9]*)\(", code))


def test_what_it_removes_is_the_rules_money_and_balances_and_nothing_else() -> None:
    removed = set().union(*(_calls(old) - _calls(new) for _, old, new in rules_removed.REMOVED))
    assert removed == {"settle", "cap_cohorts", "copy_2d", "copy_1d", "range", "service_credits", "volume_band",
                       "foundation_and_settlement", "prime_settlement", "pass_down_outcomes", "delivery_costs",
                       "investor_funding", "party_balances"}  # range: the commissioner's months
    settle_stand_in = next(new for _, old, new in rules_removed.REMOVED if "settle(" in old)
    for kept in ("e_bin", "f_bin", "e_off", "e_sq", "r_tot", "o_tot"):  # the cohort loop's sums stay live
        assert kept in settle_stand_in
    for _, old, _new in rules_removed.REMOVED:  # no draw, cohort loop or output of the draws goes
        assert not {"simulate_area_cohorts", "draw_volumes", "draw_baselines", "referral_shares",
                    "cohort_outcome"} & _calls(old)


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
    # a noisy run with the copy no faster than the engine: nothing unless the copy itself reaches the target
    assert rules_removed.rules_allowed(0.70, 0.69) == float("-inf")
    assert rules_removed.rules_allowed(0.90, 0.88) == float("inf")
