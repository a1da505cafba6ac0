"""Zeroed memory ready for the kernels: ``mapped_zeros`` against writing zeros into numpy's memory.

A run maps its outputs and monthly statistics before simulating (a national default at
10,000 simulations: about 0.4 GB). Each way is timed in a fresh process, in turn, with a
pause before each: this machine (a VM) hands freed memory back to its host within seconds,
and a process that reuses memory another has just freed maps it far faster than one that
meets it fresh, as a user's run does.

    python benchmarks/first_touch.py [--mb 800] [--rounds 5] [--pause 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from workloads import ROOT

WAYS = {
    "mapped_zeros": "from simulator.engine.outputs import mapped_zeros\nmake = lambda n: mapped_zeros(n, np.uint8)",
    "numpy fill": "def make(n):\n    a = np.empty(n, np.uint8)\n    a.fill(0)\n    return a",
    "numpy fill, no huge pages": "np._core.multiarray._set_madvise_hugepage(False)\n"
                                 "def make(n):\n    a = np.empty(n, np.uint8)\n    a.fill(0)\n    return a",
}
CHILD = """
import time
import numpy as np
{way}
t = time.perf_counter()
a = make({nbytes})
print(time.perf_counter() - t)
"""


def time_way(way: str, nbytes: int) -> float:
    done = subprocess.run([sys.executable, "-c", CHILD.format(way=WAYS[way], nbytes=nbytes)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds before each process")
    args = parser.parse_args()
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(args.rounds):
        for way in WAYS:
            time.sleep(args.pause)
            times[way].append(time_way(way, args.mb << 20))
    ref = statistics.median(times["mapped_zeros"])
    for way, ts in times.items():
        print(f"{way:27s} {args.mb} MB: median {statistics.median(ts):.3f} s "
              f"(x{statistics.median(ts) / ref:.2f} of mapped_zeros; {', '.join(f'{t:.2f}' for t in ts)})")


if __name__ == "__main__":
    main()
