"""Tensor creation: tensor / as_tensor / from_numpy, the factories, the legacy
constructors and types, default dtype, torch.Size, dtype and device objects.

NumPy is the value oracle; every expectation here also holds for real PyTorch
(run with CTORCH_TEST_REFERENCE=torch).
"""
import numpy as np
import pytest

from helpers import (torch, real_torch, assert_close, DTYPES, NP_DTYPES, DNAMES as ALL_NAMES,
                     dt, bf16_round)

# set_default_tensor_type is deprecated in PyTorch 2.x (UserWarning); not our concern
pytestmark = pytest.mark.filterwarnings("ignore:.*set_default_tensor_type.*:UserWarning")


@pytest.fixture
def restore_default_dtype():
    old = torch.get_default_dtype()
    try:
        yield
    finally:
        torch.set_default_dtype(old)


# ---------------------------------------------------------------------------
# torch.tensor: dtype inference and conversion
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("data, dtype, shape", [
    (3, "int64", ()),
    (2.5, "float32", ()),
    (True, "bool", ()),
    ([1, 2, 3], "int64", (3,)),
    ((1, 2, 3), "int64", (3,)),
    ([1.0, 2, 3], "float32", (3,)),
    ([1, 2.5], "float32", (2,)),
    ([True, False], "bool", (2,)),
    ([True, 1], "int64", (2,)),
    ([True, 1.5], "float32", (2,)),
    ([[1, 2], [3, 4], [5, 6]], "int64", (3, 2)),
    (((1, 2), [3, 4]), "int64", (2, 2)),
    ([[[1.5]], [[2.5]]], "float32", (2, 1, 1)),
    ([], "float32", (0,)),
    ([[]], "float32", (1, 0)),
    ([[], []], "float32", (2, 0)),
    ([2 ** 40, -(2 ** 40)], "int64", (2,)),
])
def test_tensor_inference(data, dtype, shape):
    t = torch.tensor(data)
    assert t.dtype == dt(dtype)
    assert tuple(t.shape) == shape
    assert t.device == torch.device("cpu")
    expected = np.array(data, dtype=dict(NP_DTYPES)[dtype]).reshape(shape)
    assert_close(t, expected)


@pytest.mark.parametrize("make, dtype", [
    (lambda: np.float64(1.5), "float64"),
    (lambda: np.float32(1.5), "float32"),
    (lambda: np.float16(1.5), "float16"),
    (lambda: np.int32(3), "int32"),
    (lambda: np.int16(3), "int16"),
    (lambda: np.uint8(3), "uint8"),
    (lambda: np.bool_(True), "bool"),
    (lambda: [np.float64(1.5), np.float64(2.5)], "float64"),
    (lambda: [np.int32(1), np.int32(2)], "int32"),
    (lambda: [1, np.float32(2)], "float32"),
    (lambda: np.array(1.5), "float64"),
])
def test_tensor_from_numpy_scalars(make, dtype):
    data = make()
    t = torch.tensor(data)
    assert t.dtype == dt(dtype)
    assert_close(t, np.asarray(data, dtype=dict(NP_DTYPES)[dtype]))


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_tensor_from_ndarray_keeps_dtype_and_copies(name, npdt):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 4)) * 10).astype(npdt)
    t = torch.tensor(a)
    assert t.dtype == dt(name)
    assert t.is_contiguous()
    assert_close(t, a)
    # torch.tensor always copies: writes do not reach the array
    before = a.copy()
    t.fill_(1)
    np.testing.assert_array_equal(a, before)
    # non-contiguous input: values as NumPy sees them
    assert_close(torch.tensor(a.T[::2]), a.T[::2])
    # PyTorch refuses negative strides even though tensor() copies
    with pytest.raises(ValueError, match="negative"):
        torch.tensor(a[:, ::-1])


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays")
def test_tensor_from_list_of_ndarrays():
    t = torch.tensor([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)])
    assert t.dtype == torch.int32
    assert_close(t, np.array([[1, 2], [3, 4]], dtype=np.int32))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_tensor_dtype_argument(name):
    data = [[0, 1.7, -1.7], [2.5, -0.5, 3.0]]
    if name == "uint8":  # negative floats do not fit uint8 (see test_tensor_dtype_overflow)
        data = [[0, 1.7, 0.2], [2.5, 0.5, 3.0]]
    t = torch.tensor(data, dtype=dt(name))
    assert t.dtype == dt(name)
    assert t.shape == (2, 3)
    a = np.array(data)
    if name == "bool":
        expected = a != 0
    elif name == "bfloat16":
        t, expected = t.float(), bf16_round(a)
    elif name.startswith("float"):
        expected = a
    else:
        expected = np.trunc(a)
    npdt = dict(DTYPES)[name] or np.float32
    assert_close(t, expected.astype(npdt))


def test_tensor_dtype_overflow():
    assert torch.tensor([-1], dtype=torch.uint8).tolist() == [255]
    for data, name in (([300], "int8"), ([-1.5], "uint8"), ([1e10], "int32")):
        with pytest.raises(RuntimeError, match=f"value cannot be converted to type {name} without overflow"):
            torch.tensor(data, dtype=dt(name))


def test_tensor_float_to_int_truncates_toward_zero():
    t = torch.tensor([1.7, -1.7, 2.5, -2.5, 0.9, -0.9], dtype=torch.int32)
    assert t.tolist() == [1, -1, 2, -2, 0, 0]


def test_tensor_device_cpu():
    for dev in ("cpu", torch.device("cpu")):
        t = torch.tensor([1, 2], device=dev)
        assert t.device.type == "cpu"
        assert not t.is_cuda


def test_tensor_ragged_raises():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1"):
        torch.tensor([[1, 2], [3]])


def test_tensor_of_str_raises():
    with pytest.raises(TypeError):
        torch.tensor("a")


# ---------------------------------------------------------------------------
# as_tensor / from_numpy
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_as_tensor_shares_when_dtype_matches(name, npdt):
    a = np.zeros(4, dtype=npdt)
    t = torch.as_tensor(a)
    assert t.dtype == dt(name)
    assert t.data_ptr() == a.ctypes.data
    t[1] = 1
    assert a[1] == 1
    a[2] = 1
    assert t[2].item() == 1


def test_as_tensor_copies_on_dtype_change_and_lists():
    a = np.zeros(3, dtype=np.float64)
    t = torch.as_tensor(a, dtype=torch.float32)
    assert t.dtype == torch.float32
    t[0] = 1
    assert a[0] == 0
    t = torch.as_tensor([1, 2])
    assert t.dtype == torch.int64 and t.tolist() == [1, 2]
    t = torch.as_tensor([1.5, 2.5], dtype=torch.float64)
    assert t.dtype == torch.float64


def test_as_tensor_of_tensor():
    t = torch.zeros(3)
    assert torch.as_tensor(t) is t
    u = torch.as_tensor(t, dtype=torch.float64)
    assert u is not t and u.dtype == torch.float64


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_from_numpy_shares_memory_both_ways(name, npdt):
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((3, 5)) * 5).astype(npdt)
    t = torch.from_numpy(a)
    assert t.dtype == dt(name)
    assert tuple(t.shape) == a.shape
    assert t.data_ptr() == a.ctypes.data
    assert_close(t, a)
    one = True if name == "bool" else 7
    t[1, 2] = one
    assert a[1, 2] == one
    a[2, 4] = 0
    assert t[2, 4].item() == 0
    t.zero_()
    assert not a.any()


@pytest.mark.parametrize("view", ["T", "step", "col", "fortran", "0d", "empty", "offset"])
def test_from_numpy_keeps_strides(view):
    base = np.arange(60, dtype=np.float32).reshape(6, 10)
    a = {
        "T": base.T,
        "step": base[::2, 1::3],
        "col": base[:, 3],
        "fortran": np.asfortranarray(base),
        "0d": np.array(5.0, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "offset": base[2:, 4:],
    }[view]
    t = torch.from_numpy(a)
    assert tuple(t.shape) == a.shape
    if a.size:
        assert t.stride() == tuple(s // a.itemsize for s in a.strides)
        assert t.data_ptr() == a.ctypes.data
    assert_close(t, a)
    if a.size:
        t.fill_(-1)
        assert (a == -1).all()


def test_from_numpy_negative_strides_raise():
    a = np.arange(6.0).reshape(2, 3)
    for bad in (a[::-1], a[:, ::-1], a[::-1, ::2]):
        with pytest.raises(ValueError, match="negative"):
            torch.from_numpy(bad)
    torch.from_numpy(a[::-1].copy())  # the documented workaround


@pytest.mark.parametrize("obj", [[1, 2], (1.0,), 3.0, "abc"])
def test_from_numpy_non_ndarray_raises(obj):
    with pytest.raises(TypeError, match="expected np.ndarray"):
        torch.from_numpy(obj)


def test_from_numpy_object_dtype_raises():
    with pytest.raises(TypeError):
        torch.from_numpy(np.array([1, "a"], dtype=object))


# ---------------------------------------------------------------------------
# zeros ones empty full and the *_like forms
# ---------------------------------------------------------------------------

SIZE_FORMS = [
    lambda f, *a, **k: f(2, 3, *a, **k),
    lambda f, *a, **k: f((2, 3), *a, **k),
    lambda f, *a, **k: f([2, 3], *a, **k),
    lambda f, *a, **k: f(torch.Size([2, 3]), *a, **k),
    lambda f, *a, **k: f(size=(2, 3), *a, **k),
]


@pytest.mark.parametrize("form", range(len(SIZE_FORMS)))
@pytest.mark.parametrize("fn, value", [("zeros", 0), ("ones", 1), ("empty", None)])
def test_factories_size_forms(fn, value, form):
    t = SIZE_FORMS[form](getattr(torch, fn))
    assert t.shape == (2, 3) and isinstance(t.shape, torch.Size)
    assert t.dtype == torch.float32
    assert t.is_contiguous() and t.stride() == (3, 1)
    if value is not None:
        assert_close(t, np.full((2, 3), value, dtype=np.float32))


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("shape", [(), (0,), (4,), (2, 0, 3), (2, 3, 4)])
def test_zeros_ones_empty_dtypes(name, shape):
    npdt = dict(DTYPES)[name] or np.float32
    z = torch.zeros(shape, dtype=dt(name))
    o = torch.ones(*shape, dtype=dt(name)) if shape else torch.ones((), dtype=dt(name))
    e = torch.empty(shape, dtype=dt(name))
    for t in (z, o, e):
        assert t.dtype == dt(name) and tuple(t.shape) == shape
        assert t.numel() == int(np.prod(shape))
    assert_close(z.float() if name == "bfloat16" else z, np.zeros(shape, npdt))
    assert_close(o.float() if name == "bfloat16" else o, np.ones(shape, npdt))


@pytest.mark.parametrize("fill, dtype", [(7, "int64"), (2.5, "float32"), (True, "bool"),
                                         (-3, "int64"), (1e-3, "float32")])
def test_full_infers_dtype(fill, dtype):
    t = torch.full((2, 3), fill)
    assert t.dtype == dt(dtype)
    assert_close(t, np.full((2, 3), fill, dtype=dict(NP_DTYPES)[dtype]))
    t = torch.full(size=[4], fill_value=fill)
    assert t.shape == (4,) and t.dtype == dt(dtype)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_full_with_dtype(name):
    t = torch.full([2, 2], 3, dtype=dt(name))
    assert t.dtype == dt(name)
    expected = np.full((2, 2), 3, dtype=dict(DTYPES)[name] or np.float32)
    assert_close(t.float() if name == "bfloat16" else t, expected)
    assert torch.full((2,), 1.5, dtype=torch.int32).tolist() == [1, 1]


@pytest.mark.parametrize("name", ["bool", "uint8", "int16", "int64", "float16", "bfloat16", "float64"])
def test_like_factories(name):
    x = torch.zeros(2, 3, dtype=dt(name))
    for t, val in ((torch.zeros_like(x), 0), (torch.ones_like(x), 1),
                   (torch.full_like(x, 1), 1), (torch.empty_like(x), None)):
        assert t.dtype == dt(name) and t.shape == (2, 3)
        if val is not None:
            assert t.float().tolist() == [[float(val)] * 3] * 2
    t = torch.ones_like(x, dtype=torch.float32)
    assert t.dtype == torch.float32 and t.tolist() == [[1.0] * 3] * 2
    # full_like keeps the input's dtype whatever the fill value's type
    assert torch.full_like(torch.zeros(2, dtype=torch.int16), 3.7).tolist() == [3, 3]
    assert torch.full_like(torch.zeros(2), 3).dtype == torch.float32


def test_like_factories_preserve_dense_strides():
    # preserve_format: a dense permuted input gives a result with the same strides
    x = torch.zeros(3, 4).t()
    for fn in (torch.zeros_like, torch.ones_like, torch.empty_like):
        assert fn(x).stride() == (1, 4)
    assert torch.full_like(x, 2.0).stride() == (1, 4)
    # a non-dense input gives a contiguous result
    assert torch.ones_like(torch.zeros(3, 4)[:, ::2]).stride() == (2, 1)


def test_factory_bad_sizes():
    with pytest.raises(RuntimeError):
        torch.zeros(-1)
    with pytest.raises(TypeError):
        torch.zeros(2, "a")


# ---------------------------------------------------------------------------
# arange linspace eye
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, dtype", [
    ((5,), "int64"),
    ((2, 9), "int64"),
    ((0, 10, 3), "int64"),
    ((10, 0, -3), "int64"),
    ((-5, 5, 2), "int64"),
    ((5.0,), "float32"),
    ((5.5,), "float32"),
    ((0, 5, 2.0), "float32"),
    ((1.5, 4), "float32"),
    ((0, 1, 0.1), "float32"),
    ((0, 0.3, 0.1), "float32"),
    ((1, 2.5, 0.5), "float32"),
    ((-1.0, 1.0, 0.25), "float32"),
    ((1, 0, -0.1), "float32"),
    ((0, 1, 1 / 3), "float32"),
    ((3, 3), "int64"),
])
def test_arange(args, dtype):
    t = torch.arange(*args)
    assert t.dtype == dt(dtype)
    expected = np.arange(*args, dtype=np.float64)  # length ceil((end-start)/step) in double
    assert_close(t, expected.astype(dict(NP_DTYPES)[dtype]))


@pytest.mark.parametrize("name", ["int32", "int16", "uint8", "float16", "bfloat16", "float32", "float64"])
def test_arange_dtype_argument(name):
    t = torch.arange(0, 10, 3, dtype=dt(name))
    assert t.dtype == dt(name)
    assert t.tolist() == ([0.0, 3.0, 6.0, 9.0] if t.dtype.is_floating_point else [0, 3, 6, 9])
    t = torch.arange(start=1, end=4, step=1, dtype=dt(name))
    assert t.shape == (3,)


def test_arange_errors():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        torch.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        torch.arange(0, 5, -1)


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-1, 1, 4), (2, -3, 7), (0, 10, 1),
                                               (0, 1, 0), (1e-3, 1e3, 11), (0.5, 0.5, 3)])
def test_linspace(start, end, steps):
    t = torch.linspace(start, end, steps)
    assert t.dtype == torch.float32 and t.shape == (steps,)
    assert_close(t, np.linspace(start, end, steps).astype(np.float32), rtol=1e-5, atol=1e-5)
    t = torch.linspace(start, end, steps=steps, dtype=torch.float64)
    assert t.dtype == torch.float64
    assert_close(t, np.linspace(start, end, steps), rtol=1e-12, atol=1e-12)


def test_linspace_integer_dtype():
    t = torch.linspace(0, 10, 5, dtype=torch.int64)
    assert t.dtype == torch.int64 and t.tolist() == [0, 2, 5, 7, 10]


@pytest.mark.parametrize("args", [(3,), (2, 3), (3, 2), (1,), (0,), (4, 4)])
def test_eye(args):
    t = torch.eye(*args)
    assert t.dtype == torch.float32
    assert_close(t, np.eye(*args, dtype=np.float32))
    t = torch.eye(*args, dtype=torch.int32)
    assert t.dtype == torch.int32
    assert_close(t, np.eye(*args, dtype=np.int32))
    assert torch.eye(*args, dtype=torch.bool).dtype == torch.bool


# ---------------------------------------------------------------------------
# legacy constructors and tensor types
# ---------------------------------------------------------------------------

LEGACY = [("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"),
          ("BFloat16Tensor", "bfloat16"), ("LongTensor", "int64"), ("IntTensor", "int32"),
          ("ShortTensor", "int16"), ("CharTensor", "int8"), ("ByteTensor", "uint8"),
          ("BoolTensor", "bool")]


def test_legacy_Tensor_constructor():
    t = torch.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == torch.float32
    t = torch.Tensor([1, 2])
    assert t.dtype == torch.float32 and t.tolist() == [1.0, 2.0]
    t = torch.Tensor([[1.5, 2], [3, 4]])
    assert t.shape == (2, 2) and t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    t = torch.Tensor(torch.Size([4, 1]))
    assert t.shape == (4, 1)
    t = torch.Tensor()
    assert t.shape == (0,) and t.dtype == torch.float32
    assert isinstance(torch.zeros(2, dtype=torch.int8), torch.Tensor)


@pytest.mark.parametrize("cls, name", LEGACY)
def test_legacy_types(cls, name):
    T = getattr(torch, cls)
    t = T(2, 3)
    assert t.shape == (2, 3) and t.dtype == dt(name)
    assert T(torch.Size([4])).shape == (4,)
    t = T([[1, 0], [2, 3]])
    assert t.dtype == dt(name) and t.shape == (2, 2)
    expected = [[True, False], [True, True]] if name == "bool" else [[1, 0], [2, 3]]
    assert t.tolist() == expected
    assert isinstance(t, T)
    assert isinstance(t, torch.Tensor)
    assert t.type() == "torch." + cls
    others = [getattr(torch, c) for c, _ in LEGACY if c != cls]
    assert not any(isinstance(t, o) for o in others)
    assert isinstance(torch.zeros(1, dtype=dt(name)), T)


def test_legacy_types_convert_values():
    assert torch.IntTensor([1.7, -1.7]).tolist() == [1, -1]
    assert torch.BoolTensor([0, 2]).tolist() == [False, True]
    assert torch.LongTensor([3, 4]).dtype == torch.int64


# ---------------------------------------------------------------------------
# default dtype
# ---------------------------------------------------------------------------

def test_default_dtype_is_float32():
    assert torch.get_default_dtype() == torch.float32


def test_set_default_dtype(restore_default_dtype):
    torch.set_default_dtype(torch.float64)
    assert torch.get_default_dtype() == torch.float64
    assert torch.tensor([1.5]).dtype == torch.float64
    assert torch.tensor(2.5).dtype == torch.float64
    assert torch.zeros(2).dtype == torch.float64
    assert torch.ones(2).dtype == torch.float64
    assert torch.full((2,), 1.5).dtype == torch.float64
    assert torch.arange(0., 1, .5).dtype == torch.float64
    assert torch.linspace(0, 1, 3).dtype == torch.float64
    assert torch.eye(2).dtype == torch.float64
    assert torch.Tensor(2).dtype == torch.float64
    # integers are not affected
    assert torch.tensor([1]).dtype == torch.int64
    assert torch.arange(3).dtype == torch.int64
    torch.set_default_dtype(torch.float32)
    assert torch.tensor([1.5]).dtype == torch.float32
    assert torch.zeros(2).dtype == torch.float32


def test_set_default_dtype_rejects_integers(restore_default_dtype):
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        torch.set_default_dtype(torch.int32)
    assert torch.get_default_dtype() == torch.float32


def test_set_default_tensor_type(restore_default_dtype):
    try:
        torch.set_default_tensor_type(torch.DoubleTensor)
        assert torch.get_default_dtype() == torch.float64
        assert torch.tensor([1.5]).dtype == torch.float64
        assert torch.zeros(2).dtype == torch.float64
        assert torch.arange(0., 1, .5).dtype == torch.float64
        assert torch.Tensor([1]).dtype == torch.float64
        torch.set_default_tensor_type("torch.FloatTensor")
        assert torch.tensor([1.5]).dtype == torch.float32
    finally:
        torch.set_default_tensor_type(torch.FloatTensor)
    assert torch.get_default_dtype() == torch.float32
    assert torch.Tensor(2).dtype == torch.float32


# ---------------------------------------------------------------------------
# torch.Size
# ---------------------------------------------------------------------------

def test_size():
    s = torch.Size([2, 3])
    assert isinstance(s, tuple) and type(s) is torch.Size
    assert repr(s) == "torch.Size([2, 3])" and str(s) == "torch.Size([2, 3])"
    assert repr(torch.Size([])) == "torch.Size([])"
    assert repr(torch.Size((5,))) == "torch.Size([5])"
    assert s == (2, 3) and (2, 3) == s and s == torch.Size((2, 3)) and s != (3, 2)
    assert s.numel() == 6 and torch.Size([]).numel() == 1 and torch.Size([4, 0]).numel() == 0
    assert len(s) == 2 and s[0] == 2 and s[-1] == 3 and list(s) == [2, 3]
    assert type(s[1:]) is torch.Size and s[1:] == (3,)
    a, b = s
    assert (a, b) == (2, 3)
    assert hash(s) == hash((2, 3))
    assert type(torch.zeros(2, 3).shape) is torch.Size
    assert type(torch.zeros(2, 3).size()) is torch.Size
    with pytest.raises(TypeError):
        torch.Size([2.5])


# ---------------------------------------------------------------------------
# dtype objects
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, npdt", DTYPES)
def test_dtype_objects(name, npdt):
    d = dt(name)
    assert str(d) == "torch." + name
    assert repr(d) == "torch." + name
    assert d.is_floating_point == (name in ("float16", "bfloat16", "float32", "float64"))
    assert d.itemsize == (np.dtype(npdt).itemsize if npdt is not None else 2)
    assert d.is_signed == (name not in ("bool", "uint8"))
    assert d == dt(name) and hash(d) == hash(dt(name))
    assert isinstance(d, torch.dtype)
    assert torch.zeros(1, dtype=d).dtype is d


def test_dtype_aliases():
    assert torch.float is torch.float32
    assert torch.double is torch.float64
    assert torch.half is torch.float16
    assert torch.long is torch.int64
    assert torch.int is torch.int32
    assert torch.short is torch.int16
    assert torch.float32 != torch.float64
    assert torch.float32 == torch.float


# ---------------------------------------------------------------------------
# devices
# ---------------------------------------------------------------------------

def test_device_objects():
    cpu = torch.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None
    assert str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')"
    assert cpu == torch.device("cpu")
    c0 = torch.device("cuda:0")
    assert c0.type == "cuda" and c0.index == 0
    assert str(c0) == "cuda:0" and repr(c0) == "device(type='cuda', index=0)"
    assert c0 == torch.device("cuda", 0)
    assert c0 != cpu
    assert torch.device("cuda").index is None
    assert str(torch.device("cuda", 1)) == "cuda:1"
    assert hash(torch.device("cuda:1")) == hash(torch.device("cuda", 1))
    assert torch.zeros(1).device == cpu
    assert isinstance(torch.zeros(1).device, torch.device)
    with pytest.raises(RuntimeError, match="Invalid device string"):
        torch.device("xpu2")


def test_factories_accept_device():
    for dev in ("cpu", torch.device("cpu")):
        for t in (torch.zeros(2, device=dev), torch.ones(2, device=dev), torch.empty(2, device=dev),
                  torch.full((2,), 1, device=dev), torch.arange(3, device=dev),
                  torch.eye(2, device=dev), torch.linspace(0, 1, 3, device=dev)):
            assert t.device == torch.device("cpu")


# ---------------------------------------------------------------------------
# parity with real PyTorch
# ---------------------------------------------------------------------------

@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="needs real PyTorch")
def test_parity_arange_linspace():
    rng = np.random.default_rng(42)
    cases = [(0, 1, 0.1), (0, 0.3, 0.1), (1, 0, -0.1), (0.1, 0.9, 0.2), (-3.3, 7.7, 1.1), (1e-3, 1, 1e-2)]
    for _ in range(40):
        start, span = (float(x) for x in np.round(rng.uniform(-5, 5, 2), int(rng.integers(0, 4))))
        step = float(np.round(rng.uniform(0.05, 2), int(rng.integers(1, 4)))) * (1 if span >= 0 else -1)
        cases.append((start, start + span, step))
    for args in cases:
        for dtype in ("float32", "float64"):
            ours = torch.arange(*args, dtype=dt(dtype))
            theirs = real_torch.arange(*args, dtype=getattr(real_torch, dtype))
            assert tuple(ours.shape) == tuple(theirs.shape), args
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    for start, end, steps in [(0, 1, 7), (-2.5, 3.5, 13), (10, -10, 4), (0, 1, 1)]:
        for dtype in ("float32", "float64", "int64", "int32"):
            ours = torch.linspace(start, end, steps, dtype=dt(dtype))
            theirs = real_torch.linspace(start, end, steps, dtype=getattr(real_torch, dtype))
            assert ours.tolist() == pytest.approx(theirs.tolist(), rel=1e-6, abs=1e-6), (start, end, steps, dtype)
