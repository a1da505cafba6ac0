"""The ``pbrsim`` command line: a thin shell over the public API (formatting only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .engine import MODES, run_checkpoint, simulate, with_mode
from .errors import OutputError, PbrsimError
from .progress import sims_progress
from .results import RESULT_FILES, Results, check_output_dir, copy_scenario
from .scenario import load_scenario
from .stress import load_stressed
from .timeline import build_calendar
from .units import gbp_text as gbp

EXIT_BAD_INPUT = 2
PARTIAL_DIR = ".partial"


def fail(message: str) -> None:
    """Print one clear line and exit with code 2 (bad input): no traceback."""
    click.echo(f"pbrsim: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def summary_table(summary: dict) -> str:
    """A fixed-width table: one row per party, then the commissioner's outlay."""
    head = ("party", "NPV mean (±se)", "NPV p5", "NPV p95", "P(loss)", "CVaR 5%", "peak fund mean",
            "peak fund p95", "P(reserves out)", "PbR share", "1st PbR month")
    rows = [head]
    for name, p in summary["parties"].items():
        npv = p["npv_gbp"]
        rows.append((
            name,
            f"{gbp(npv['mean'])} (±{gbp(npv['se_mean'])})",
            gbp(npv["p5"]),
            gbp(npv["p95"]),
            pct(p["prob_loss"]),
            gbp(p["cvar_5_gbp"]),
            gbp(p["peak_funding_gbp"]["mean"]),
            gbp(p["peak_funding_gbp"]["p95"]),
            pct(p["prob_reserves_exhausted"]),
            pct(p["pbr_share_of_revenue"]),
            "-" if p["first_pbr_cash_month"] is None else str(p["first_pbr_cash_month"]),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    paid = summary["commissioner"]["total_paid_gbp"]
    lines.append("")
    lines.append(
        f"commissioner total outlay: mean {gbp(paid['mean'])} (±{gbp(paid['se_mean'])}), "
        f"p5 {gbp(paid['p5'])}, p95 {gbp(paid['p95'])}  (undiscounted, all months)"
    )
    for area, a in summary["areas"].items():
        lines.append(
            f"area {area}: cohort paid {pct(a['prob_cohort_paid'])}, deducted {pct(a['prob_cohort_deducted'])}; "
            f"binary rate {pct(a['binary_rate']['mean'])} vs baseline {pct(a['binary_rate']['baseline_mean'])}"
        )
    return "\n".join(lines)


class _Commands(click.Group):
    """Every command's errors end as one line and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PbrsimError as exc:
            fail(str(exc))
        except BrokenPipeError:  # output piped into e.g. `head`: the work is done, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except MemoryError:
            fail("ran out of memory: run fewer simulations at a time, or add --no-monthly")
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="pbrsim")
def main() -> None:
    """pbrsim: Monte Carlo cash-flow risk of Payment-by-Results contracts."""


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--sims", default=10_000, show_default=True, type=click.IntRange(min=1), help="Number of simulations.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0), help="Seed for the random streams.")
@click.option("--out", "out_dir", default="results", show_default=True, type=click.Path(path_type=Path),
              help="Folder for summary.json and sims.npz.")
@click.option("--force", is_flag=True, help="Overwrite results already in --out.")
@click.option("--no-monthly", is_flag=True, help="Do not keep monthly cash flows per simulation (smaller sims.npz).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run in --out (same scenario, seed and --sims).")
@click.option("--report", "want_report", is_flag=True, help="Also write report.html (self-contained, open in a browser).")
@click.option("--xlsx", "want_xlsx", is_flag=True, help="Also write results.xlsx (Excel workbook).")
@click.option("--plots", "want_plots", is_flag=True, help="Also write every figure as PNG and SVG under plots/.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--stress", "stresses", multiple=True, metavar="NAME",
              help="Apply a stress preset (repeatable): volume_down_30, zero_effect, common_shock_plus_2, "
                   "payment_delay_6m, or a [stress.NAME] table of the scenario file.")
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="Draw outcomes per cohort segment (aggregate) or per offender (individual); "
                   "default: the scenario's [simulation] mode.")
def run(scenario: Path, sims: int, seed: int, out_dir: Path, force: bool, no_monthly: bool, resume: bool,
        want_report: bool, want_xlsx: bool, want_plots: bool, quiet: bool, stresses: tuple[str, ...] = (),
        mode: str | None = None) -> None:
    """Simulate SCENARIO (a TOML file) and print each party's risk."""
    try:
        sc = with_mode(load_stressed(scenario, stresses)[0], mode)
        extras = extra_files(report=want_report, xlsx=want_xlsx, plots=want_plots)
        check_output_dir(out_dir, force=force, files=RESULT_FILES + extras)
        keep = not no_monthly
        checkpoint = run_checkpoint(out_dir / PARTIAL_DIR, sc, sims=sims, seed=seed, keep_monthly=keep, keep_components=keep)
        if checkpoint.exists() and not (resume or force):
            raise OutputError(f"{out_dir}: holds an interrupted run; add --resume to continue it or --force to start over")
        created = not out_dir.exists()
        checkpoint.start(resume=resume)
        try:
            with sims_progress(sims, quiet=quiet) as tick:
                results = simulate(sc, sims=sims, seed=seed, keep_monthly=keep, keep_components=keep,
                                   checkpoint=checkpoint, progress=tick)
        except Exception:  # a failed run leaves nothing to resume; an interrupt (Ctrl-C, kill) does
            checkpoint.discard()
            if created and not any(out_dir.iterdir()):
                out_dir.rmdir()
            raise
        results.save(out_dir, force=force)
        copy_scenario(scenario, out_dir)
        checkpoint.discard()
    except PbrsimError as exc:
        fail(str(exc))
    click.echo(f"{sc.name}: {sims:,} simulations, seed {seed}")
    click.echo(summary_table(results.summary()))
    click.echo(f"\nwrote {out_dir / 'summary.json'} and {out_dir / 'sims.npz'}")
    write_extras(results, out_dir, report=want_report, xlsx=want_xlsx, plots=want_plots)


def extra_files(*, report: bool, xlsx: bool, plots: bool) -> tuple[str, ...]:
    """Names (in the output folder) that the optional outputs write: checked before a run."""
    if not (report or xlsx or plots):
        return ()
    from .export_xlsx import XLSX_FILE
    from .plots import PLOT_DIR
    from .report import REPORT_FILE

    chosen = ((report, REPORT_FILE), (xlsx, XLSX_FILE), (plots, PLOT_DIR))
    return tuple(name for wanted, name in chosen if wanted)


def write_extras(results: Results, out_dir: Path, *, report: bool, xlsx: bool, plots: bool) -> None:
    """Write the report, workbook and figure files asked for, and say where they went."""
    try:
        if report:
            from .report import write_report

            click.echo(f"wrote {write_report(results, out_dir)}")
        if xlsx:
            from .export_xlsx import write_xlsx

            click.echo(f"wrote {write_xlsx(results, out_dir)}")
        if plots:
            from .plots import PLOT_DIR, save_plots

            written, skipped = save_plots(results, out_dir)
            click.echo(f"wrote {len(written)} figure files under {out_dir / PLOT_DIR}")
            for reason in skipped:
                click.echo(f"skipped {reason}", err=True)
    except PbrsimError as exc:
        fail(str(exc))


@main.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--xlsx", "want_xlsx", is_flag=True, help="Also write results.xlsx.")
@click.option("--force", is_flag=True, help="Overwrite a report already there.")
def report(results_dir: Path, want_xlsx: bool, force: bool) -> None:
    """Write report.html (and optionally results.xlsx) for results saved by 'pbrsim run'."""
    write_for_saved(results_dir, force=force, report=True, xlsx=want_xlsx, plots=False)


@main.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite figures already there.")
def plot(results_dir: Path, force: bool) -> None:
    """Write every figure as PNG and SVG under RESULTS_DIR/plots for results saved by 'pbrsim run'."""
    write_for_saved(results_dir, force=force, report=False, xlsx=False, plots=True)


def write_for_saved(results_dir: Path, *, force: bool, report: bool, xlsx: bool, plots: bool) -> None:
    """Load saved results, check nothing is overwritten without --force, write the outputs asked for."""
    try:
        results = Results.load(results_dir)
        check_output_dir(results_dir, force=force, files=extra_files(report=report, xlsx=xlsx, plots=plots))
    except PbrsimError as exc:
        fail(str(exc))
    write_extras(results, results_dir, report=report, xlsx=xlsx, plots=plots)


@main.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
def show(results_dir: Path) -> None:
    """Print the table for results saved by 'pbrsim run'."""
    try:
        results = Results.load(results_dir)
    except PbrsimError as exc:
        fail(str(exc))
    click.echo(summary_table(results.summary()))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Check a scenario file and list its parties and calendar."""
    try:
        sc = load_scenario(scenario)
    except PbrsimError as exc:
        fail(str(exc))
    cal = build_calendar(sc.timeline)
    click.echo(f"{scenario}: OK ({sc.name}); parties: {', '.join(sc.party_names())}")
    click.echo(f"{cal.n_cohorts} cohorts starting months {cal.cohort_start[0]}-{cal.cohort_start[-1]}; "
               f"outcome settlements in months {', '.join(map(str, sorted(set(cal.cohort_pay_month.tolist()))))}; "
               f"horizon {cal.horizon_months} months")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--vary", "varies", multiple=True, required=True, metavar="KEY=SPEC",
              help="A key path and its values (repeatable: the grid is every combination): LOW:HIGH:STEPS, "
                   "V1,V2,... or one VALUE, e.g. supply_chain.subcontractors.1.upfront_share=0.5:1.0:6")
@click.option("--stress", "stresses", multiple=True, metavar="NAME", help="Apply a stress preset to every point.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=1), help="Simulations per point.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0),
              help="Seed, the same at every point (common random numbers).")
@click.option("--out", "out_dir", default="sweep", show_default=True, type=click.Path(path_type=Path),
              help="Folder for sweep.csv, sweep.parquet, the checkpoint and the plot.")
@click.option("--force", is_flag=True, help="Start again over a sweep with other arguments already in --out.")
@click.option("--scheduler", default="in-process", show_default=True,
              help="'in-process', 'local' (a local Dask cluster) or a Dask scheduler address (tcp://host:8786).")
@click.option("--plot", "plot_metric", default="prob_loss", show_default=True,
              help="Metric to print and plot (lines for 1 key, heatmaps for 2); 'none' for no plot.")
@click.option("--party", "parties", multiple=True, metavar="NAME",
              help="Party to print and plot (repeatable; default: all, or the first 6). The table has every party.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(scenario: Path, varies: tuple[str, ...], stresses: tuple[str, ...], sims: int, seed: int, out_dir: Path,
          force: bool, scheduler: str, plot_metric: str, parties: tuple[str, ...], quiet: bool) -> None:
    """Run SCENARIO over a grid of values, every point on the same random numbers; resumable."""
    from .distributed import runner_for
    from .sweep import SweepSpec, choose_parties, format_points, metric_columns, parse_vary, prepare, run_sweep
    from .sweep_plots import save_sweep_plot

    try:
        spec = SweepSpec(str(scenario), tuple(parse_vary(v) for v in varies), sims, seed, tuple(stresses))
        if plot_metric != "none" and plot_metric not in metric_columns():
            raise PbrsimError(f"--plot: '{plot_metric}' is not a metric (metrics: {', '.join(metric_columns())})")
        shown, note = choose_parties(prepare(spec)[0], parties, source=str(scenario))
        with runner_for(scheduler) as runner:
            result = run_sweep(spec, out_dir, force=force, runner=runner, quiet=quiet)
        keys = [v.key for v in spec.varies]
        picture = None if plot_metric == "none" else save_sweep_plot(result.table, keys, plot_metric, out_dir,
                                                                     parties=shown)
    except PbrsimError as exc:
        fail(str(exc))
    points = len(result.table) // max(1, result.table["party"].nunique())
    click.echo(f"sweep of {scenario}: {points} points x {sims:,} simulations, seed {seed} at every point "
               f"({result.computed} run now, {result.resumed} from the checkpoint)")
    if plot_metric != "none":
        click.echo(format_points(result.table, keys, plot_metric, parties=shown))
        if note:
            click.echo(note)
    click.echo(f"\nwrote {', '.join(str(p) for p in result.files)}" + (f" and {picture}" if picture else ""))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--solve", "key", required=True, metavar="KEY", help="The key path to solve for.")
@click.option("--target", "target_text", required=True, metavar="PARTY.METRIC<=VALUE",
              help="e.g. 'prime.prob_loss<=0.1' or 'small_charity.prob_reserves_exhausted<=0.01' (or >=).")
@click.option("--range", "range_text", metavar="LOW:HIGH", help="Search range (default 0:1 for shares and rates).")
@click.option("--grid", default=5, show_default=True, type=click.IntRange(min=2),
              help="Grid points checked before bisection (both ends included).")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), help="Bisection tolerance (default range/1000).")
@click.option("--stress", "stresses", multiple=True, metavar="NAME", help="Apply a stress preset first.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=1), help="Simulations per evaluation.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0),
              help="Seed, the same at every evaluation (common random numbers).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the search as JSON here.")
def breakeven(scenario: Path, key: str, target_text: str, range_text: str | None, grid: int, tol: float | None,
              stresses: tuple[str, ...], sims: int, seed: int, json_path: Path | None) -> None:
    """Find the value of KEY at which a party's metric meets a target (e.g. a price or an upfront share)."""
    import json

    from .breakeven import default_range, parse_range_option, parse_target, solve, summary_dict
    from .results import atomic_write
    from .sweep import metric_columns

    try:
        sc, raw = load_stressed(scenario, stresses)
        raw = {k: v for k, v in raw.items() if k != "stress"}
        metrics = [m for m in metric_columns() if not m.startswith("commissioner_")]
        target = parse_target(target_text, sc.party_names(), metrics)
        low, high = parse_range_option(range_text, default_range(raw, key, source=str(scenario)), key)
        result = solve(raw, key, target, low=low, high=high, sims=sims, seed=seed, source=str(scenario),
                       grid=grid, xtol=tol)
        if json_path is not None:
            text = json.dumps(summary_dict(result), indent=2)
            atomic_write(json_path, lambda f: f.write(text.encode()))
    except PbrsimError as exc:
        fail(str(exc))
    click.echo(f"{sc.name}: {sims:,} simulations per evaluation, seed {seed} at every value "
               f"({len(result.evaluations)} evaluations)")
    for e in sorted(result.evaluations, key=lambda e: e.x):
        se = "" if e.se is None else f" (s.e. {e.se:.2g})"
        click.echo(f"  {key} = {e.x:<10.6g} {target.metric} = {e.metric:.4g}{se}  {'meets' if e.met else 'misses'}")
    click.echo(result.message())


if __name__ == "__main__":  # pragma: no cover
    main()
