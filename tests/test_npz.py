"""The fast .npz writer: np.load reads back every kind of array exactly, and checks the checksums."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulator.npz import savez

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
