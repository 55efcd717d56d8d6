"""Shared test helpers.

`torch` is the library under test: ctorch, or real PyTorch when the
environment variable CTORCH_TEST_REFERENCE=torch is set. Running the suite
against real PyTorch checks that the expectations written here are PyTorch's.
"""
import os

import numpy as np

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
