"""``pbrsim power``: the chance of being paid against the true effect (luck or skill?)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PbrsimError
from ..folders import new_result
from .common import SEED, Folder, final_paths, main, say
from .compiling import compiling
from .progress import CountBar

DEFAULT_EFFECTS = {"binary": "0:5:11", "frequency": "0:0.2:11"}


def parse_effects(spec: str) -> tuple[float, ...]:
    """``'0:5:11'`` (LOW:HIGH:STEPS) or ``'0,1,2.5'`` -> increasing effects; one clear line otherwise."""
    from ..studies.grid import parse_range, parse_value

    values = parse_range(spec, f"--effects {spec}") if ":" in spec else tuple(parse_value(v) for v in spec.split(","))
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
        raise PbrsimError(f"--effects: '{spec}' must be numbers, LOW:HIGH:STEPS or V1,V2,...")
    values = tuple(float(v) for v in values)
    if len(values) < 2 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise PbrsimError(f"--effects: '{spec}' must give at least two values in increasing order")
    return values


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--effects", "effects_spec", metavar="LOW:HIGH:STEPS|V1,V2,...",
              help="True effects to simulate (default 0:5:11 points for binary, 0:0.2:11 for frequency).")
@click.option("--measure", type=click.Choice(["binary", "frequency"]), default="binary", show_default=True,
              help="Vary the binary effect (points) or the frequency effect (relative cut per reoffender).")
@click.option("--sims", default=2_000, show_default=True, type=click.IntRange(min=2), help="Simulations per effect.")
@click.option("--seed", default=7, show_default=True, type=SEED,
              help="Seed, the same at every effect (common random numbers; 0 to 2**63-1).")
@click.option("--stress", "stresses", multiple=True, metavar="NAME", help="Apply a stress preset first.")
@click.option("--out", "out_dir", default="power", show_default=True, type=Folder(),
              help="Folder for power.csv, power_parties.csv, power_needed.csv, power.json and the figures.")
@click.option("--report", "want_report", is_flag=True, help="Also write report.html with the study.")
@click.option("--force", is_flag=True, help="Overwrite a power study already in --out.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def power(scenario: Path, effects_spec: str | None, measure: str, sims: int, seed: int, stresses: tuple[str, ...],
          out_dir: Path, want_report: bool, force: bool, quiet: bool) -> None:
    """Chance a cohort is paid, deducted or in the dead band at each true effect; each party's risk."""
    from ..outputs.study_report import write_power_outputs
    from ..outputs.study_text import format_power
    from ..studies.designs import variants
    from ..studies.power import power as run_power

    effects = parse_effects(effects_spec or DEFAULT_EFFECTS[measure])
    design = variants([scenario], stresses=["+".join(stresses)] if stresses else ())[-1]
    with new_result(out_dir, force=force, kind="power") as stage:
        with compiling(design.scenario()), CountBar(unit="effect", desc="power", quiet=quiet) as bar:
            result = run_power(design, effects, sims=sims, seed=seed, measure=measure, progress=bar)
        written = final_paths(result.save(stage, force=True) + write_power_outputs(result, stage, report=want_report),
                              stage, out_dir)
    other = "frequency effect" if measure == "binary" else "binary effect"
    held = result.areas.iloc[0]["effect_frequency_relative" if measure == "binary" else "effect_binary_points"]
    say(f"{result.scenario}: power over the true {measure} effect, {sims:,} simulations per effect, seed {seed} "
               f"at every effect ({other} held at {held:g})")
    if result.theory_gaps:
        say(f"exact binomial theory of the binary measure; this scenario adds beyond it: "
                   f"{', '.join(result.theory_gaps)}")
    say(format_power(result))
    say(f"\nwrote {', '.join(str(p) for p in written)}")
