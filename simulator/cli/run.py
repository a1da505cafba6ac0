"""Commands on one run: ``run``, ``show``, ``report``, ``plot`` and ``validate``."""

from __future__ import annotations

from pathlib import Path

import click

from ..engine import MODES, run_checkpoint, simulate, with_mode
from ..engine.timeline import build_calendar
from ..errors import OutputError, PbrsimError
from ..outputs.plain import plain_lines
from ..outputs.text import paths_listing, summary_table
from ..results import RESULT_FILES, Results, check_output_dir, copy_scenario
from ..scenario import load_scenario
from ..studies.precision import DEFAULT_MAX_SIMS, parse_precision, simulate_precise
from .common import fail, main
from .options import SET_HELP, exit_interrupted, interrupted_message, load_run_scenario, run_header
from .progress import sims_progress

PARTIAL_DIR = ".partial"


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
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--precision", "precisions", multiple=True, metavar="PARTY.METRIC:SE",
              help="Run chunks of 1,024 simulations until this estimate's standard error is at most SE "
                   "(repeatable: all must be met), e.g. prime.npv_gbp_mean:50000; --sims is then ignored.")
@click.option("--max-sims", type=click.IntRange(min=1), default=None,
              help="With --precision: stop here even if a target is not met (default 200,000).")
def run(scenario: Path, sims: int, seed: int, out_dir: Path, force: bool, no_monthly: bool, resume: bool,
        want_report: bool, want_xlsx: bool, want_plots: bool, quiet: bool, stresses: tuple[str, ...] = (),
        mode: str | None = None, sets: tuple[str, ...] = (), precisions: tuple[str, ...] = (),
        max_sims: int | None = None) -> None:
    """Simulate SCENARIO (a TOML file) and print each party's risk."""
    precise = None
    try:
        sc = with_mode(load_run_scenario(scenario, sets, stresses)[0], mode)
        targets = precision_targets(sc, precisions)
        if targets:
            sims = max_sims or DEFAULT_MAX_SIMS
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
                if targets:
                    precise = simulate_precise(sc, targets, seed=seed, max_sims=sims, keep_monthly=keep,
                                               keep_components=keep, checkpoint=checkpoint, progress=tick)
                    results = precise.results
                else:
                    results = simulate(sc, sims=sims, seed=seed, keep_monthly=keep, keep_components=keep,
                                       checkpoint=checkpoint, progress=tick)
        except KeyboardInterrupt:
            exit_interrupted(interrupted_message(checkpoint.saved_sims(), sims, out_dir / PARTIAL_DIR))
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
    click.echo(run_header(sc, sims=results.sims, seed=seed))
    if precise is not None:
        verdict = "every precision target met" if precise.met else f"stopped at --max-sims ({sims:,}): NOT every target met"
        click.echo(f"precision: {verdict} after {results.sims:,} simulations")
        click.echo("\n".join(precision_lines(precise.estimates)))
    click.echo(plain_lines(results))
    click.echo(summary_table(results.summary()))
    click.echo(f"\nwrote {out_dir / 'summary.json'} and {out_dir / 'sims.npz'}")
    write_extras(results, out_dir, report=want_report, xlsx=want_xlsx, plots=want_plots)


def precision_targets(sc, texts: tuple[str, ...]) -> list:
    """The parsed ``--precision`` targets (none when the option is not given)."""
    if not texts:
        return []
    from ..studies.sweep import metric_columns

    return [parse_precision(t, sc.party_names(), metric_columns()) for t in texts]


def precision_lines(estimates) -> list[str]:
    """One line per target: the estimate with its s.e., and the target s.e."""
    from ..outputs.study_text import metric_value

    return [f"  {t.party}.{t.metric} = {metric_value(t.metric, v, se)} (target s.e. {metric_value(t.metric, t.se)}"
            f": {'met' if se <= t.se else 'NOT met'})" for t, v, se in estimates]


def extra_files(*, report: bool, xlsx: bool, plots: bool) -> tuple[str, ...]:
    """Names (in the output folder) that the optional outputs write: checked before a run."""
    if not (report or xlsx or plots):
        return ()
    from ..outputs.figures import PLOT_DIR
    from ..outputs.report import REPORT_FILE
    from ..outputs.workbook import XLSX_FILE

    chosen = ((report, REPORT_FILE), (xlsx, XLSX_FILE), (plots, PLOT_DIR))
    return tuple(name for wanted, name in chosen if wanted)


def write_extras(results: Results, out_dir: Path, *, report: bool, xlsx: bool, plots: bool) -> None:
    """Write the report, workbook and figure files asked for, and say where they went."""
    try:
        if report:
            from ..outputs.report import write_report

            click.echo(f"wrote {write_report(results, out_dir)}")
        if xlsx:
            from ..outputs.workbook import write_xlsx

            click.echo(f"wrote {write_xlsx(results, out_dir)}")
        if plots:
            from ..outputs.plots import PLOT_DIR, save_plots

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
    click.echo(run_header(results.scenario, sims=results.sims, seed=results.seed))
    click.echo(plain_lines(results))
    click.echo(summary_table(results.summary()))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--brief", is_flag=True, help="Only the check, the parties and the calendar (not the key paths).")
def validate(scenario: Path, brief: bool) -> None:
    """Check a scenario file; list its parties, calendar and every key path you may vary (--set, --vary)."""
    try:
        sc = load_scenario(scenario)
    except PbrsimError as exc:
        fail(str(exc))
    cal = build_calendar(sc.timeline)
    click.echo(f"{scenario}: OK ({sc.name}); parties: {', '.join(sc.party_names())}")
    click.echo(f"{cal.n_cohorts} cohorts starting months {cal.cohort_start[0]}-{cal.cohort_start[-1]}; "
               f"outcome settlements in months {', '.join(map(str, sorted(set(cal.cohort_pay_month.tolist()))))}; "
               f"horizon {cal.horizon_months} months")
    if not brief:
        click.echo(paths_listing(sc))
