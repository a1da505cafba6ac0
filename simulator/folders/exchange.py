"""Swap two folders in one step: Linux ``renameat2(RENAME_EXCHANGE)``, called through ctypes.

After :func:`exchange` the first path names what the second held and the other way round;
no moment exists at which either path is missing or half of one. Where the call is not
available (another OS, an old kernel or C library, a filesystem without it) it raises
:class:`ExchangeUnsupported` and the caller falls back to two renames with a recovery rule
(see :mod:`.unit`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import sys
from functools import cache
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}


class ExchangeUnsupported(OSError):
    """This system or filesystem cannot exchange two paths atomically."""


@cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _call(a: bytes, b: bytes) -> int:
    libc = _libc()
    if libc is None:
        raise ExchangeUnsupported(errno.ENOSYS, "renameat2 is Linux only")
    if hasattr(libc, "renameat2"):
        return libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    number = _SYS_RENAMEAT2.get(os.uname().machine)
    if number is None:
        raise ExchangeUnsupported(errno.ENOSYS, "no renameat2 on this machine")
    return libc.syscall(number, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)


def exchange(a: Path, b: Path) -> None:
    """Atomically swap the entries ``a`` and ``b`` (both must exist, on one filesystem)."""
    if _call(os.fsencode(a), os.fsencode(b)) == 0:
        return
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        raise ExchangeUnsupported(err, f"cannot exchange folders here ({os.strerror(err)})")
    raise OSError(err, os.strerror(err), str(a))
