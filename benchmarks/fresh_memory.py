"""Memory the process meets fresh: zeroed arrays for the kernels, and the page cache of the files a run writes.

A run maps its outputs and monthly statistics before simulating (a national default at
10,000 simulations: about 0.4 GB) and writes about 0.9 GB (its result and its checkpoints).
Each way is timed in a fresh process, in turn, with a pause before each: this machine (a VM)
hands freed memory back to its host within seconds, and a process that reuses memory another
has just freed maps it far faster than one that meets it fresh, as a user's run does.

- zeros: ``mapped_zeros`` (``MAP_POPULATE``) against writing zeros into numpy's memory, with
  numpy's huge pages and without;
- writing: ``open_direct`` (``O_DIRECT`` through one aligned buffer) against a plain file,
  each from memory already touched, then flushed to the disk (fsync), as ``sims.npz`` is.

    python benchmarks/fresh_memory.py [--mb 300] [--rounds 5] [--pause 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from workloads import ROOT

FILL = "def make(n):\n    a = np.empty(n, np.uint8)\n    a.fill(0)\n    return a\n"
ZEROS = {
    "mapped_zeros": "from simulator.engine.outputs import mapped_zeros\nmake = lambda n: mapped_zeros(n, np.uint8)\n",
    "numpy fill": FILL,
    "numpy fill, no huge pages": "np._core.multiarray._set_madvise_hugepage(False)\n" + FILL,
}
WRITE = ("from simulator.direct_io import open_direct\n"
         "def make(n):\n    data = src(n)\n    t = time.perf_counter()\n"
         "    with {opener} as f:\n        view = memoryview(data)\n"
         "        for i in range(0, n, 64 << 20):\n            f.write(view[i:i + (64 << 20)])\n"
         "        f.flush()\n        os.fsync(f.fileno())\n"
         "    return t, time.perf_counter()\n")
SOURCE = "from simulator.engine.outputs import mapped_zeros\nsrc = lambda n: mapped_zeros(n, np.uint8) + 1\n"
WRITES = {
    "open_direct": SOURCE + WRITE.format(opener="open_direct(os.open(PATH, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))"),
    "plain file": SOURCE + WRITE.format(opener="open(PATH, 'wb')"),
}
CHILD = """
import os, time
import numpy as np
PATH = {path!r}
{way}
t = time.perf_counter()
timed = make({nbytes})  # (start, end) when the way times itself
end = time.perf_counter()
print(timed[1] - timed[0] if isinstance(timed, tuple) else end - t)
if os.path.exists(PATH):
    os.unlink(PATH)
"""


def time_way(way: str, nbytes: int) -> float:
    code = CHILD.format(way=way, nbytes=nbytes, path=str(ROOT / ".fresh-memory.bin"))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def compare(ways: dict[str, str], nbytes: int, rounds: int, pause: float) -> None:
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            time.sleep(pause)
            times[name].append(time_way(way, nbytes))
    first = next(iter(ways))
    ref = statistics.median(times[first])
    for name, ts in times.items():
        print(f"{name:27s} {nbytes >> 20} MB: median {statistics.median(ts):.3f} s "
              f"(x{statistics.median(ts) / ref:.2f} of {first}; {', '.join(f'{t:.2f}' for t in ts)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds before each process")
    args = parser.parse_args()
    compare(ZEROS, args.mb << 20, args.rounds, args.pause)
    compare(WRITES, args.mb << 20, args.rounds, args.pause)


if __name__ == "__main__":
    main()
