"""The engine with its payment rules, cash flows and balances removed: how near the draw floor it could get.

The engine target (>= 0.85 of the draws-only floor, ``floor.py``) leaves 18% of the floor's
time for everything the engine does besides drawing. To see what that asks, this copies the
repository's ``simulator``, ``benchmarks`` and ``scenarios`` to a temporary folder and removes
from the copy's kernels (:data:`REMOVED`):

- each cohort's settlement (``settle``: the payment rules), replaced by a sum of its inputs,
  so that the cohort loop still computes the baselines it passes, and the year's pot and the
  contract's cap (``cap_cohorts``);
- each area's cash flows (service credits, volume band, settlements, pass-down, costs,
  investor funding), replaced by one write;
- the books those cash flows fill, set up for each simulation (fees from the schedule, the
  rest zeroed), and the commissioner's totals;
- each party's monthly balances (cash, NPV, funding), replaced by one write.

What stays: the draws, the cohort loop with its baseline sums and its outputs, the referral
shares. The copy is timed against the floor exactly as ``start_fast.py`` times the engine
(in turn, median of the pairs' ratios), in a fresh process, alternating with the same
measurement of the real engine. Its results are wrong; only its speed is of use: what the
engine would run at if its rules and money cost nothing.

    python benchmarks/rules_removed.py            # about 3 minutes on 2 cores (the copy compiles first)
    python benchmarks/rules_removed.py --each     # each removal alone instead (PIECES): what each costs
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 0.85

# (file, first line, last line, what the copy has instead of the lines from the first to the last): each line is
# found once in its file, the last within a few lines of the first (tests/test_rules_removed.py pins what goes)
REMOVED = [
    ("simulator/kernels/cohorts.py",
     "        net_c[c], met_c[c] = settle(terms, ct, n, r_tot, o_tot, e_bin, f_bin, e_off, e_sq, other, other_met)",
     None, "        net_c[c], met_c[c] = e_bin + f_bin + e_off + e_sq + r_tot + o_tot, False"),
    ("simulator/kernels/cohorts.py", "    paid = cap_cohorts(net_c, terms_table[:, 0], terms_table[:, 2], total_cap)",
     None, "    paid = net_c[0]"),
    ("simulator/kernels/simulate.py", "    copy_2d(w.fee, w.schedule.fee)",
     "    copy_1d(commissioner, w.schedule.commissioner)", "    commissioner = out.commissioner_paid[s]"),
    ("simulator/kernels/simulate.py", "        service_credits(gen, m.design[a], prime, m.ffs_monthly[a], m.learning[a], "
     "m.month_year, m.term, m.ffs_lag, w.fee,", "        investor_funding(m, a, w.fee, w.pbr, w.cost)",
     "        w.pbr[prime, 0] += w.net_c[0]"),
    ("simulator/kernels/simulate.py", "    total = npv = 0.0", "    out.commissioner_npv[s] = npv",
     "    out.commissioner_total[s] = commissioner[0]"),
    ("simulator/kernels/simulate.py",
     "        party_balances(m, p, s, fee, adv, pbr, cost, out, keep_monthly, keep_components)", None,
     "        out.npv[s, p] = fee[p, 0]"),
]
LONGEST = 12  # lines a removal may span
# what each removal takes away, named in the order of REMOVED (``--each`` times them one at a time)
PIECES = ("each cohort's settlement", "the year's pot and the contract cap", "the books set up for each simulation",
          "each area's cash flows", "the commissioner's totals", "each party's monthly balances")

# run in a fresh process from a tree's root: the engine over the floor as start_fast.py measures it, warmed first
CHILD = """
import json, sys
sys.path[:0] = [{root!r}, {root!r} + "/benchmarks"]
import simulator
assert simulator.__file__.startswith({root!r} + "/"), simulator.__file__
from run import floor_work, time_floor
from start_fast import engine_floor_pairs
from simulator import simulate
scenario, _, ref, sims = floor_work()
time_floor(ref, sims)
simulate(scenario, sims=1024, seed=7, keep_monthly=False, keep_components=False)
print(json.dumps(engine_floor_pairs({pairs})))
"""


def cut(text: str, first: str, last: str | None, new: str, name: str = "") -> tuple[str, str]:
    """``text`` with the lines from ``first`` to ``last`` (or ``first`` alone) replaced by ``new``, and the lines it
    took out; raises when either line is not found exactly once, or the last is not soon after the first."""
    lines = text.split("\n")
    found = [i for i, line in enumerate(lines) if line == first]
    ends = found if last is None else [i for i, line in enumerate(lines) if line == last]
    if len(found) != 1 or len(ends) != 1 or not 0 <= ends[0] - found[0] < LONGEST:
        raise RuntimeError(f"rules_removed.py: {name} no longer has the code it removes (update REMOVED): {first}")
    i, j = found[0], ends[0]
    return "\n".join([*lines[:i], new, *lines[j + 1:]]), "\n".join(lines[i:j + 1])


def rules_removed_tree(dest: Path, only: int | None = None) -> Path:
    """A copy of the repository's code with :data:`REMOVED` applied, or only its removal ``only`` (raises if the
    kernels no longer match)."""
    for folder in ("simulator", "benchmarks", "scenarios"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, first, last, new in REMOVED if only is None else [REMOVED[only]]:
        path = dest / name
        path.write_text(cut(path.read_text(), first, last, new, name)[0])
    return dest


def engine_over_floor(root: Path, pairs: int) -> dict[str, float]:
    """The median engine-over-floor ratio of ``pairs`` pairs on 2 threads and on 1, measured in a fresh process."""
    proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(root), pairs=pairs)], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"measuring the engine in {root} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rules_allowed(real: float, removed: float, target: float = TARGET) -> float:
    """The share of their present time the rules may take for the engine to reach ``target``.

    Ratios are the floor's time over the engine's: per unit of floor time the engine takes
    1/real, the copy 1/removed, so the rules take 1/real - 1/removed and may take 1/target - 1/removed.
    """
    rules = 1.0 / real - 1.0 / removed
    if rules <= 0:  # the copy measured no faster than the engine (noise): all or nothing, as the copy stands
        return float("inf") if removed >= target else float("-inf")
    return (1.0 / target - 1.0 / removed) / rules


def in_turn(trees: dict[str, Path], rounds: int, pairs: int) -> tuple[dict, dict]:
    """Each tree's engine over the floor (:func:`engine_over_floor`, ``pairs`` pairs), the trees measured in turn
    ``rounds`` times, each copy compiled first (not timed): the medians per tree and thread count, and the rounds."""
    for tree in trees.values():
        if tree != ROOT:
            engine_over_floor(tree, 1)  # compiles the copy's kernels and floor
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            runs[name].append(engine_over_floor(tree, pairs))
    return {name: {t: statistics.median(r[t] for r in runs[name]) for t in ("2", "1")} for name in runs}, runs


def measure(rounds: int = 2, pairs: int = 5) -> dict:
    """Real and rules-removed engines, each measured ``rounds`` times in turn: medians per thread count."""
    with tempfile.TemporaryDirectory(prefix="pbrsim-rules-removed-") as tmp:
        ratio, runs = in_turn({"real": ROOT, "removed": rules_removed_tree(Path(tmp))}, rounds, pairs)
    row = {f"{kind}_{threads}": ratio[kind][threads] for kind in runs for threads in ("2", "1")}
    row |= {f"rules_allowed_{t}": rules_allowed(row[f"real_{t}"], row[f"removed_{t}"]) for t in ("2", "1")}
    row["rounds"] = runs
    return row


def measure_each(rounds: int = 2, pairs: int = 5) -> dict:
    """What each removal of :data:`REMOVED` saves alone, in the floor's time (1/ratio; per unit of the floor's
    time): each copy with one removal, the whole copy and the real engine measured in turn, ``rounds`` times."""
    with tempfile.TemporaryDirectory(prefix="pbrsim-rules-each-") as tmp:
        trees = {"real": ROOT, "all": rules_removed_tree(Path(tmp) / "all")}
        trees |= {piece: rules_removed_tree(Path(tmp) / str(i), only=i) for i, piece in enumerate(PIECES)}
        ratio, runs = in_turn(trees, rounds, pairs)
    saves = {name: {t: 1.0 / ratio["real"][t] - 1.0 / ratio[name][t] for t in ("2", "1")} for name in runs}
    return {"ratio": ratio, "saves": saves, "rounds": runs}


def describe_each(row: dict) -> list[str]:
    """One line per removal: the engine's ratio without it and the floor's time it saves, on 2 threads and 1."""
    ratio, saves = row["ratio"], row["saves"]
    lines = [f"{'removed':40s} {'x (2 thr)':>9s} {'saves':>7s} {'x (1 thr)':>9s} {'saves':>7s}"]
    for name in ("real", *PIECES, "all"):
        lines.append(f"{name:40s} {ratio[name]['2']:9.3f} {saves[name]['2']:7.3f} {ratio[name]['1']:9.3f} "
                     f"{saves[name]['1']:7.3f}")
    for t, label in (("2", "2 threads"), ("1", "1 thread")):
        pieces = sum(saves[p][t] for p in PIECES)
        need = 1.0 / ratio["real"][t] - 1.0 / TARGET
        lines.append(f"{label}: the pieces alone save {pieces:.3f} of the floor's time, all together "
                     f"{saves['all'][t]:.3f}; x{TARGET} needs {need:.3f} saved")
    return lines


def describe(row: dict) -> str:
    """One line: both engines over the floor and what the target leaves the rules."""
    def allowed(t: str) -> str:
        share = row[f"rules_allowed_{t}"]
        return "nothing" if share <= 0 else "all of it" if share >= 1 else f"{share:.0%} of their present time"
    return (f"with its rules, cash flows, books and balances removed the engine runs at x{row['removed_2']:.2f} of the floor "
            f"on 2 threads and x{row['removed_1']:.2f} on 1 (the real engine x{row['real_2']:.2f} and "
            f"x{row['real_1']:.2f}, measured in turn); x{TARGET} leaves the rules {allowed('2')} on 2 threads, "
            f"{allowed('1')} on 1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--each", action="store_true",
                        help="time each removal alone as well (about 12 minutes with the defaults)")
    args = parser.parse_args()
    if args.each:
        for line in describe_each(measure_each(args.rounds, args.pairs)):
            print(line, flush=True)
        return
    row = measure(args.rounds, args.pairs)
    for kind in ("real", "removed"):
        for i, r in enumerate(row["rounds"][kind]):
            print(f"{kind:8s} round {i + 1}: x{r['2']:.3f} on 2 threads, x{r['1']:.3f} on 1", flush=True)
    print(describe(row))


if __name__ == "__main__":
    main()
