"""A result is one unit: replaced whole, every file of one run, and checked by every reader.

``run --force`` without ``--xlsx`` leaves no workbook of the previous run; a damaged or mixed
result folder (a 0-byte sims.npz, a missing array, arrays of the wrong shape, a summary of
another run, a file changed after the run) gives ``show``, ``report`` and ``plot`` one line
naming the file, and they create nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zipfile

import numpy as np
import pytest

from simulator import Results

from .conftest import ANALYTIC_SCENARIO
from .resultstate import canonical, invoke, snapshot, strays

RUN = ("run", ANALYTIC_SCENARIO, "--sims", 120, "--quiet")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    base = tmp_path_factory.mktemp("saved")
    assert invoke(*RUN, "--seed", 7, "--out", base / "a").exit_code == 0
    assert invoke(*RUN, "--seed", 9, "--out", base / "b").exit_code == 0
    return base


def test_run_force_replaces_the_whole_result(tmp_path):
    out = tmp_path / "R"
    assert invoke(*RUN, "--seed", 7, "--out", out, "--xlsx").exit_code == 0
    assert (out / "results.xlsx").exists()
    assert invoke(*RUN, "--seed", 8, "--out", out, "--force").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "scenario.toml", "sims.npz", "summary.json"]
    assert strays(out) == []


def test_every_file_carries_the_run_id(saved):
    out = saved / "a"
    run_id = json.loads((out / "manifest.json").read_text())["run_id"]
    assert json.loads((out / "summary.json").read_text())["provenance"]["run_id"] == run_id
    with np.load(out / "sims.npz") as z:
        assert json.loads(str(z["provenance_json"]))["run_id"] == run_id
    assert Results.load(out).run_id == run_id
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"summary.json", "sims.npz", "scenario.toml"} and manifest["kind"] == "run"
    assert set(manifest["files"]["summary.json"]) == {"bytes", "sha256"}
    assert set(manifest["files"]["sims.npz"]) == {"bytes", "zip_crc32_digest"}  # its arrays' CRC-32s, not its bytes


def test_another_runs_sims_npz_of_the_same_size_is_caught_by_the_manifest(tmp_path, saved):
    """The digest of sims.npz's arrays' CRC-32s (read from the zip's directory) differs between runs."""
    from simulator.errors import OutputError
    from simulator.folders.manifest import read_manifest, verify_files

    folder = tmp_path / "R"
    shutil.copytree(saved / "a", folder)
    assert (saved / "b" / "sims.npz").stat().st_size == (folder / "sims.npz").stat().st_size
    shutil.copy(saved / "b" / "sims.npz", folder)
    with pytest.raises(OutputError, match="sims.npz: its content does not match the result's manifest"):
        verify_files(folder, read_manifest(folder))


def _rewrite_npz(path, change):
    with np.load(path) as z:
        data = {k: z[k] for k in z.files}
    change(data)
    with open(path, "wb") as f:
        np.savez(f, **data)


def _damage_zip_directory(path):
    """The first entry of the zip's directory asks for a version of the format zipfile cannot read."""
    raw = bytearray(path.read_bytes())
    raw[raw.find(b"PK\x01\x02") + 6] ^= 0xFF
    path.write_bytes(bytes(raw))


def _mark_encrypted(path):
    """The first entry of the zip's directory says its member is encrypted (zipfile then asks for a password)."""
    raw = bytearray(path.read_bytes())
    raw[raw.find(b"PK\x01\x02") + 8] |= 0x1
    path.write_bytes(bytes(raw))


def _damage_deflated(path):
    """The first block of a deflated (constant) array's stream gets the reserved block type: zlib refuses it."""
    with zipfile.ZipFile(path) as zf:
        info = next(i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED)
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    raw[info.header_offset + 30 + name_len + extra_len] |= 0x06
    path.write_bytes(bytes(raw))


DAMAGE = {
    "0-byte sims.npz": (lambda d, other: (d / "sims.npz").write_bytes(b""), "sims.npz"),
    "truncated sims.npz": (lambda d, other: (d / "sims.npz").write_bytes((d / "sims.npz").read_bytes()[:5000]),
                           "sims.npz"),
    "summary of another run": (lambda d, other: shutil.copy(other / "summary.json", d), "summary.json"),
    "scenario copy edited": (lambda d, other: (d / "scenario.toml").write_text("# edited\n"), "scenario.toml"),
    "a listed file missing": (lambda d, other: (d / "summary.json").unlink(), "summary.json"),
    "sims.npz of another run": (lambda d, other: shutil.copy(other / "sims.npz", d), "sims.npz"),
    "damaged manifest": (lambda d, other: (d / "manifest.json").write_text("{"), "manifest.json"),
    "sims.npz's zip directory damaged": (lambda d, other: _damage_zip_directory(d / "sims.npz"), "sims.npz"),
    "a member of sims.npz marked encrypted": (lambda d, other: _mark_encrypted(d / "sims.npz"), "sims.npz"),
    "a deflated array of sims.npz damaged": (lambda d, other: _damage_deflated(d / "sims.npz"), "sims.npz"),
}
# the same faults in a folder of pbrsim 0.1.0, which had no manifest: sims.npz itself is checked
LEGACY = {
    "0-byte sims.npz": (lambda d, other: (d / "sims.npz").write_bytes(b""), "sims.npz"),
    "missing array": (lambda d, other: _rewrite_npz(d / "sims.npz", lambda a: a.pop("npv")), "sims.npz"),
    "arrays of mismatched shape": (lambda d, other: _rewrite_npz(
        d / "sims.npz", lambda a: a.update(peak_funding=a["peak_funding"][:-3])), "sims.npz"),
    "wrong number of parties": (lambda d, other: _rewrite_npz(
        d / "sims.npz", lambda a: a.update(party_names=a["party_names"][:1])), "sims.npz"),
    "summary of another run": (lambda d, other: shutil.copy(other / "summary.json", d), "summary.json"),
    "sims.npz of another run": (lambda d, other: shutil.copy(other / "sims.npz", d), "summary.json"),
    "sims.npz's zip directory damaged": (lambda d, other: _damage_zip_directory(d / "sims.npz"), "sims.npz"),
    "a member of sims.npz marked encrypted": (lambda d, other: _mark_encrypted(d / "sims.npz"), "sims.npz"),
    "a deflated array of sims.npz damaged": (lambda d, other: _damage_deflated(d / "sims.npz"), "sims.npz"),
}


@pytest.mark.parametrize("legacy, case", [(False, c) for c in DAMAGE] + [(True, c) for c in LEGACY])
def test_readers_refuse_damaged_or_mixed_results_in_one_line(tmp_path, saved, legacy, case):
    damage, named = (LEGACY if legacy else DAMAGE)[case]
    folder = tmp_path / "R"
    shutil.copytree(saved / "a", folder)
    if legacy:
        (folder / "manifest.json").unlink()
    damage(folder, saved / "b")
    before = snapshot(folder)
    for command in (["show", folder], ["report", folder], ["plot", folder]):
        result = invoke(*command)
        assert result.exit_code == 2, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pbrsim: error: ") and "Traceback" not in result.output
        assert named in lines[0], (command, lines[0])
    assert snapshot(folder) == before  # nothing created, nothing changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]


def test_a_result_of_pbrsim_0_1_0_without_manifest_still_reads(tmp_path, saved):
    folder = tmp_path / "R"
    shutil.copytree(saved / "a", folder)
    (folder / "manifest.json").unlink()
    assert Results.load(folder).seed == 7
    assert invoke("show", folder).exit_code == 0


def test_a_sweep_folder_is_not_read_as_a_run(tmp_path):
    out = tmp_path / "s"
    assert invoke("sweep", ANALYTIC_SCENARIO, "--vary", "volume.factor_mean=1", "--sims", 20, "--out", out,
                  "--quiet", "--plot", "none").exit_code == 0
    result = invoke("show", out)
    assert result.exit_code == 2 and "holds a sweep result" in result.output


def test_exchange_swaps_two_folders(tmp_path):
    from simulator.folders.exchange import ExchangeUnsupported, exchange

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "y").write_text("b")
    try:
        exchange(a, b)
    except ExchangeUnsupported:
        pytest.skip("this system or filesystem cannot exchange folders (the two-rename fallback is used)")
    assert (a / "y").read_text() == "b" and (b / "x").read_text() == "a"


def test_without_exchange_results_are_replaced_by_two_renames(tmp_path, saved, monkeypatch):
    from simulator.folders.exchange import RENAME_EXCHANGE, ExchangeUnsupported

    def unsupported(a, b):
        raise ExchangeUnsupported(22, "no exchange here")

    monkeypatch.setattr("simulator.folders.unit.exchange", unsupported)
    out = tmp_path / "R"
    shutil.copytree(saved / "a", out)
    assert invoke(*RUN, "--seed", 9, "--out", out, "--force").exit_code == 0
    assert canonical(out) == canonical(saved / "b") and strays(out) == []
    assert RENAME_EXCHANGE == 2


def test_recovery_puts_back_a_result_renamed_away_and_clears_leftovers(tmp_path, saved):
    from simulator.folders.unit import recover

    out = tmp_path / "R"
    old = tmp_path / ".R.pbrsim-old-0123456789ab"
    stage = tmp_path / ".R.pbrsim-stage-0123456789ab"
    shutil.copytree(saved / "a", old)
    shutil.copytree(saved / "b", stage)
    recover(out)
    assert canonical(out) == canonical(saved / "a")
    assert sorted(os.listdir(tmp_path)) == ["R"]


def test_study_commands_write_one_unit_and_follow_the_same_rules(tmp_path):
    out = tmp_path / "c"
    args = ("compare", ANALYTIC_SCENARIO, "--stress", "zero_effect", "--sims", 40, "--quiet", "--out", out)
    done = invoke(*args)
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and "compare.csv" in manifest["files"] and strays(out) == []
    before = snapshot(out)
    again = invoke(*args)
    assert again.exit_code == 2 and "--force" in again.output and snapshot(out) == before
    for bad in (["--seed", 2**64], ["--out", ""]):
        refused = invoke(*args[:-2], *bad)
        assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output


@pytest.mark.parametrize("command", [["power"], ["compare", "--stress", "zero_effect"], ["incentives"],
                                     ["sensitivity", "--party", "prime"]])
def test_every_study_command_takes_seeds_and_folders_by_the_same_rules(tmp_path, command):
    for bad in (["--seed", 2**63], ["--out", ""]):
        refused = invoke(command[0], ANALYTIC_SCENARIO, *command[1:], "--sims", 10, *bad)
        assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output
        assert refused.output.startswith("pbrsim: error: ") and ("--seed" in refused.output or "--out" in refused.output)
