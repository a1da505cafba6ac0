"""``.npz`` files written fast: the format ``np.load`` reads, without copying the arrays on the way.

``np.savez`` (through ``np.lib.format.write_array``) copies every array in 16 MB pieces before
the zip layer checksums and writes it: writing a national run's 296 MB ``sims.npz`` and its
700 MB of resume checkpoints took 2.6 s of CPU, on the core the simulation's second thread
needs. Here each member is the array's own bytes, checksummed (CRC-32, which ``np.load``
verifies) and written from memory as it is. An array holding one value throughout is
deflated instead (a design the scenario does not use: 43 MB of zeros in a national run).

:func:`load_into` reads such a file back into arrays that already exist (a resumed run's
outputs): each stored member from the file into its array, in one read that releases the GIL
(a strided array, such as a chunk's columns of the monthly statistics, one row at a time
through a small buffer), with its local header's name, its shape, dtype, sizes and CRC-32
checked as ``np.load`` checks them.

Every CRC-32, written or read, here and in :mod:`zipfile` (whose module-level ``crc32`` this
module replaces), is zlib-ng's: the same checksum at about 30 GB/s on this machine against
the standard zlib's 4.3 GB/s, where a national run checksums about 0.9 GB (its result and
its checkpoints) and a resume 0.4 GB more. So are the deflate and inflate of a constant array
(``zipfile`` is given a ``zlib`` whose ``compressobj`` and ``decompressobj`` are zlib-ng's):
standard deflate streams, made 9x as fast to write (a national run's 44 MB of zeros: 0.013 s
against 0.116 s, once in ``sims.npz`` and once more across its checkpoints) and 4x as fast
to read (0.025 s against 0.11 s, each time a saved result is loaded). A damaged stream
raises zlib-ng's error, which :data:`INFLATE_ERRORS` names beside the standard one's.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from types import SimpleNamespace

import numpy as np

try:
    from zlib_ng.zlib_ng import compressobj, crc32, decompressobj
    from zlib_ng.zlib_ng import error as _ng_error
except ImportError:  # pragma: no cover  (a dependency; the standard one gives the same checksums and streams)
    from zlib import compressobj, crc32, decompressobj
    from zlib import error as _ng_error

zipfile.crc32 = crc32  # zipfile checksums each member it writes or reads with its module's crc32
# and deflates and inflates with its module's zlib.compressobj and zlib.decompressobj
zipfile.zlib = SimpleNamespace(**{**vars(zlib), "compressobj": compressobj, "decompressobj": decompressobj})
INFLATE_ERRORS = (zlib.error, _ng_error)  # what a damaged deflate stream raises, read by zipfile or by zlib

DEFLATE_ABOVE = 1024  # elements: a constant array smaller than this is stored as it is


def savez(f, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to the open binary file ``f`` as an uncompressed ``.npz`` (constant arrays deflated)."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True, compresslevel=1) as zf:
        for name, value in arrays.items():
            value = np.asanyarray(value)
            if not value.flags.c_contiguous:  # a Fortran-ordered or strided view is copied once, in C order
                value = np.ascontiguousarray(value)
            if value.dtype.hasobject:
                raise ValueError(f"{name}: object arrays are not written (they would need pickle to read)")
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            if value.size > DEFLATE_ABOVE and value.dtype.kind in "biuf" and _constant(value):
                info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(member, np.lib.format.header_data_from_array_1_0(value))
                member.write(_bytes(value))


def _constant(value: np.ndarray) -> bool:
    """Whether every element equals the first (stops at the first row that differs)."""
    flat = value.reshape(-1)
    first = flat[0]
    step = 1 << 16
    return all(np.all(flat[i:i + step] == first) for i in range(0, flat.size, step))


def _bytes(value: np.ndarray):
    """The array's bytes without a copy (a buffer over its memory), or a copy for 0-d and empty arrays."""
    if value.ndim == 0 or value.size == 0:
        return value.tobytes()
    return memoryview(value.reshape(-1).view(np.uint8))


class Mismatch(ValueError):
    """A readable file whose member is not what the caller's array needs, or whose bytes fail their checks."""


LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip member's local header: signature, ..., name and extra lengths


def load_into(f, arrays: dict[str, np.ndarray]) -> None:
    """Fill each of ``arrays`` with the member of its name from the ``.npz`` open in ``f`` (binary, seekable).

    Raises :class:`Mismatch` (or the zip layer's error) when a member is missing, of another shape or dtype, or
    its bytes do not match their CRC-32. The arrays may then hold part of the file: the caller clears them.
    """
    with zipfile.ZipFile(f) as zf:
        for name, dest in arrays.items():
            try:
                info = zf.getinfo(name + ".npy")
            except KeyError:
                raise Mismatch(f"it has no '{name}'") from None
            if info.compress_type != zipfile.ZIP_STORED:  # a constant array, deflated: small to read the usual way
                with zf.open(info) as member:
                    _check(name, dest, *_header(member))
                    dest[...] = _rest(member, dest)
                continue
            _read_stored(f, info, name, dest)


def _header(fp) -> tuple[tuple, bool, np.dtype]:
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fp)
    return np.lib.format.read_array_header_2_0(fp)


def _check(name: str, dest: np.ndarray, shape: tuple, fortran: bool, dtype: np.dtype) -> None:
    if tuple(shape) != dest.shape or dtype != dest.dtype:
        raise Mismatch(f"'{name}' is {dtype}{tuple(shape)}, expected {dest.dtype}{dest.shape}")
    if fortran and dest.ndim > 1:
        raise Mismatch(f"'{name}' is stored in Fortran order; pbrsim writes C order")


def _rest(member, dest: np.ndarray) -> np.ndarray:
    """The array data that follows a member's header (a deflated member: read, then the zip layer's CRC check)."""
    data = member.read()
    if len(data) != dest.nbytes or member.read(1):
        raise Mismatch("an array member is truncated")
    return np.frombuffer(data, dtype=dest.dtype).reshape(dest.shape)


def _read_stored(f, info: zipfile.ZipInfo, name: str, dest: np.ndarray) -> None:
    """An uncompressed member read into ``dest``, checked against its CRC-32: straight in when ``dest`` is
    contiguous, else (a chunk's columns of the monthly statistics) one row at a time through one small buffer."""
    f.seek(info.header_offset)
    signature, name_len, extra_len = LOCAL_HEADER.unpack(f.read(LOCAL_HEADER.size))
    local_name = f.read(name_len).decode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="replace")
    if signature != b"PK\x03\x04" or local_name != info.orig_filename:
        raise Mismatch(f"'{name}' has no zip header of its own")
    if info.flag_bits & 0x1:
        raise Mismatch(f"'{name}' is encrypted")
    start = info.header_offset + LOCAL_HEADER.size + name_len + extra_len
    f.seek(start)
    _check(name, dest, *_header(f))
    head = f.tell() - start
    if info.file_size != head + dest.nbytes or info.compress_size != info.file_size:
        raise Mismatch(f"'{name}' holds {info.file_size} bytes, expected {head + dest.nbytes}")
    f.seek(start)
    crc = crc32(f.read(head))
    if dest.flags.c_contiguous or dest.ndim < 2:
        target = dest if dest.flags.c_contiguous else np.empty(dest.shape, dest.dtype)
        crc = _read_exactly(f, target, name, crc)
        if target is not dest:
            dest[...] = target
    else:
        row = np.empty(dest.shape[1:], dest.dtype)
        for i in range(dest.shape[0]):
            crc = _read_exactly(f, row, name, crc)
            dest[i] = row
    if crc != info.CRC:
        raise Mismatch(f"'{name}' fails its CRC-32 check")


def _read_exactly(f, target: np.ndarray, name: str, crc: int) -> int:
    """Fill the contiguous ``target`` from ``f`` (reads release the GIL); the CRC-32 carried on over its bytes."""
    if not target.nbytes:
        return crc
    view = memoryview(target.reshape(-1).view(np.uint8))
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            raise Mismatch(f"'{name}' is truncated")
        got += n
    return crc32(view, crc)
