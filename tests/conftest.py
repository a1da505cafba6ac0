"""Shared fixtures: scenario dicts with known answers, built from the shipped files."""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import settings

from simulator import scenario_from_dict, simulate

# In CI every property test draws the same examples each run (a fixed seed, as for the simulations): a red CI then
# means a change, not an unlucky draw. Elsewhere hypothesis explores afresh and keeps what failed in .hypothesis/.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

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


def runs_at_thread_counts(scenario, threads: int, **kw):
    """The same run at 1 thread and at ``threads`` threads (results to compare)."""
    runs = []
    for k in (1, threads):
        numba.set_num_threads(k)
        try:
            runs.append(simulate(scenario, **kw))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return runs


def assert_identical_and_conserved(runs) -> None:
    """Bit-identical arrays across runs, and receipts = commissioner payments month by month."""
    for key, value in runs[0].arrays.items():
        np.testing.assert_array_equal(value, runs[1].arrays[key], err_msg=key)
    a = runs[0].arrays
    receipts = (a["monthly_fee"] + a["monthly_pbr"]).sum(axis=1)
    np.testing.assert_allclose(receipts, a["commissioner_paid"], rtol=0, atol=1e-6 * np.abs(a["commissioner_paid"]).max())


def takes_o_direct(folder: Path) -> bool:
    """Whether files in ``folder`` can be opened with O_DIRECT (where not, sims.npz goes through the page cache)."""
    if not hasattr(os, "O_DIRECT"):
        return False
    probe = folder / ".probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600))
        return True
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)
