"""Loading a scenario in one pass: read TOML -> merge areas -> validate -> check stresses.

Each step lives in its own module and none calls back into this one, so the pass reads
top to bottom: :mod:`.merge`, :mod:`.validate`, :mod:`.stress`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tomllib
from collections.abc import Iterable
from pathlib import Path

from ..errors import ScenarioError
from .rawcheck import check_raw
from .schema import Scenario
from .stress import apply_stresses, check_user_stresses
from .validate import validate


def scenario_from_dict(raw: dict, *, source: str = "<memory>", sha256: str = "") -> Scenario:
    """Validate a plain dict (as parsed from TOML) into a :class:`Scenario`, stresses included."""
    check_raw(raw, source=source)
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


MAX_FILE_BYTES = 10 * 2**20  # a scenario is a few kB; the national one is 30 kB


def read_scenario_toml(path: str | Path) -> tuple[dict, str]:
    """The raw TOML table of a scenario file and its SHA-256 (for sweeps that edit keys)."""
    path = Path(path)
    blob = _read_regular_file(path)
    return parse_scenario_text(blob, source=str(path)), hashlib.sha256(blob).hexdigest()


def parse_scenario_text(blob: bytes | str, *, source: str) -> dict:
    """The raw table of scenario text (a file's bytes, or an upload), checked by :func:`check_raw`."""
    try:
        raw = tomllib.loads(blob.decode("utf-8") if isinstance(blob, bytes) else blob)
    except UnicodeDecodeError:
        raise ScenarioError(source, "", "is not UTF-8 text", has_value=False) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, "", f"is not valid TOML: {exc}", has_value=False) from None
    except RecursionError:
        raise ScenarioError(source, "", "nests tables or arrays too deeply to read", has_value=False) from None
    check_raw(raw, source=source)
    return raw


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``; a FIFO, device or folder is refused at once.

    Opened without blocking (a FIFO with no writer would otherwise wait for ever) and
    checked on the open descriptor, so the file cannot be swapped between check and read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "scenario file not found", has_value=False) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "is a folder, expected a .toml scenario file", has_value=False) from None
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot be read ({exc.strerror})", has_value=False) from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(str(path), "", "is a folder, expected a .toml scenario file", has_value=False)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(str(path), "", "is not a regular file (a pipe, device or socket); "
                                "expected a .toml scenario file", has_value=False)
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(str(path), "", f"is {info.st_size / 2**20:.0f} MB; a scenario file is at most "
                                f"{MAX_FILE_BYTES // 2**20} MB", has_value=False)
        try:
            blob = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ScenarioError(str(path), "", f"cannot be read ({exc.strerror})", has_value=False) from None
    if len(blob) > MAX_FILE_BYTES:
        raise ScenarioError(str(path), "", f"is larger than {MAX_FILE_BYTES // 2**20} MB", has_value=False)
    return blob
