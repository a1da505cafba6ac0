"""Atomic file writes: a reader sees the old file or the new one, never half of either.

The ground floor of the package: any layer that writes a file (checkpoints, results,
studies, outputs) goes through :func:`atomic_write`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .direct_io import open_direct


def atomic_write(path: Path, write, *, durable: bool = True, direct: bool = False) -> Path:
    """Write via a temporary file in the same folder, then rename: never a half-written file.

    ``durable``: flush the file to the disk (fsync) before the rename, so that it survives a
    power cut too; a process killed at any point leaves the old file or the new one either
    way. Resume checkpoints pass False: a chunk damaged by a power cut is detected when it
    is read (its run key, its shapes and the zip's CRCs) and simulated again.
    ``direct``: write past the page cache where the file system allows it (large files: see
    :mod:`simulator.direct_io`); ``write`` then gets an unseekable file where the file system
    takes ``O_DIRECT``, a plain one elsewhere.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open_direct(fd) if direct else os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:  # name the file (a writer given a file object raises without one)
        Path(tmp).unlink(missing_ok=True)
        if exc.filename is None and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
