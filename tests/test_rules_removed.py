"""benchmarks/rules_removed.py: the copy it times removes what it says, from today's kernels.

The benchmark bounds the engine target by timing a copy of the kernels without their rules.
These check, without timing anything, that each removal still finds its code (an edit to the
kernels fails here, not in a five-minute benchmark run), that the copy differs from the
repository nowhere else, that what goes is the rules, money and balances and not the draws or
the cohort loop, and the arithmetic of what the target leaves the rules.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import rules_removed  # noqa: E402

ROOT = rules_removed.ROOT


def _applied() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The kernels' files as the copy should have them, and each removal's (lines taken out, lines put in)."""
    texts, blocks = {}, []
    for name, first, last, new in rules_removed.REMOVED:
        texts[name], removed = rules_removed.cut(texts.get(name, (ROOT / name).read_text()), first, last, new, name)
        blocks.append((removed, new))
    return texts, blocks


def _calls(code: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_][A-Za-z_0-9]*)\(", code))


def test_the_copy_differs_from_the_repository_only_where_it_removes(tmp_path: Path) -> None:
    copy = rules_removed.rules_removed_tree(tmp_path)
    expected, _ = _applied()
    assert set(expected) == {"simulator/kernels/cohorts.py", "simulator/kernels/simulate.py"}
    for folder in ("simulator", "benchmarks", "scenarios"):
        for path in sorted((ROOT / folder).rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            rel = path.relative_to(ROOT).as_posix()
            want = expected[rel].encode() if rel in expected else path.read_bytes()
            assert (copy / rel).read_bytes() == want, rel


def test_what_it_removes_is_the_rules_money_and_balances_and_nothing_else() -> None:
    _, blocks = _applied()
    removed = set().union(*(_calls(old) - _calls(new) for old, new in blocks))
    assert removed == {"settle", "cap_cohorts", "copy_2d", "copy_1d", "range", "service_credits", "volume_band",
                       "foundation_and_settlement", "prime_settlement", "pass_down_outcomes", "delivery_costs",
                       "investor_funding", "party_balances"}  # range: the commissioner's months
    settle_stand_in = next(new for old, new in blocks if "settle(" in old)
    for kept in ("e_bin", "f_bin", "e_off", "e_sq", "r_tot", "o_tot"):  # the cohort loop's sums stay live
        assert kept in settle_stand_in
    for old, _new in blocks:  # no draw, no cohort loop
        assert not {"simulate_area_cohorts", "draw_volumes", "draw_baselines", "referral_shares",
                    "cohort_outcome"} & _calls(old)


@pytest.mark.parametrize("which", ["first", "last", "far"])
def test_a_kernel_edited_away_from_a_removal_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      which: str) -> None:
    name, first, last, new = rules_removed.REMOVED[3]  # the cash flows: a first and a last line
    if which == "first":
        first += "  # no longer in the kernels"
    elif which == "last":
        last += "  # no longer in the kernels"
    else:  # a last line that is there, but far from the first
        last = "def simulate_blocks(gens, block_size, m, out, keep_monthly, keep_components, individual=False):"
        assert last in (ROOT / name).read_text()
    monkeypatch.setattr(rules_removed, "REMOVED", [(name, first, last, new)])
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


def test_cut_takes_out_the_lines_from_the_first_to_the_last() -> None:
    text = "a\n    b\n    c\n    d\ne"
    assert rules_removed.cut(text, "    b", "    d", "    X") == ("a\n    X\ne", "    b\n    c\n    d")
    assert rules_removed.cut(text, "    c", None, "    Y") == ("a\n    b\n    Y\n    d\ne", "    c")
    with pytest.raises(RuntimeError):
        rules_removed.cut(text + "\n    b", "    b", None, "")  # found twice
    with pytest.raises(RuntimeError):
        rules_removed.cut(text, "    d", "    b", "")  # the last before the first


def test_each_removal_alone_takes_out_its_piece_and_no_other(tmp_path: Path) -> None:
    """``--each`` times copies with one removal each: the named piece goes, the others stay."""
    assert len(rules_removed.PIECES) == len(rules_removed.REMOVED)
    for i, (name, first, _last, new) in enumerate(rules_removed.REMOVED):
        lines = (rules_removed.rules_removed_tree(tmp_path / str(i), only=i) / name).read_text().split("\n")
        assert first not in lines and new in lines
        for j, (other_name, other_first, _, _) in enumerate(rules_removed.REMOVED):
            if j != i:
                assert other_first in (tmp_path / str(i) / other_name).read_text().split("\n")


def test_each_line_says_what_the_piece_saves_of_the_floors_time() -> None:
    ratio = {"real": {"2": 0.5, "1": 0.4}, "all": {"2": 0.8, "1": 0.8}}
    ratio |= {piece: dict(ratio["real"]) for piece in rules_removed.PIECES}
    ratio[rules_removed.PIECES[0]] = {"2": 0.625, "1": 0.5}  # saves 2 - 1.6 = 0.4 and 2.5 - 2 = 0.5 of the floor's time
    saves = {name: {t: 1 / ratio["real"][t] - 1 / ratio[name][t] for t in ("2", "1")} for name in ratio}
    lines = rules_removed.describe_each({"ratio": ratio, "saves": saves})
    piece = next(line for line in lines if line.startswith(rules_removed.PIECES[0]))
    assert piece.split()[-4:] == ["0.625", "0.400", "0.500", "0.500"]
    assert lines[-2] == (f"2 threads: the pieces alone save 0.400 of the floor's time, all together 0.750; "
                         f"x0.85 needs {2 - 1 / 0.85:.3f} saved")
    assert lines[-1] == (f"1 thread: the pieces alone save 0.500 of the floor's time, all together 1.250; "
                         f"x0.85 needs {2.5 - 1 / 0.85:.3f} saved")
