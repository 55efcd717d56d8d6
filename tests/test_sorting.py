"""Sorting: sort, argsort, msort, topk, kthvalue, unique and
unique_consecutive. NumPy is the oracle for values and for stable orders;
PyTorch's own order of equal elements in unstable sorts and selections (its
CPU kernels' introsort, partial sort, nth_element, quickselect) is checked
with fixed expectations taken from PyTorch, and side by side with real
PyTorch on random inputs full of ties (marker `parity`). Also: every dtype,
non-contiguous, expanded, 0-dim and empty inputs, gradients, result types,
and PyTorch's errors for bad inputs."""
import numpy as np
import pytest

from helpers import DNAMES, FLOATS, REFERENCE, dname, mk, real_torch, seed, to_numpy, torch

NUMERIC = [d for d in DNAMES if d != "bool"]
NAN = float("nan")


def data(shape, name, key, ties=True):
    """Reproducible values of dtype `name` (as float64, bool for bool): few distinct
    values when `ties`, with NaN and signed zeros among floats."""
    rng = np.random.default_rng(seed(key, shape, name, ties))
    if name == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    lo = 0 if name == "uint8" else -6
    a = rng.integers(lo, 6, shape).astype(np.float64) if ties else rng.standard_normal(shape) * 20
    if name in ("int8", "int16", "int32", "int64", "uint8") and not ties:
        a = np.round(a) - (0 if name != "uint8" else a.min())
    if name in FLOATS and a.size:
        flat = a.reshape(-1)
        flat[rng.random(flat.size) < 0.1] = NAN
        flat[rng.random(flat.size) < 0.1] = -0.0
    return a


def tensor_of(a, name, layout="c"):
    """A tensor of dtype `name` holding `a`: contiguous ("c"), transposed in memory
    ("t"), every other element of a wider buffer ("s"), or expanded along dim 0 ("e")."""
    if layout == "t" and a.ndim >= 2:
        return tensor_of(np.ascontiguousarray(np.swapaxes(a, -1, -2)), name).transpose(-1, -2)
    if layout == "s" and a.ndim >= 1:
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        wide[..., ::2] = a
        return tensor_of(wide, name)[..., ::2]
    return mk(a, name)


def npv(t):
    """A tensor's values as float64 (bool as bool), NaN kept."""
    v = to_numpy(t)
    return v if v.dtype == bool else v.astype(np.float64)


def same(got, expected):
    """Equal values, NaN equal to NaN, and the same sign on zeros."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if got.dtype == bool or expected.dtype == bool:
        np.testing.assert_array_equal(got, expected)
        return
    g, e = got.astype(np.float64), expected.astype(np.float64)
    np.testing.assert_array_equal(g, e)
    np.testing.assert_array_equal(np.signbit(g) & ~np.isnan(g), np.signbit(e) & ~np.isnan(e))


def equal(got, expected):
    """Equal values, NaN equal to NaN (zeros of either sign equal)."""
    np.testing.assert_array_equal(np.asarray(got, np.float64), np.asarray(expected, np.float64))


def stored(a, name):
    """a's values after a round trip through dtype `name` (float16/bfloat16 rounding)."""
    return npv(mk(a, name))


def stable_order(a, axis, descending):
    """NumPy's stable argsort (NaN largest; -0.0 equal to 0.0), descending stably too."""
    a = np.moveaxis(a, axis, -1)
    if descending:   # stable descending = reversed stable ascending of the reversed rows
        n = a.shape[-1]
        idx = (n - 1 - np.argsort(a[..., ::-1], axis=-1, kind="stable"))[..., ::-1]
    else:
        idx = np.argsort(a, axis=-1, kind="stable")
    return np.moveaxis(idx, -1, axis)


# =============================================================================
# sort / argsort / msort
# =============================================================================
@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("layout", ["c", "t", "s"])
def test_sort_values_and_stable_order_match_numpy(name, descending, layout):
    a = stored(data((5, 37), name, "sort"), name)
    t = tensor_of(a, name, layout)
    for dim in (1, 0, -1):
        v, i = torch.sort(t, dim=dim, descending=descending, stable=True)
        order = stable_order(a, dim, descending)
        same(i.numpy(), order)
        same(npv(v), np.take_along_axis(a, order, axis=dim))
        assert str(v.dtype) == str(t.dtype) and str(i.dtype) == "torch.int64"
        # the unstable sort: the same values, indices that name them
        v2, i2 = t.sort(dim, descending)
        np.testing.assert_array_equal(npv(v2), npv(v))   # zeros of either sign may swap places
        same(np.take_along_axis(a, i2.numpy(), axis=dim), npv(v2))


def test_sort_nan_largest_and_zeros_equal():
    x = torch.tensor([1.0, NAN, -0.0, 0.0, -float("inf"), NAN, 0.0, -0.0, float("inf")])
    v, i = torch.sort(x, stable=True)
    same(npv(v), [-np.inf, -0.0, 0.0, 0.0, -0.0, 1.0, np.inf, NAN, NAN])
    assert i.tolist() == [4, 2, 3, 6, 7, 0, 8, 1, 5]
    v, i = torch.sort(x, descending=True, stable=True)
    same(npv(v), [NAN, NAN, np.inf, 1.0, -0.0, 0.0, 0.0, -0.0, -np.inf])
    assert i.tolist() == [1, 5, 8, 0, 2, 3, 6, 7, 4]


# PyTorch's order of equal elements in its unstable CPU sort (std::sort's introsort)
UNSTABLE_ORDERS = [
    ((np.arange(40) * 7) % 3, False,
     [0, 21, 18, 24, 15, 27, 12, 30, 9, 33, 6, 36, 3, 39, 31, 34, 28, 37, 25, 22, 1, 19, 16, 4, 13, 7, 10, 2, 20, 38,
      5, 35, 8, 32, 11, 29, 14, 26, 17, 23]),
    ((np.arange(40) * 7) % 3, True,
     [29, 20, 17, 23, 14, 26, 11, 8, 32, 5, 35, 2, 38, 31, 1, 34, 28, 25, 37, 22, 16, 13, 4, 10, 19, 7, 30, 39, 0, 3,
      36, 6, 33, 9, 12, 27, 15, 24, 18, 21]),
    (np.array([1.0, NAN, -0.0, 0.0, -np.inf, NAN, 0.0, -0.0, np.inf] * 3), False,
     [4, 13, 22, 24, 16, 15, 21, 12, 11, 20, 7, 6, 25, 3, 2, 9, 18, 0, 26, 17, 8, 19, 14, 10, 23, 5, 1]),
    (np.array([1.0, NAN, -0.0, 0.0, -np.inf, NAN, 0.0, -0.0, np.inf] * 3), True,
     [1, 23, 19, 5, 14, 10, 26, 17, 8, 9, 0, 18, 12, 6, 15, 16, 11, 3, 20, 21, 2, 24, 25, 7, 13, 4, 22]),
]


@pytest.mark.parametrize("k", range(len(UNSTABLE_ORDERS)))
def test_unstable_sort_orders_ties_as_pytorch(k):
    a, descending, expected = UNSTABLE_ORDERS[k]
    names = ["float32", "float64", "float16", "bfloat16"] if np.isnan(a).any() else NUMERIC
    for name in names:
        assert torch.sort(mk(a, name), descending=descending).indices.tolist() == expected, name
        assert torch.argsort(mk(a, name), descending=descending).tolist() == expected, name


def test_long_integer_sort_is_stable_as_pytorch():
    # PyTorch sorts a long 1-D integer tensor ascending with a (stable) radix sort
    a = np.random.default_rng(1).integers(0, 50, 40000)
    for name in ("int64", "int32", "int16", "uint8"):
        v, i = torch.sort(mk(a, name))
        same(i.numpy(), np.argsort(a, kind="stable"))
        same(npv(v), np.sort(a))


@pytest.mark.parametrize("name", ["float32", "float64", "int64"])
def test_long_rows_sort_values(name):
    # long rows take the multi-threaded path; values from NumPy, indices naming them
    a = stored(np.random.default_rng(2).standard_normal(100_000) * 1000, name)
    if name == "int64":
        a = np.round(a)
    t = mk(a, name)
    for descending in (False, True):
        v, i = torch.sort(t, descending=descending)
        expected = np.sort(a)[::-1] if descending else np.sort(a)
        same(npv(v), expected)
        same(a[i.numpy()], expected)


def test_expanded_rows_keep_their_order():
    # a row that is one value repeated (stride 0) comes back in index order, as PyTorch's
    t = torch.tensor([[3.0, 1.0, 2.0]]).expand(25, 3)
    v, i = torch.sort(t, dim=0)
    assert i.tolist() == [[r] * 3 for r in range(25)]
    same(npv(v), np.broadcast_to([3.0, 1.0, 2.0], (25, 3)))


def test_argsort_msort_and_methods():
    a = data((6, 5), "float64", "argsort", ties=False)
    t = torch.tensor(a)
    same(torch.argsort(t, dim=0, stable=True).numpy(), np.argsort(a, axis=0, kind="stable"))
    same(t.argsort(descending=True, stable=True).numpy(), stable_order(a, -1, True))
    same(npv(torch.msort(t)), np.sort(a, axis=0))
    same(npv(t.msort()), np.sort(a, axis=0))
    same(npv(t.sort(stable=True, dim=0).values), np.sort(a, axis=0))
    same(npv(torch.sort(input=t, dim=0)[0]), np.sort(a, axis=0))


def test_sort_result_type_and_layout():
    t = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    r = torch.sort(t)
    assert type(r).__name__ == "sort" and type(r).__module__ == "torch.return_types"
    values, indices = r
    assert r.values is values and r[1] is indices and len(r) == 2
    # the values of a transposed input are laid out like it, as PyTorch's clone
    assert torch.sort(torch.zeros(3, 4).t(), dim=0).values.stride() == (1, 4)


@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (0, 3)])
def test_sort_0dim_and_empty(shape):
    a = np.full(shape, 2.5) if shape == () else np.zeros(shape)
    for dim in ([-1, 0] if len(shape) < 2 else [0, 1]):
        v, i = torch.sort(torch.tensor(a), dim=dim)
        assert tuple(v.shape) == shape and tuple(i.shape) == shape
        same(npv(v), a)
        same(i.numpy(), np.zeros(shape, np.int64))
    same(npv(torch.msort(torch.tensor(a))), a)


# =============================================================================
# topk / kthvalue
# =============================================================================
@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("layout", ["c", "t"])
def test_topk_matches_numpy(name, layout):
    a = stored(data((4, 300), name, "topk"), name)
    t = tensor_of(a, name, layout)
    for k in (1, 4, 150, 300):   # k * 64 <= n: PyTorch's partial sort; else nth_element + sort
        for largest in (True, False):
            v, i = torch.topk(t, k, largest=largest)
            asc = np.sort(a, axis=1)   # NaN last: the largest
            expected = asc[:, ::-1][:, :k] if largest else asc[:, :k]
            equal(npv(v), expected)
            same(np.take_along_axis(a, i.numpy(), axis=1), npv(v))
            assert len(set(i[0].tolist())) == k
            v, i = t.topk(k, dim=0 if k < 4 else 1, largest=largest, sorted=False)
            axis = 0 if k < 4 else 1
            asc = np.sort(a, axis=axis)
            top = np.take(asc, range(a.shape[axis] - k, a.shape[axis]) if largest else range(k), axis=axis)
            equal(np.sort(npv(v), axis=axis), np.sort(top, axis=axis))
            same(np.take_along_axis(a, i.numpy(), axis=axis), npv(v))


# PyTorch's picks among equal elements (partial sort, nth_element, quickselect)
def test_topk_and_kthvalue_pick_ties_as_pytorch():
    b = torch.tensor((np.arange(300) * 11) % 5).float()
    assert torch.topk(b, 3).indices.tolist() == [14, 9, 4]
    assert torch.topk(b, 3, largest=False).indices.tolist() == [10, 5, 0]
    assert torch.topk(b, 40, sorted=False).indices.tolist() == [
        114, 49, 274, 54, 59, 269, 64, 69, 194, 264, 74, 79, 259, 84, 89, 254, 94, 99, 204, 249, 104, 109, 244, 149,
        209, 179, 174, 214, 184, 169, 164, 219, 159, 154, 224, 239, 129, 124, 234, 189]
    assert torch.kthvalue(b, 100).indices.item() == 71
    assert torch.kthvalue(b, 7).indices.item() == 50
    r = torch.topk(torch.tensor([1.0, NAN, 3.0, NAN, -1.0]), 3)
    same(npv(r.values), [NAN, NAN, 3.0])
    assert r.indices.tolist() == [1, 3, 2]


@pytest.mark.parametrize("name", NUMERIC)
def test_kthvalue_matches_numpy(name):
    a = stored(data((3, 5, 7), name, "kth"), name)
    t = tensor_of(a, name, "t")
    for dim in (0, 1, 2, -1):
        n = a.shape[dim]
        for k in (1, (n + 1) // 2, n):
            for keepdim in (False, True):
                v, i = torch.kthvalue(t, k, dim, keepdim)
                expected = np.take(np.sort(a, axis=dim), [k - 1], axis=dim)
                ind = i.numpy() if keepdim else np.expand_dims(i.numpy(), dim)
                equal(npv(v), expected if keepdim else np.squeeze(expected, dim))
                same(np.take_along_axis(a, ind, axis=dim), npv(v) if keepdim else np.expand_dims(npv(v), dim))


def test_topk_kthvalue_results_0dim_and_empty():
    x = torch.tensor(4.0)
    for k in (0, 1):   # a 0-dim input is its own top element, whatever k (PyTorch)
        r = torch.topk(x, k)
        assert type(r).__name__ == "topk" and r.values.dim() == 0 and r.values.item() == 4.0 and r.indices.item() == 0
    r = torch.kthvalue(x, 1, keepdim=True)
    assert type(r).__name__ == "kthvalue" and r.values.dim() == 0 and r.indices.item() == 0
    assert torch.kthvalue(torch.tensor(True), 1).values.item() is True
    assert tuple(torch.topk(torch.zeros(3), 0).values.shape) == (0,)
    assert tuple(torch.topk(torch.zeros(0, 3), 2).indices.shape) == (0, 2)
    assert tuple(torch.topk(torch.zeros(2, 0), 0).values.shape) == (2, 0)
    assert tuple(torch.kthvalue(torch.zeros(0, 3), 2).values.shape) == (0,)


# =============================================================================
# unique / unique_consecutive
# =============================================================================
@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("layout", ["c", "t"])
def test_unique_matches_numpy(name, layout):
    a = stored(data((7, 9), name, "unique"), name)
    a[a == 0] = 0.0   # NumPy may keep another zero than PyTorch (tested below)
    t = tensor_of(a, name, layout)
    out, inverse, counts = torch.unique(t, return_inverse=True, return_counts=True)
    kw = {} if name == "bool" else {"equal_nan": False}
    u, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, **kw)
    same(npv(out), u)
    same(inverse.numpy(), inv.reshape(a.shape))
    same(counts.numpy(), cnt)
    same(npv(t.unique(sorted=False)), u)   # PyTorch's CPU result is sorted anyway
    same(npv(torch.unique(t, False, False, True)[0]), u)


def _runs(a):
    """unique_consecutive by NumPy: the start of each run of equal neighbours"""
    starts = np.r_[True, a[1:] != a[:-1]] if a.size else np.zeros(0, bool)
    bounds = np.r_[np.flatnonzero(starts), a.size]
    return a[starts], np.cumsum(starts) - 1, np.diff(bounds)


@pytest.mark.parametrize("name", DNAMES)
def test_unique_consecutive_matches_numpy(name):
    a = stored(np.repeat(data((12,), name, "runs"), 3).reshape(4, 9), name)
    t = tensor_of(a, name, "t")
    out, inverse, counts = torch.unique_consecutive(t, return_inverse=True, return_counts=True)
    u, inv, cnt = _runs(a.reshape(-1))
    same(npv(out), u)
    same(inverse.numpy(), inv.reshape(a.shape))
    same(counts.numpy(), cnt)
    same(npv(t.unique_consecutive()), u)


def test_unique_zeros_and_nan_as_pytorch():
    # each NaN is its own value; one zero stands for -0.0 and 0.0 (the first in sorted order)
    out, inverse, counts = torch.unique(torch.tensor([0.0, -0.0, 0.0, NAN, -0.0, NAN]), return_inverse=True,
                                        return_counts=True)
    same(npv(out), [0.0, NAN, NAN])
    assert inverse.tolist() == [0, 0, 0, 1, 0, 2] and counts.tolist() == [4, 1, 1]
    same(npv(torch.unique(torch.tensor([-0.0, 0.0, 0.0]))), [-0.0])
    out, counts = torch.unique_consecutive(torch.tensor([0.0, -0.0, 0.0, NAN, NAN]), return_counts=True)
    same(npv(out), [0.0, NAN, NAN])
    assert counts.tolist() == [3, 1, 1]


@pytest.mark.parametrize("name", DNAMES)
def test_unique_dim_matches_numpy(name):
    rows = data((4, 3), name, "udim")
    a = stored(np.concatenate([rows, rows[::-1], rows[1:2]]), name)
    a = a[:, np.argsort(np.random.default_rng(0).random(3))]
    a[np.isnan(a)] = 1.0   # NaN rows never match (tested below); NumPy merges them
    a[a == 0] = 0.0
    for dim in (0, 1, -1):
        t = tensor_of(a, name, "t")
        out, inverse, counts = torch.unique(t, dim=dim, return_inverse=True, return_counts=True)
        u, inv, cnt = np.unique(a, axis=dim % 2, return_inverse=True, return_counts=True)
        same(npv(out), u)
        same(inverse.numpy(), inv.reshape(-1))
        same(counts.numpy(), cnt)
        out, inverse, counts = torch.unique_consecutive(t, dim=dim, return_inverse=True, return_counts=True)
        moved = np.moveaxis(a, dim, 0).reshape(a.shape[dim], -1)
        starts = np.r_[True, np.any(moved[1:] != moved[:-1], axis=1)]
        same(npv(out), np.compress(starts, a, axis=dim % 2))
        same(inverse.numpy(), np.cumsum(starts) - 1)
        same(counts.numpy(), np.diff(np.r_[np.flatnonzero(starts), len(starts)]))


def test_unique_dim_nan_rows_and_zeros_as_pytorch():
    out, inverse = torch.unique(torch.tensor([[1.0, NAN], [0.0, 2.0], [1.0, NAN]]), dim=0, return_inverse=True)
    same(npv(out), [[0.0, 2.0], [1.0, NAN], [1.0, NAN]])
    assert inverse.tolist() == [1, 0, 2]
    same(npv(torch.unique(torch.tensor([-0.0, 0.0]), dim=0)), [-0.0])


def test_unique_return_forms_0dim_and_empty():
    t = torch.tensor([3, 1, 3])
    assert torch.is_tensor(torch.unique(t))
    assert len(torch.unique(t, return_inverse=True)) == 2 and len(torch.unique(t, return_counts=True)) == 2
    out, counts = torch.unique(t, return_counts=True)
    assert out.tolist() == [1, 3] and counts.tolist() == [1, 2]
    assert len(torch.unique(t, return_inverse=True, return_counts=True)) == 3
    out, inverse, counts = torch.unique(torch.tensor(5.0), return_inverse=True, return_counts=True)
    assert tuple(out.shape) == (1,) and inverse.dim() == 0 and counts.tolist() == [1]
    out, inverse = torch.unique_consecutive(torch.tensor(5.0), return_inverse=True)
    assert tuple(out.shape) == (1,) and inverse.dim() == 0
    out, inverse, counts = torch.unique(torch.zeros(2, 0), return_inverse=True, return_counts=True)
    assert tuple(out.shape) == (0,) and tuple(inverse.shape) == (2, 0) and tuple(counts.shape) == (0,)
    out, inverse, counts = torch.unique(torch.zeros(0, 3), dim=0, return_inverse=True, return_counts=True)
    assert tuple(out.shape) == (0, 3) and tuple(inverse.shape) == (0,) and tuple(counts.shape) == (0,)
    out, inverse, counts = torch.unique_consecutive(torch.tensor([1, 1, 2, 1]), dim=0, return_inverse=True,
                                                    return_counts=True)
    assert out.tolist() == [1, 2, 1] and inverse.tolist() == [0, 0, 1, 2] and counts.tolist() == [2, 1, 1]


# =============================================================================
# gradients
# =============================================================================
def _scatter_back(shape, dim, idx, g):
    """NumPy: g added into zeros at the positions idx names along dim"""
    out = np.zeros(shape)
    for pos in np.ndindex(*idx.shape):
        dst = list(pos)
        dst[dim] = idx[pos]
        out[tuple(dst)] += g[pos]
    return out


@pytest.mark.parametrize("op", ["sort", "topk", "kthvalue"])
def test_gradients_go_to_the_named_positions(op):
    a = data((3, 6), "float64", "grad", ties=False)
    x = torch.tensor(np.ascontiguousarray(a.T)).t().requires_grad_()
    g = np.random.default_rng(1).standard_normal(a.shape)
    if op == "sort":
        r = x.sort(dim=1, descending=True)
    elif op == "topk":
        r = x.topk(4, dim=1, sorted=False)
    else:
        r = x.kthvalue(2, dim=1, keepdim=True)
    gv = g[:, :r.values.shape[1]]
    r.values.backward(torch.tensor(gv))
    equal(to_numpy(x.grad), _scatter_back(a.shape, 1, r.indices.numpy(), gv))
    assert type(r.values.grad_fn).__name__ == {"sort": "SortBackward0", "topk": "TopkBackward0",
                                               "kthvalue": "KthvalueBackward0"}[op]
    assert r.indices.grad_fn is None and not r.indices.requires_grad


def test_gradcheck_sorting_ops():
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.standard_normal((2, 3, 5))).requires_grad_()
    for fn in (lambda t: torch.sort(t, dim=0)[0], lambda t: t.msort(), lambda t: t.topk(2, dim=-1, sorted=False)[0],
               lambda t: t.kthvalue(2, dim=1)[0], lambda t: t[0, 0, 0].kthvalue(1)[0],
               lambda t: t.sum().sort()[0]):
        assert torch.autograd.gradcheck(fn, (x,))
    assert type(torch.msort(x).grad_fn).__name__ == "SortBackward0"
    assert torch.argsort(x).grad_fn is None


# =============================================================================
# parity with real PyTorch: random inputs full of ties, every op
# =============================================================================
def _as_real(t):
    if str(t.dtype) == "torch.bfloat16":
        return real_torch.tensor(to_numpy(t)).to(real_torch.bfloat16)
    return real_torch.from_numpy(to_numpy(t).copy())


def _real_layout(t, layout):
    return t.transpose(-1, -2) if layout == "t" and t.dim() >= 2 else t


def _parity_inputs(key):
    rng = np.random.default_rng(seed("parity", key))
    for case in range(40):
        name = DNAMES[case % len(DNAMES)]
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 9 if ndim > 1 else 300, ndim))
        a = data(shape, name, (key, case), ties=bool(rng.integers(0, 4)))
        layout = "t" if ndim > 1 and rng.random() < 0.5 else "c"
        ours = mk(np.ascontiguousarray(np.swapaxes(a, -1, -2)) if layout == "t" else a, name)
        yield rng, name, _real_layout(ours, layout), _real_layout(_as_real(ours), layout)


def _same_results(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype)
        same(npv(o), t.float().numpy() if t.dtype == real_torch.bfloat16 else t.numpy())


needs_real = pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")


@pytest.mark.parity
@needs_real
@pytest.mark.parametrize("op", ["sort", "topk", "kthvalue", "unique", "unique_dim"])
def test_parity_with_pytorch(op):
    for rng, name, ours, theirs in _parity_inputs(op):
        dim = int(rng.integers(-ours.dim(), ours.dim()))
        n = ours.shape[dim]
        k = int(rng.integers(1, n + 1)) if rng.random() < 0.5 else min(n, int(rng.integers(1, 4)))
        flags = [bool(f) for f in rng.integers(0, 2, 2)]
        calls = {
            "sort": lambda L, t: L.sort(t, dim=dim, descending=flags[0], stable=flags[1]),
            "topk": lambda L, t: L.topk(t, k, dim=dim, largest=flags[0], sorted=flags[1]),
            "kthvalue": lambda L, t: L.kthvalue(t, k, dim=dim, keepdim=flags[0]),
            "unique": lambda L, t: (L.unique(t, return_inverse=True, return_counts=True)
                                    + L.unique_consecutive(t, return_inverse=True, return_counts=True)),
            "unique_dim": lambda L, t: (L.unique(t, dim=dim, return_inverse=True, return_counts=True)
                                        + L.unique_consecutive(t, dim=dim, return_inverse=True, return_counts=True)),
        }
        if op in ("topk", "kthvalue") and name == "bool":
            continue
        _same_results(calls[op](torch, ours), calls[op](real_torch, theirs))


@pytest.mark.parity
@needs_real
def test_parity_long_rows():
    rng = np.random.default_rng(9)
    for name in ("float32", "int64", "float16"):
        a = rng.integers(0, 300, 70_000).astype(np.float64) if name != "float32" else \
            np.round(rng.standard_normal(70_000) * 100) / 4
        ours, theirs = mk(a, name), _as_real(mk(a, name))
        for desc in (False, True):
            _same_results(torch.sort(ours, descending=desc), real_torch.sort(theirs, descending=desc))
            _same_results(torch.topk(ours, 2000, largest=desc), real_torch.topk(theirs, 2000, largest=desc))
        _same_results(torch.kthvalue(ours, 30_000), real_torch.kthvalue(theirs, 30_000))
        _same_results(torch.unique(ours, return_inverse=True), real_torch.unique(theirs, return_inverse=True))


# =============================================================================
# bad inputs: PyTorch's classes and messages
# =============================================================================
BAD = [
    (lambda: torch.sort(torch.zeros(3), dim=1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: torch.sort(torch.tensor(1.0), dim=-2), IndexError, "Dimension out of range"),
    (lambda: torch.argsort(torch.zeros(2, 3), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: torch.sort(torch.zeros(3), 0, stable=True), TypeError, "invalid combination of arguments"),
    (lambda: torch.zeros(3).argsort(0, stable=True), TypeError, "invalid combination of arguments"),
    (lambda: torch.argsort(torch.zeros(3), stable=None), TypeError, "invalid combination of arguments"),
    (lambda: torch.topk(torch.zeros(3), 4), RuntimeError, "selected index k out of range"),
    (lambda: torch.topk(torch.zeros(3), -1), RuntimeError, "selected index k out of range"),
    (lambda: torch.topk(torch.tensor(1.0), 2), RuntimeError, "selected index k out of range"),
    (lambda: torch.topk(torch.zeros(2, 3), 3, dim=0), RuntimeError, "selected index k out of range"),
    (lambda: torch.topk(torch.zeros(3), 1, dim=2), IndexError, "Dimension out of range"),
    (lambda: torch.topk(torch.tensor([True, False]), 1), RuntimeError, "topk does not support bool dtypes on CPU"),
    (lambda: torch.topk(torch.zeros(3), 1.0), TypeError, "must be int"),
    (lambda: torch.kthvalue(torch.zeros(3), 4), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    (lambda: torch.kthvalue(torch.zeros(2, 3), 0), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1"),
    (lambda: torch.kthvalue(torch.zeros(0), 1), IndexError,
     "kthvalue(): Expected reduction dim 0 to have non-zero size."),
    (lambda: torch.kthvalue(torch.zeros(0, 3), 1, dim=0), IndexError, "Expected reduction dim 0 to have non-zero size"),
    (lambda: torch.kthvalue(torch.tensor([True]), 1), NotImplementedError,
     "\"kthvalue_cpu\" not implemented for 'Bool'"),
    (lambda: torch.kthvalue(torch.zeros(3), 1, dim=1), IndexError, "Dimension out of range"),
    (lambda: torch.unique(torch.zeros(3), dim=1), IndexError, "Dimension out of range"),
    (lambda: torch.unique(torch.tensor(1.0), dim=0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: torch.unique_consecutive(torch.tensor(1.0), dim=-1), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    (lambda: torch.unique(torch.zeros(0, 3), dim=1), RuntimeError,
     "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"),
    (lambda: torch.unique(torch.zeros(0, 0), dim=0), RuntimeError,
     "Number of zero sized dimensions is more than one, so unique cannot be applied"),
    (lambda: torch.unique_consecutive(torch.zeros(2, 0), dim=0), RuntimeError, "aren't selected"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_inputs_raise_pytorch_errors(k):
    fn, cls, msg = BAD[k]
    with pytest.raises(cls) as e:
        fn()
    assert msg in str(e.value)


def test_large_k_selection_and_dtypes_keep_dtype():
    for name in NUMERIC:
        t = mk(np.arange(10)[::-1].copy(), name)
        r = torch.topk(t, 3)
        assert dname(r.values) == name and str(r.indices.dtype) == "torch.int64"
        assert r.indices.tolist() == [0, 1, 2]
        assert dname(torch.kthvalue(t, 3).values) == name
        assert dname(torch.unique(t)) == name
    assert dname(torch.sort(mk(np.array([True, False]), "bool")).values) == "bool"
    assert torch.sort(mk(np.array([True, False, True]), "bool")).indices.tolist() == [1, 0, 2]
