"""The line pbrsim run prints before a long compile: only when the kernels are not in numba's cache."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import simulator.engine.compiled as compiled
from simulator import load_scenario, simulate
from simulator.cli import main

from .conftest import ANALYTIC_SCENARIO, ROOT

INCENTIVES = ROOT / "scenarios" / "incentives_tr.toml"


def _run(out):
    return CliRunner().invoke(main, ["run", str(ANALYTIC_SCENARIO), "--sims", "64", "--quiet", "--out", str(out)])


def test_the_line_shows_only_when_the_kernels_are_not_cached(tmp_path, monkeypatch):
    simulate(load_scenario(ANALYTIC_SCENARIO), sims=64, seed=1, monthly_stats=True)  # the run's kernels are cached now
    assert compiled.is_compiled("plain", monthly=True)
    quiet = _run(tmp_path / "a")
    assert quiet.exit_code == 0 and "compiling" not in quiet.output
    monkeypatch.setattr(compiled, "cache_folder", lambda: tmp_path / "empty-cache")
    assert not compiled.is_compiled()
    told = _run(tmp_path / "b")
    assert told.exit_code == 0 and "compiling the simulation engine" in told.output and "first run only" in told.output


STUDIES = [
    ["power", ANALYTIC_SCENARIO, "--sims", 40, "--effects", "0,2"],
    ["compare", ANALYTIC_SCENARIO, "--stress", "zero_effect", "--sims", 40],
    ["incentives", INCENTIVES, "--spend", "0.8,1", "--sims", 40],
    ["sensitivity", ANALYTIC_SCENARIO, "--party", "prime", "--sims", 40, "--samples", 0],
    ["sweep", ANALYTIC_SCENARIO, "--vary", "payment.fee_for_service.rate_gbp=3000,4000", "--sims", 40],
    ["breakeven", ANALYTIC_SCENARIO, "--solve", "payment.fee_for_service.rate_gbp", "--target", "prime.prob_loss<=0.5",
     "--range", "1000:9000", "--grid", 2, "--sims", 40],
]


@pytest.mark.parametrize("args", STUDIES, ids=[a[0] for a in STUDIES])
def test_every_study_says_it_compiles_and_compiles_beside_itself(tmp_path, monkeypatch, args):
    """On a first run a study prints the line and starts the side process for its scenario (here: recorded)."""
    import simulator.engine.side_compile as side

    started = []
    monkeypatch.setattr(compiled, "is_compiled", lambda *kind, **monthly: False)
    monkeypatch.setattr(side, "start_beside", lambda scenario, monthly: started.append((scenario.name, monthly)))
    out = [] if args[0] == "breakeven" else ["--out", str(tmp_path / "out")]
    done = CliRunner().invoke(main, [str(a) for a in args] + out + (["--quiet"] if args[0] != "breakeven" else []))
    assert done.exit_code == 0, done.output
    assert done.output.count("compiling the simulation engine") == 1
    assert started == [(load_scenario(args[1]).name, False)]


def test_record_says_it_compiles(monkeypatch):
    from .test_record import RECORD

    monkeypatch.setattr(compiled, "is_compiled", lambda *kind, **monthly: False)
    done = CliRunner().invoke(main, ["record", str(RECORD), "--case", "tr_significance_trigger", "--quiet"])
    assert "compiling the simulation engine" in done.output


def test_each_kernel_variant_counts_as_compiled_on_its_own(tmp_path, monkeypatch):
    """A cache holding the plain kernels does not make a scenario with outcome tables (a ladder) 'compiled'."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setattr(compiled, "cache_folder", lambda: folder)
    monkeypatch.setattr(compiled, "_marked", set())
    assert not compiled.is_compiled()
    (folder / (compiled.MAIN_KERNEL + "190.py311.nbi")).touch()
    assert compiled.is_compiled() and not compiled.is_compiled("plain") and not compiled.is_compiled("designs")
    compiled.mark_compiled("plain")
    assert compiled.is_compiled("plain") and not compiled.is_compiled("designs")


def test_a_finished_run_marks_its_variant():
    ladder = load_scenario(ROOT / "scenarios" / "nyc_able_ladder.toml")
    simulate(ladder, sims=64, seed=1)
    simulate(load_scenario(ANALYTIC_SCENARIO), sims=64, seed=1)
    assert compiled.is_compiled("designs") and compiled.is_compiled("plain")
    simulate(load_scenario(ANALYTIC_SCENARIO), sims=64, seed=1, monthly_stats=True)
    assert compiled.is_compiled("plain", monthly=True)


def _cache_with(folder, *markers):
    """A cache folder holding the simulation kernel and the given markers (nothing else)."""
    folder.mkdir()
    (folder / (compiled.MAIN_KERNEL + "190.py311.nbi")).touch()
    for name in markers:
        (folder / (compiled.MARKER + name)).touch()
    return folder


def test_the_monthly_statistics_kernels_count_on_their_own(tmp_path, monkeypatch):
    folder = _cache_with(tmp_path / "cache")
    monkeypatch.setattr(compiled, "cache_folder", lambda: folder)
    monkeypatch.setattr(compiled, "_marked", set())
    compiled.mark_compiled("plain")
    assert compiled.is_compiled("plain") and not compiled.is_compiled("plain", monthly=True)
    compiled.mark_compiled("plain", monthly=True)
    assert compiled.is_compiled("plain", monthly=True) and not compiled.is_compiled("designs", monthly=True)


def test_a_default_run_after_no_monthly_runs_says_it_compiles_the_statistics(tmp_path, monkeypatch):
    """After runs with --no-monthly only, the monthly kernels are not cached: a default run says so; a --no-monthly
    run says nothing. No side process for them alone: the run needs them at its first piece, so one gained
    nothing (the default scenario after a --no-monthly run on a fresh cache: 4.34 and 4.36 s with one, 4.34
    and 4.44 s without)."""
    import simulator.engine.first_run as first
    import simulator.engine.side_compile as side

    folder = _cache_with(tmp_path / "cache", "plain")
    monkeypatch.setattr(compiled, "cache_folder", lambda: folder)
    monkeypatch.setattr(compiled, "_marked", {"plain", compiled.MONTHLY})  # this run does not mark the fake folder
    monkeypatch.setattr(first, "_seen", set())
    started = []
    monkeypatch.setattr(side, "start_beside", lambda scenario, monthly: started.append(monthly))
    args = ["run", str(ANALYTIC_SCENARIO), "--sims", "64", "--quiet", "--out"]
    plain = CliRunner().invoke(main, [*args, str(tmp_path / "a"), "--no-monthly"])
    assert plain.exit_code == 0 and "compiling" not in plain.output and started == []
    stats = CliRunner().invoke(main, [*args, str(tmp_path / "b")])
    assert stats.exit_code == 0, stats.output
    assert stats.output.count("compiling the monthly statistics") == 1 and "simulation engine" not in stats.output
    assert started == []


def test_a_run_that_simulated_nothing_here_marks_nothing(tmp_path, monkeypatch):
    """A resume whose every chunk is loaded from the checkpoint ran no simulation kernel (and no monthly fold):
    it must not mark them compiled (the chunks may come from another machine's run)."""
    from simulator.engine import run_checkpoint

    sc = load_scenario(ANALYTIC_SCENARIO)
    checkpoint = run_checkpoint(tmp_path / "partial", sc, sims=64, seed=5, keep_monthly=False, keep_components=False,
                                monthly_stats=True)
    checkpoint.start(resume=False)
    simulate(sc, sims=64, seed=5, monthly_stats=True, checkpoint=checkpoint)  # every chunk saved
    folder = _cache_with(tmp_path / "cache")
    monkeypatch.setattr(compiled, "cache_folder", lambda: folder)
    monkeypatch.setattr(compiled, "_marked", set())
    checkpoint.start(resume=True)
    simulate(sc, sims=64, seed=5, monthly_stats=True, checkpoint=checkpoint)
    assert not list(folder.glob(compiled.MARKER + "*")), "a run that only loaded chunks marked kernels compiled"
    simulate(sc, sims=64, seed=5, monthly_stats=True)  # the control: simulated here
    assert compiled.is_compiled("plain", monthly=True)
