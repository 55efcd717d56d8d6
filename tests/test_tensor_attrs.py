"""Tensor attributes and conversions: shape/size/stride/offset/contiguity,
type() strings, dtype conversions (.float() ... .to()), item/tolist/numpy,
clone/contiguous/copy_/fill_/zero_.

NumPy is the value oracle; every expectation here also holds for real PyTorch.
"""
import numpy as np
import pytest

from helpers import (torch, assert_close, NP, NP_DTYPES, DNAMES as ALL_NAMES, FLOATS,
                     dt, bf16_round)

TYPE_STRINGS = {
    "bool": "torch.BoolTensor", "uint8": "torch.ByteTensor", "int8": "torch.CharTensor",
    "int16": "torch.ShortTensor", "int32": "torch.IntTensor", "int64": "torch.LongTensor",
    "float16": "torch.HalfTensor", "bfloat16": "torch.BFloat16Tensor",
    "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
}
METHODS = {  # conversion method -> dtype name
    "float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16",
    "long": "int64", "int": "int32", "short": "int16", "byte": "uint8", "char": "int8",
    "bool": "bool",
}


def sample(name, shape=(2, 3, 4), seed=0):
    """(tensor, numpy array) holding the same values of dtype `name`.

    For bfloat16 the array is float32 holding the exact bfloat16 values."""
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(shape) * 20)
    if name == "bool":
        a = np.asarray(a > 0)
    elif name == "uint8":
        a = np.abs(a).astype(np.uint8)
    elif name in FLOATS:
        a = a.astype(np.float32) if name == "bfloat16" else a.astype(NP[name])
        if name == "bfloat16":
            a = bf16_round(a)
    else:
        a = a.astype(NP[name])
    a = np.asarray(a)
    t = torch.tensor(a, dtype=dt(name)) if name == "bfloat16" else torch.from_numpy(a.copy())
    return t, a


def values(t):
    """A tensor's values as a NumPy array (bfloat16 as float32)."""
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()


# ---------------------------------------------------------------------------
# shape, size, dims, numel
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3), (2, 0, 4), (1, 2, 3, 4)])
def test_shape_and_size(shape):
    t = torch.zeros(shape)
    assert t.shape == shape and isinstance(t.shape, torch.Size)
    assert t.size() == shape and isinstance(t.size(), torch.Size)
    assert t.dim() == len(shape) and t.ndim == len(shape)
    assert t.numel() == int(np.prod(shape))
    assert torch.numel(t) == t.numel()
    for d in range(len(shape)):
        assert t.size(d) == shape[d] and t.size(d - len(shape)) == shape[d]
        assert t.shape[d] == shape[d]
    assert len(t) == shape[0] if shape else True


def test_size_dim_out_of_range():
    t = torch.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        t.size(2)
    with pytest.raises(IndexError):
        t.stride(-3)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(torch.tensor(1.0))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_dtype_type_element_size(name):
    t = torch.zeros(3, dtype=dt(name))
    assert t.dtype == dt(name)
    assert t.type() == TYPE_STRINGS[name]
    assert t.element_size() == (np.dtype(NP[name]).itemsize if NP[name] else 2)
    assert t.device == torch.device("cpu") and t.device.type == "cpu"
    assert t.is_cuda is False
    assert t.is_floating_point() == (name in FLOATS)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_type_conversion(name):
    t = torch.tensor([[1.5, -2.0], [0.0, 3.25]])
    cls_name = TYPE_STRINGS[name]
    for arg in (getattr(torch, cls_name.split(".")[1]), cls_name, dt(name)):
        u = t.type(arg)
        assert u.dtype == dt(name) and u.shape == (2, 2)
        assert type(u) is torch.Tensor
    assert t.type(torch.FloatTensor) is t  # no conversion needed: same tensor


# ---------------------------------------------------------------------------
# strides, storage offset, contiguity, data_ptr
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (4, 1, 3, 2)])
def test_contiguous_strides_match_numpy(shape):
    t = torch.zeros(shape, dtype=torch.float64)
    a = np.zeros(shape)
    assert t.stride() == tuple(s // 8 for s in a.strides)
    for d in range(len(shape)):
        assert t.stride(d) == t.stride()[d] and t.stride(-1 - d) == t.stride()[-1 - d]
    assert t.storage_offset() == 0 and t.is_contiguous()
    assert torch.zeros(()).stride() == ()


@pytest.mark.parametrize("make, strides, offset, contiguous", [
    (lambda t: t, (12, 4, 1), 0, True),
    (lambda t: t[1], (4, 1), 12, True),
    (lambda t: t[:, 1], (12, 1), 4, False),
    (lambda t: t[1:, 1:, 1:], (12, 4, 1), 17, False),
    (lambda t: t[..., ::2], (12, 4, 2), 0, False),
    (lambda t: t[1, 2, 3], (), 23, True),
    (lambda t: t.transpose(0, 2), (1, 4, 12), 0, False),
    (lambda t: t.permute(1, 2, 0), (4, 1, 12), 0, False),
    (lambda t: t[:1], (12, 4, 1), 0, True),
    (lambda t: t[:, 1:2, :], (12, 4, 1), 4, False),
    (lambda t: t[1:2, 1:2, :], (12, 4, 1), 16, True),
    (lambda t: t[0, :, :1], (4, 1), 0, False),
    (lambda t: t.narrow(2, 1, 2), (12, 4, 1), 1, False),
    (lambda t: t[:, :1].expand(2, 3, 4), (12, 0, 1), 0, False),
    (lambda t: t[:, :, 2:2], (12, 4, 1), 2, True),
])
def test_view_strides_offsets(make, strides, offset, contiguous):
    base = torch.zeros(2, 3, 4)
    v = make(base)
    assert v.stride() == strides
    assert v.storage_offset() == offset
    assert v.is_contiguous() == contiguous
    if v.numel():  # (PyTorch's data_ptr() of an empty tensor is 0)
        assert v.data_ptr() == base.data_ptr() + offset * base.element_size()


def test_contiguity_edge_cases():
    assert torch.zeros(1, 3).t().is_contiguous()  # size-1 dims do not count
    assert torch.zeros(0, 3).t().is_contiguous()  # empty tensors are contiguous
    assert not torch.zeros(2, 1).expand(2, 3).is_contiguous()
    assert torch.zeros(3, 1).t().stride() == (1, 1)


@pytest.mark.parametrize("name", ["uint8", "int16", "float32", "float64", "bfloat16"])
def test_data_ptr(name):
    t = torch.zeros(4, 5, dtype=dt(name))
    assert t.data_ptr() != 0
    assert t[2].data_ptr() == t.data_ptr() + 10 * t.element_size()
    assert t[1:, 3:].data_ptr() == t.data_ptr() + 8 * t.element_size()
    assert t.t().data_ptr() == t.data_ptr()
    if NP[name] is not None:
        assert t.numpy().ctypes.data == t.data_ptr()
    assert t.clone().data_ptr() != t.data_ptr()


# ---------------------------------------------------------------------------
# T / t() / mT
# ---------------------------------------------------------------------------

def test_transposes():
    t, a = sample("float32", (3, 5))
    for u in (t.T, t.t(), t.mT, torch.t(t)):
        assert_close(u, a.T)
        assert u.stride() == (1, 5)
        assert u.data_ptr() == t.data_ptr()
    t3, a3 = sample("int32", (2, 3, 4))
    assert_close(t3.mT, np.swapaxes(a3, -1, -2))
    v = torch.arange(4)
    assert v.t().shape == (4,) and v.t().stride() == (1,)
    assert torch.tensor(2.0).t().shape == ()
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        t3.t()


# ---------------------------------------------------------------------------
# dtype conversions
# ---------------------------------------------------------------------------

def source_values(name):
    """Values valid for every conversion from dtype `name` (as NumPy, float32 for bf16)."""
    if name == "bool":
        return np.array([True, False, True, False])
    if name in FLOATS:  # exactly representable in every float type
        a = np.array([-2.75, -1.5, -0.5, 0.0, 0.375, 1.5, 2.75, 100.5])
        return a.astype(np.float32 if name == "bfloat16" else NP[name])
    a = np.array([-3, -1, 0, 1, 2, 100, 127, 0])
    return np.abs(a).astype(NP[name]) if name == "uint8" else a.astype(NP[name])


def expected_cast(a, src, dst):
    if dst == "bool":
        return a != 0
    if dst == "bfloat16":
        return bf16_round(a.astype(np.float32))
    if src in FLOATS and dst not in FLOATS:
        a = np.trunc(a.astype(np.float64))
        if dst == "uint8":
            a = np.abs(a)
        return a.astype(np.int64).astype(NP[dst])
    return a.astype(NP[dst])


@pytest.mark.parametrize("dst", ALL_NAMES)
@pytest.mark.parametrize("src", ALL_NAMES)
def test_to_dtype_matrix(src, dst):
    a = source_values(src)
    if src in FLOATS and dst == "uint8":
        a = np.abs(a)  # negative float -> uint8 is undefined behaviour in C
    t = torch.tensor(a, dtype=dt(src))
    u = t.to(dt(dst))
    assert u.dtype == dt(dst) and u.shape == t.shape
    expected = expected_cast(a, src, dst)
    assert_close(u.float() if dst == "bfloat16" else u, expected)
    assert t.to(dtype=dt(dst)).dtype == dt(dst)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("src", ["bool", "int32", "float32", "float64"])
def test_conversion_methods(method, src):
    t, a = sample(src, (3, 4), seed=3)
    if src in FLOATS and METHODS[method] == "uint8":
        a = np.abs(a)  # negative float -> uint8 is undefined behaviour in C
        t = torch.from_numpy(a.copy())
    u = getattr(t, method)()
    dst = METHODS[method]
    assert u.dtype == dt(dst)
    assert_close(u.float() if dst == "bfloat16" else u, expected_cast(a, src, dst),
                 rtol=1e-3 if dst == "float16" else 1e-6)
    same = getattr(u, method)()
    assert same is u  # converting to the same dtype returns self


def test_float_to_int_truncates_toward_zero():
    t = torch.tensor([2.9, -2.9, 0.5, -0.5, -0.0, 7.0])
    assert t.long().tolist() == [2, -2, 0, 0, 0, 7]
    assert t.int().tolist() == [2, -2, 0, 0, 0, 7]
    assert t.char().tolist() == [2, -2, 0, 0, 0, 7]


def test_to_bool():
    assert torch.tensor([0, 3, -1]).bool().tolist() == [False, True, True]
    assert torch.tensor([float("nan"), 0.0, -0.0, 1e-30, float("inf")]).bool().tolist() == \
        [True, False, False, True, True]
    assert torch.tensor([-1]).byte().tolist() == [255]  # integer wrap-around


def test_rounding_to_half_and_bfloat16():
    rng = np.random.default_rng(7)
    a = (rng.standard_normal(1000) * 100).astype(np.float32)
    t = torch.from_numpy(a)
    np.testing.assert_array_equal(t.half().numpy(), a.astype(np.float16))
    np.testing.assert_array_equal(t.bfloat16().float().numpy(), bf16_round(a))
    np.testing.assert_array_equal(t.double().half().numpy(), a.astype(np.float64).astype(np.float16))


def test_to_device_and_other():
    t = torch.arange(6.0).reshape(2, 3)
    assert t.to("cpu") is t
    assert t.to(torch.device("cpu")) is t
    assert t.to(torch.float32) is t
    assert t.to(t) is t
    assert t.to("cpu", torch.int8).dtype == torch.int8
    assert t.to(device="cpu", dtype=torch.float64).dtype == torch.float64
    u = t.to(torch.zeros(1, dtype=torch.float16))
    assert u.dtype == torch.float16 and u.tolist() == t.tolist()
    assert t.cpu() is t
    c = t.to(torch.float32, copy=True)
    assert c is not t and c.data_ptr() != t.data_ptr() and c.tolist() == t.tolist()


# ---------------------------------------------------------------------------
# item / tolist / numpy
# ---------------------------------------------------------------------------

ITEM_CASES = [("bool", True, bool), ("uint8", 200, int), ("int8", -7, int), ("int16", -300, int),
              ("int32", 2 ** 31 - 1, int), ("int64", 2 ** 62 + 1, int), ("float16", 0.1, float),
              ("bfloat16", 1.5, float), ("float32", 0.1, float), ("float64", 0.1, float)]


@pytest.mark.parametrize("name, value, typ", ITEM_CASES)
def test_item(name, value, typ):
    for t in (torch.tensor(value, dtype=dt(name)), torch.tensor([value], dtype=dt(name)),
              torch.tensor([[[value]]], dtype=dt(name))):
        v = t.item()
        assert type(v) is typ
        if name in ("float16", "float32"):
            assert v == float(NP[name](value))
        else:
            assert v == value


def test_item_errors():
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        torch.tensor([1, 2]).item()
    with pytest.raises(RuntimeError, match="a Tensor with 0 elements cannot be converted to Scalar"):
        torch.zeros(0).item()


def test_item_of_view():
    t = torch.arange(12).reshape(3, 4)
    assert t[2, 1].item() == 9
    assert t.t()[3, 2].item() == 11
    assert t[1:, ::2][1, 1].item() == 10


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (4,), (2, 3), (2, 0, 3), (2, 3, 2)])
def test_tolist_matches_numpy(name, npdt, shape):
    t, a = sample(name, shape, seed=5)
    lst = t.tolist()
    assert lst == a.tolist()
    py_type = bool if name == "bool" else (float if name in FLOATS else int)
    flat = lst
    while isinstance(flat, list) and flat:
        flat = flat[0]
    if not isinstance(flat, list):
        assert type(flat) is py_type
    # non-contiguous
    if len(shape) >= 2:
        assert t.transpose(0, 1).tolist() == np.swapaxes(a, 0, 1).tolist()


def test_tolist_special():
    assert torch.tensor(3).tolist() == 3 and type(torch.tensor(3).tolist()) is int
    assert torch.tensor(True).tolist() is True
    assert torch.tensor([0.1], dtype=torch.float16).tolist() == [0.0999755859375]
    assert torch.tensor([0.1], dtype=torch.bfloat16).tolist() == [0.10009765625]
    assert torch.tensor([[True, False]]).tolist() == [[True, False]]
    assert torch.zeros(2, 0).tolist() == [[], []]


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_numpy(name, npdt):
    t, a = sample(name, (3, 4), seed=6)
    n = t.numpy()
    assert type(n) is np.ndarray and n.dtype == np.dtype(npdt)
    np.testing.assert_array_equal(n, a)
    assert n.ctypes.data == t.data_ptr()  # shares memory
    t.zero_()
    assert not n.any()
    tt = t.t()
    assert tt.numpy().strides == tuple(s * t.element_size() for s in tt.stride())


def test_numpy_bfloat16_raises():
    with pytest.raises(TypeError):
        torch.zeros(2, dtype=torch.bfloat16).numpy()


# ---------------------------------------------------------------------------
# clone / contiguous / copy_ / fill_ / zero_
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_NAMES)
def test_clone(name):
    t, a = sample(name, (3, 4), seed=8)
    c = t.clone()
    assert c.dtype == t.dtype and c.shape == t.shape
    assert c.data_ptr() != t.data_ptr()
    np.testing.assert_array_equal(values(c), a)
    c.zero_()
    np.testing.assert_array_equal(values(t), a)


def test_clone_preserves_dense_strides():
    t = torch.arange(12.0).reshape(3, 4)
    c = t.t().clone()
    assert c.stride() == (1, 4) and not c.is_contiguous()
    assert_close(c, np.arange(12.0, dtype=np.float32).reshape(3, 4).T)
    p = torch.arange(24).reshape(2, 3, 4).permute(2, 0, 1).clone()
    assert p.stride() == (1, 12, 4)
    s = t[:, ::2].clone()  # not dense: becomes contiguous
    assert s.stride() == (2, 1) and s.tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]
    e = torch.tensor([1.0, 2.0]).expand(3, 2).clone()  # overlapping: contiguous
    assert e.stride() == (2, 1)


@pytest.mark.parametrize("make", [lambda t: t.t(), lambda t: t[:, ::2], lambda t: t[1:, 1:],
                                  lambda t: t[:, :1].expand(3, 5), lambda t: t.reshape(3, 4)])
def test_contiguous(make):
    base = torch.arange(12.0).reshape(3, 4)
    v = make(base)
    c = v.contiguous()
    assert c.is_contiguous() and c.shape == v.shape
    assert c.tolist() == v.tolist()
    if v.is_contiguous():
        assert c is v
    else:
        assert c.data_ptr() != base.data_ptr()
        expected = [1] * c.dim()
        for d in range(c.dim() - 2, -1, -1):
            expected[d] = expected[d + 1] * c.shape[d + 1]
        assert c.stride() == tuple(expected)


def test_copy_broadcast_and_cast():
    dst = torch.zeros(2, 3)
    r = dst.copy_(torch.tensor([1, 2, 3]))
    assert r is dst and dst.dtype == torch.float32
    assert dst.tolist() == [[1.0, 2.0, 3.0]] * 2
    dst.copy_(torch.tensor(5.0))
    assert dst.tolist() == [[5.0] * 3] * 2
    dst = torch.zeros(2, 3, dtype=torch.int64)
    dst.copy_(torch.tensor([1.9, -2.9, 3.5]))
    assert dst.tolist() == [[1, -2, 3]] * 2
    dst = torch.zeros(3, dtype=torch.bool)
    dst.copy_(torch.tensor([0.0, 0.5, float("nan")]))
    assert dst.tolist() == [False, True, True]
    with pytest.raises(RuntimeError, match="must match the size of tensor"):
        torch.zeros(2, 3).copy_(torch.zeros(4))


def test_copy_into_views():
    base = torch.zeros(2, 3)
    base.t().copy_(torch.arange(6.0).reshape(3, 2))
    assert base.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    base = torch.zeros(4, 6)
    base[1::2, ::3].copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]).t())
    expected = np.zeros((4, 6), dtype=np.float32)
    expected[1::2, ::3] = np.array([[1.0, 2.0], [3.0, 4.0]]).T
    assert_close(base, expected)
    # from a non-contiguous, differently typed source
    src = torch.arange(12, dtype=torch.int16).reshape(3, 4)[:, ::2]
    dst = torch.empty(3, 2, dtype=torch.float64)
    dst.copy_(src)
    assert dst.tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_fill_zero(name):
    t = torch.ones(3, 4, dtype=dt(name))
    v = t[:, 1::2]
    assert v.fill_(1 if name in ("bool", "uint8") else 2) is v
    assert t.zero_() is t
    assert values(t).tolist() == np.zeros((3, 4)).tolist()
    t = torch.zeros(2, 3, dtype=dt(name))
    t[1].fill_(True if name == "bool" else 3)
    got = values(t)
    assert got[0].tolist() == [0] * 3 and got[1].tolist() == [1 if name == "bool" else 3] * 3


def test_fill_casts_value():
    assert torch.zeros(2, dtype=torch.int32).fill_(2.9).tolist() == [2, 2]
    assert torch.zeros(2, dtype=torch.int32).fill_(-2.9).tolist() == [-2, -2]
    assert torch.zeros(2, dtype=torch.bool).fill_(0.5).tolist() == [True, True]
    assert torch.zeros(2).fill_(True).tolist() == [1.0, 1.0]
    assert torch.zeros(2).fill_(torch.tensor(4.5)).tolist() == [4.5, 4.5]
    t = torch.zeros(3, 4)
    t.t().fill_(7)
    assert t.tolist() == [[7.0] * 4] * 3
