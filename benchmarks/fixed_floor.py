"""The fixed costs no `pbrsim run` can skip, each measured in a fresh process on this machine.

- starting Python and importing the CLI;
- the first simulation of a process with every kernel in numba's cache (numba sets up its
  compilation target once per process, even to load machine code, and loads each kernel);
- writing the bytes a run must write as the run writes them, from memory already touched,
  without fsync: past the page cache where the file system allows (``simulator.direct_io``),
  its result and (since 25 Nov, while the disk keeps up) its resume checkpoints.

``start_fast.py`` sets them against what each fixed-cost target allows.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from workloads import NATIONAL, ROOT

FIRST_SIMULATION = """
import sys, time
from simulator import load_scenario, simulate
scenario = load_scenario({path!r})
t = time.perf_counter()
simulate(scenario, sims=1, seed=1, monthly_stats={stats}, keep_monthly=False, keep_components=False)
print(time.perf_counter() - t)
"""
WRITE = """
import os, sys, time
import numpy as np
from simulator.direct_io import open_direct
data = np.ones({nbytes} // 8)  # touched before the clock starts
view = memoryview(data.view(np.uint8))
t = time.perf_counter()
with open_direct(os.open({path!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)) as f:
    for i in range(0, len(view), 64 << 20):
        f.write(view[i:i + (64 << 20)])
print(time.perf_counter() - t)
os.unlink({path!r})
"""


def _python(code: str) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - t, out.stdout


def imports_s(repeats: int = 3) -> float:
    """Wall seconds of ``python -c "import simulator.cli"`` (median)."""
    return statistics.median(_python("import simulator.cli")[0] for _ in range(repeats))


def first_simulation_s(*, stats: bool, repeats: int = 3) -> float:
    """Seconds of a process's first simulate() of one national simulation, kernels cached (median)."""
    code = FIRST_SIMULATION.format(path=str(NATIONAL), stats=stats)
    _python(code)  # the kernels of these options are cached after this
    return statistics.median(float(_python(code)[1]) for _ in range(repeats))


def write_s(nbytes: int, folder: Path, repeats: int = 3) -> float:
    """Seconds to write ``nbytes`` from touched memory into a new file in ``folder`` as a run writes its result and
    its checkpoints (``open_direct``) (median)."""
    code = WRITE.format(nbytes=int(nbytes), path=str(folder / "floors-write.bin"))
    return statistics.median(float(_python(code)[1]) for _ in range(repeats))
