"""Commands on one run: ``run``, ``show``, ``report``, ``plot`` and ``validate``."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import NamedTuple

import click

from ..engine import MODES, run_checkpoint, simulate, with_mode
from ..engine.checkpoint import Checkpoint
from ..engine.cost import check_run
from ..engine.timeline import build_calendar
from ..errors import OutputError
from ..folders import MANIFEST_FILE, PARTIAL_DIR, Writer, writing
from ..outputs.plain import plain_lines
from ..outputs.text import paths_listing, summary_table
from ..results import SIMS_FILE, SUMMARY_FILE, Results
from ..scenario import load_scenario
from ..studies.precision import DEFAULT_MAX_SIMS, parse_precision, simulate_precise
from .common import SEED, Folder, main, say, warn
from .compiling import compiling
from .interrupt import stop_point, stopping_between_chunks, was_interrupted
from .options import SET_HELP, exit_interrupted, interrupted_message, load_run_scenario, run_header
from .progress import sims_progress


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--sims", default=10_000, show_default=True, type=click.IntRange(min=1), help="Number of simulations.")
@click.option("--seed", default=7, show_default=True, type=SEED, help="Seed for the random streams (0 to 2**63-1).")
@click.option("--out", "out_dir", default="results", show_default=True, type=Folder(),
              help="Folder for summary.json and sims.npz.")
@click.option("--force", is_flag=True, help="Replace the result already in --out (all of it: report, workbook, plots).")
@click.option("--no-monthly", is_flag=True, help="Keep no monthly cash flows (no cash fans, monthly or yearly sheets).")
@click.option("--keep-monthly", is_flag=True,
              help="Keep every simulation's monthly cash flows in sims.npz (about 2 GB for a national run at 10,000 "
                   "simulations); by default only their percentiles, means and cash-out months are kept.")
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
@click.option("--allow-long", is_flag=True, help="Run even when the run is estimated to take over an hour.")
@click.option("--scheduler", default="in-process", show_default=True,
              help="Where the chunks of simulations run: 'in-process', 'local' (a local Dask cluster) or a Dask "
                   "scheduler address (tcp://host:8786); the results are the same.")
def run(scenario: Path, sims: int, seed: int, out_dir: Path, force: bool, no_monthly: bool, keep_monthly: bool,
        resume: bool, want_report: bool, want_xlsx: bool, want_plots: bool, quiet: bool, stresses: tuple[str, ...] = (),
        mode: str | None = None, sets: tuple[str, ...] = (), precisions: tuple[str, ...] = (),
        max_sims: int | None = None, allow_long: bool = False, scheduler: str = "in-process") -> None:
    """Simulate SCENARIO (a TOML file) and print each party's risk."""
    sc = with_mode(load_run_scenario(scenario, sets, stresses)[0], mode)
    targets = precision_targets(sc, precisions)
    check_scheduler(scheduler, precise=bool(targets))
    sims = (max_sims or DEFAULT_MAX_SIMS) if targets else sims
    if no_monthly and keep_monthly:
        raise click.UsageError("--no-monthly and --keep-monthly contradict each other: give one")
    keep = Monthly(full=keep_monthly, stats=not (no_monthly or keep_monthly))
    check_run(sc, sims, keep_monthly=keep.full, keep_components=keep.full, allow_long=allow_long)
    with writing(out_dir) as folder:
        checkpoint = open_checkpoint(folder, sc, sims=sims, seed=seed, keep=keep, resume=resume, force=force)
        try:
            with compiling(sc, monthly_stats=keep.stats, in_process=scheduler == "in-process"), \
                    chunks_on(scheduler) as chunks:
                results, precise = run_simulations(sc, targets, sims=sims, seed=seed, keep=keep, checkpoint=checkpoint,
                                                   quiet=quiet, chunks=chunks)
            stage = folder.stage()
            results.write_files(stage, scenario_file=scenario)
            notes = write_extras(results, stage, out_dir, report=want_report, xlsx=want_xlsx, plots=want_plots)
            folder.commit(stage, run_id=results.run_id, kind="run")
        except BaseException as exc:  # finished chunks are kept for --resume; an empty checkpoint goes
            if not checkpoint.has_chunks():
                checkpoint.discard()
            if was_interrupted(exc):
                exit_interrupted(interrupted_message(checkpoint.saved_sims(), sims, out_dir / PARTIAL_DIR))
            raise
    say(run_header(sc, sims=results.sims, seed=seed))
    if precise is not None:
        verdict = "every precision target met" if precise.met else f"stopped at --max-sims ({sims:,}): NOT every target met"
        say(f"precision: {verdict} after {results.sims:,} simulations")
        say("\n".join(precision_lines(precise.estimates)))
    say(plain_lines(results))
    say(summary_table(results.summary()))
    say(f"\nwrote {out_dir / SUMMARY_FILE} and {out_dir / SIMS_FILE}")
    for note, err in notes:
        say(note, err=err)


class Monthly(NamedTuple):
    """What a run keeps of the monthly cash flows: every simulation's (``full``), their statistics, or none."""

    full: bool
    stats: bool

    def options(self) -> dict:
        return {"keep_monthly": self.full, "keep_components": self.full, "monthly_stats": self.stats}


def check_scheduler(scheduler: str, *, precise: bool) -> None:
    """Refuse, before anything runs, a ``--scheduler`` that is not understood or that cannot go with ``--precision``."""
    if scheduler == "in-process":
        return
    if precise:
        raise click.UsageError("--precision runs in-process only (it decides after each chunk whether to go on); "
                               "drop --scheduler or give --sims")
    if scheduler != "local":
        from ..studies.distributed import parse_address  # Dask and the sweep code only when asked for

        parse_address(scheduler)


def chunks_on(scheduler: str):
    """A context giving the engine's chunk source for ``--scheduler``: None in-process, else a Dask cluster's."""
    if scheduler == "in-process":
        return nullcontext(None)
    from ..studies.cluster_run import run_chunks_on

    return run_chunks_on(scheduler)


def run_simulations(sc, targets: list, *, sims: int, seed: int, keep: Monthly, checkpoint: Checkpoint, quiet: bool,
                    chunks=None):
    """(Results, the precision outcome or None): ``sims`` simulations, or with targets until every s.e. is met.

    ``chunks``: where the chunks are computed (a Dask cluster), or None: in this process.
    """
    with sims_progress(sims, quiet=quiet) as bar, stopping_between_chunks():
        def tick(done: int) -> None:  # after each chunk, once it is saved (or being saved: a stop waits for it)
            bar(done)
            stop_point()

        if targets:
            precise = simulate_precise(sc, targets, seed=seed, max_sims=sims, checkpoint=checkpoint, progress=tick,
                                       **keep.options())
            return precise.results, precise
        return simulate(sc, sims=sims, seed=seed, checkpoint=checkpoint, progress=tick, chunks=chunks,
                        **keep.options()), None


def open_checkpoint(folder: Writer, sc, *, sims: int, seed: int, keep: Monthly, resume: bool,
                    force: bool) -> Checkpoint:
    """The run's checkpoint in OUT/.partial, started; work of another run is not dropped without --force.

    Resuming replaces the result the interrupted run was started to replace.
    """
    checkpoint = run_checkpoint(folder.partial, sc, sims=sims, seed=seed, notify=warn, **keep.options())
    other = folder.partial.is_dir() and not checkpoint.exists() and any(folder.partial.iterdir())
    if (checkpoint.exists() and not (resume or force)) or (other and not force):
        raise OutputError(f"{folder.shown}: holds an interrupted {'sweep' if other else 'run'}; add --resume to "
                          "continue a run, or --force to start over")
    if not (resume and checkpoint.matches()):
        folder.refuse_existing(force=force)
    checkpoint.start(resume=resume)
    return checkpoint


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
    """Names (in the output folder) that the optional outputs write."""
    if not (report or xlsx or plots):
        return ()
    from ..outputs.figures import PLOT_DIR
    from ..outputs.report import REPORT_FILE
    from ..outputs.workbook import XLSX_FILE

    chosen = ((report, REPORT_FILE), (xlsx, XLSX_FILE), (plots, PLOT_DIR))
    return tuple(name for wanted, name in chosen if wanted)


def write_extras(results: Results, stage: Path, shown: Path, *, report: bool, xlsx: bool,
                 plots: bool) -> list[tuple[str, bool]]:
    """Write the report, workbook and figures asked for into ``stage``; (message, to stderr) lines naming ``shown``."""
    notes = []
    if report:
        from ..outputs.report import write_report

        notes.append((f"wrote {shown / write_report(results, stage).name}", False))
    if xlsx:
        from ..outputs.workbook import write_xlsx

        notes.append((f"wrote {shown / write_xlsx(results, stage).name}", False))
    if plots:
        from ..outputs.plots import PLOT_DIR, save_plots

        written, skipped = save_plots(results, stage)
        notes.append((f"wrote {len(written)} figure files under {shown / PLOT_DIR}", False))
        notes += [(f"skipped {reason}", True) for reason in skipped]
    return notes


@main.command()
@click.argument("results_dir", type=Folder())
@click.option("--xlsx", "want_xlsx", is_flag=True, help="Also write results.xlsx.")
@click.option("--force", is_flag=True, help="Overwrite a report already there.")
def report(results_dir: Path, want_xlsx: bool, force: bool) -> None:
    """Write report.html (and optionally results.xlsx) for results saved by 'pbrsim run'."""
    write_for_saved(results_dir, force=force, report=True, xlsx=want_xlsx, plots=False)


@main.command()
@click.argument("results_dir", type=Folder())
@click.option("--force", is_flag=True, help="Overwrite figures already there.")
def plot(results_dir: Path, force: bool) -> None:
    """Write every figure as PNG and SVG under RESULTS_DIR/plots for results saved by 'pbrsim run'."""
    write_for_saved(results_dir, force=force, report=False, xlsx=False, plots=True)


def write_for_saved(results_dir: Path, *, force: bool, report: bool, xlsx: bool, plots: bool) -> None:
    """Add outputs to a saved result: checked, never overwriting without --force, made current as one unit."""
    new = extra_files(report=report, xlsx=xlsx, plots=plots)
    with writing(results_dir, must_exist=True) as folder:
        results = Results.load(folder.folder)
        existing = [name for name in new if (folder.folder / name).exists()]
        if existing and not force:
            raise OutputError(f"{results_dir}: already holds {', '.join(existing)}; use --force to overwrite")
        keep = [p.name for p in folder.folder.iterdir() if p.name not in (*new, MANIFEST_FILE)]
        stage = folder.stage(keep=keep)
        notes = write_extras(results, stage, results_dir, report=report, xlsx=xlsx, plots=plots)
        folder.commit(stage, run_id=results.run_id, kind="run")
    for note, err in notes:
        say(note, err=err)


@main.command()
@click.argument("results_dir", type=Folder())
def show(results_dir: Path) -> None:
    """Print the table for results saved by 'pbrsim run'."""
    results = Results.load(results_dir)
    say(run_header(results.scenario, sims=results.sims, seed=results.seed))
    say(plain_lines(results))
    say(summary_table(results.summary()))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--brief", is_flag=True, help="Only the check, the parties and the calendar (not the key paths).")
def validate(scenario: Path, brief: bool) -> None:
    """Check a scenario file; list its parties, calendar and every key path you may vary (--set, --vary)."""
    sc = load_scenario(scenario)
    cal = build_calendar(sc.timeline)
    say(f"{scenario}: OK ({sc.name}); parties: {', '.join(sc.party_names())}")
    say(f"{cal.n_cohorts} cohorts starting months {cal.cohort_start[0]}-{cal.cohort_start[-1]}; "
        f"outcome settlements in months {', '.join(map(str, sorted(set(cal.cohort_pay_month.tolist()))))}; "
        f"horizon {cal.horizon_months} months")
    if not brief:
        say(paths_listing(sc))
