"""Shared test helpers.

`torch` is the library under test: ctorch, or real PyTorch when the
environment variable CTORCH_TEST_REFERENCE=torch is set. Running the suite
against real PyTorch checks that the expectations written here are PyTorch's.
"""
import os
import zlib

import numpy as np
import pytest

REFERENCE = os.environ.get("CTORCH_TEST_REFERENCE") == "torch"

if REFERENCE:
    import torch  # noqa: F401
else:
    import ctorch as torch  # noqa: F401

try:  # real PyTorch beside ctorch, for parity tests (marker `parity`)
    if REFERENCE:
        real_torch = torch
    else:
        import torch as real_torch  # noqa: F401
except ImportError:
    real_torch = None



def parity(test):
    """Marks a test that compares ctorch with real PyTorch side by side:
    marker `parity` (deselect with -m "not parity"), skipped without PyTorch."""
    test = pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")(test)
    return pytest.mark.parity(test)


# every dtype ctorch supports, with its NumPy twin (None: NumPy has none)
DTYPES = [
    ("bool", np.bool_), ("uint8", np.uint8), ("int8", np.int8), ("int16", np.int16),
    ("int32", np.int32), ("int64", np.int64), ("float16", np.float16),
    ("bfloat16", None), ("float32", np.float32), ("float64", np.float64),
]


def to_numpy(t):
    """A tensor's values as a NumPy array (bfloat16 widened to float32)."""
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    return np.array(t.tolist(), dtype=None) if t.dim() == 0 else t.numpy().copy()


def assert_close(t, expected, rtol=1e-6, atol=1e-6, check_dtype=True):
    """Compare a tensor with a NumPy array (or values) elementwise."""
    expected = np.asarray(expected)
    got = to_numpy(t)
    assert tuple(t.shape) == expected.shape, (tuple(t.shape), expected.shape)
    if check_dtype and expected.dtype != object:
        np_dtype = dict((f"torch.{n}", d) for n, d in DTYPES).get(str(t.dtype))
        if np_dtype is not None:
            assert np.dtype(np_dtype) == expected.dtype, (str(t.dtype), expected.dtype)
    if got.dtype.kind in "fc" or expected.dtype.kind in "fc":
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64),
                                   rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------
# dtype names and tables shared by the test modules
# ---------------------------------------------------------------------------

NP = dict(DTYPES)  # dtype name -> NumPy dtype (None for bfloat16)
DNAMES = [n for n, _ in DTYPES]  # all ten dtype names
NP_DTYPES = [(n, d) for n, d in DTYPES if d is not None]  # those NumPy has
INTS = ["uint8", "int8", "int16", "int32", "int64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]


def dt(name):
    """The dtype object of the library under test called `name`."""
    return getattr(torch, name)


def dname(x):
    """The dtype name (no "torch." prefix) of a tensor or a dtype."""
    return str(x.dtype if hasattr(x, "dtype") else x).replace("torch.", "")


def np_of(name):
    """NumPy dtype holding a ctorch dtype's values (bfloat16 -> float32)."""
    return NP[name] or np.float32


def seed(*parts):
    """A stable RNG seed made from the parts (e.g. a test's parameters)."""
    return zlib.crc32("-".join(map(str, parts)).encode())


def mk(arr, name):
    """A contiguous tensor of dtype `name` holding `arr`."""
    arr = np.array(arr, order="C")  # (np.ascontiguousarray would make 0-d 1-d)
    if name == "bfloat16":
        return torch.tensor(arr.astype(np.float32)).to(torch.bfloat16)
    return torch.tensor(arr.astype(NP[name]))


def vals(t):
    """The tensor's values as a NumPy array of its own dtype (bf16 -> f32)."""
    return np.asarray(to_numpy(t)).astype(np_of(dname(t)))


def bf16_round(a):
    """float32 values rounded to the nearest bfloat16 (ties to even), as float32."""
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16
    return b.astype(np.uint32).view(np.float32)


# ---------------------------------------------------------------------------
# type promotion (docs/interop-formats.md section 5; checked in test_promotion)
# ---------------------------------------------------------------------------

def cat(d):
    """The category of a dtype name: 0 bool, 1 integer, 2 floating."""
    return 0 if d == "bool" else 1 if d in INTS else 2


def promote(a, b):
    """promoteTypes: torch.promote_types on the lattice of the ten dtypes."""
    if a == b:
        return a
    if cat(a) != cat(b):
        return a if cat(a) > cat(b) else b
    if cat(a) == 2:
        if {a, b} == {"float16", "bfloat16"}:
            return "float32"
        return max(a, b, key=FLOATS.index)
    if "uint8" in (a, b):
        other = b if a == "uint8" else a
        return "int16" if other == "int8" else other
    return max(a, b, key=INTS.index)
