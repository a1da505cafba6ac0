"""Shared fixtures: scenario dicts with known answers, built from the shipped files."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from simulator import scenario_from_dict, simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DEFAULT_SCENARIO = SCENARIOS / "tr_crc_default.toml"
ANALYTIC_SCENARIO = SCENARIOS / "analytic" / "binomial_no_effect.toml"


def raw_scenario(path: Path) -> dict:
    return tomllib.loads(path.read_text())


def set_key(raw: dict, path: str, value) -> dict:
    """A copy of ``raw`` with ``a.b.0.c`` set to ``value`` (test helper, no validation)."""
    out = copy.deepcopy(raw)
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def run(raw: dict, sims: int = 200, seed: int = 1, **kw):
    return simulate(scenario_from_dict(raw), sims=sims, seed=seed, **kw)


@pytest.fixture
def analytic_raw() -> dict:
    return raw_scenario(ANALYTIC_SCENARIO)


@pytest.fixture
def default_raw() -> dict:
    return raw_scenario(DEFAULT_SCENARIO)
