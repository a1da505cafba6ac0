"""Large files written and read past the page cache (O_DIRECT): the same bytes, the same zip, a plain file where
refused."""

from __future__ import annotations

import errno
import fcntl
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.atomic import atomic_write
from simulator.direct_io import BLOCK, DirectFile, DirectReader, open_direct, open_direct_read
from simulator.npz import Mismatch, load_into, savez

from .conftest import takes_o_direct


def _direct_file(path, buffer: int) -> DirectFile:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_DIRECT", 0), 0o600)
    return DirectFile(fd, buffer)


@pytest.fixture
def direct_folder(tmp_path):
    if not takes_o_direct(tmp_path):
        pytest.skip("this file system refuses O_DIRECT (open_direct then writes a plain file)")
    return tmp_path


# lengths both small and around whole blocks and buffers, so that one write often fills several buffers
lengths = st.one_of(st.integers(0, 70), st.integers(BLOCK - 3, 3 * BLOCK + 5))
writes = st.lists(st.tuples(lengths, st.booleans()), max_size=30)


@settings(max_examples=80, deadline=None)
@given(parts=writes, blocks=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_any_writes_and_flushes_give_the_bytes_written(tmp_path_factory, parts, blocks, seed):
    """Writes of any length, across block and buffer ends, with a flush anywhere: after each flush and at the
    end the file is exactly the bytes so far (a partial block padded, then cut, then rewritten)."""
    folder = tmp_path_factory.mktemp("d")
    if not takes_o_direct(folder):
        pytest.skip("this file system refuses O_DIRECT")
    path = folder / "f.bin"
    f = _direct_file(path, blocks * BLOCK)
    so_far = b""
    rng = np.random.default_rng(seed)
    for length, flush in parts:
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert f.write(data) == len(data)
        so_far += data
        assert f.tell() == len(so_far)
        if flush:
            f.flush()
            assert path.read_bytes() == so_far
    f.close()
    assert path.read_bytes() == so_far
    f.close()  # twice: nothing more happens


def test_an_npz_written_direct_reads_back_with_its_checks(direct_folder):
    """savez through atomic_write(direct=True): np.load and load_into (which checks sizes and CRC-32s) read the
    same arrays, and the file is on disk with its length when atomic_write returns."""
    rng = np.random.default_rng(3)
    arrays = {f"a{i}": rng.random(int(rng.integers(0, 400_000))) for i in range(8)}
    arrays |= {"zeros": np.zeros(5000), "text": np.array("run key"), "small": np.arange(7, dtype=np.int32)}
    path = atomic_write(direct_folder / "x.npz", lambda f: savez(f, **arrays), direct=True)
    with zipfile.ZipFile(path) as zf:  # written to an unseekable DirectFile: each member's sizes follow it
        assert all(info.flag_bits & 0x08 for info in zf.infolist())
    with np.load(path) as z:
        assert set(z.files) == set(arrays)
        for name, value in arrays.items():
            assert np.array_equal(z[name], value), name
    into = {name: np.zeros_like(value) for name, value in arrays.items() if value.ndim}
    with open(path, "rb") as f:
        load_into(f, into)
    for name, value in into.items():
        assert np.array_equal(value, arrays[name]), name
    assert not list(direct_folder.glob(".*tmp"))


def test_a_damaged_direct_npz_fails_its_crc_check(direct_folder):
    arrays = {"a": np.arange(100_000, dtype=float)}
    path = atomic_write(direct_folder / "x.npz", lambda f: savez(f, **arrays), direct=True)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with open(path, "rb") as f, pytest.raises(Mismatch, match="CRC-32"):
        load_into(f, {"a": np.zeros(100_000)})


def test_open_direct_uses_o_direct_where_the_file_system_has_it(direct_folder):
    path = direct_folder / "f.bin"
    with open_direct(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)) as f:
        assert isinstance(f, DirectFile)
        assert os.O_DIRECT & fcntl.fcntl(f.fileno(), fcntl.F_GETFL)
        f.write(b"abc")
    assert path.read_bytes() == b"abc"


def test_a_file_system_without_o_direct_gets_a_plain_file(tmp_path, monkeypatch):
    """Where O_DIRECT cannot be set (EINVAL: tmpfs before Linux 6.6, some network file systems), or the system has
    no O_DIRECT (macOS), the caller's descriptor is used as a plain buffered file; another error is raised."""
    real_fcntl = fcntl.fcntl

    def refuse(fd, cmd, *args):
        if cmd == fcntl.F_SETFL and args and args[0] & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fcntl(fd, cmd, *args)

    monkeypatch.setattr(fcntl, "fcntl", refuse)
    path = tmp_path / "f.bin"
    with open_direct(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)) as f:
        assert not isinstance(f, DirectFile)
        f.write(b"plain")
    assert path.read_bytes() == b"plain"
    monkeypatch.setattr(fcntl, "fcntl", real_fcntl)
    monkeypatch.delattr(os, "O_DIRECT", raising=False)
    path2 = tmp_path / "g.bin"
    with open_direct(os.open(path2, os.O_WRONLY | os.O_CREAT, 0o600)) as f:
        assert not isinstance(f, DirectFile)
        f.write(b"no flag")
    assert path2.read_bytes() == b"no flag"


def test_flushes_write_only_what_is_new(direct_folder, monkeypatch):
    """zipfile, atomic_write and close each flush at the end: the partial buffer goes to disk once, not after the
    fsync again."""
    real_pwrite, puts = os.pwrite, []

    def pwrite(fd, data, offset):
        puts.append((offset, len(data)))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    path = direct_folder / "f.bin"
    f = _direct_file(path, 2 * BLOCK)
    f.write(bytes(5 * BLOCK + 10))
    f.flush()
    f.flush()
    f.close()
    assert puts == [(0, 2 * BLOCK), (2 * BLOCK, 2 * BLOCK), (4 * BLOCK, 2 * BLOCK)]
    assert path.stat().st_size == 5 * BLOCK + 10


def test_the_buffer_must_be_whole_blocks(tmp_path):
    fd = os.open(tmp_path / "f.bin", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(ValueError, match="multiple of 4096"):
            DirectFile(fd, BLOCK + 1)
    finally:
        os.close(fd)


def test_a_file_system_refusing_the_direct_writes_gets_them_through_the_page_cache(direct_folder, monkeypatch):
    """O_DIRECT accepted at open but its writes refused (EINVAL): the same bytes, written without O_DIRECT."""
    real_pwrite, refused = os.pwrite, []

    def pwrite(fd, data, offset):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    path = direct_folder / "f.bin"
    data = bytes(range(256)) * 100
    with _direct_file(path, BLOCK) as f:
        f.write(data)
        assert not fcntl.fcntl(f.fileno(), fcntl.F_GETFL) & os.O_DIRECT
    assert path.read_bytes() == data and refused == [0]


def test_a_full_disk_during_a_direct_write_is_raised(direct_folder, monkeypatch):
    def full(fd, data, offset):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    f = _direct_file(direct_folder / "f.bin", BLOCK)
    with pytest.raises(OSError, match="No space left"):
        f.write(bytes(3 * BLOCK))
    with pytest.raises(OSError, match="No space left"):
        f.close()  # the partial buffer cannot be written either; the descriptor is closed all the same
    assert f.closed


@settings(max_examples=60, deadline=None)
@given(size=st.one_of(st.integers(0, 70), st.integers(3 * BLOCK - 5, 3 * BLOCK + 5), st.integers(0, 9 * BLOCK)),
       steps=st.lists(st.tuples(st.integers(-10, 10 * BLOCK), st.integers(0, 3 * BLOCK)), max_size=25),
       seed=st.integers(0, 2**32 - 1))
def test_any_seeks_and_reads_give_the_files_bytes(tmp_path_factory, size, steps, seed):
    """A DirectReader (a window of two blocks here, so that reads cross it) gives what a plain file gives for any
    seek and read, at and past the end too; with O_DIRECT on where the file system takes it, every read from the
    disk is of whole aligned blocks into aligned memory."""
    folder = tmp_path_factory.mktemp("r")
    data = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    (folder / "f.bin").write_bytes(data)
    flags = os.O_RDONLY | (getattr(os, "O_DIRECT", 0) if takes_o_direct(folder) else 0)
    real_preadv, calls = os.preadv, []

    def aligned(fd, buffers, offset):
        calls.append(offset)
        assert offset % BLOCK == 0 and all(len(b) % BLOCK == 0 for b in buffers)
        assert all(np.frombuffer(b, np.uint8).ctypes.data % BLOCK == 0 for b in buffers)
        return real_preadv(fd, buffers, offset)

    os.preadv = aligned
    try:
        with open(folder / "f.bin", "rb") as plain, DirectReader(os.open(folder / "f.bin", flags), 2 * BLOCK) as f:
            for where, n in steps:
                if where >= 0:
                    assert f.seek(where) == plain.seek(where)
                assert f.read(n) == plain.read(n) and f.tell() == plain.tell()
            f.seek(0)
            assert f.read() == data
    finally:
        os.preadv = real_preadv
    assert calls or not data


def test_a_checkpoint_chunk_is_read_past_the_page_cache_with_its_checks(direct_folder):
    """The reader a resume uses: O_DIRECT where the file system has it; a zip read through it has its arrays and
    their CRC-32 checks, a damaged byte failing them."""
    a, b = np.arange(200_000.0).reshape(1000, 200), np.full(5000, 7)
    atomic_write(direct_folder / "c.npz", lambda f: savez(f, a=a, b=b), direct=True)
    with open_direct_read(direct_folder / "c.npz") as f:
        assert isinstance(f, DirectReader) and fcntl.fcntl(f.fileno(), fcntl.F_GETFL) & os.O_DIRECT
        got = {"a": np.zeros_like(a), "b": np.zeros_like(b)}
        load_into(f, got)
    assert (got["a"] == a).all() and (got["b"] == b).all()
    raw = bytearray((direct_folder / "c.npz").read_bytes())
    raw[len(raw) // 3] ^= 0x10
    (direct_folder / "c.npz").write_bytes(bytes(raw))
    with open_direct_read(direct_folder / "c.npz") as f, pytest.raises(Mismatch, match="CRC-32"):
        load_into(f, {"a": np.zeros_like(a), "b": np.zeros_like(b)})


def test_reading_where_the_file_system_refuses_o_direct(direct_folder, monkeypatch):
    """A file system refusing O_DIRECT at open (EINVAL) gets a plain file; one refusing the direct reads
    themselves gets them through the page cache; another error is raised."""
    (direct_folder / "f.bin").write_bytes(b"x" * 10_000)
    real_fcntl, real_preadv = fcntl.fcntl, os.preadv

    def refuse_flag(fd, cmd, *args):
        if cmd == fcntl.F_SETFL and args and args[0] & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fcntl(fd, cmd, *args)

    monkeypatch.setattr(fcntl, "fcntl", refuse_flag)
    with open_direct_read(direct_folder / "f.bin") as f:
        assert not isinstance(f, DirectReader) and f.read() == b"x" * 10_000
    monkeypatch.setattr(fcntl, "fcntl", real_fcntl)

    def refuse_direct(fd, buffers, offset):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_preadv(fd, buffers, offset)

    monkeypatch.setattr(os, "preadv", refuse_direct)
    with open_direct_read(direct_folder / "f.bin") as f:
        assert f.read() == b"x" * 10_000
    monkeypatch.setattr(os, "preadv", lambda fd, buffers, offset: (_ for _ in ()).throw(OSError(errno.EIO, "I/O")))
    with open_direct_read(direct_folder / "f.bin") as f, pytest.raises(OSError, match="I/O"):
        f.read()
