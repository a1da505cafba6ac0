"""``pbrsim sensitivity``: what drives a party's result (tornado) and how its variance splits (Sobol')."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PbrsimError
from ..folders import new_result
from .common import SEED, Folder, final_paths, main, say
from .compiling import compiling
from .progress import CountBar, sims_progress


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--party", required=True, help="The party whose result is explained.")
@click.option("--metric", default="npv_gbp_mean", show_default=True,
              help="npv_gbp_mean, prob_loss, prob_reserves_exhausted, peak_funding_gbp_mean (or cvar_5_gbp: "
                   "tornado only).")
@click.option("--term", "terms", multiple=True, metavar="KEY[:AMOUNT|:PCT%]",
              help="A contract term to move down and up (repeatable); default: prices, upfront shares, risk splits "
                   "and management fees, shares by 0.05 and amounts by 10%.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=2),
              help="Simulations per tornado setting.")
@click.option("--samples", default=1024, show_default=True, type=click.IntRange(min=0),
              help="Sobol' base samples (a power of two; the run has samples x (inputs + 2) simulations); 0: no "
                   "variance decomposition.")
@click.option("--seed", default=7, show_default=True, type=SEED, help="Seed (0 to 2**63-1).")
@click.option("--out", "out_dir", default="sensitivity", show_default=True, type=Folder(),
              help="Folder for the tables (CSV, JSON) and figures (PNG, SVG).")
@click.option("--report", "want_report", is_flag=True, help="Also write report.html with both studies.")
@click.option("--force", is_flag=True, help="Overwrite a study already in --out.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sensitivity(scenario: Path, party: str, metric: str, terms: tuple[str, ...], sims: int, samples: int, seed: int,
                out_dir: Path, want_report: bool, force: bool, quiet: bool) -> None:
    """Explain PARTY's METRIC in SCENARIO: a tornado of inputs and terms, and Sobol' indices of the inputs."""
    from ..outputs.sensitivity_report import format_sobol, format_tornado, write_sensitivity_outputs
    from ..studies.designs import as_design
    from ..studies.sensitivity import check_party_metric, tornado
    from ..studies.sobol import PER_SIM, sobol_indices

    design = as_design(scenario)
    check_party_metric(design.scenario(), party, metric)
    if samples and metric not in PER_SIM:
        raise PbrsimError(f"--metric: {metric} is not a mean over simulations, so it has no Sobol' indices "
                          "(use --samples 0 for the tornado alone)")
    with new_result(out_dir, force=force, kind="sensitivity") as stage, compiling(design.scenario()):
        with CountBar(unit="run", desc="tornado", quiet=quiet) as bar:
            torn = tornado(design, party=party, metric=metric, terms=list(terms) or None, sims=sims, seed=seed,
                           progress=bar)
        sob = None
        if samples:
            from ..studies.sobol import problem_for

            total = samples * (len(set(problem_for(design.scenario())[0]["groups"])) + 2)
            with sims_progress(total, quiet=quiet) as tick:
                sob = sobol_indices(design, party=party, metric=metric, n=samples, seed=seed, progress=tick)
        written = torn.save(stage, force=True) + (sob.save(stage, force=True) if sob else [])
        written = final_paths(written + write_sensitivity_outputs(torn, sob, stage, report=want_report), stage, out_dir)
    say(format_tornado(torn))
    if sob is not None:
        say("")
        say(format_sobol(sob))
    say(f"\nwrote {', '.join(str(p) for p in written)}")
