"""Loading a scenario in one pass: read TOML -> merge areas -> validate -> check stresses.

Each step lives in its own module and none calls back into this one, so the pass reads
top to bottom: :mod:`.merge`, :mod:`.validate`, :mod:`.stress`.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from pathlib import Path

from ..errors import ScenarioError
from .schema import Scenario
from .stress import apply_stresses, check_user_stresses
from .validate import validate


def scenario_from_dict(raw: dict, *, source: str = "<memory>", sha256: str = "") -> Scenario:
    """Validate a plain dict (as parsed from TOML) into a :class:`Scenario`, stresses included."""
    scenario = validate(raw, source=source, sha256=sha256)
    if scenario.stress:
        check_user_stresses(raw, source=source)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file; raise :class:`ScenarioError` on any problem."""
    raw, sha = read_scenario_toml(path)
    return scenario_from_dict(raw, source=str(path), sha256=sha)


def load_stressed(path: str | Path, names: Iterable[str] = ()) -> tuple[Scenario, dict]:
    """Read a scenario file, apply the named stresses and validate: (scenario, stressed raw table)."""
    raw, sha = read_scenario_toml(path)
    scenario_from_dict(raw, source=str(path), sha256=sha)
    stressed = apply_stresses(raw, names, source=str(path))
    return scenario_from_dict(stressed, source=str(path), sha256=sha), stressed


def read_scenario_toml(path: str | Path) -> tuple[dict, str]:
    """The raw TOML table of a scenario file and its SHA-256 (for sweeps that edit keys)."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "scenario file not found", has_value=False) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "is a folder, expected a .toml scenario file", has_value=False) from None
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot be read ({exc.strerror})", has_value=False) from None
    try:
        return tomllib.loads(blob.decode("utf-8")), hashlib.sha256(blob).hexdigest()
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "", "is not UTF-8 text", has_value=False) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"is not valid TOML: {exc}", has_value=False) from None
