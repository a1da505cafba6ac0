"""``.npz`` files written fast: the format ``np.load`` reads, without copying the arrays on the way.

``np.savez`` (through ``np.lib.format.write_array``) copies every array in 16 MB pieces before
the zip layer checksums and writes it: writing a national run's 296 MB ``sims.npz`` and its
700 MB of resume checkpoints took 2.6 s of CPU, on the core the simulation's second thread
needs. Here each member is the array's own bytes, checksummed (CRC-32, which ``np.load``
verifies) and written from memory as it is. An array holding one value throughout is
deflated instead (a design the scenario does not use: 43 MB of zeros in a national run).
"""

from __future__ import annotations

import zipfile

import numpy as np

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
