"""Counting, bucketing and diagonals: searchsorted, bucketize, bincount, histc,
histogram, diag, diagonal, diag_embed, trace and fill_diagonal_. NumPy's own
functions are the oracle for values; real PyTorch runs side by side in the
parity tests (NaN placement, float16 binning, float sums); bad inputs raise
PyTorch's exceptions and messages."""
import numpy as np
import pytest

from helpers import (DNAMES, FLOATS, INTS, REFERENCE, assert_close, dname, dt, mk, np_of, real_torch, seed, torch,
                     vals)

needs_torch = pytest.mark.skipif(real_torch is None, reason="needs real PyTorch")
SEARCH_DTYPES = INTS + FLOATS  # searchsorted's dtypes (bool is PyTorch's NotImplementedError)


def layouts(a, name):
    """The same values contiguous, and through a non-contiguous view (transposed or stepped)."""
    out = [mk(a, name)]
    if a.ndim >= 2:
        out.append(mk(np.ascontiguousarray(np.swapaxes(a, -1, -2)), name).transpose(-1, -2))
    elif a.ndim == 1:
        out.append(mk(np.repeat(a, 2), name)[::2])
    return out


def sorted_values(name, n, key, lo=0, hi=100):
    """n sorted values of dtype `name` (repeats included), exact in that dtype."""
    rng = np.random.default_rng(seed(key, name, n))
    return np.sort(rng.integers(lo, hi, size=n)).astype(np_of(name))


# =============================================================================
# searchsorted / bucketize
# =============================================================================

@pytest.mark.parametrize("name", SEARCH_DTYPES)
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_matches_numpy(name, right):
    bd = sorted_values(name, 37, "bd")
    q = np.random.default_rng(seed("q", name)).integers(-5, 110, size=(4, 6)).astype(np_of(name))
    side = "right" if right else "left"
    expected = np.searchsorted(bd, q, side=side)
    for tb in layouts(bd, name):
        for tq in layouts(q, name):
            assert_close(torch.searchsorted(tb, tq, right=right), expected)
            assert_close(torch.searchsorted(tb, tq, side=side), expected)
            got = torch.bucketize(tq, tb, right=right, out_int32=True)
            assert dname(got) == "int32"
            assert_close(got, expected.astype(np.int32))


@pytest.mark.parametrize("name", ["float32", "int64", "bfloat16"])
def test_searchsorted_rows_of_boundaries(name):
    """N-D boundaries: row i of the values searches row i of the boundaries."""
    rng = np.random.default_rng(seed("rows", name))
    bd = np.sort(rng.integers(0, 50, size=(2, 3, 9)), axis=-1).astype(np_of(name))
    q = rng.integers(-2, 55, size=(2, 3, 5)).astype(np_of(name))
    for right in (False, True):
        expected = np.stack([np.searchsorted(b, v, side="right" if right else "left")
                             for b, v in zip(bd.reshape(-1, 9), q.reshape(-1, 5))]).reshape(q.shape)
        for tb in layouts(bd, name):
            for tq in layouts(q, name):
                assert_close(torch.searchsorted(tb, tq, right=right), expected)


def test_searchsorted_many_values_and_threads():
    """Large inputs go through the lockstep search on several threads."""
    rng = np.random.default_rng(5)
    bd = np.sort(rng.standard_normal(10_000))
    q = rng.standard_normal(100_003)
    for right in (False, True):
        side = "right" if right else "left"
        assert_close(torch.searchsorted(torch.tensor(bd), torch.tensor(q), right=right),
                     np.searchsorted(bd, q, side=side))
    rows = np.sort(rng.standard_normal((50, 200)), axis=1)
    vals2d = rng.standard_normal((50, 2001))
    expected = np.stack([np.searchsorted(r, v) for r, v in zip(rows, vals2d)])
    assert_close(torch.searchsorted(torch.tensor(rows), torch.tensor(vals2d)), expected)


def test_searchsorted_sorter_scalars_and_empty():
    bd = np.array([9.0, 1.0, 5.0, 3.0, 7.0])
    sorter = np.argsort(bd)
    q = np.array([3.0, 6.0, 9.0, 0.0, 10.0])
    for side in ("left", "right"):
        got = torch.searchsorted(torch.tensor(bd), torch.tensor(q), side=side, sorter=torch.tensor(sorter))
        assert_close(got, np.searchsorted(bd, q, side=side, sorter=sorter))
    b = torch.tensor([1.0, 3.0, 5.0, 7.0])
    r = torch.searchsorted(b, 5)
    assert r.dim() == 0 and r.item() == 2 and dname(r) == "int64"
    assert torch.searchsorted(b, 5.5, right=True, out_int32=True).item() == 3
    assert torch.bucketize(4, b).item() == 2
    assert tuple(torch.searchsorted(b, torch.zeros(0, 3)).shape) == (0, 3)
    assert_close(torch.searchsorted(torch.zeros(0), torch.tensor([1.0, 2.0])), np.array([0, 0]))
    assert_close(torch.searchsorted(torch.zeros(2, 0), torch.zeros(2, 3)), np.zeros((2, 3), np.int64))


@pytest.mark.parametrize("bd_name,q,expected", [
    ("int64", 2.5, 2), ("float32", 3, 2), ("int8", 300, 3), ("uint8", -1, 3),
    ("int32", np.array([1.5, 3.0], np.float32), [1, 2]), ("uint8", np.array([-1], np.int8), [0]),
])
def test_searchsorted_compares_in_the_promoted_dtype(bd_name, q, expected):
    """Values and boundaries meet in result_type: a Python number is a wrapped scalar (300 wraps to
    int8's 44, -1 to uint8's 255), a tensor promotes (uint8 with int8 compares as int16)."""
    bd = mk(np.array([1, 2, 3]), bd_name)
    got = torch.searchsorted(bd, torch.tensor(q) if isinstance(q, np.ndarray) else q)
    assert got.tolist() == expected


def test_searchsorted_nan_goes_last():
    b = torch.tensor([1.0, 3.0, 5.0])
    q = torch.tensor([float("nan"), float("inf"), -float("inf")])
    assert torch.searchsorted(b, q).tolist() == [3, 3, 0]
    assert torch.searchsorted(b, q, right=True).tolist() == [3, 3, 0]


def test_searchsorted_out_and_no_grad():
    b = torch.tensor([1.0, 3.0, 5.0], requires_grad=True)
    out = torch.empty(3, dtype=torch.int32)
    r = torch.searchsorted(b, torch.tensor([0.0, 3.0, 9.0]), out_int32=True, out=out)
    assert r is out and out.tolist() == [0, 1, 3]
    assert not torch.searchsorted(b, torch.tensor([2.0])).requires_grad


# =============================================================================
# bincount
# =============================================================================

@pytest.mark.parametrize("name", INTS)
def test_bincount_matches_numpy(name):
    x = np.random.default_rng(seed("bc", name)).integers(0, 20, size=50).astype(np_of(name))
    for t in layouts(x, name):
        assert_close(torch.bincount(t), np.bincount(x))
        assert_close(t.bincount(minlength=30), np.bincount(x, minlength=30))


@pytest.mark.parametrize("wname,out", [("float32", np.float32), ("float64", np.float64), ("int64", np.float64),
                                       ("float16", np.float64), ("bool", np.float64)])
def test_bincount_weights_dtype(wname, out):
    """float32 weights give float32; any other weights are summed as float64 (PyTorch's rule)."""
    x = np.array([0, 3, 3, 1, 7])
    w = np.array([1, 2, 0, 1, 1]).astype(np_of(wname))
    got = torch.bincount(torch.tensor(x), mk(w, wname))
    assert_close(got, np.bincount(x, w.astype(np.float64)).astype(out))


def test_bincount_large_and_empty():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 1000, size=200_001)
    w = rng.standard_normal(200_001)
    assert_close(torch.bincount(torch.tensor(x)), np.bincount(x))
    assert_close(torch.bincount(torch.tensor(x), torch.tensor(w)), np.bincount(x, w), rtol=1e-12, atol=1e-9)
    e = torch.tensor([], dtype=torch.int64)
    assert_close(torch.bincount(e), np.zeros(0, np.int64))
    assert_close(torch.bincount(e, torch.tensor([]), minlength=3), np.zeros(3, np.int64))  # int64 even with weights


def test_bincount_grad_is_not_implemented():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    r = torch.bincount(torch.tensor([0, 2]), w)
    assert type(r.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::bincount is not implemented"):
        r.sum().backward()


# =============================================================================
# histc / histogram
# =============================================================================

@pytest.mark.parametrize("name", FLOATS)
def test_histc_matches_numpy_on_exact_grid(name):
    """Values on a grid of quarter units (exact in every float dtype, edges included)."""
    rng = np.random.default_rng(seed("histc", name))
    x = rng.integers(-8, 40, size=(6, 7)) / 4.0
    for t in layouts(x, name):
        for bins, lo, hi in [(16, -2, 10), (5, 0, 0), (12, 0, 3), (1, -1, 1)]:
            rng_ = (x.min(), x.max()) if lo == hi else (lo, hi)
            expected = np.histogram(x, bins, range=rng_)[0].astype(np_of(name))
            got = torch.histc(t, bins=bins, min=lo, max=hi)
            assert dname(got) == name
            assert_close(got, expected)


def test_histc_float64_random_and_large():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300_000)
    got = torch.histc(torch.tensor(x), bins=37, min=-2.5, max=3)
    assert_close(got, np.histogram(x, 37, range=(-2.5, 3))[0].astype(np.float64))
    got = torch.tensor(x).histc(100)
    assert_close(got, np.histogram(x, 100)[0].astype(np.float64))


def test_histc_edge_rules():
    """min == max uses the data's extremes, widened by 1 when still equal; NaN and outliers are skipped."""
    assert torch.histc(torch.tensor([1.0, 2, 1, 4, 2.5]), 4, min=2, max=2).tolist() == [2, 1, 1, 1]
    assert torch.histc(torch.tensor([3.0, 3.0]), 4).tolist() == [0, 0, 2, 0]
    assert torch.histc(torch.tensor([]), 4).tolist() == [0, 0, 0, 0]
    assert torch.histc(torch.tensor([1.0, float("nan"), 9.0, -1.0]), 4, min=0, max=2).tolist() == [0, 0, 1, 0]
    assert torch.histc(torch.tensor(2.0), 4).tolist() == [0, 0, 1, 0]
    assert torch.histc(torch.tensor([0.1, 0.2, 0.3, 0.7, 0.9, 1.0]), 10, 0, 1).tolist() == [0, 1, 1, 1, 0, 0, 0, 1, 0, 2]
    assert not torch.histc(torch.tensor([1.0, 2.0], requires_grad=True), 3).requires_grad


def test_histogram_matches_numpy():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(1000)
    w = rng.random(1000)
    for kw, np_kw in [({}, {}), ({"range": (-1.0, 2.0)}, {"range": (-1.0, 2.0)}), ({"weight": w}, {"weights": w}),
                      ({"density": True}, {"density": True}),
                      ({"weight": w, "density": True, "range": (0, 1)}, {"weights": w, "density": True, "range": (0, 1)})]:
        targs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        hist, edges = torch.histogram(torch.tensor(x), 9, **targs)
        eh, ee = np.histogram(x, 9, **np_kw)
        assert_close(hist, eh.astype(np.float64), rtol=1e-12, atol=1e-12)
        assert_close(edges, ee, rtol=1e-12, atol=1e-12)
    bins = np.array([-3.0, -0.5, 0.0, 0.1, 2.0])
    hist, edges = torch.tensor(x).histogram(torch.tensor(bins))
    assert_close(hist, np.histogram(x, bins)[0].astype(np.float64))
    assert_close(edges, bins)


@pytest.mark.parametrize("n", [1, 7, 100_003])
@pytest.mark.parametrize("name", FLOATS + INTS)
def test_ranges_come_from_the_data_extremes(name, n):
    """The data's min and max (one pass over threads and lanes) set histc's range and bincount's length."""
    rng = np.random.default_rng(seed("ext", name, n))
    a = rng.integers(0, 120, size=n).astype(np_of(name))
    t = mk(a, name)
    if name in FLOATS:
        lo, hi = float(a.min()), float(a.max())
        bins = 4 if lo < hi else 2
        expected = np.histogram(a.astype(np.float64), bins, range=(lo, hi) if lo < hi else (lo - 1, hi + 1))[0]
        if n < 256 or name in ("float32", "float64"):  # float16/bfloat16 counts saturate (as PyTorch's)
            assert_close(torch.histc(t, bins), expected.astype(np_of(name)))
        if n > 1:
            a[rng.integers(0, n)] = np.nan
            with pytest.raises(RuntimeError, match="is not finite"):
                torch.histc(mk(a, name), bins)
    else:
        assert_close(torch.bincount(t), np.bincount(a.astype(np.int64)))


def test_histogram_result_type_and_special_cases():
    r = torch.histogram(torch.tensor([1.0, 2, 1, 4, 2.5]), 4)
    assert type(r).__name__ == "histogram" and r.hist is r[0] and r.bin_edges is r[1]
    assert repr(r).startswith("torch.return_types.histogram(\nhist=tensor([2., 1., 1., 1.]),\nbin_edges=tensor(")
    assert r.bin_edges.tolist() == [1.0, 1.75, 2.5, 3.25, 4.0]
    e = torch.histogram(torch.tensor([]), 4)
    assert e.hist.tolist() == [0, 0, 0, 0] and e.bin_edges.tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    s = torch.histogram(torch.tensor([2.0, 2.0]), 4)
    assert s.hist.tolist() == [0, 0, 2, 0] and s.bin_edges.tolist() == [1.5, 1.75, 2.0, 2.25, 2.5]
    h = torch.histogram(torch.tensor([1.0, 2.0], dtype=torch.float16), 2, range=(0.0, 2.0))
    assert dname(h.hist) == "float16" and h.hist.tolist() == [0, 2]
    g = torch.histogram(torch.tensor([1.0, 2.0], requires_grad=True), 2)
    assert type(g.hist.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::histogram is not implemented"):
        g.hist.sum().backward()


# =============================================================================
# diag / diagonal / diag_embed / trace / fill_diagonal_
# =============================================================================

def ints_of(name, shape, key):
    a = np.random.default_rng(seed(key, name, shape)).integers(0, 9, size=shape)
    return (a > 4 if name == "bool" else a).astype(np_of(name))


@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("k", [0, 1, -2, 7])
def test_diag_matches_numpy(name, k):
    v, m = ints_of(name, (4,), "v"), ints_of(name, (3, 5), "m")
    for t in layouts(v, name):
        got = torch.diag(t, k)
        assert dname(got) == name
        assert_close(got, np.diag(v, k))
    for t in layouts(m, name):
        got = t.diag(diagonal=k)
        assert got.is_contiguous()
        assert_close(got, np.diag(m, k))


@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (2, -1, -2), (9, 1, 2)])
def test_diagonal_is_a_view_matching_numpy(name, offset, d1, d2):
    a = ints_of(name, (3, 4, 5), "a")
    t = mk(a, name)
    got = torch.diagonal(t, offset, d1, d2)
    assert_close(got, np.diagonal(a, offset, d1, d2))
    if got.numel():  # shares t's memory (an empty tensor's data_ptr is 0)
        assert got.data_ptr() == t.data_ptr() + got.storage_offset() * t.element_size()
    tt = mk(np.ascontiguousarray(a.transpose(2, 1, 0)), name).permute(2, 1, 0)
    assert_close(tt.diagonal(offset=offset, dim1=d1, dim2=d2), np.diagonal(a, offset, d1, d2))


def test_diag_of_a_matrix_is_a_copy():
    for shape in [(1, 1), (1, 3), (3, 3)]:
        m = torch.zeros(shape)
        d = torch.diag(m)
        d.fill_(5.0)
        assert m.sum().item() == 0 and d.is_contiguous()


def test_diagonal_writes_through_and_strides():
    t = torch.zeros(3, 4)
    d = t.diagonal(1)
    assert d.stride() == (5,) and d.storage_offset() == 1
    d.fill_(7.0)
    expected = np.zeros((3, 4), np.float32)
    expected[[0, 1, 2], [1, 2, 3]] = 7
    assert_close(t, expected)
    assert t.diagonal(-1).storage_offset() == 4 and t.diagonal(9).storage_offset() == 0
    assert tuple(torch.zeros(0, 3).diagonal().shape) == (0,)


@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("offset,d1,d2", [(0, -2, -1), (1, 0, 2), (-2, 2, 0), (0, 1, 0)])
def test_diag_embed_matches_numpy(name, offset, d1, d2):
    a = ints_of(name, (2, 3), "e")
    # NumPy: np.diag per row, then the two new dims moved to (d1, d2)
    planes = np.stack([np.diag(row, offset) for row in a])            # (2, n, n): dims (batch, d1, d2)
    nd = 3
    dst = [d % nd for d in (d1, d2)]
    expected = np.moveaxis(planes, [1, 2], dst)
    for t in layouts(a, name):
        got = torch.diag_embed(t, offset, d1, d2)
        assert dname(got) == name
        assert_close(got, expected)
    assert_close(torch.diag_embed(mk(a[0], name)), np.diag(a[0]))


@pytest.mark.parametrize("name", [n for n in DNAMES if n != "bool"])
def test_trace_matches_numpy(name):
    a = ints_of(name, (4, 3), "tr")
    for t in layouts(a, name):
        got = torch.trace(t)
        want = "int64" if name in INTS else name
        assert dname(got) == want and got.dim() == 0
        assert got.item() == np.trace(a.astype(np.float64))
    assert torch.zeros(0, 3).trace().item() == 0


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), True), ((7, 3), False), ((3, 5), True),
                                        ((4, 4, 4), False), ((4, 1), True), ((0, 3), False)])
def test_fill_diagonal_matches_numpy(shape, wrap):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    t = torch.tensor(a.copy())
    assert t.fill_diagonal_(-1.5, wrap=wrap) is t
    np.fill_diagonal(a, -1.5, wrap=wrap)
    assert_close(t, a)


def test_fill_diagonal_dtypes_and_layouts():
    t = torch.zeros(3, 3, dtype=torch.int64).fill_diagonal_(2.7)
    assert_close(t, np.eye(3, dtype=np.int64) * 2)
    b = torch.zeros(2, 2, dtype=torch.bool).fill_diagonal_(True)
    assert_close(b, np.eye(2, dtype=bool))
    # a transposed tall matrix: the wrapped diagonal follows the memory layout, as in PyTorch
    c = torch.zeros(5, 2).t().contiguous().t().fill_diagonal_(1.0, True)
    assert c.tolist() == [[1, 0], [0, 1], [0, 0], [1, 0], [0, 1]]


# =============================================================================
# autograd
# =============================================================================

def f64(shape, key):
    return torch.tensor(np.random.default_rng(seed(key)).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("fn,shape", [
    (lambda x: x.diagonal(), (3, 4)), (lambda x: torch.diagonal(x, -1, 2, 0), (3, 4, 5)),
    (lambda x: torch.diag(x, 1), (4,)), (lambda x: x.diag(-1), (3, 4)),
    (lambda x: torch.diag_embed(x, 1, 0, 2), (2, 3)), (lambda x: x.trace(), (3, 4)),
    (lambda x: (x * 1).fill_diagonal_(0.5) * x, (4, 3)),
])
def test_gradients(fn, shape):
    assert torch.autograd.gradcheck(fn, (f64(shape, shape),))


def test_double_backward_of_diagonal():
    x = f64((3, 3), "dd")
    (g,) = torch.autograd.grad((x.diagonal() ** 2).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert_close(gg, 2 * np.eye(3))


@pytest.mark.parametrize("fn,name", [
    (lambda x: x.diagonal(), "DiagonalBackward0"), (lambda x: x.diag(), "DiagonalBackward0_copy"),
    (lambda x: x[0].diag(), "DiagEmbedBackward0"), (lambda x: x.diag_embed(), "DiagEmbedBackward0"),
    (lambda x: x.trace(), "TraceBackward0"), (lambda x: (x * 1).fill_diagonal_(0), "CopySlices"),
])
def test_grad_fn_names(fn, name):
    assert type(fn(f64((3, 3), "n")).grad_fn).__name__ == name


def test_in_place_writes_through_diagonal_views():
    """y.diagonal().mul_(3); y.diagonal(1).zero_(): the base's history becomes CopySlices."""
    a = np.arange(9.0).reshape(3, 3)
    x = torch.tensor(a, requires_grad=True)
    y = x * 1
    y.diagonal().mul_(3)
    y.diagonal(1).zero_()
    (y * y).sum().backward()
    factor = np.ones((3, 3))
    factor[np.diag_indices(3)] = 3
    factor[[0, 1], [1, 2]] = 0
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert_close(x.grad, 2 * a * factor * factor)


def test_fill_diagonal_of_a_leaf_that_requires_grad():
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        f64((2, 2), "leaf").fill_diagonal_(1.0)


# =============================================================================
# bad inputs: PyTorch's classes and messages
# =============================================================================

B = torch.tensor([1.0, 3.0, 5.0])
BAD = [
    (lambda: torch.searchsorted(B, B, side="left", right=True), RuntimeError,
     "side and right can't be set to opposites, got side of left while right was True"),
    (lambda: torch.searchsorted(B, B, side="middle"), RuntimeError, "side can only be 'left' or 'right' but got middle"),
    (lambda: torch.searchsorted(torch.tensor(1.0), B), RuntimeError,
     "boundaries tensor should have positive dimension, but got 0 dimension"),
    (lambda: torch.searchsorted(B.view(1, 3), torch.zeros(2, 1)), RuntimeError,
     "the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor "
     "[1, 3] and input value tensor [2, 1]"),
    (lambda: torch.searchsorted(B.view(1, 3), 2.0), RuntimeError,
     "input value can be a scalar only when boundaries tensor dimension is 1"),
    (lambda: torch.searchsorted(B, B, sorter=torch.tensor([0, 1])), RuntimeError,
     "boundary and sorter must have the same size, but got boundary tensor [3]and got sorter tensor [2]"),
    (lambda: torch.searchsorted(B, B, sorter=torch.tensor([0, 1, 2], dtype=torch.int32)), RuntimeError,
     "sorter must be a tensor of long dtype but got dtype Int"),
    (lambda: torch.searchsorted(B, B, sorter=torch.tensor([0, 1, 3])), RuntimeError, "sorter index out of range"),
    (lambda: torch.searchsorted(B, B, out=torch.empty(3, dtype=torch.int32)), RuntimeError,
     "output tensor's dtype is wrong, it can only be Int(int32) or Long(int64) depending on whether out_int32 flag is "
     "True, but we got output tensor's dtype Int and out_int32 flag is False"),
    (lambda: torch.searchsorted(B.bool(), B.bool()), NotImplementedError,
     "\"searchsorted_out_cpu\" not implemented for 'Bool'"),
    (lambda: torch.bucketize(B, B.view(1, 3)), RuntimeError, "boundaries tensor must be 1 dimension, but got dim(2)"),
    (lambda: torch.bincount(torch.tensor([-1, 2])), RuntimeError, "bincount only supports 1-d non-negative integral"),
    (lambda: torch.bincount(torch.cat([torch.arange(100_000), torch.tensor([-1])])), RuntimeError,
     "bincount only supports 1-d non-negative integral"),  # the extremes of a large input, over threads
    (lambda: torch.bincount(torch.zeros(2, 2).long()), RuntimeError, "bincount only supports 1-d non-negative integral"),
    (lambda: torch.bincount(torch.tensor([1.0])), NotImplementedError, "\"bincount_cpu\" not implemented for 'Float'"),
    (lambda: torch.bincount(torch.tensor([True])), NotImplementedError, "\"bincount_cpu\" not implemented for 'Bool'"),
    (lambda: torch.bincount(torch.tensor([1]), minlength=-1), RuntimeError, "minlength should be >= 0"),
    (lambda: torch.bincount(torch.tensor([2**63 - 1])), RuntimeError,
     "maximum value of input overflowed, it should be < 9223372036854775807 but got 9223372036854775807"),
    (lambda: torch.bincount(torch.tensor([1, 2]), torch.ones(3)), RuntimeError,
     "weights should be 1-d and have the same length as input"),
    (lambda: torch.histc(B, 0), RuntimeError, "torch.histogram(): bins must be > 0, but got 0 for dimension 0"),
    (lambda: torch.histc(B, 4, min=3, max=1), RuntimeError, "torch.histc: max must be larger than min"),
    (lambda: torch.histc(torch.tensor([1.0, float("inf")]), 4), RuntimeError, "torch.histc: range of [1, inf] is not finite"),
    (lambda: torch.histc(torch.cat([torch.zeros(100_000), torch.tensor([float("nan")])]), 4), RuntimeError,
     "is not finite"),
    (lambda: torch.histc(torch.tensor([1, 2]), 4), NotImplementedError, "\"histogram_cpu\" not implemented for 'Long'"),
    (lambda: torch.histc(torch.tensor([True]), 4), NotImplementedError, "\"linspace_cpu\" not implemented for 'Bool'"),
    (lambda: torch.histogram(B, 4, range=(3.0, 1.0)), RuntimeError,
     "torch.histogramdd: min should not exceed max, but got min 3 max 1 for dimension 0"),
    (lambda: torch.histogram(B, 4, range=(0.0, 1.0, 2.0)), RuntimeError,
     "for a 1-dimensional histogram range should have 2 elements, but got 3"),
    (lambda: torch.histogram(torch.tensor([1.0, float("nan")]), 4), RuntimeError, "range [nan, nan] is not finite"),
    (lambda: torch.histogram(B.half(), 4), NotImplementedError, "\"histogramdd\" not implemented for 'Half'"),
    (lambda: torch.histogram(B, B.double()), RuntimeError,
     "input tensor and bins tensors should have the same dtype, but got input with dtype float and bins for dimension "
     "0 with dtype double"),
    (lambda: torch.histogram(B, torch.tensor([1.0])), RuntimeError, "torch.histogram(): bins must be > 0, but got 0"),
    (lambda: torch.histogram(B, torch.zeros(2, 2)), RuntimeError, "bins tensor should have one dimension, but got 2"),
    (lambda: torch.histogram(B, 2, weight=torch.ones(2)), RuntimeError,
     "should have the same shape as the input tensor excluding its innermost dimension, but got input with shape "
     "[3, 1] and weight with shape [2]"),
    (lambda: torch.histogram(B, 2, weight=torch.ones(3).double()), RuntimeError,
     "input tensor and weight tensor should have the same dtype, but got input(float), and weight(double)"),
    (lambda: torch.diag(torch.zeros(2, 2, 2)), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda: torch.diag(torch.tensor(1.0)), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 0D"),
    (lambda: torch.zeros(3, 4).diagonal(0, 0, -2), RuntimeError, "diagonal dimensions cannot be identical 0, -2"),
    (lambda: torch.zeros(3, 4).diagonal(0, 0, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: torch.diag_embed(torch.tensor(2.0)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
    (lambda: torch.diag_embed(torch.zeros(3), 0, 1, -1), RuntimeError, "diagonal dimensions cannot be identical 1, -1"),
    (lambda: torch.trace(torch.zeros(3)), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda: torch.trace(torch.ones(2, 2, dtype=torch.bool)), NotImplementedError, "\"trace\" not implemented for 'Bool'"),
    (lambda: torch.zeros(3).fill_diagonal_(1), RuntimeError, "dimensions must larger than 1"),
    (lambda: torch.zeros(2, 3, 2).fill_diagonal_(1), RuntimeError, "all dimensions of input must be of equal length"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_inputs_raise_pytorch_errors(k):
    fn, cls, msg = BAD[k]
    with pytest.raises(cls) as e:
        fn()
    assert msg in str(e.value)


# =============================================================================
# parity with real PyTorch, side by side
# =============================================================================

def both(fn):
    """fn run on ctorch and on real PyTorch, as NumPy arrays."""
    return [np.asarray(fn(lib).tolist()) for lib in (torch, real_torch)]


def same(fn):
    ours, theirs = both(fn)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parity
@needs_torch
def test_parity_searchsorted_with_nan_and_unsorted_boundaries():
    rng = np.random.default_rng(1)
    for trial in range(20):
        bd = rng.integers(-3, 4, size=int(rng.integers(1, 12))).astype(np.float32)
        bd[rng.random(bd.shape) < 0.2] = np.nan
        if trial % 2:
            bd = np.sort(bd)
        q = np.concatenate([rng.integers(-4, 5, size=9).astype(np.float32), [np.nan]])
        for right in (False, True):
            same(lambda lib: lib.searchsorted(lib.tensor(bd), lib.tensor(q), right=right))
            sorter = np.argsort(bd, kind="stable")
            same(lambda lib: lib.searchsorted(lib.tensor(bd), lib.tensor(q), right=right, sorter=lib.tensor(sorter)))


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_parity_histc_bins_of_random_values(name):
    """Bin positions computed in the input's dtype (float16/bfloat16 round each step), as PyTorch."""
    x = np.random.default_rng(seed("ph", name)).standard_normal(20_000).astype(np.float32)
    # under 128 bins in bfloat16: with more, PyTorch's rounded bin index can pass the last bin
    # and write out of bounds (ctorch clamps it)
    many = 120 if name == "bfloat16" else 1000
    for bins, lo, hi in [(100, 0, 0), (7, -1.3, 2.1), (many, -3, 3)]:
        same(lambda lib: lib.histc(lib.tensor(x).to(getattr(lib, name)), bins, lo, hi).double())


@pytest.mark.parity
@needs_torch
def test_parity_weighted_sums():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 50, size=5000)
    w = rng.standard_normal(5000).astype(np.float32)
    same(lambda lib: lib.bincount(lib.tensor(x), lib.tensor(w)).double())
    v = rng.standard_normal(5000)
    same(lambda lib: lib.histogram(lib.tensor(v), 17, weight=lib.tensor(np.abs(v))).hist)
    ours, theirs = both(lambda lib: lib.histogram(lib.tensor(v), 17, weight=lib.tensor(np.abs(v)), density=True).hist)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)  # divided by sums that may round differently
    same(lambda lib: lib.histogram(lib.tensor(v), lib.tensor(np.array([-2.0, -1, 0, 0.5, 3])))[0])


@pytest.mark.parity
@needs_torch
def test_parity_diagonal_layouts_and_trace():
    for shape, args in [((3, 4), (1, 0, 1)), ((2, 3, 4), (-1, 2, 0)), ((4, 4), (5, 1, 0))]:
        ours = torch.zeros(shape).diagonal(*args)
        theirs = real_torch.zeros(shape).diagonal(*args)
        assert (tuple(ours.shape), ours.stride(), ours.storage_offset()) == \
            (tuple(theirs.shape), theirs.stride(), theirs.storage_offset())
    x = np.random.default_rng(8).standard_normal((300, 300)).astype(np.float32)
    same(lambda lib: lib.tensor(x).trace())
    same(lambda lib: lib.tensor(x).half().trace().float())


@pytest.mark.skipif(REFERENCE, reason="ctorch's lockstep search against its scalar one")
def test_lockstep_and_tail_agree():
    """Every count of values (not a multiple of the lane count) against per-value numpy answers."""
    bd = np.sort(np.random.default_rng(6).integers(0, 30, size=17)).astype(np.int16)
    for n in range(1, 20):
        q = np.arange(-2, 32)[:n].astype(np.int16)
        assert_close(torch.searchsorted(torch.tensor(bd), torch.tensor(q)), np.searchsorted(bd, q))
