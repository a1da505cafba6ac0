"""pbrsim benchmark: engine throughput, references, the national CLI run, memory and compilation.

    python benchmarks/run.py            # the full suite (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # smaller workloads, a smoke run
    python benchmarks/run.py --json out.json

Prints, for the aggregate and individual modes at 1 and 2 threads, outcomes per second
(median of ``--repeats`` runs, after a warm-up that compiles), the same work done by a
vectorised NumPy reference and by a plain Python loop (see ``references.py``) with the
ratios, whether results are bit-identical across thread counts, the national scenario's
wall time and peak memory from the CLI at 10,000 simulations, and compile time cold versus
cached. The load average is printed next to every timing: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from references import interpreted_kernels, numpy_simulate  # noqa: E402
from workloads import CLI_SIMS, ENGINE, NATIONAL, NUMPY_SIMS, PYTHON_SIMS, ROOT, Workload  # noqa: E402

from simulator import simulate  # noqa: E402
from simulator.engine import BLOCK_SIZE, block_generators, with_mode  # noqa: E402
from simulator.engine.model_arrays import build_model_arrays  # noqa: E402
from simulator.engine.outputs import allocate_outputs  # noqa: E402

REPORT: dict = {}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def say(text: str = "") -> None:
    print(text, flush=True)


def units(workload_mode: str, results_arrays: dict, m, sims: int) -> float:
    """Outcomes a run produced: cohort-segment outcomes (aggregate) or offenders (individual)."""
    if workload_mode == "aggregate":
        return float(sims * len(m.cohort_start) * int(m.n_segments.sum()))
    return float(results_arrays["cohort_n"].sum())


def time_engine(w: Workload, threads: int, repeats: int) -> dict:
    scenario = with_mode(w.load(), w.mode)
    m, _ = build_model_arrays(scenario)
    numba.set_num_threads(threads)
    simulate(scenario, sims=BLOCK_SIZE, seed=1, keep_monthly=False, keep_components=False)  # compile/load
    walls, loads, arrays = [], [], None
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        t0 = time.perf_counter()
        res = simulate(scenario, sims=w.sims, seed=7, keep_monthly=False, keep_components=False)
        walls.append(time.perf_counter() - t0)
        arrays = res.arrays
    wall = statistics.median(walls)
    n = units(w.mode, arrays, m, w.sims)
    return {"workload": w.name, "threads": threads, "sims": w.sims, "wall_s": wall, "wall_min_s": min(walls),
            "outcomes": n, "rate": n / wall, "load1": statistics.mean(loads), "arrays": arrays}


def same_arrays(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def engine_section(workloads: list[Workload], repeats: int) -> dict:
    say(f"== Engine throughput (simulate(), keep_monthly=False; median of {repeats} runs) ==")
    rows = {}
    for w in workloads:
        one = time_engine(w, 1, repeats)
        two = time_engine(w, 2, repeats)
        identical = same_arrays(one.pop("arrays"), two.pop("arrays"))
        unit = "cohort-segment outcomes/s" if w.mode == "aggregate" else "offender outcomes/s"
        say(f"{w.name:28s} {w.sims:6d} sims  1 thread {one['rate'] / 1e6:8.2f} M {unit} "
            f"({one['wall_s']:.3f} s, load {one['load1']:.2f})")
        say(f"{'':28s} {'':6s}       2 threads {two['rate'] / 1e6:7.2f} M {unit} "
            f"({two['wall_s']:.3f} s, load {two['load1']:.2f})  speed-up {one['wall_s'] / two['wall_s']:.2f}x  "
            f"bit-identical 1 vs 2 threads: {identical}")
        say(f"{'':36s}{w.note}")
        rows[w.name] = {"1": one, "2": two, "speedup": one["wall_s"] / two["wall_s"], "identical": identical}
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return rows


def floor_work():
    """What the floor and the engine are compared on: the national scenario in aggregate mode, its model arrays
    and their ``model_ref`` (floor.py's argument), and the number of simulations."""
    from simulator.kernels.records import model_ref

    scenario = with_mode(ENGINE[0].load(), "aggregate")
    m, _ = build_model_arrays(scenario)
    return scenario, m, model_ref(m), ENGINE[0].sims


def time_floor(ref, sims: int) -> float:
    """Seconds for floor.py to make every draw of ``sims`` simulations (seed 7, as the engine's timed runs)."""
    from floor import segment_draws_only

    gens = block_generators(7, 0, -(-sims // BLOCK_SIZE))
    t0 = time.perf_counter()
    segment_draws_only(gens, ref, BLOCK_SIZE, sims)
    return time.perf_counter() - t0


def draw_floor(repeats: int) -> dict:
    """Every draw of the aggregate engine alone (floor.py), no rules or cash flows."""
    _, m, ref, sims = floor_work()
    out = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        time_floor(ref, 2 * BLOCK_SIZE)  # compile or load
        walls = [time_floor(ref, sims) for _ in range(repeats)]
        n = sims * len(m.cohort_start) * int(m.n_segments.sum())
        out[threads] = n / statistics.median(walls)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    say(f"draw floor (national, every draw of the engine, no rules/cash flows): 1 thread {out[1] / 1e6:.2f} M/s, "
        f"2 threads {out[2] / 1e6:.2f} M/s ({load()})")
    return out


def references_section(engine_rows: dict, quick: bool) -> dict:
    say("\n== References: the same model on the same work (national scenario) ==")
    rows = {}
    kernels = interpreted_kernels()
    for mode, name in (("aggregate", "aggregate_national"), ("individual", "individual_national")):
        scenario = with_mode(ENGINE[0].load(), mode)
        m, _ = build_model_arrays(scenario)
        sims = max(1, NUMPY_SIMS[mode] // (4 if quick else 1))
        numpy_simulate(m, 2, 0, individual=mode == "individual")
        t0 = time.perf_counter()
        ref = numpy_simulate(m, sims, 7, individual=mode == "individual")
        np_wall = time.perf_counter() - t0
        n = sims * len(m.cohort_start) * int(m.n_segments.sum()) if mode == "aggregate" else ref["cohort_n"].sum()
        np_rate = n / np_wall
        py_sims = PYTHON_SIMS[mode]
        out = allocate_outputs(m, py_sims, keep_monthly=False, keep_components=False)
        gens = list(block_generators(7, 0, 1))
        t0 = time.perf_counter()
        with np.errstate(over="ignore"):  # SplitMix64 wraps around on purpose
            kernels.simulate_blocks(gens, BLOCK_SIZE, m, out, False, False, mode == "individual")
        py_wall = time.perf_counter() - t0
        py_n = py_sims * len(m.cohort_start) * int(m.n_segments.sum()) if mode == "aggregate" else out.cohort_n.sum()
        py_rate = py_n / py_wall
        e1, e2 = engine_rows[name]["1"]["rate"], engine_rows[name]["2"]["rate"]
        say(f"{mode:10s} NumPy vectorised ({sims} sims): {np_rate / 1e6:8.2f} M/s ({load()})   "
            f"Python loop ({py_sims} sims): {py_rate / 1e6:8.3f} M/s ({load()})")
        say(f"{'':10s} engine/NumPy: {e1 / np_rate:5.1f}x (1 thread) {e2 / np_rate:5.1f}x (2 threads)   "
            f"engine/Python: {e1 / py_rate:6.0f}x (1 thread) {e2 / py_rate:6.0f}x (2 threads)")
        rows[mode] = {"numpy_rate": np_rate, "python_rate": py_rate, "numpy_sims": sims, "python_sims": py_sims,
                      "engine_over_numpy_2t": e2 / np_rate, "engine_over_python_2t": e2 / py_rate,
                      "engine_over_numpy_1t": e1 / np_rate, "engine_over_python_1t": e1 / py_rate}
    return rows


def timed_child(args: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (GiB) and output of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *args], env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return wall, peak_kb / 2**20, proc.stdout


def cli_section(sims: int, repeats: int) -> dict:
    say(f"\n== National scenario from the CLI: pbrsim run {NATIONAL.name} --sims {sims:,} --no-monthly "
        f"(warm cache) ==")
    rows = {}
    pbrsim = str(Path(sys.executable).with_name("pbrsim"))
    with tempfile.TemporaryDirectory() as tmp:
        for threads in (1, 2):
            env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
            args = [pbrsim, "run", str(NATIONAL), "--sims", str(sims), "--no-monthly", "--quiet", "--force",
                    "--out", str(Path(tmp) / f"t{threads}")]
            runs = []
            for _ in range(repeats):
                before = os.getloadavg()[0]
                runs.append((*timed_child(args, env)[:2], before))
            wall = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            say(f"{threads} thread(s): wall {wall:.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in runs)}; "
                f"load {statistics.mean(r[2] for r in runs):.2f}), peak memory {peak:.2f} GiB")
            rows[threads] = {"wall_s": wall, "walls": [r[0] for r in runs], "peak_gib": peak}
        identical = all(np.array_equal(a, b) for a, b in zip(_npz(Path(tmp) / "t1"), _npz(Path(tmp) / "t2"), strict=True))
    rows["speedup"] = rows[1]["wall_s"] / rows[2]["wall_s"]
    rows["identical"] = identical
    say(f"2 threads vs 1: {rows['speedup']:.2f}x; sims.npz bit-identical across thread counts: {identical}")
    rows["stages"] = stages(sims)
    return rows


def stages(sims: int) -> dict:
    """Where the CLI's time goes, in this process (2 threads, cache warm)."""
    from simulator import load_scenario

    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    times = {}
    t0 = time.perf_counter()
    scenario = load_scenario(NATIONAL)
    times["load scenario"] = time.perf_counter() - t0
    simulate(scenario, sims=BLOCK_SIZE, seed=1, keep_monthly=False, keep_components=False)
    t0 = time.perf_counter()
    results = simulate(scenario, sims=sims, seed=7, keep_monthly=False, keep_components=False)
    times["simulate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.summary()
    times["summary"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        results.save(Path(tmp) / "out")
        times["save (summary.json + sims.npz)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        np.savez(Path(tmp) / "plain.npz", **results.arrays)
        times["for comparison: the same arrays with np.savez (no compression)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import simulator.cli"], check=True, cwd=ROOT)
    times["for comparison: python -c 'import simulator.cli'"] = time.perf_counter() - t0
    say(f"stages in-process ({load()}): " + "; ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    return times


def _npz(folder: Path):
    """The result arrays of a saved run (not its provenance, which names the run by its own id)."""
    with np.load(folder / "sims.npz") as data:
        return [data[k] for k in sorted(data.files) if k != "provenance_json"]


COMPILE_PROBE = """
import time, json
t0 = time.perf_counter()
from simulator import load_scenario, simulate
from simulator.kernels.simulate import simulate_blocks
t1 = time.perf_counter()
sc = load_scenario({path!r})
simulate(sc, sims=64, seed=1, keep_monthly=False, keep_components=False)
simulate(sc, sims=64, seed=1, mode="individual", keep_monthly=False, keep_components=False)
t2 = time.perf_counter()
st = simulate_blocks.stats
print(json.dumps({{"import_s": t1 - t0, "first_runs_s": t2 - t1,
                  "cache_hits": sum(st.cache_hits.values()), "cache_misses": sum(st.cache_misses.values())}}))
"""


def compile_section() -> dict:
    say("\n== Compilation: a fresh numba cache (cold) versus the cache it leaves (second process) ==")
    probe = COMPILE_PROBE.format(path=str(NATIONAL))
    rows = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "cached"):
            before = load()
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=ROOT)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr)
            info = json.loads(proc.stdout.strip().splitlines()[-1])
            rows[label] = {**info, "process_s": wall}
            say(f"{label:6s}: process {wall:6.2f} s, import {info['import_s']:.2f} s, first two runs "
                f"(64 sims each mode) {info['first_runs_s']:6.2f} s; simulate_blocks cache hits "
                f"{info['cache_hits']}, misses (compiled) {info['cache_misses']} ({before})")
    rows["saved_s"] = rows["cold"]["process_s"] - rows["cached"]["process_s"]
    say(f"a second process start saves {rows['saved_s']:.2f} s and compiles "
        f"{'nothing' if rows['cached']['cache_misses'] == 0 else 'something'}")
    return rows


def targets(report: dict) -> None:
    say("\n== Targets (issue 3) ==")
    eng, ref = report["engine"], report.get("references", {})
    checks = [
        ("aggregate >= 1.5e7 cohort-segment outcomes/s, 2 threads", eng["aggregate_national"]["2"]["rate"] >= 1.5e7,
         f"{eng['aggregate_national']['2']['rate'] / 1e6:.2f} M/s"),
        ("individual >= 1e8 offender outcomes/s, 2 threads (no spread)",
         eng["individual_national"]["2"]["rate"] >= 1e8, f"{eng['individual_national']['2']['rate'] / 1e6:.1f} M/s"),
        ("individual >= 1e8 offender outcomes/s, 2 threads (spread)",
         eng["individual_national_spread"]["2"]["rate"] >= 1e8,
         f"{eng['individual_national_spread']['2']['rate'] / 1e6:.1f} M/s"),
    ]
    if ref:
        checks += [
            ("aggregate >= 3x NumPy", ref["aggregate"]["engine_over_numpy_2t"] >= 3,
             f"{ref['aggregate']['engine_over_numpy_2t']:.1f}x"),
            ("aggregate >= 20x Python loop", ref["aggregate"]["engine_over_python_2t"] >= 20,
             f"{ref['aggregate']['engine_over_python_2t']:.0f}x"),
            ("individual >= 1.4x NumPy", ref["individual"]["engine_over_numpy_2t"] >= 1.4,
             f"{ref['individual']['engine_over_numpy_2t']:.1f}x"),
        ]
    if "cli" in report:
        cli = report["cli"]
        checks += [
            (f"national {cli['sims']:,} sims < 5 s wall (CLI, warm cache, 2 threads; the target is for 10,000)",
             cli[2]["wall_s"] < 5, f"{cli[2]['wall_s']:.2f} s"),
            ("national peak memory < 2 GiB", cli[2]["peak_gib"] < 2, f"{cli[2]['peak_gib']:.2f} GiB"),
            ("national 2 threads >= 1.7x faster than 1", cli["speedup"] >= 1.7, f"{cli['speedup']:.2f}x"),
        ]
    if "compile" in report:
        checks.append(("second process compiles nothing", report["compile"]["cached"]["cache_misses"] == 0,
                       f"saves {report['compile']['saved_s']:.2f} s"))
    checks.append(("bit-identical across thread counts", all(r["identical"] for r in eng.values())
                   and report.get("cli", {}).get("identical", True), ""))
    for text, ok, figure in checks:
        say(f"[{'met' if ok else 'NOT met'}] {text}: {figure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--skip-references", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    workloads = [w.scaled(0.125) for w in ENGINE] if args.quick else ENGINE
    say(f"pbrsim benchmark  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}  ({load()})\n")
    report = {"engine": engine_section(workloads, args.repeats)}
    report["draw_floor"] = draw_floor(args.repeats)
    if not args.skip_references:
        report["references"] = references_section(report["engine"], args.quick)
    if not args.skip_cli:
        cli_sims = CLI_SIMS // (10 if args.quick else 1)
        report["cli"] = {**cli_section(cli_sims, 1 if args.quick else args.repeats), "sims": cli_sims}
    if not args.skip_compile:
        report["compile"] = compile_section()
    targets(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
