"""Commands over many runs: ``sweep`` and ``breakeven``."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine.cost import check_duration
from ..errors import OutputError, PbrsimError
from ..scenario import load_scenario, load_stressed
from .common import SEED, Folder, main, say
from .compiling import compiling
from .progress import CountBar

ALLOW_LONG = click.option("--allow-long", is_flag=True, help="Run even when the work is estimated to take over an hour.")

DEFAULT_MAX_SIMS = 200_000


def check_precision(scenario: Path, stresses, texts) -> None:
    """Parse every ``--precision`` text against the scenario's parties before anything runs."""
    from ..studies.precision import parse_precision
    from ..studies.sweep import metric_columns

    if texts:
        parties = load_stressed(scenario, stresses)[0].party_names()
        for text in texts:
            parse_precision(text, parties, metric_columns())


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--vary", "varies", multiple=True, required=True, metavar="KEY=SPEC",
              help="A key path and its values (repeatable: the grid is every combination): LOW:HIGH:STEPS, "
                   "V1,V2,... or one VALUE, e.g. supply_chain.subcontractors.1.upfront_share=0.5:1.0:6")
@click.option("--stress", "stresses", multiple=True, metavar="NAME", help="Apply a stress preset to every point.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=1), help="Simulations per point.")
@click.option("--seed", default=7, show_default=True, type=SEED,
              help="Seed, the same at every point (common random numbers; 0 to 2**63-1).")
@click.option("--out", "out_dir", default="sweep", show_default=True, type=Folder(),
              help="Folder for sweep.csv, sweep.parquet, the checkpoint and the plot.")
@click.option("--force", is_flag=True, help="Replace what --out holds (a finished sweep, another sweep, a run).")
@click.option("--scheduler", default="in-process", show_default=True,
              help="'in-process', 'local' (a local Dask cluster) or a Dask scheduler address (tcp://host:8786).")
@click.option("--plot", "plot_metric", default="prob_loss", show_default=True,
              help="Metric to print and plot (lines for 1 key, heatmaps for 2); 'none': print prob_loss, no plot.")
@click.option("--target", "target", type=float, default=None, metavar="VALUE",
              help="Draw this value of the plotted metric as a line (1-key sweeps), e.g. 0.1 for a 10% limit.")
@click.option("--party", "parties", multiple=True, metavar="NAME",
              help="Party to print and plot (repeatable; default: all, or the first 6). The table has every party.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--precision", "precisions", multiple=True, metavar="PARTY.METRIC:SE",
              help="Run each point until this estimate's s.e. is at most SE (repeatable), up to --max-sims.")
@click.option("--max-sims", type=click.IntRange(min=1), default=None,
              help="With --precision: the most simulations a point may run (default 200,000).")
@ALLOW_LONG
def sweep(scenario: Path, varies: tuple[str, ...], stresses: tuple[str, ...], sims: int, seed: int, out_dir: Path,
          force: bool, scheduler: str, plot_metric: str, parties: tuple[str, ...], quiet: bool,
          target: float | None = None, precisions: tuple[str, ...] = (), max_sims: int | None = None,
          allow_long: bool = False) -> None:
    """Run SCENARIO over a grid of values, every point on the same random numbers; resumable."""
    from ..outputs.sweep_plots import save_sweep_plot
    from ..outputs.text import choose_parties, format_points
    from ..studies.distributed import runner_for
    from ..studies.grid import parse_vary
    from ..studies.sweep import SweepSpec, metric_columns, prepare, run_sweep

    spec = SweepSpec(str(scenario), tuple(parse_vary(v) for v in varies), sims, seed, tuple(stresses),
                     tuple(precisions), (max_sims or DEFAULT_MAX_SIMS) if precisions else None)
    check_precision(scenario, stresses, precisions)
    if plot_metric != "none" and plot_metric not in metric_columns():
        raise PbrsimError(f"--plot: '{plot_metric}' is not a metric (metrics: {', '.join(metric_columns())})")
    shown, note = choose_parties(prepare(spec, allow_long=allow_long)[0], parties, source=str(scenario))
    keys = [v.key for v in spec.varies]
    pictures: list[Path] = []

    def plot(table, folder: Path) -> None:  # drawn into the finished sweep before it is made current
        if plot_metric != "none":
            picture = save_sweep_plot(table, keys, plot_metric, folder, parties=shown, target=target)
            pictures.extend([] if picture is None else [out_dir / picture.name])

    with runner_for(scheduler) as runner, compiling(load_stressed(scenario, stresses)[0],
                                                          in_process=scheduler == "in-process"):
        with CountBar(unit="point", desc="sweep", quiet=quiet) as bar:
            result = run_sweep(spec, out_dir, force=force, runner=runner, progress=bar, allow_long=allow_long,
                               extras=plot)
    points = len(result.table) // max(1, result.table["party"].nunique())
    mode = load_scenario(scenario).simulation.mode
    per_point = f"{sims:,} simulations" if not precisions else (
        f"{int(result.table['sims'].min()):,} to {int(result.table['sims'].max()):,} simulations (--precision)")
    say(f"sweep of {scenario}: {points} points x {per_point}, seed {seed} at every point, {mode} mode "
        f"({result.computed} run now, {result.resumed} from the checkpoint)")
    say(format_points(result.table, keys, "prob_loss" if plot_metric == "none" else plot_metric, parties=shown))
    if note:
        say(note)
    say(f"\nwrote {', '.join(str(p) for p in result.files)}" + (f" and {pictures[0]}" if pictures else ""))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--solve", "key", required=True, metavar="KEY", help="The key path to solve for.")
@click.option("--target", "target_text", required=True, metavar="PARTY.METRIC<=VALUE",
              help="e.g. 'prime.prob_loss<=0.1' or 'small_charity.prob_reserves_exhausted<=0.01' (or >=).")
@click.option("--range", "range_text", metavar="LOW:HIGH", help="Search range (default 0:1 for shares and rates).")
@click.option("--grid", default=5, show_default=True, type=click.IntRange(2, 1000),
              help="Grid points checked before bisection (both ends included).")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), help="Bisection tolerance (default range/1000).")
@click.option("--stress", "stresses", multiple=True, metavar="NAME", help="Apply a stress preset first.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=1), help="Simulations per evaluation.")
@click.option("--seed", default=7, show_default=True, type=SEED,
              help="Seed, the same at every evaluation (common random numbers; 0 to 2**63-1).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the search as JSON here.")
@click.option("--precision", "root_se", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SE",
              help="Search again with more simulations until the answer's standard error is at most SE "
                   "(in the key's units), up to --max-sims.")
@click.option("--point-precision", "precisions", multiple=True, metavar="PARTY.METRIC:SE",
              help="Run each evaluation until this estimate's s.e. is at most SE (repeatable), up to --max-sims.")
@click.option("--max-sims", type=click.IntRange(min=1), default=None,
              help="The most simulations per evaluation with --precision or --point-precision (default 200,000).")
@click.option("--force", is_flag=True, help="Overwrite the --json file if it exists.")
@ALLOW_LONG
def breakeven(scenario: Path, key: str, target_text: str, range_text: str | None, grid: int, tol: float | None,
              stresses: tuple[str, ...], sims: int, seed: int, json_path: Path | None, root_se: float | None = None,
              precisions: tuple[str, ...] = (), max_sims: int | None = None, force: bool = False,
              allow_long: bool = False) -> None:
    """Find the value of KEY at which a party's metric meets a target (e.g. a price or an upfront share)."""
    import json

    from ..atomic import atomic_write
    from ..outputs.study_text import metric_value
    from ..outputs.units import gbp_exact
    from ..scenario.paths import number_text
    from ..studies.breakeven import (
        default_range,
        money_key,
        parse_range_option,
        parse_target,
        solve,
        solve_to_precision,
        summary_dict,
    )
    from ..studies.sweep import metric_columns

    if json_path is not None:
        check_new_file(json_path, force=force)
    sc, raw = load_stressed(scenario, stresses)
    most = max_sims or DEFAULT_MAX_SIMS
    check_duration(sc, most if (precisions or root_se) else sims, runs=grid + BISECTION_STEPS, allow_long=allow_long,
                   what="this search")
    raw = {k: v for k, v in raw.items() if k != "stress"}
    metrics = [m for m in metric_columns() if not m.startswith("commissioner_")]
    target = parse_target(target_text, sc.party_names(), metrics)
    low, high = parse_range_option(range_text, default_range(raw, key, source=str(scenario)), key)
    check_precision(scenario, stresses, precisions)
    fmt = gbp_exact if money_key(raw, key, source=str(scenario)) else (lambda x: number_text(x, sig=4))
    options = dict(low=low, high=high, seed=seed, source=str(scenario), grid=grid, xtol=tol,
                   precision=tuple(precisions), max_sims=most if precisions else None)
    with compiling(sc):
        result = (solve_to_precision(raw, key, target, root_se=root_se, sims=sims, most_sims=most, **options)
                  if root_se else solve(raw, key, target, sims=sims, **options))
    if json_path is not None:
        text = json.dumps(summary_dict(result), indent=2)
        check_new_file(json_path, force=force)
        atomic_write(json_path, lambda f: f.write(text.encode()))
    for n, se in result.rounds:
        say(f"precision: {n:,} simulations per evaluation gave the answer a standard error of "
            f"{fmt(se) if se is not None else 'n/a'} (target {fmt(root_se)})")
    say(f"{sc.name}: {result.sims:,} simulations per evaluation, seed {seed} at every value, "
        f"{sc.simulation.mode} mode ({len(result.evaluations)} evaluations)")
    for e in sorted(result.evaluations, key=lambda e: e.x):
        used = f" [{e.sims:,} sims]" if precisions else ""
        say(f"  {key} = {fmt(e.x):>12} {target.metric} = {metric_value(target.metric, e.metric, e.se)}"
            f"  {'meets' if e.met else 'misses'}{used}")
    say(result.message(fmt, lambda v, se=None: metric_value(target.metric, v, se)))


BISECTION_STEPS = 14  # typical evaluations after the grid: bisection to range/1000, then the slope


def check_new_file(path: Path, *, force: bool) -> None:
    """Refuse to overwrite a file without --force (and any path that is not a file)."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; a file name is needed")
    if path.exists() and not force:
        raise OutputError(f"{path}: already exists; use --force to overwrite it")
