"""Indexing: gather, index_select, scatter, index_add, masks, nonzero and
advanced indexing (reads and writes), with NumPy as the oracle."""
import numpy as np
import pytest

from helpers import REFERENCE, assert_close, torch, to_numpy


def arr(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def noncontig(a):
    """a tensor holding `a` with a non-contiguous layout (a transposed copy)."""
    t = torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    assert a.ndim < 2 or min(a.shape[-2:]) < 2 or not t.is_contiguous()
    return t


LAYOUTS = [lambda a: torch.tensor(a), noncontig]


# ---- advanced indexing reads: NumPy's results ----
READ_KEYS = [
    lambda n: np.array([2, 0, 1, 1]),
    lambda n: (slice(None), np.array([3, 0])),
    lambda n: (np.array([0, 2]), np.array([1, 3])),                   # pairs
    lambda n: (np.array([[0], [2]]), np.array([1, 3])),               # broadcast indices
    lambda n: (Ellipsis, np.array([-1, 0])),                          # negative indices
    lambda n: (slice(None), None, np.array([1, 2])),                  # None before the index
    lambda n: (np.array([1, 0]), slice(1, 3)),
    lambda n: np.array([], dtype=np.int64),                           # empty index
    lambda n: n > 0,                                                  # a full mask
    lambda n: np.array([True, False, True]),                          # a mask over dim 0
    lambda n: (slice(None), np.array([True, False, False, True])),
]


@pytest.mark.parametrize("make", LAYOUTS, ids=["c", "t"])
@pytest.mark.parametrize("k", range(len(READ_KEYS)))
def test_advanced_read_matches_numpy(k, make):
    a = arr((3, 4))
    key = READ_KEYS[k](a)
    expected = a[key]
    tkey = tuple(torch.tensor(x) if isinstance(x, np.ndarray) else x for x in (key if isinstance(key, tuple) else (key,)))
    got = make(a)[tkey if isinstance(key, tuple) else tkey[0]]
    assert_close(got, expected)


@pytest.mark.parametrize("key,np_key", [
    ((slice(None), [1, 0], [2, 2]), (slice(None), [1, 0], [2, 2])),              # adjacent: in place
    (([1, 0], slice(None), [2, 2]), ([1, 0], slice(None), [2, 2])),              # separated: first
    ((slice(None), slice(None), [3, 0, 1]), (slice(None), slice(None), [3, 0, 1])),
    ((None, [1], Ellipsis, [0, 3]), (None, [1], Ellipsis, [0, 3])),
])
def test_advanced_placement_of_indexed_dims(key, np_key):
    a = arr((2, 3, 4))
    assert_close(torch.tensor(a)[key], a[np_key])


def test_ints_with_an_index_are_basic_as_in_pytorch():
    t = torch.zeros(2, 3, 4)
    assert tuple(t[0, :, [1, 2]].shape) == (3, 2)
    assert tuple(t[[0], :, [1, 2]].shape) == (2, 3)


def test_seed_snippets_randperm_and_reverse():
    a = arr((2, 3, 4, 5))
    t = torch.tensor(a)
    perm = torch.randperm(2)
    assert_close(t[perm], a[to_numpy(perm)])
    w = 5
    assert_close(t[:, :, :, torch.arange(w - 1, -1, -1).long()], a[:, :, :, ::-1])


def test_bool_scalars_and_lists():
    a = arr((2, 3))
    t = torch.tensor(a)
    assert_close(t[True], a[True])
    assert tuple(t[False].shape) == (0, 2, 3)
    assert_close(t[[1, 0]], a[[1, 0]])
    assert_close(t[[True, False]], a[[True, False]])
    assert_close(t[torch.tensor([1, 0], dtype=torch.int32)], a[[1, 0]])


# ---- advanced writes ----
@pytest.mark.parametrize("make", LAYOUTS, ids=["c", "t"])
def test_advanced_write_matches_numpy(make):
    a = arr((3, 4))
    t = make(a.copy())
    t[torch.tensor([2, 0])] = 5.0
    a2 = a.copy()
    a2[[2, 0]] = 5.0
    assert_close(t, a2)
    t[:, torch.tensor([1, 3])] = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    a2[:, [1, 3]] = [[1.0, 2.0]]
    assert_close(t, a2)
    t[t > 1.5] = -1.0
    a2[a2 > 1.5] = -1.0
    assert_close(t, a2)
    t[[0, 1], [1, 2]] = torch.tensor([7.0, 8.0], dtype=torch.float64)
    a2[[0, 1], [1, 2]] = [7.0, 8.0]
    assert_close(t, a2)


def test_advanced_write_separated_dims_and_empty():
    a = arr((2, 3, 4))
    t = torch.tensor(a.copy())
    v = arr((2, 3), seed=1)
    t[[1, 0], :, [0, 3]] = torch.tensor(v)
    a[[1, 0], :, [0, 3]] = v
    assert_close(t, a)
    t[torch.tensor([], dtype=torch.long)] = 3.0
    assert_close(t, a)


# ---- gather / index_select / scatter / index_add ----
@pytest.mark.parametrize("make", LAYOUTS, ids=["c", "t"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(make, dim):
    a = arr((3, 4))
    idx = np.random.default_rng(1).integers(0, a.shape[dim], size=(2, 3))
    assert_close(make(a).gather(dim, torch.tensor(idx)), _gather_np(a, dim, idx))


def _gather_np(a, dim, idx):
    """gather by its definition: out[p] = a[p with p[dim] = idx[p]]"""
    out = np.empty(idx.shape, a.dtype)
    for pos in np.ndindex(*idx.shape):
        src = list(pos)
        src[dim] = idx[pos]
        out[pos] = a[tuple(src)]
    return out


@pytest.mark.parametrize("make", LAYOUTS, ids=["c", "t"])
@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int16])
def test_index_select(make, dim, dtype):
    a = arr((3, 4), dtype=dtype) if dtype == np.float32 else np.arange(12, dtype=dtype).reshape(3, 4)
    idx = np.array([2, 0, 2])
    assert_close(make(a).index_select(dim, torch.tensor(idx)), np.take(a, idx, axis=dim))
    assert_close(torch.index_select(make(a), dim, torch.tensor([], dtype=torch.long)),
                 np.take(a, np.array([], dtype=np.int64), axis=dim))


def test_scatter_forms_and_one_hot():
    N, C = 5, 4
    labels = torch.tensor([0, 3, 1, 3, 2])
    one_hot = torch.zeros(N, C).long().scatter_(dim=1, index=torch.unsqueeze(labels, dim=1), src=torch.ones(N, C).long())
    assert_close(one_hot, np.eye(C, dtype=np.int64)[[0, 3, 1, 3, 2]])
    smoothed = torch.full((N, C), 0.1 / 3)
    smoothed.scatter_(dim=1, index=labels.unsqueeze(1), value=0.9)
    exp = np.full((N, C), 0.1 / 3, dtype=np.float32)
    exp[np.arange(N), [0, 3, 1, 3, 2]] = 0.9
    assert_close(smoothed, exp)
    t = torch.zeros(3, 3)
    out = t.scatter(0, torch.tensor([[2, 0, 1]]), torch.tensor([[1.0, 2.0, 3.0]]))
    assert_close(out, np.array([[0, 2, 0], [0, 0, 3], [1, 0, 0]], np.float32))
    assert_close(t, np.zeros((3, 3), np.float32))


def test_scatter_add_and_index_add_accumulate():
    t = torch.zeros(2, 4)
    src = torch.ones(2, 3)
    r = t.scatter_add(1, torch.tensor([[0, 0, 3], [1, 1, 1]]), src)
    assert_close(r, np.array([[2, 0, 0, 1], [0, 3, 0, 0]], np.float32))
    x = torch.zeros(5)
    x.index_add_(0, torch.tensor([0, 0, 4]), torch.tensor([1.0, 2.0, 3.0]))
    assert_close(x, np.array([3, 0, 0, 0, 3], np.float32))
    y = torch.ones(3, 2).index_add(0, torch.tensor([2, 2]), torch.ones(2, 2), alpha=2)
    assert_close(y, np.array([[1, 1], [1, 1], [5, 5]], np.float32))


@pytest.mark.parametrize("dim", [0, 1])
def test_large_gather_scatter_threads_keep_serial_order(dim):
    """Past the threading threshold: values as NumPy, and duplicate targets
    resolved in the serial order (the last write wins, sums add up)."""
    rng = np.random.default_rng(11)
    a, src = arr((300, 400), seed=3), arr((300, 400), seed=4)
    idx = rng.integers(0, a.shape[dim], (300, 400))
    assert_close(torch.tensor(a).gather(dim, torch.tensor(idx)), np.take_along_axis(a, idx, dim))
    cols, rows = np.arange(400), np.arange(300)
    expect_set, expect_add = a.copy(), a.copy()
    for k in range(idx.shape[dim]):   # serial order: along dim, one slice at a time
        if dim == 0:
            expect_set[idx[k], cols] = src[k]
        else:
            expect_set[rows, idx[:, k]] = src[:, k]
    pos = (idx, cols[None, :]) if dim == 0 else (rows[:, None], idx)
    np.add.at(expect_add, pos, src)
    assert_close(torch.tensor(a).scatter(dim, torch.tensor(idx), torch.tensor(src)), expect_set)
    assert_close(torch.tensor(a).scatter_add(dim, torch.tensor(idx), torch.tensor(src)), expect_add, rtol=1e-12)
    t = torch.tensor(a)
    t.index_add_(dim, torch.tensor(idx[:, 0] if dim == 0 else idx[0]), torch.tensor(src))
    expect = a.copy()
    np.add.at(expect, (idx[:, 0],) if dim == 0 else (slice(None), idx[0]), src)
    assert_close(t, expect, rtol=1e-12)


def _scatter_reduce_np(self_a, dim, idx, src, reduce, include_self):
    """NumPy's ufunc.at over the target positions (dim replaced by the index)."""
    out = self_a.copy()
    pos = list(np.indices(idx.shape))
    pos[dim] = idx
    pos = tuple(pos)
    vals = src[tuple(slice(0, n) for n in idx.shape)]
    identity = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    if not include_self:
        out[pos] = identity
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(out, pos, vals)
    if reduce == "mean":
        count = np.full(out.shape, 1.0 if include_self else 0.0)
        np.add.at(count, pos, 1.0)
        out = out / np.maximum(count, 1)
    return out


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("make", LAYOUTS, ids=["c", "t"])
def test_scatter_reduce_matches_numpy(reduce, include_self, dim, make):
    rng = np.random.default_rng(3)
    self_a, src = arr((4, 5), seed=1), arr((5, 6), seed=2)
    idx = rng.integers(0, self_a.shape[dim], (3, 4) if dim == 0 else (4, 3))
    got = make(self_a).scatter_reduce(dim, torch.tensor(idx), make(src), reduce, include_self=include_self)
    assert_close(got, _scatter_reduce_np(self_a, dim, idx, src, reduce, include_self), rtol=1e-12, atol=1e-12)
    if reduce in ("amax", "amin"):   # PyTorch's unlisted spellings
        assert_close(make(self_a).scatter_reduce(dim, torch.tensor(idx), make(src), reduce[1:],
                                                 include_self=include_self), got)
    t = make(self_a)
    assert t.scatter_reduce_(dim, torch.tensor(idx), make(src), reduce, include_self=include_self) is t
    assert_close(t, got)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float64"])
def test_scatter_reduce_integer_and_float_dtypes(reduce, dtype):
    rng = np.random.default_rng(4)
    self_a, src = rng.integers(0, 9, (3, 4)), rng.integers(0, 9, (5, 4))
    idx = rng.integers(0, 3, (5, 4))
    dt = getattr(torch, dtype)
    for include_self in (True, False):
        got = torch.tensor(self_a).to(dt).scatter_reduce(0, torch.tensor(idx), torch.tensor(src).to(dt), reduce,
                                                          include_self=include_self)
        expect = _scatter_reduce_np(self_a.astype(np.float64), 0, idx, src.astype(np.float64), reduce, include_self)
        if reduce == "mean" and not dtype.startswith("float"):
            expect = np.floor(expect)   # integer means divide with floor, as PyTorch does
        if dtype == "uint8":
            expect = np.mod(expect, 256)   # products wrap around
        if dtype == "int32":
            expect = np.array(expect, np.int64).astype(np.int32)
        assert_close(got.double(), expect.astype(np.float64))


def test_scatter_with_reduce_argument():
    idx = torch.tensor([[0, 1, 0, 2]])
    add = torch.ones(3, 4).scatter(0, idx, 3.0, reduce="add")
    mul = torch.ones(3, 4).scatter_(0, idx, 3.0, reduce="multiply")
    hit = np.zeros((3, 4), bool)
    hit[[0, 1, 0, 2], [0, 1, 2, 3]] = True
    assert_close(add, np.where(hit, 4.0, 1.0).astype(np.float32))
    assert_close(mul, np.where(hit, 3.0, 1.0).astype(np.float32))
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src is deprecated"):
        r = torch.full((3, 4), 2.0).scatter(0, idx, torch.full((1, 4), 5.0), reduce="multiply")
    assert_close(r, np.where(hit, 10.0, 2.0).astype(np.float32))
    x = torch.zeros(3, 4, requires_grad=True)
    y = x.scatter(0, idx, 3.0, reduce="add")
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


def _masked_scatter_np(self_a, mask, src):
    shape = np.broadcast_shapes(self_a.shape, mask.shape)
    out = np.broadcast_to(self_a, shape).copy()
    m = np.broadcast_to(mask, shape)
    out[m] = src.reshape(-1)[:m.sum()]
    return out


@pytest.mark.parametrize("make", LAYOUTS, ids=["c", "t"])
@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1), ()])
def test_masked_scatter_matches_numpy(make, mask_shape):
    rng = np.random.default_rng(5)
    self_a, src = arr((3, 4), seed=6), arr((4, 4), seed=7)
    mask = rng.random(mask_shape) > 0.4
    got = make(self_a).masked_scatter(torch.tensor(mask), make(src))
    assert_close(got, _masked_scatter_np(self_a, mask, src))
    t = make(self_a)
    assert t.masked_scatter_(torch.tensor(mask), make(src)) is t
    assert_close(t, _masked_scatter_np(self_a, mask, src))
    # out of place, self broadcast against a larger mask
    big = rng.random((2, 3, 4)) > 0.5
    assert_close(make(self_a).masked_scatter(torch.tensor(big), torch.tensor(arr((30,)))),
                 _masked_scatter_np(self_a, big, arr((30,))))
    assert tuple(torch.zeros(0, 4).masked_scatter(torch.zeros(0, 4, dtype=torch.bool), torch.ones(2)).shape) == (0, 4)


def test_masked_scatter_gradients():
    mask = torch.tensor([[True, False, True], [False, True, True]])
    a = torch.tensor(arr((2, 3))).requires_grad_()
    b = torch.tensor(arr((6,), seed=1)).requires_grad_()
    y = a.masked_scatter(mask, b)
    assert type(y.grad_fn).__name__ == "MaskedScatterBackward0"
    w = np.arange(6.0).reshape(2, 3)
    (y * torch.tensor(w)).sum().backward()
    assert_close(a.grad, np.where(mask.numpy(), 0.0, w))
    assert_close(b.grad, np.concatenate([w[mask.numpy()], np.zeros(2)]))
    c = a.detach().clone().requires_grad_()
    d = c * 1.0
    d.masked_scatter_(mask, b)
    assert type(d.grad_fn).__name__ == "MaskedScatterBackward0"


def test_masks_nonzero_where():
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    t = torch.tensor(a)
    assert_close(t.nonzero(), np.argwhere(a))
    for got, exp in zip(torch.nonzero(t, as_tuple=True), np.nonzero(a)):
        assert_close(got, exp)
    for got, exp in zip(torch.where(t > 0), np.nonzero(a > 0)):
        assert_close(got, exp)
    m = torch.tensor([True, False, True])
    assert_close(t.masked_fill(m, 9.0), np.where([True, False, True], 9.0, a))
    assert_close(t.masked_select(m), a[np.broadcast_to([True, False, True], a.shape)])
    t.masked_fill_(t < 0, 0.0)
    assert_close(t, np.maximum(a, 0))
    assert tuple(torch.zeros(0, 3).nonzero().shape) == (0, 2)


# ---- bad inputs: PyTorch's classes and messages ----
BAD = [
    (lambda: torch.arange(3)[torch.tensor([5])], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: torch.arange(3)[[-4]], IndexError, "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda: torch.arange(3)[torch.tensor([1.0])], IndexError, "tensors used as indices must be long, int, byte or bool"),
    (lambda: torch.zeros(2, 3)[torch.tensor([True, False, True])], IndexError, "The shape of the mask [3] at index 0"),
    (lambda: torch.zeros(2, 3)[[0, 1], [0, 1, 2]], IndexError, "shape mismatch"),
    (lambda: torch.zeros(2, 3).gather(1, torch.tensor([[5]])), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).gather(1, torch.tensor([[-1]])), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).gather(1, torch.tensor([1])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda: torch.zeros(2, 3).gather(1, torch.zeros(3, 1).long()), RuntimeError, "Size does not match at dimension 0"),
    (lambda: torch.zeros(2, 3).index_select(1, torch.tensor([5])), RuntimeError,
     "INDICES element is out of DATA bounds, id=5 axis_dim=3"),
    (lambda: torch.zeros(2, 3).index_select(1, torch.tensor([1.0])), RuntimeError,
     "index_select(): Expected dtype int32 or int64 for index"),
    (lambda: torch.zeros(2, 3).index_select(1, torch.tensor([[1]])), IndexError,
     "index_select(): Index is supposed to be a vector"),
    (lambda: torch.zeros(2, 3).index_select(2, torch.tensor([0])), IndexError, "Dimension out of range"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([[5]]), 1.0), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([[1]]), torch.ones(1, 1).long()), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.zeros(3, 1).long(), 1.0), RuntimeError,
     "Expected index [3, 1] to be no larger than self [2, 3] apart from dimension 1"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.zeros(2, 2).long(), torch.ones(1, 1)), RuntimeError,
     "to be no larger size than src [1, 1]"),
    (lambda: torch.zeros(2, 3).scatter_add(1, torch.tensor([[3]]), torch.ones(1, 1)), RuntimeError,
     "index 3 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).index_add(1, torch.tensor([5]), torch.ones(2, 1)), RuntimeError, "index 5 is out of bounds"),
    (lambda: torch.zeros(2, 3).masked_fill(torch.tensor([True, False]), 1.0), RuntimeError, "must match"),
    (lambda: torch.zeros(2, 3).__setitem__([0], torch.ones(3).double()), RuntimeError,
     "Index put requires the source and destination dtypes match, got Float for the destination and Double"),
    (lambda: torch.zeros(2, 3).masked_fill(torch.tensor([1.0, 0.0, 1.0]), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks"),
    (lambda: torch.zeros(2, 3).take(torch.tensor([9])), IndexError,
     "out of range: tried to access index 9 on a tensor of 6 elements."),
    (lambda: torch.zeros(2, 3).take(torch.tensor([1]).int()), RuntimeError, "take(): Expected a long tensor for index"),
    (lambda: torch.zeros(2, 3).index_fill(1, torch.tensor([[1]]), 1.0), RuntimeError, "Index has to be a vector/scalar"),
    (lambda: torch.zeros(2, 3).index_fill(1, torch.tensor([5]), 1.0), IndexError,
     "index 5 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).index_copy(1, torch.tensor([5]), torch.ones(2, 1)), IndexError,
     "index_copy_(): index 5 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).index_copy(1, torch.tensor([[1]]), torch.ones(2, 1)), IndexError,
     "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    (lambda: torch.zeros(2, 3).scatter_reduce(1, torch.tensor([[3]]), torch.ones(1, 1), "sum"), RuntimeError,
     "index 3 is out of bounds for dimension 1 with size 3"),
    (lambda: torch.zeros(2, 3).scatter_reduce(1, torch.tensor([[0]]), torch.ones(1, 1), "add"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got add"),
    (lambda: torch.zeros(2, 3).scatter_reduce(1, torch.tensor([[0]]), torch.ones(1, 1).long(), "sum"), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda: torch.zeros(2, 3).scatter_reduce(1, torch.tensor([[0]]), torch.ones(1, 1), 3), TypeError,
     "must be str, not int"),
    (lambda: torch.zeros(2, 3).bool().scatter_reduce(1, torch.tensor([[0]]), torch.ones(1, 1).bool(), "mean"),
     NotImplementedError, "not implemented for 'Bool'"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([[0]]), 1.0, reduce="max"), RuntimeError,
     "reduce argument must be either add or multiply."),
    (lambda: torch.zeros(2, 3).masked_scatter(torch.ones(2, 3).bool(), torch.ones(5)), RuntimeError,
     "Number of elements of source < number of ones in mask"),
    (lambda: torch.zeros(2, 3).masked_scatter(torch.ones(2, 3).int(), torch.ones(6)), RuntimeError,
     "masked_scatter_ only supports boolean masks, but got mask with dtype Int"),
    (lambda: torch.zeros(2, 3).masked_scatter(torch.ones(2, 3).bool(), torch.ones(6).long()), RuntimeError,
     "masked_scatter: expected self and source to have same dtypes but gotFloat and Long"),
    (lambda: torch.zeros(3).masked_scatter_(torch.ones(2, 3).bool(), torch.ones(6)), RuntimeError,
     "the number of sizes provided (1) must be greater or equal to the number of dimensions in the tensor (2)"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_inputs_raise_pytorch_errors(k):
    fn, cls, msg = BAD[k]
    with pytest.raises(cls) as e:
        fn()
    assert msg in str(e.value)


def test_out_of_range_write_raises():
    t = torch.arange(4.0)
    with pytest.raises(IndexError):
        t[torch.tensor([0, 9])] = 1.0
    with pytest.raises(RuntimeError):
        t.scatter_(0, torch.tensor([1, 7]), 5.0)
    if not REFERENCE:  # ctorch checks every index before writing (PyTorch may write part)
        assert_close(t, np.arange(4.0, dtype=np.float32))


def test_index_put_accumulate_and_index_fill_copy_take():
    t = torch.zeros(2, 3)
    t.index_put_((torch.tensor([0, 0, 1]), torch.tensor([1, 1, 2])), torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert_close(t, np.array([[0, 3, 0], [0, 0, 3]], np.float32))
    r = t.index_put((torch.tensor([1]),), torch.tensor(5.0))
    assert_close(r, np.array([[0, 3, 0], [5, 5, 5]], np.float32))
    assert_close(t, np.array([[0, 3, 0], [0, 0, 3]], np.float32))
    a = np.arange(6.0).reshape(2, 3)
    f = torch.tensor(a).index_fill(1, torch.tensor([0, 2]), -1.0)
    assert_close(f, np.array([[-1, 1, -1], [-1, 4, -1]], np.float64))
    c = torch.zeros(3, 2, dtype=torch.float64)
    c.index_copy_(0, torch.tensor([2, 0]), torch.tensor(a[:, :2]))
    assert_close(c, np.array([[3, 4], [0, 0], [0, 1]], np.float64))
    assert_close(noncontig(a).take(torch.tensor([[5, 0], [-1, 2]])), np.take(a, [[5, 0], [-1, 2]]))


def _put_rows(x, v):
    y = x * 1
    y[torch.tensor([2, 0])] = v
    return y


def _put_cols(x, v):
    y = x * 2
    y[:, [1, 3]] = v
    return (y * y).sum()


def _put_mask(x):
    y = x.clone()
    y[y.detach() > 0] = 0.0
    return y


@pytest.mark.parametrize("fn,shapes", [(_put_rows, [(3, 4), (2, 4)]), (_put_cols, [(3, 4), (3, 2)]),
                                       (_put_mask, [(3, 4)])])
def test_advanced_write_gradients(fn, shapes):
    rng = np.random.default_rng(3)
    ins = tuple(torch.tensor(rng.standard_normal(s)).requires_grad_() for s in shapes)
    assert torch.autograd.gradcheck(fn, ins)


@pytest.mark.parametrize("fn,name", [
    (lambda x: x[[0, 1]], "IndexBackward0"), (lambda x: x[:, [0]], "IndexBackward0"),
    (lambda x: x[x > 0], "IndexBackward0"), (lambda x: x.masked_fill(x > 0, 1.0), "MaskedFillBackward0"),
    (lambda x: x.masked_select(x > 0), "MaskedSelectBackward0"), (lambda x: x.take(torch.tensor([1])), "TakeBackward0"),
    (lambda x: x.index_fill(0, torch.tensor([1]), 2.0), "IndexFillBackward0"),
    (lambda x: x.gather(0, torch.tensor([[1]])), "GatherBackward0"),
    (lambda x: x.index_select(0, torch.tensor([1])), "IndexSelectBackward0"),
    (lambda x: x.scatter(0, torch.tensor([[1]]), 2.0), "ScatterBackward1"),
    (lambda x: x.index_add(0, torch.tensor([1]), x[:1]), "IndexAddBackward0"),
])
def test_grad_fn_names(fn, name):
    x = torch.tensor(arr((3, 4))).requires_grad_()
    assert type(fn(x).grad_fn).__name__ == name
