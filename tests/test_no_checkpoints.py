"""``benchmarks/no_checkpoints.py``: the CLI with the resume checkpoints' saves left out (what start_fast.py
prints beside the national target). It must write no chunk and give the CLI's own result."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from .conftest import DEFAULT_SCENARIO, ROOT

CODE = textwrap.dedent("""
    import json, runpy, sys
    import simulator.engine.checkpoint as ck
    written, real = [], ck.atomic_write
    ck.atomic_write = lambda path, *a, **k: (written.append(path.name), real(path, *a, **k))[1]
    sys.argv = ["no_checkpoints.py", *sys.argv[1:]]
    try:
        runpy.run_path("benchmarks/no_checkpoints.py", run_name="__main__")
    except SystemExit as exc:
        print(json.dumps({"code": exc.code, "written": written}))
""")


def test_no_chunk_is_written_and_the_result_is_the_clis(tmp_path):
    args = ["run", str(DEFAULT_SCENARIO), "--sims", "3072", "--seed", "4", "--quiet"]
    out = subprocess.run([sys.executable, "-c", CODE, *args, "--out", str(tmp_path / "a")], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert "manifest.json" in report["written"]  # the checkpoint was started through the patched writer...
    assert not [name for name in report["written"] if name.startswith("chunk_")]  # ...and saved no chunk
    cli = subprocess.run([sys.executable, "-m", "simulator.cli", *args, "--out", str(tmp_path / "b")], cwd=ROOT,
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    a, b = (json.loads((tmp_path / x / "summary.json").read_text()) for x in "ab")
    assert a["parties"] == b["parties"] and a["commissioner"] == b["commissioner"]
