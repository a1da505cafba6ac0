"""The ``pbrsim`` command line: a thin shell over the public API (formatting only)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .engine import run_checkpoint, simulate
from .errors import OutputError, PbrsimError
from .results import Results, check_output_dir, copy_scenario
from .scenario import load_scenario

EXIT_BAD_INPUT = 2
PARTIAL_DIR = ".partial"


def fail(message: str) -> None:
    """Print one clear line and exit with code 2 (bad input): no traceback."""
    click.echo(f"pbrsim: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def gbp(x: float | None) -> str:
    if x is None:
        return "-"
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}£{x / 1e6:,.2f}m"
    if x >= 1e3:
        return f"{sign}£{x / 1e3:,.0f}k"
    return f"{sign}£{x:,.0f}"


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
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths)))
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


@click.group()
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
def run(scenario: Path, sims: int, seed: int, out_dir: Path, force: bool, no_monthly: bool, resume: bool) -> None:
    """Simulate SCENARIO (a TOML file) and print each party's risk."""
    try:
        sc = load_scenario(scenario)
        check_output_dir(out_dir, force=force)
        keep = not no_monthly
        checkpoint = run_checkpoint(out_dir / PARTIAL_DIR, sc, sims=sims, seed=seed, keep_monthly=keep, keep_components=keep)
        if checkpoint.exists() and not (resume or force):
            raise OutputError(f"{out_dir}: holds an interrupted run; add --resume to continue it or --force to start over")
        checkpoint.start(resume=resume)
        results = simulate(sc, sims=sims, seed=seed, keep_monthly=keep, keep_components=keep, checkpoint=checkpoint)
        results.save(out_dir, force=force)
        copy_scenario(scenario, out_dir)
        checkpoint.discard()
    except PbrsimError as exc:
        fail(str(exc))
    click.echo(f"{sc.name}: {sims:,} simulations, seed {seed}")
    click.echo(summary_table(results.summary()))
    click.echo(f"\nwrote {out_dir / 'summary.json'} and {out_dir / 'sims.npz'}")


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
    click.echo(f"{scenario}: OK ({sc.name}); parties: {', '.join(sc.party_names())}")


if __name__ == "__main__":  # pragma: no cover
    main()
