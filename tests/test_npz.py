"""The fast .npz writer: np.load reads back every kind of array exactly, and checks the checksums."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulator.npz import Mismatch, load_into, savez

DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_, np.uint8])


def round_trip(**arrays):
    buf = io.BytesIO()
    savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=40)))
def test_any_array_comes_back_equal(a):
    back = round_trip(a=a)["a"]
    assert back.dtype == a.dtype and back.shape == a.shape
    np.testing.assert_array_equal(back, a)


def test_views_fortran_order_text_and_constant_arrays():
    base = np.arange(24.0).reshape(4, 6)
    arrays = {"strided": base[:, ::2], "fortran": np.asfortranarray(base), "text": np.array("run key {x}"),
              "names": np.array(["prime", "charity"]), "zeros": np.zeros((3000, 7)), "empty": np.zeros((0, 5, 2)),
              "flags": np.ones(5000, dtype=bool)}
    back = round_trip(**arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
        assert back[k].dtype == v.dtype
    buf = io.BytesIO()
    savez(buf, **arrays)
    with zipfile.ZipFile(buf) as zf:
        kinds = {i.filename: i.compress_type for i in zf.infolist()}
    assert kinds["zeros.npy"] == kinds["flags.npy"] == zipfile.ZIP_DEFLATED and kinds["strided.npy"] == zipfile.ZIP_STORED


def test_a_flipped_byte_is_caught_when_read():
    buf = io.BytesIO()
    savez(buf, a=np.arange(100_000, dtype=np.float64))
    raw = bytearray(buf.getvalue())
    raw[len(raw) // 2] ^= 0xFF
    with pytest.raises(zipfile.BadZipFile), np.load(io.BytesIO(bytes(raw))) as z:
        z["a"]


def test_object_arrays_are_refused():
    with pytest.raises(ValueError, match="object arrays"):
        savez(io.BytesIO(), a=np.array([{"x": 1}], dtype=object))


# ---------------------------------------------------------------- reading back in place (a resumed run's chunks)


def saved(**arrays) -> io.BytesIO:
    buf = io.BytesIO()
    savez(buf, **arrays)
    buf.seek(0)
    return buf


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=40)), st.booleans())
def test_load_into_fills_any_array_exactly_contiguous_or_not(a, strided):
    """Into the array itself, or into a strided view (a chunk's columns of the monthly statistics)."""
    dest = np.zeros((*a.shape, 2), dtype=a.dtype)[..., 1] if strided else np.zeros_like(a)
    load_into(saved(a=a), {"a": dest})
    np.testing.assert_array_equal(dest, a)


def test_load_into_reads_constant_arrays_deflated_and_every_member_asked_for():
    arrays = {"zeros": np.zeros((3000, 7)), "x": np.arange(12.0).reshape(3, 4), "flags": np.ones(5000, dtype=bool)}
    dest = {k: np.empty_like(v) for k, v in arrays.items() if k != "x"}
    load_into(saved(**arrays), dest)
    for k, v in dest.items():
        np.testing.assert_array_equal(v, arrays[k])


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 1.0, exclude_max=True), st.integers(1, 255))
def test_load_into_catches_any_damaged_byte_of_a_member(where, flip):
    """A byte anywhere in a stored member (its .npy header or its data) is caught: CRC-32, or the header's checks."""
    a = np.arange(5000, dtype=np.float64)
    raw = bytearray(saved(a=a).getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("a.npy")
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len  # the member's bytes, after its local header
    raw[start + int(where * info.file_size)] ^= flip
    with pytest.raises((Mismatch, ValueError, zipfile.BadZipFile)):
        load_into(io.BytesIO(bytes(raw)), {"a": np.zeros_like(a)})


@pytest.mark.parametrize(("dest", "message"), [
    ({"a": np.zeros((10, 3))}, r"'a' is float64\(10, 4\), expected float64\(10, 3\)"),
    ({"a": np.zeros((10, 4), dtype=np.float32)}, r"'a' is float64\(10, 4\), expected float32\(10, 4\)"),
    ({"b": np.zeros(3)}, "it has no 'b'"),
])
def test_load_into_names_a_member_of_another_shape_or_dtype_or_missing(dest, message):
    with pytest.raises(Mismatch, match=message):
        load_into(saved(a=np.ones((10, 4))), dest)


def test_load_into_catches_a_truncated_file():
    raw = saved(a=np.arange(100_000.0)).getvalue()
    with pytest.raises((Mismatch, zipfile.BadZipFile, ValueError, OSError)):
        load_into(io.BytesIO(raw[: len(raw) // 2]), {"a": np.zeros(100_000)})


def test_load_into_checks_each_members_own_header_name():
    """A directory entry that points at another member's bytes (with that member's CRC) is refused, as np.load does."""
    raw = bytearray(saved(a=np.arange(50.0), b=np.arange(50.0) + 1).getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        at = zf.getinfo("a.npy").header_offset + 30
    raw[at:at + 5] = b"c.npy"  # member a's own header now names another file
    with pytest.raises(Mismatch, match="'a' has no zip header of its own"):
        load_into(io.BytesIO(bytes(raw)), {"a": np.zeros(50)})


def test_load_into_names_fortran_order():
    buf = io.BytesIO()
    np.savez(buf, a=np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    buf.seek(0)
    with pytest.raises(Mismatch, match="Fortran order"):
        load_into(buf, {"a": np.zeros((2, 3))})


class ShortReads(io.BytesIO):
    """A file whose array data ends early although its zip directory is whole (reads stop at ``end``)."""

    def __init__(self, data: bytes, end: int):
        super().__init__(data)
        self.end = end

    def readinto(self, buffer):
        if self.tell() >= self.end:
            return 0
        return super().readinto(memoryview(buffer)[: self.end - self.tell()])


def test_load_into_stops_at_data_that_ends_early_into_strided_and_contiguous_arrays():
    a = np.arange(40_000.0).reshape(200, 200)
    raw = saved(a=a).getvalue()
    for dest in (np.zeros((200, 200)), np.zeros((200, 400))[:, ::2]):
        with pytest.raises(Mismatch, match="'a' is truncated"):
            load_into(ShortReads(raw, len(raw) // 2), {"a": dest})


def test_load_into_refuses_a_member_marked_encrypted():
    raw = bytearray(saved(a=np.arange(50.0)).getvalue())
    at = raw.find(b"PK\x01\x02") + 8  # the directory entry's flag bits
    raw[at] |= 0x1
    with pytest.raises(Mismatch, match="'a' is encrypted"):
        load_into(io.BytesIO(bytes(raw)), {"a": np.zeros(50)})


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000) | st.binary(min_size=5000, max_size=70000), split=st.integers(0, 70000),
       start=st.integers(0, 2**32 - 1))
def test_the_crc32_every_zip_member_is_checked_with_is_zlibs(data, split, start):
    """npz.py gives zipfile zlib-ng's CRC-32 (7x as fast here): it must be the same checksum, carried on as zlib's is."""
    import zlib

    import simulator.npz as npz

    assert zipfile.crc32 is npz.crc32
    assert npz.crc32(data, start) == zlib.crc32(data, start)
    assert npz.crc32(data[split:], npz.crc32(data[:split])) == zlib.crc32(data)


def test_the_fast_crc32_is_the_one_taken():
    """zlib-ng is a dependency: without it the standard CRC-32 would be used, as correct and 7x slower."""
    import simulator.npz as npz

    assert npz.crc32.__module__.startswith("zlib_ng")


def test_the_crc32_of_an_arrays_memory_is_zlibs():
    """zipfile passes it memoryviews of arrays, as npz.savez writes them; above 5 KiB it releases the GIL."""
    import zlib

    import simulator.npz as npz

    a = np.random.default_rng(3).standard_normal((300, 1000))
    view = memoryview(a)
    assert npz.crc32(view) == zlib.crc32(view) and npz.crc32(view, 12345) == zlib.crc32(view, 12345)


@pytest.mark.parametrize("value", [0.0, -0.0, 1.5, 7])
def test_a_constant_array_is_deflated_by_zlib_ng_as_a_standard_stream(value):
    """npz.py gives zipfile zlib-ng's compressor and decompressor (9x and 4x as fast on a national run's zeros):
    the stream written is a standard one, which the standard zlib inflates too."""
    import zlib

    import simulator.npz as npz

    assert zipfile.zlib.compressobj is npz.compressobj and npz.compressobj.__module__.startswith("zlib_ng")
    assert zipfile.zlib.decompressobj is npz.decompressobj and npz.decompressobj.__module__.startswith("zlib_ng")
    a = np.full((400, 7, 26), value)
    f = io.BytesIO()
    savez(f, a=a)
    with zipfile.ZipFile(io.BytesIO(f.getvalue())) as zf:
        info = zf.getinfo("a.npy")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < a.nbytes // 50
        assert len(zf.read("a.npy")) == info.file_size  # inflated by zlib-ng, its CRC-32 checked
        raw = f.getvalue()
        start = info.header_offset + 30 + sum(struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30]))
        assert len(zlib.decompressobj(-15).decompress(raw[start:start + info.compress_size])) == info.file_size
    f.seek(0)
    np.testing.assert_array_equal(np.load(f)["a"], a)
