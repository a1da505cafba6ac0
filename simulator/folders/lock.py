"""One writer per output folder: an advisory ``flock`` held for the whole command.

The lock file sits beside the folder (``.NAME.pbrsim-lock`` in its parent), so it stays put
while the folder itself is swapped for a new one (see :mod:`.unit`). The kernel releases a
``flock`` when its holder dies, even by SIGKILL, so a crashed run never blocks the next one;
the file holds who has it (pid, host, start time, command) for the message a second writer
gets. The holder removes the file when it is done; a newcomer that locked a file removed
meanwhile notices (the path no longer names the file it holds) and tries again.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path

from ..errors import OutputError

ATTEMPTS = 20


def lock_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.pbrsim-lock"


class FolderLock:
    """An exclusive lock on ``folder`` (which need not exist yet); its parent must exist."""

    def __init__(self, folder: Path, *, shown: str | None = None, command: str | None = None):
        self.folder, self.path = folder, lock_path(folder)
        self.shown = shown or str(folder)
        self.command = command if command is not None else " ".join(["pbrsim", *sys.argv[1:]])
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        for _ in range(ATTEMPTS):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OutputError(f"{self.shown}: another pbrsim is writing here ({self.holder()}); "
                                      "wait for it to finish or choose another --out") from None
                raise
            if _same_file(fd, self.path):
                self.fd = fd
                self._write_holder()
                return self
            os.close(fd)  # the holder removed this file as we opened it: take the new one
        raise OutputError(f"{self.shown}: could not take the folder lock {self.path}")

    def _write_holder(self) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "command": self.command}
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, json.dumps(info).encode(), 0)
        except OSError:  # a full disk: the lock holds all the same, only the note is missing
            pass

    def holder(self) -> str:
        """Who holds the lock, as written in the lock file."""
        try:
            info = json.loads(self.path.read_text())
            return f"pid {info['pid']} on {info['host']}, started {info['started']}: {info['command']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "details not yet written"

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            if _same_file(self.fd, self.path):
                self.path.unlink()
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
