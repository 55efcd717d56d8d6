"""NumPy interop: np.asarray / .numpy() zero-copy, the buffer protocol
(memoryview), __array_interface__, __array__(dtype, copy), DLPack both ways,
and lifetimes (the source dies first, the other side still reads).

PyTorch has no buffer protocol, no __array_interface__ and an __array__
without `copy`; the tests of those ctorch additions are marked `ctorch_only`
and skipped when the suite runs against real PyTorch. Their expectations come
from NumPy itself (an ndarray of the same dtype and strides) and from
docs/interop-formats.md section 3.
"""
import gc

import numpy as np
import pytest

from helpers import torch, assert_close, REFERENCE, NP, NP_DTYPES, dt

ctorch_only = pytest.mark.skipif(REFERENCE, reason="ctorch extension that PyTorch lacks")

# PyTorch's __array__ has no `copy` argument; NumPy 2 warns about it
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

# buffer format codes (interop-formats.md section 3): what NumPy exports
FORMATS = {"bool": {"?"}, "uint8": {"B"}, "int8": {"b"}, "int16": {"h"}, "int32": {"i"},
           "int64": {"l", "q"}, "float16": {"e"}, "float32": {"f"}, "float64": {"d"}}


def sample(name, shape=(3, 4), seed=0):
    """(tensor, independent numpy copy of its values)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(shape) * 30)
    a = np.asarray(a > 0) if name == "bool" else np.asarray(np.abs(a) if name == "uint8" else a).astype(NP[name])
    return torch.from_numpy(a.copy()), a


def one(name):
    return True if name == "bool" else 7


def views(t):
    """Non-contiguous views of a 2-D tensor, with the matching NumPy slicers."""
    return [
        (t.t(), lambda a: a.T),
        (t[:, ::2], lambda a: a[:, ::2]),
        (t[1:, 1::3], lambda a: a[1:, 1::3]),
        (t[:, 1], lambda a: a[:, 1]),
    ]


# ---------------------------------------------------------------------------
# np.asarray / .numpy(): zero copy both ways
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_asarray_shares_memory(name, npdt):
    t, a = sample(name)
    n = np.asarray(t)
    assert type(n) is np.ndarray
    assert n.dtype == np.dtype(npdt) and n.shape == (3, 4)
    np.testing.assert_array_equal(n, a)
    assert n.ctypes.data == t.data_ptr()
    assert n.flags.writeable
    t[1, 2] = one(name)
    assert n[1, 2] == one(name)
    n[2, 3] = 0
    assert t[2, 3].item() == 0


@pytest.mark.parametrize("name, npdt", [("float32", np.float32), ("int16", np.int16), ("bool", np.bool_)])
def test_asarray_of_views_keeps_strides(name, npdt):
    t, a = sample(name, (6, 7))
    for v, f in views(t):
        n = np.asarray(v)
        np.testing.assert_array_equal(n, f(a))
        assert n.strides == tuple(s * v.element_size() for s in v.stride())
        assert n.ctypes.data == v.data_ptr()
        n[...] = one(name)  # writes land in the tensor where NumPy's view puts them
        f(a)[...] = one(name)
        np.testing.assert_array_equal(t.numpy(), a)


def test_asarray_zero_dim_and_empty():
    t = torch.tensor(2.5)
    n = np.asarray(t)
    assert n.shape == () and n.dtype == np.float32 and float(n) == 2.5
    n[()] = 4
    assert t.item() == 4.0
    e = np.asarray(torch.zeros(0, 3, dtype=torch.int32))
    assert e.shape == (0, 3) and e.dtype == np.int32
    x = np.asarray(torch.tensor([1.0, 2.0]).expand(3, 2))
    assert x.strides == (0, 4)
    np.testing.assert_array_equal(x, [[1, 2]] * 3)


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_numpy_method_shares_memory(name, npdt):
    t, a = sample(name, seed=2)
    n = t.numpy()
    assert n.dtype == np.dtype(npdt)
    np.testing.assert_array_equal(n, a)
    n[0, 0] = one(name)
    assert t[0, 0].item() == one(name)
    t.zero_()
    assert not n.any()


def test_bfloat16_has_no_numpy_twin():
    t = torch.ones(2, dtype=torch.bfloat16)
    with pytest.raises(TypeError):
        t.numpy()
    with pytest.raises(TypeError):
        np.asarray(t)
    np.testing.assert_array_equal(np.asarray(t.float()), [1.0, 1.0])


# ---------------------------------------------------------------------------
# np.array(t, dtype) and __array__(dtype, copy)
# ---------------------------------------------------------------------------

def test_np_array_copies_and_converts():
    t = torch.arange(6.0).reshape(2, 3)
    c = np.array(t)
    assert c.dtype == np.float32 and c.ctypes.data != t.data_ptr()
    c[0, 0] = 100
    assert t[0, 0].item() == 0
    d = np.array(t, dtype=np.float64)
    assert d.dtype == np.float64
    np.testing.assert_array_equal(d, np.arange(6.0).reshape(2, 3))
    i = np.array(t.t(), dtype=np.int32)
    np.testing.assert_array_equal(i, np.arange(6).reshape(2, 3).T)
    c = np.asarray(t, copy=True)
    c[0, 1] = 100
    assert t[0, 1].item() == 1
    n = np.asarray(t, dtype=np.float32)
    assert n.ctypes.data == t.data_ptr()
    with pytest.raises(ValueError):
        np.asarray(t, dtype=np.float64, copy=False)


def test_dunder_array():
    t = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    n = t.__array__()
    assert type(n) is np.ndarray and n.dtype == np.int32 and n.ctypes.data == t.data_ptr()
    f = t.__array__(np.float64)
    assert f.dtype == np.float64
    np.testing.assert_array_equal(f, np.arange(6).reshape(2, 3))


@ctorch_only
def test_dunder_array_copy_argument():
    t = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    c = t.__array__(copy=True)
    assert c.ctypes.data != t.data_ptr()
    np.testing.assert_array_equal(c, np.arange(6).reshape(2, 3))
    c[0, 0] = 9
    assert t[0, 0].item() == 0
    s = t.__array__(copy=False)
    assert s.ctypes.data == t.data_ptr()
    s = t.__array__(None, None)
    assert s.ctypes.data == t.data_ptr()
    s = t.__array__(np.int32, copy=False)
    assert s.ctypes.data == t.data_ptr()
    f = t.__array__(np.float64, copy=None)
    assert f.dtype == np.float64
    with pytest.raises(ValueError):
        t.__array__(np.float64, copy=False)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy-2 DeprecationWarning about `copy`
        n = np.asarray(t, copy=False)
        assert n.ctypes.data == t.data_ptr()
        c = np.array(t, copy=True)
        assert c.ctypes.data != t.data_ptr()


# ---------------------------------------------------------------------------
# buffer protocol (ctorch only)
# ---------------------------------------------------------------------------

@ctorch_only
@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_memoryview(name, npdt):
    t, a = sample(name, (3, 4), seed=4)
    ref = memoryview(a)  # what NumPy exports for the same dtype
    m = memoryview(t)
    assert m.format in FORMATS[name]
    assert m.itemsize == ref.itemsize == t.element_size()
    assert m.ndim == 2 and m.shape == (3, 4)
    assert m.strides == ref.strides
    assert m.nbytes == a.nbytes and not m.readonly
    assert m.c_contiguous
    n = np.asarray(m)
    np.testing.assert_array_equal(n, a)
    n[0, 0] = one(name)
    assert t[0, 0].item() == one(name)
    m.release()


@ctorch_only
def test_memoryview_strided_and_zero_dim():
    t = torch.arange(42, dtype=torch.int16).reshape(6, 7)
    for v, f in views(t):
        m = memoryview(v)
        ref = f(np.arange(42, dtype=np.int16).reshape(6, 7))
        assert m.shape == ref.shape and m.strides == ref.strides
        np.testing.assert_array_equal(np.asarray(m), ref)
    z = memoryview(torch.tensor(1.5, dtype=torch.float64))
    assert z.ndim == 0 and z.shape == () and z.format == "d" and z.itemsize == 8
    assert np.asarray(z)[()] == 1.5
    e = memoryview(torch.zeros(0, 3))
    assert e.shape == (0, 3) and e.nbytes == 0
    import ctypes  # a contiguous-only consumer must not get non-contiguous data
    with pytest.raises((BufferError, TypeError)):
        (ctypes.c_char * 1).from_buffer(t.t())


@ctorch_only
def test_memoryview_keeps_tensor_alive():
    t = torch.arange(1000.0)
    m = memoryview(t)
    del t
    gc.collect()
    _ = [torch.full((1000,), -1.0) for _ in range(8)]
    np.testing.assert_array_equal(np.asarray(m), np.arange(1000.0, dtype=np.float32))


# ---------------------------------------------------------------------------
# __array_interface__ (ctorch only)
# ---------------------------------------------------------------------------

class Holder:
    """An object offering only an __array_interface__ (and keeping its owner alive)."""

    def __init__(self, owner, interface):
        self.owner = owner
        self.__array_interface__ = interface


@ctorch_only
@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_array_interface(name, npdt):
    t, a = sample(name, (3, 4), seed=9)
    ai = t.__array_interface__
    assert ai["version"] == 3
    assert ai["typestr"] == np.dtype(npdt).str  # '<f4', '|u1', '|b1', ...
    assert ai["shape"] == (3, 4)
    assert ai["strides"] in (None, a.strides)
    assert ai["data"] == (t.data_ptr(), False)
    n = np.asarray(Holder(t, ai))
    assert n.ctypes.data == t.data_ptr()
    np.testing.assert_array_equal(n, a)
    for v, f in views(t):
        ai = v.__array_interface__
        assert ai["strides"] == tuple(s * v.element_size() for s in v.stride())
        assert ai["shape"] == tuple(v.shape)
        assert ai["data"] == (v.data_ptr(), False)
        np.testing.assert_array_equal(np.asarray(Holder(v, ai)), f(a))
    ai = torch.tensor(5, dtype=torch.int64).__array_interface__
    assert ai["shape"] == () and ai["typestr"] == "<i8"


# ---------------------------------------------------------------------------
# DLPack
# ---------------------------------------------------------------------------

def test_dlpack_device():
    assert tuple(torch.zeros(2).__dlpack_device__()) == (1, 0)
    assert tuple(torch.zeros(2).t().__dlpack_device__()) == (1, 0)


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_from_dlpack_numpy(name, npdt):
    _, a = sample(name, (3, 4), seed=11)
    t = torch.from_dlpack(a)
    assert t.dtype == dt(name) and t.shape == (3, 4)
    assert t.data_ptr() == a.ctypes.data
    assert_close(t, a)
    t[1, 1] = one(name)
    assert a[1, 1] == one(name)
    a[2, 2] = 0
    assert t[2, 2].item() == 0


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_numpy_from_dlpack(name, npdt):
    t, a = sample(name, (3, 4), seed=12)
    n = np.from_dlpack(t)
    assert n.dtype == np.dtype(npdt) and n.shape == (3, 4)
    assert n.ctypes.data == t.data_ptr()
    np.testing.assert_array_equal(n, a)
    n[0, 3] = one(name)
    assert t[0, 3].item() == one(name)
    t.zero_()
    assert not n.any()


def test_dlpack_strided():
    t = torch.arange(42.0).reshape(6, 7)
    ref = np.arange(42.0, dtype=np.float32).reshape(6, 7)
    for v, f in views(t):
        n = np.from_dlpack(v)
        assert n.strides == tuple(s * 4 for s in v.stride())
        assert n.ctypes.data == v.data_ptr()
        np.testing.assert_array_equal(n, f(ref))
        u = torch.from_dlpack(v)
        assert u.stride() == v.stride() and u.data_ptr() == v.data_ptr()
    a = np.arange(60, dtype=np.int64).reshape(6, 10)
    for sub in (a.T, a[::2, 1::3], a[:, 4], np.asfortranarray(a)):
        u = torch.from_dlpack(sub)
        assert u.stride() == tuple(s // 8 for s in sub.strides)
        assert u.data_ptr() == sub.ctypes.data
        assert_close(u, sub)
    e = np.from_dlpack(torch.tensor([1.0, 2.0]).expand(3, 2))
    assert e.strides == (0, 4)
    np.testing.assert_array_equal(e, [[1.0, 2.0]] * 3)


def test_dlpack_zero_dim_and_empty():
    z = torch.from_dlpack(np.array(2.5))
    assert z.shape == () and z.dtype == torch.float64 and z.item() == 2.5
    z = torch.from_dlpack(np.array(3, dtype=np.int32))
    assert z.shape == () and z.dtype == torch.int32
    n = np.from_dlpack(torch.tensor(3.5))
    assert n.shape == () and n.dtype == np.float32 and n[()] == 3.5
    assert torch.from_dlpack(np.zeros((0, 3))).shape == (0, 3)
    assert np.from_dlpack(torch.zeros(0, 3, dtype=torch.int16)).shape == (0, 3)
    assert np.from_dlpack(torch.zeros(2, 0)).dtype == np.float32


@pytest.mark.parametrize("name", ["bool", "float16", "bfloat16", "int8", "float64"])
def test_dlpack_capsule_round_trip(name):
    t = torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=dt(name))
    cap = t.__dlpack__()
    assert type(cap).__name__ == "PyCapsule" and '"dltensor"' in repr(cap)
    u = torch.from_dlpack(cap)
    assert u.dtype == t.dtype and u.shape == t.shape
    assert u.data_ptr() == t.data_ptr()
    assert u.tolist() == t.tolist()
    u[0, 1] = 1
    assert t[0, 1].item() == 1
    # a tensor is itself a DLPack producer
    w = torch.from_dlpack(t.t())
    assert w.dtype == t.dtype and w.stride() == (1, 3) and w.data_ptr() == t.data_ptr()


def test_dlpack_versioned_capsule():
    t = torch.arange(4.0)
    cap = t.__dlpack__(max_version=(1, 0))
    assert '"dltensor_versioned"' in repr(cap)
    u = torch.from_dlpack(cap)
    assert u.data_ptr() == t.data_ptr() and u.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert '"dltensor"' in repr(t.__dlpack__(stream=None))


def test_dlpack_capsule_consumed_once():
    t = torch.arange(3.0)
    cap = t.__dlpack__()
    torch.from_dlpack(cap)
    assert "used_dltensor" in repr(cap)
    with pytest.raises(RuntimeError):
        torch.from_dlpack(cap)


def test_dlpack_unconsumed_capsule_is_freed():
    t = torch.arange(3.0)
    for _ in range(100):
        cap = t.__dlpack__()
        del cap
    gc.collect()
    assert t.tolist() == [0.0, 1.0, 2.0]


# ---------------------------------------------------------------------------
# lifetimes: the source dies first, the consumer still reads correct values
# ---------------------------------------------------------------------------

def churn():
    """Allocate and free memory so a freed block would be overwritten."""
    for _ in range(8):
        x = np.full(100_000, -1.0, dtype=np.float32)
        y = torch.full((100_000,), -2.0)
        del x, y
    gc.collect()


EXPECTED = np.arange(100_000, dtype=np.float32)


@pytest.mark.parametrize("route", ["from_numpy", "as_tensor", "from_dlpack"])
def test_numpy_dies_first(route):
    a = np.arange(100_000, dtype=np.float32)
    t = getattr(torch, route)(a)
    del a
    churn()
    np.testing.assert_array_equal(t.numpy(), EXPECTED)
    t[0] = 5  # still writable memory
    assert t[0].item() == 5.0


@pytest.mark.parametrize("route", ["numpy", "asarray", "np.from_dlpack", "capsule", "view"])
def test_tensor_dies_first(route):
    t = torch.arange(100_000.0)
    if route == "numpy":
        out = t.numpy()
    elif route == "asarray":
        out = np.asarray(t)
    elif route == "np.from_dlpack":
        out = np.from_dlpack(t)
    elif route == "capsule":
        out = t.__dlpack__()
    else:
        out = t[10:].view(-1)
        t = t[:1]  # drop the original tensor, keep an unrelated view of the storage
    del t
    churn()
    if route == "capsule":
        out = torch.from_dlpack(out)
        churn()
    got = out.numpy() if route in ("capsule", "view") else out
    np.testing.assert_array_equal(got, EXPECTED[10:] if route == "view" else EXPECTED)


def test_chain_through_numpy_and_dlpack():
    t = torch.arange(12.0).reshape(3, 4)
    a = np.from_dlpack(t.t())
    u = torch.from_numpy(a)
    w = torch.from_dlpack(np.asarray(u))
    del t, a, u
    churn()
    assert w.tolist() == np.arange(12.0).reshape(3, 4).T.tolist()
    assert w.stride() == (1, 4)


# ---------------------------------------------------------------- warned once per process, as PyTorch's TORCH_WARN_ONCE

def warnings_in_a_fresh_process(statements):
    """The UserWarnings (category, message) that statements give in a new interpreter, `torch` the library under test."""
    import subprocess
    import sys
    lib = "torch" if REFERENCE else "ctorch"
    code = (f"import warnings, numpy as np, {lib} as torch\n"
            "with warnings.catch_warnings(record=True) as w:\n    warnings.simplefilter('always')\n"
            + "".join(f"    {s}\n" for s in statements)
            + "print(repr([(x.category.__name__, str(x.message)) for x in w]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout)


def test_from_numpy_of_a_read_only_array_warns_once():
    got = warnings_in_a_fresh_process(["a = np.arange(6.0); a.flags.writeable = False",
                                       "t = torch.from_numpy(a); torch.from_numpy(a)",
                                       "assert t.tolist() == a.tolist()"])
    assert len(got) == 1 and got[0][0] == "UserWarning"
    assert got[0][1].startswith("The given NumPy array is not writable, and PyTorch does not support non-writable")


def test_set_default_tensor_type_warns_once_deprecated():
    got = warnings_in_a_fresh_process(["torch.set_default_tensor_type(torch.FloatTensor)",
                                       "torch.set_default_tensor_type(torch.FloatTensor)"])
    assert len(got) == 1 and got[0][0] == "UserWarning"
    assert got[0][1].startswith("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1")
