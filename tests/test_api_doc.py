"""docs/api.md stays true: its Python examples run, in order, from the repository root."""

import re
from pathlib import Path

import matplotlib

ROOT = Path(__file__).resolve().parents[1]


def test_api_examples_run(monkeypatch, capsys):
    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/api.md[example {i}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert "small_charity" in out and "solved" in out
    assert namespace["answer"].status == "solved"
