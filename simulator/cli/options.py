"""Options shared by commands: ``--set KEY=VALUE``, the run header, and what Ctrl-C says.

``--set`` changes the scenario by key path before any stress is applied (a stress then
shocks the scenario as set); the scenario's name records both, so every output says what
was run.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from ..safe_text import terminal_text
from ..scenario import Scenario, scenario_from_dict
from ..scenario.keypaths import apply_overrides
from ..scenario.loading import read_scenario_toml
from ..scenario.stress import apply_stresses
from ..studies.grid import parse_assignment

SET_HELP = ("Change one scenario value by key path before the run (repeatable), e.g. "
            "--set supply_chain.subcontractors.small_charity.upfront_share=0.8; 'pbrsim validate' lists the paths.")


def parse_sets(items: Iterable[str]) -> dict[str, object]:
    """``['a.b=1', 'c=x']`` -> ``{'a.b': 1, 'c': 'x'}`` (values as TOML, a bare word as text)."""
    return dict(parse_assignment(item) for item in items)


def load_run_scenario(path: str | Path, sets: Sequence[str] = (), stresses: Sequence[str] = ()) -> tuple[Scenario, dict]:
    """Read, ``--set``, stress and validate a scenario file: (scenario, the raw table as run)."""
    raw, sha = read_scenario_toml(path)
    source = str(path)
    scenario_from_dict(raw, source=source, sha256=sha)
    changes = parse_sets(sets)
    if changes:
        raw = apply_overrides(raw, changes, source=f"{source} --set")
        scenario_from_dict(raw, source=f"{source} --set", sha256=sha)
        raw = dict(raw, name=f"{raw.get('name', 'scenario')} [set: {', '.join(sets)}]")
    raw = apply_stresses(raw, stresses, source=source)
    return scenario_from_dict(raw, source=source, sha256=sha), raw


def run_header(scenario: Scenario, *, sims: int, seed: int, what: str = "simulations") -> str:
    """The first line of a command's output: what ran, how many times, the seed and the mode."""
    return f"{scenario.name}: {sims:,} {what}, seed {seed}, {scenario.simulation.mode} mode"


def interrupted_message(kept: int, sims: int, out_dir: Path, argv: Sequence[str] | None = None) -> str:
    """What Ctrl-C leaves behind (``kept`` simulations saved) and the command that continues the run."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--resume" not in args:
        args.append("--resume")
    return (f"interrupted: {kept:,} of {sims:,} simulations are kept in {out_dir}; "
            f"continue with: {shlex.join(['pbrsim', *args])}")


def exit_interrupted(message: str) -> None:
    """Print the interrupt message and exit 130 (the shell's code for Ctrl-C)."""
    click.echo(terminal_text(f"\npbrsim: {message}"), err=True)
    sys.exit(130)
