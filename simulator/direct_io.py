"""Large files past the page cache (``O_DIRECT``): a run's ``sims.npz`` and its resume checkpoints, written and read.

``sims.npz`` (296 MB for a national run) must reach the disk anyway: it is flushed
there (fsync) before it becomes part of the result. Written the usual way, every byte first
goes into the kernel's page cache, in memory the kernel must find and map first: on this
machine (a VM that hands freed memory back to its host) 300 MB written and flushed took 0.85 s
that way, against 0.25 s with ``O_DIRECT`` from memory the process already holds
(``benchmarks/fresh_memory.py``, medians of 4).
``O_DIRECT`` wants whole blocks from aligned memory at aligned offsets, so :class:`DirectFile`
copies what it is given into one aligned buffer and writes it out a buffer at a time; the
last, partial block is padded and the file then cut to its length. A file system without
``O_DIRECT`` gets a plain file.

Resume checkpoints are written this way too while the disk keeps up with the simulation
(see :mod:`simulator.engine.checkpoint`): through the page cache their 650 MB cost a national
default run 0.4-0.5 s here. The price is the resume's: it reads its saved chunks from the
disk instead of the page cache (a national resume's 393 MB in 0.53-0.56 s against 0.13-0.16 s).
So a resume reads them with :class:`DirectReader`, on threads beside the simulation of the
chunks it lacks: the disk fills one aligned buffer a thread, which is copied into the run's
arrays, and the wait for the disk costs the cores nothing (read through the page cache, each
page would be fresh memory to map, 0.4 s of the kernel's time on the cores the kernels use).
"""

from __future__ import annotations

import errno
import io
import mmap
import os

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: no O_DIRECT, so no DirectFile either
    fcntl = None

BLOCK = 4096  # alignment of memory, offsets and lengths: a multiple of any disk's logical block
BUFFER = 8 << 20  # bytes gathered before each write
READ_BUFFER = 4 << 20  # bytes read from the disk at a time


def open_direct(fd: int):
    """A binary file writing the new, empty file open for writing in ``fd`` past the page cache: a
    :class:`DirectFile`, or a plain buffered file where the file system refuses ``O_DIRECT`` (EINVAL).
    The file takes ``fd`` over."""
    return _direct_or_plain(fd, DirectFile, "wb")


def open_direct_read(path):
    """A seekable binary file reading ``path`` past the page cache: a :class:`DirectReader`, or a plain buffered
    file where the file system refuses ``O_DIRECT`` (EINVAL)."""
    return _direct_or_plain(os.open(path, os.O_RDONLY), DirectReader, "rb")


def _direct_or_plain(fd: int, direct, mode: str):
    """``direct(fd)`` with ``O_DIRECT`` set on ``fd``, or a plain file of ``mode`` where that is refused (EINVAL, or
    a system without it); the file takes ``fd`` over, closed on any other error."""
    try:
        if hasattr(os, "O_DIRECT") and fcntl is not None:
            try:
                _set_direct(fd, True)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
            else:
                return direct(fd)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise


def _set_direct(fd: int, on: bool) -> None:
    """Turn ``O_DIRECT`` on or off for an open descriptor (EINVAL where the file system has none)."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_DIRECT if on else flags & ~os.O_DIRECT)


class _Direct(io.RawIOBase):
    """A file over an ``O_DIRECT`` descriptor with one aligned buffer (``size`` bytes, a multiple of BLOCK)."""

    def __init__(self, fd: int, buffer: int):
        self.fd = -1  # not owned yet: closing this file closes nothing until the buffer is made
        super().__init__()
        if buffer <= 0 or buffer % BLOCK:
            raise ValueError(f"the buffer must be a positive multiple of {BLOCK} bytes (got {buffer})")
        self.size = buffer
        self.buffer = mmap.mmap(-1, buffer)  # page-aligned
        self.view = memoryview(self.buffer)
        self.array = np.frombuffer(self.buffer, np.uint8)  # numpy copies in and out of it without holding the GIL
        self.direct = True  # False once the file system refused a direct read or write
        self.fd = fd  # owned from here on (before, a failure leaves it to the caller to close)

    def fileno(self) -> int:
        return self.fd

    def _transfer(self, io_call) -> int:
        """``io_call()``: a read or write of whole blocks. A file system that took ``O_DIRECT`` but refuses them
        (EINVAL: a block larger than BLOCK, some network and FUSE file systems) gets them, and the rest, through
        the page cache instead."""
        while True:
            try:
                return io_call()
            except OSError as exc:
                if exc.errno != errno.EINVAL or not self.direct:
                    raise
                self.direct = False
                _set_direct(self.fd, False)

    def _release(self) -> None:
        """Close the descriptor and free the buffer (once: a second call does nothing)."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)
            del self.array
            self.view.release()
            self.buffer.close()


class DirectFile(_Direct):
    """A write-only, unseekable file over an ``O_DIRECT`` descriptor of a new, empty file (a zip written to it
    carries each member's sizes and CRC after the member, as for a pipe). Whole buffers are written as they
    fill; :meth:`flush` writes the partial one padded to a block and cuts the file to its length (later bytes
    rewrite that buffer from its start)."""

    def __init__(self, fd: int, buffer: int = BUFFER):
        """``buffer``: bytes gathered before each write, a multiple of :data:`BLOCK`."""
        super().__init__(fd, buffer)
        self.filled = 0  # bytes in the buffer, which starts at file offset ``written``
        self.written = 0  # bytes on disk before the buffer's (whole buffers)
        self.on_disk = 0  # bytes on disk, the buffer's included

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.written + self.filled

    def write(self, data) -> int:
        data = np.frombuffer(memoryview(data).cast("B"), np.uint8)
        done = 0
        while done < len(data):
            n = min(len(data) - done, self.size - self.filled)
            self.array[self.filled:self.filled + n] = data[done:done + n]
            self.filled += n
            done += n
            if self.filled == self.size:
                self._put(self.size)
                self.written += self.size
                self.filled = 0
        return done

    def flush(self) -> None:
        """Put every byte so far on disk (the file then has its length, a partial block padded and cut); nothing
        to do when nothing came since the last flush."""
        if self.closed or self.written + self.filled == self.on_disk:
            return
        padded = -(-self.filled // BLOCK) * BLOCK
        self.array[self.filled:padded] = 0
        self._put(padded)
        os.ftruncate(self.fd, self.written + self.filled)
        self.on_disk = self.written + self.filled

    def _put(self, length: int) -> None:
        """Write the buffer's first ``length`` bytes (a multiple of BLOCK) at its place in the file."""
        sent = 0
        while sent < length:
            n = self._transfer(lambda at=sent: self._pwrite(at, length))
            if n <= 0:
                raise OSError(errno.EIO, "the file system wrote nothing")
            sent += n
        self.on_disk = self.written + length

    def _pwrite(self, sent: int, length: int) -> int:
        with self.view[sent:length] as part:  # released even when the write fails
            return os.pwrite(self.fd, part, self.written + sent)

    def close(self) -> None:
        if self.closed:
            return
        if self.fd < 0:  # never made whole (its buffer could not be made)
            super().close()
            return
        try:
            self.flush()
        finally:
            self.filled, self.on_disk = 0, self.written  # IOBase.close flushes again: nothing left to write
            self._release()
            super().close()


class DirectReader(_Direct):
    """A read-only, seekable file over an ``O_DIRECT`` descriptor: whole aligned blocks are read into one aligned
    buffer (a window on the file) and copied out from there, so no page of the page cache is taken."""

    def __init__(self, fd: int, buffer: int = READ_BUFFER):
        """``buffer``: bytes read from the disk at a time, a multiple of :data:`BLOCK`."""
        super().__init__(fd, buffer)
        self.start = self.end = 0  # the file's bytes start:end are in the buffer
        self.pos = 0
        self.length = os.fstat(fd).st_size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence ({whence})")
        if base + offset < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self.pos = base + offset
        return self.pos

    def read(self, size: int | None = -1) -> bytes:
        return super().read(-1 if size is None else size)

    def readinto(self, b) -> int:
        out = np.frombuffer(memoryview(b).cast("B"), np.uint8)
        done = 0
        while done < len(out) and self.pos < self.length:
            if not self.start <= self.pos < self.end:
                self.start = self.pos - self.pos % BLOCK
                self.end = self.start + self._transfer(lambda: os.preadv(self.fd, [self.view], self.start))
                if not self.start <= self.pos < self.end:
                    break
            n = min(len(out) - done, self.end - self.pos)
            at = self.pos - self.start
            out[done:done + n] = self.array[at:at + n]
            done += n
            self.pos += n
        return done

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._release()
        finally:
            super().close()
