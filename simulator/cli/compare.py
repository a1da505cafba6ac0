"""``pbrsim compare``: payment designs on the same simulated outcomes, differences with paired errors."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PbrsimError
from ..folders import new_result
from .common import SEED, Folder, final_paths, main, say
from .compiling import compiling
from .progress import CountBar


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--stress", "stresses", multiple=True, metavar="NAME[+NAME]",
              help="Add a design: the first file under a stress preset (join several with '+'). Repeatable.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE[;KEY=VALUE]",
              help="Add a design: the first file with these key paths changed, "
                   "e.g. 'payment.pbr.trigger=any_improvement'. Repeatable.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=2), help="Simulations per design.")
@click.option("--seed", default=7, show_default=True, type=SEED,
              help="Seed, the same for every design (common random numbers; 0 to 2**63-1).")
@click.option("--out", "out_dir", default="compare", show_default=True, type=Folder(),
              help="Folder for compare.csv, compare.json and the figure.")
@click.option("--report", "want_report", is_flag=True, help="Also write report.html with the comparison.")
@click.option("--force", is_flag=True, help="Overwrite a comparison already in --out.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def compare(scenarios: tuple[Path, ...], stresses: tuple[str, ...], sets: tuple[str, ...], sims: int, seed: int,
            out_dir: Path, want_report: bool, force: bool, quiet: bool) -> None:
    """Compare designs: SCENARIO files, and --stress / --set variants of the first, on common random numbers."""
    from ..outputs.study_report import write_compare_outputs
    from ..outputs.study_text import design_codes, format_compare
    from ..studies.compare import compare as run_compare
    from ..studies.designs import variants

    designs = variants(scenarios, stresses=stresses, sets=sets)
    if len(designs) < 2:
        raise PbrsimError("compare needs at least two designs: give two scenario files, or add --stress / --set")
    with new_result(out_dir, force=force, kind="compare") as stage:
        with compiling(designs[0].scenario()), CountBar(unit="design", desc="compare", quiet=quiet) as bar:
            result = run_compare(designs, sims=sims, seed=seed, progress=bar)
        written = final_paths(result.save(stage, force=True) + write_compare_outputs(result, stage, report=want_report),
                              stage, out_dir)
    codes = design_codes(result.labels)
    say(f"{len(designs)} designs, {sims:,} simulations each, seed {seed} for every design:")
    for label, shared in zip(result.labels, result.shared, strict=True):
        say(f"  {codes[label]}  {label}" + ("" if shared else "  (outcomes not shared with A: see the note)"))
    for warning in result.warnings:
        say(f"note: {warning}")
    say("")
    say(format_compare(result))
    say(f"\nwrote {', '.join(str(p) for p in written)}")
