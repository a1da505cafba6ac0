"""A study's files: CSV tables safe to open in a spreadsheet and a JSON record of its arguments.

Every file is written atomically; a folder that already holds a study's files is refused
unless ``force`` (a folder never mixes runs). Text cells that a spreadsheet would read as a
formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a leading ``'``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from .._version import __version__
from ..atomic import atomic_write
from ..results import check_output_dir
from ..safe_text import csv_cell as safe_cell


def csv_text(frame) -> bytes:
    """``frame`` as CSV, every text cell and header safe to open in a spreadsheet; numbers stay numbers.

    Columns are checked by whether they are numeric, not by ``dtype == object``: pandas 3
    keeps text in its own string dtype, which an object test misses.
    """
    from pandas.api.types import is_numeric_dtype

    safe = frame.rename(columns=safe_cell)
    for column in safe.columns:
        if not is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    return safe.to_csv(index=False).encode()


def write_csv(frame, path: Path) -> Path:
    """``frame`` as CSV (text cells made safe), written atomically."""
    text = csv_text(frame)
    return atomic_write(path, lambda f: f.write(text))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def write_json(record: dict, path: Path) -> Path:
    """A study's arguments and provenance as JSON (pbrsim version added), written atomically."""
    text = json.dumps(_jsonable({**record, "pbrsim_version": __version__}), indent=2, allow_nan=False)
    return atomic_write(path, lambda f: f.write(text.encode()))


def open_folder(out_dir: str | Path, files: Sequence[str], *, force: bool) -> Path:
    """Make ``out_dir`` ready for a study's ``files``; refuse to overwrite them unless ``force``."""
    out = Path(out_dir)
    check_output_dir(out, force=force, files=tuple(files))
    out.mkdir(parents=True, exist_ok=True)
    return out
