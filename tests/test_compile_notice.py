"""The line pbrsim run prints before a long compile: only when the kernels are not in numba's cache."""

from __future__ import annotations

from click.testing import CliRunner

import simulator.engine.compiled as compiled
from simulator import load_scenario, simulate
from simulator.cli import main

from .conftest import ANALYTIC_SCENARIO


def _run(out):
    return CliRunner().invoke(main, ["run", str(ANALYTIC_SCENARIO), "--sims", "64", "--quiet", "--out", str(out)])


def test_the_line_shows_only_when_the_kernels_are_not_cached(tmp_path, monkeypatch):
    simulate(load_scenario(ANALYTIC_SCENARIO), sims=64, seed=1)  # the kernels are in this tree's cache now
    assert compiled.is_compiled()
    quiet = _run(tmp_path / "a")
    assert quiet.exit_code == 0 and "compiling" not in quiet.output
    monkeypatch.setattr(compiled, "cache_folder", lambda: tmp_path / "empty-cache")
    assert not compiled.is_compiled()
    told = _run(tmp_path / "b")
    assert told.exit_code == 0 and "compiling the simulation engine" in told.output and "first run only" in told.output
