"""A full disk during a run: one line, exit 2, the previous result intact, the checkpoint kept for --resume.

Tested twice: by injection (the writer raises ENOSPC, everywhere) and on a real small
filesystem (a tmpfs mounted in a private user and mount namespace, where the system allows
one; skipped with the reason elsewhere).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import simulator.outputs.workbook as workbook
import simulator.results.results as results_module
from simulator import load_scenario, simulate
from simulator.engine import BLOCK_SIZE, CHUNK_BLOCKS
from simulator.engine.checkpoint import Checkpoint

from .conftest import ANALYTIC_SCENARIO
from .resultstate import canonical, invoke, snapshot, strays, without_checkpoint

CHUNK = BLOCK_SIZE * CHUNK_BLOCKS
RUN = ("run", ANALYTIC_SCENARIO, "--sims", 3 * CHUNK, "--quiet")


def _no_space(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device", "somewhere/file")


@pytest.fixture
def old(tmp_path):
    out = tmp_path / "R"
    assert invoke(*RUN, "--seed", 7, "--out", out).exit_code == 0
    return out, snapshot(out)


def _one_clear_line(result):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pbrsim: error:") and "no space left" in lines[0], lines
    assert "Traceback" not in result.output


def test_disk_full_while_saving_a_chunk(tmp_path, old, monkeypatch):
    out, before = old
    saves = []
    real = Checkpoint.save

    def save(self, chunk, first_block):
        saves.append(first_block)
        if len(saves) == 3:
            _no_space()
        real(self, chunk, first_block)

    monkeypatch.setattr(Checkpoint, "save", save)
    _one_clear_line(invoke(*RUN, "--seed", 8, "--out", out, "--force"))
    assert without_checkpoint(snapshot(out)) == before
    assert len(list((out / ".partial").glob("chunk_*.npz"))) == 2
    monkeypatch.setattr(Checkpoint, "save", real)
    resumed = invoke(*RUN, "--seed", 8, "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert invoke(*RUN, "--seed", 8, "--out", tmp_path / "clean").exit_code == 0
    assert canonical(out) == canonical(tmp_path / "clean") and strays(out) == []


@pytest.mark.parametrize("where", ["sims.npz", "results.xlsx"])
def test_disk_full_while_writing_the_result(tmp_path, old, monkeypatch, where):
    out, before = old
    if where == "sims.npz":
        monkeypatch.setattr(results_module, "write_sims", _no_space)
    else:
        monkeypatch.setattr(workbook, "atomic_write", _no_space)
    _one_clear_line(invoke(*RUN, "--seed", 8, "--out", out, "--force", "--xlsx"))
    assert without_checkpoint(snapshot(out)) == before  # nothing of the new run beside the old result
    assert len(list((out / ".partial").glob("chunk_*.npz"))) == 3
    assert not [p for p in tmp_path.iterdir() if "pbrsim-stage" in p.name]
    monkeypatch.undo()
    resumed = invoke(*RUN, "--seed", 8, "--out", out, "--resume", "--xlsx")
    assert resumed.exit_code == 0, resumed.output
    assert (out / "results.xlsx").exists() and not (out / ".partial").exists()


DRIVER = textwrap.dedent("""
    import json, subprocess, sys
    mount, out, *run = sys.argv[1:]
    def sh(*cmd):
        subprocess.run(cmd, check=True)
    def pbrsim(*args):
        p = subprocess.run([sys.executable, "-m", "simulator.cli", *run, *args], capture_output=True, text=True)
        return {"code": p.returncode, "out": p.stdout, "err": p.stderr}
    report = {}
    sh("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount)
    report["old"] = pbrsim("--sims", "200", "--seed", "7", "--out", out)
    report["full"] = pbrsim("--sims", "3072", "--seed", "8", "--out", out, "--force")
    report["after_full"] = subprocess.run(["find", mount, "-type", "f"], capture_output=True, text=True).stdout
    sh("mount", "-o", "remount,size=64m", mount)
    report["resumed"] = pbrsim("--sims", "3072", "--seed", "8", "--out", out, "--resume")
    report["summary"] = open(out + "/summary.json").read()
    report["left"] = subprocess.run(["find", mount], capture_output=True, text=True).stdout
    print(json.dumps(report))
""")


def _namespace_prefix() -> list[str] | None:
    """A command prefix that runs a child in its own user and mount namespace, or None."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    return ["unshare", "--user", "--map-root-user", "--mount"] if probe.returncode == 0 else None


def test_disk_full_on_a_small_real_filesystem(tmp_path):
    prefix = _namespace_prefix()
    if prefix is None:
        pytest.skip("cannot mount a small filesystem here: no unprivileged user and mount namespaces (unshare)")
    mount = tmp_path / "small"
    mount.mkdir()
    out = mount / "R"
    proc = subprocess.run([*prefix, sys.executable, "-c", DRIVER, str(mount), str(out), "run", str(ANALYTIC_SCENARIO),
                           "--quiet", "--no-monthly"], capture_output=True, text=True, timeout=300,
                          cwd=os.getcwd())
    if proc.returncode != 0 and "mount" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {proc.stderr.strip()[-200:]}")
    report = json.loads(proc.stdout)
    assert report["old"]["code"] == 0, report["old"]
    full = report["full"]
    assert full["code"] == 2 and "no space left" in full["err"], full
    assert len(full["err"].strip().splitlines()) == 1 and "Traceback" not in full["err"]
    kept = report["after_full"].split()
    assert {f"{out}/summary.json", f"{out}/sims.npz", f"{out}/scenario.toml", f"{out}/manifest.json"} <= set(kept)
    assert any(".partial/chunk_" in f for f in kept), kept  # finished chunks kept for --resume
    assert report["resumed"]["code"] == 0, report["resumed"]
    clean = simulate(load_scenario(ANALYTIC_SCENARIO), sims=3072, seed=8, keep_monthly=False, keep_components=False)
    resumed = json.loads(report["summary"])
    assert resumed["parties"] == json.loads(json.dumps(clean.summary()["parties"]))
    assert resumed["seed"] == 8 and resumed["sims"] == 3072
    assert sorted(report["left"].split()) == sorted([str(mount), str(out), *(f"{out}/{name}" for name in (
        "summary.json", "sims.npz", "scenario.toml", "manifest.json"))])  # nothing stray once resumed
