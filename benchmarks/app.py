"""pbrsim app benchmark: how long a page takes to come back after a change, warm.

    python benchmarks/app.py              # 2,000 simulations, 5 repeats of each page
    python benchmarks/app.py --sims 10000 --repeats 3

Target: a rerun of the default scenario at 2,000 simulations updates the page in <= 2 s.
Each request changes the seed (so no run is served from the app's cache) and goes through
the whole app in-process (Starlette's TestClient: form parsing, validation, simulation,
figures, HTML); "Find" runs the break-even search for the upfront share. After a warm-up
request (compilation is measured by benchmarks/run.py), it prints the median wall time and
the process CPU time of each page, and the load average (the machine may be shared:
CPU time is the steadier figure then).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from simulator.app import create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

TARGET_S = 2.0
DEFAULT = HERE.parent / "scenarios" / "tr_crc_default.toml"


def timed(client: TestClient, path: str, form: dict) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.post(path, data=form)
    assert response.status_code == 200, response.text[:500]
    return time.perf_counter() - wall, time.process_time() - cpu


def pages(sims: int) -> dict[str, tuple[str, callable]]:
    text = DEFAULT.read_text()
    return {
        "Any scenario: price changed": ("/scenario", lambda seed: {
            "toml": text, "name": DEFAULT.name, "sims": str(sims), "seed": str(seed),
            "payment.fee_for_service.rate_gbp": "3,500"}),
        "Can we survive: upfront share changed": ("/", lambda seed: {
            "shown_sub": "small_charity", "sims": str(sims), "seed": str(seed), "upfront": "85", "action": "run"}),
        "Can we survive: Find (break-even search)": ("/", lambda seed: {
            "shown_sub": "small_charity", "sims": str(sims), "seed": str(seed), "action": "find"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    client = TestClient(create_app(), base_url="http://127.0.0.1")
    print(f"pbrsim app, default scenario, {args.sims:,} simulations; median of {args.repeats} warm requests")
    seed = 1000
    for name, (path, form) in pages(args.sims).items():
        timed(client, path, form(seed))  # warm-up: compiled kernels, imports, fonts
        walls, cpus = [], []
        for _ in range(args.repeats):
            seed += 1
            wall, cpu = timed(client, path, form(seed))
            walls.append(wall)
            cpus.append(cpu)
        one, five, _ = os.getloadavg()
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        mark = "" if "Find" in name else ("  (target <= 2 s: met)" if wall <= TARGET_S else "  (target <= 2 s: MISSED)")
        print(f"  {name:<42} wall {wall:5.2f} s  cpu {cpu:5.2f} s  (load {one:.2f}/{five:.2f}){mark}")


if __name__ == "__main__":
    main()
