"""``pbrsim incentives``: does a design reward cutting spend, or parking the hardest cases?"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PbrsimError
from ..folders import new_result
from .common import SEED, Folder, final_paths, main, say
from .compiling import compiling
from .progress import CountBar


def parse_multipliers(spec: str) -> tuple[float, ...]:
    """``'0.5:1.5:11'`` or ``'0.6,0.8,1'`` -> multiples of the contracted spend (>= 0)."""
    from .power import parse_effects

    try:
        values = parse_effects(spec)
    except PbrsimError:
        raise PbrsimError(f"--spend: '{spec}' must be multiples of the contracted spend in increasing order, "
                          "LOW:HIGH:STEPS (e.g. 0.5:1.5:11) or V1,V2,...") from None
    if values[0] < 0:
        raise PbrsimError(f"--spend: '{spec}' must not be negative")
    return values


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--spend", "spend_spec", default="0.5:1.5:11", show_default=True, metavar="LOW:HIGH:STEPS|V1,V2,...",
              help="The provider's spend per case as multiples of the contracted level (1 is always included).")
@click.option("--party", default="prime", show_default=True, help="The provider whose spend varies.")
@click.option("--stress", "stresses", multiple=True, metavar="NAME[+NAME]",
              help="Add a design: the scenario under a stress preset (join several with '+'). Repeatable.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE[;KEY=VALUE]",
              help="Add a design: the scenario with these key paths changed, e.g. 'payment.pbr.binary_hurdle=false'.")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=2), help="Simulations per spend level.")
@click.option("--seed", default=7, show_default=True, type=SEED,
              help="Seed, the same at every spend level (common random numbers; 0 to 2**63-1).")
@click.option("--out", "out_dir", default="incentives", show_default=True, type=Folder(),
              help="Folder for incentives.csv, incentives.json and the figures.")
@click.option("--report", "want_report", is_flag=True, help="Also write report.html with the study.")
@click.option("--force", is_flag=True, help="Overwrite a study already in --out.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def incentives(scenario: Path, spend_spec: str, party: str, stresses: tuple[str, ...], sets: tuple[str, ...], sims: int,
               seed: int, out_dir: Path, want_report: bool, force: bool, quiet: bool) -> None:
    """Vary the provider's spend per segment: its best spend, and what the commissioner gets there."""
    from ..outputs.study_report import write_incentive_outputs
    from ..outputs.study_text import format_incentives
    from ..studies.designs import variants
    from ..studies.incentives import incentives as run_incentives
    from ..studies.incentives import provider

    multipliers = parse_multipliers(spend_spec)
    designs = variants([scenario], stresses=stresses, sets=sets)
    for d in designs:
        provider(d.scenario(), party)
    with new_result(out_dir, force=force, kind="incentives") as stage:
        with compiling(designs[0].scenario()), CountBar(unit="point", desc="incentives", quiet=quiet) as bar:
            result = run_incentives(designs, multipliers=multipliers, party=party, sims=sims, seed=seed, progress=bar)
        written = final_paths(result.save(stage, force=True) + write_incentive_outputs(result, stage,
                                                                                          report=want_report),
                              stage, out_dir)
    say(f"{len(designs)} design(s), {party}'s spend per case at {len(result.table['multiplier'].dropna().unique())} "
               f"levels, {sims:,} simulations per level, seed {seed} at every level")
    say(format_incentives(result))
    say(f"\nwrote {', '.join(str(p) for p in written)}")
