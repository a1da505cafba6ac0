"""Scenario files cite their sources in themselves: every [source: KEY] is listed in the file's header."""

import re

import pytest

from .conftest import SCENARIOS

FILES = sorted(SCENARIOS.glob("*.toml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sources_are_cited_in_the_file(path):
    text = path.read_text()
    assert "../" not in text and "shared/" not in text, "cite the source itself, not a file outside the repository"
    assert "[source]" not in text, "name the source: [source: KEY]"
    listed = set(re.findall(r"^#   ([A-Za-z0-9 ]+):\s", text, flags=re.M))
    cited = {key.strip() for key in re.findall(r"\[source: ([A-Za-z0-9 ]+?)[\]:]", text)} - {"KEY"}
    assert cited, "no [source: KEY] in the file"
    assert cited <= listed, f"cited but not listed in the header: {sorted(cited - listed)}"
