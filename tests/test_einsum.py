"""Contractions and distances: einsum, tensordot, cdist, dist. NumPy is the
oracle for values (np.einsum, np.tensordot, and cdist by broadcasting);
float64 finite differences for gradients; real PyTorch side by side for
dtypes, the matrix-product form of cdist, grad_fn names and the seed's
pairwise-distance snippet; bad inputs raise PyTorch's exceptions and
messages."""
import numpy as np
import pytest

from helpers import DNAMES, REFERENCE, assert_close, dname, mk, parity, real_torch, seed, to_numpy, torch

F64 = torch.float64


def arr(shape, key, dtype=np.float64):
    return np.random.default_rng(seed(key, shape)).standard_normal(shape).astype(dtype)


def transposed(a):
    """a tensor holding `a` with its last two dims swapped in memory (non-contiguous)."""
    if a.ndim < 2:
        return strided(a)
    t = torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    assert a.ndim < 2 or min(a.shape[-2:]) < 2 or not t.is_contiguous()
    return t


def strided(a):
    """a tensor holding `a` as every other element of a wider buffer."""
    if a.ndim == 0:
        return torch.tensor(a)
    return torch.tensor(np.repeat(a, 2, axis=-1))[..., ::2]


LAYOUTS = {"c": torch.tensor, "t": transposed, "s": strided}


# =============================================================================
# einsum
# =============================================================================
# (equation, operand shapes)
EQUATIONS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),                    # matrix product
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),           # batched product
    ("ii->", [(4, 4)]),                                 # trace
    ("ii", [(4, 4)]),                                   # trace, implicit
    ("ii->i", [(4, 4)]),                                # diagonal
    ("bii->bi", [(2, 3, 3)]),                           # batched diagonal
    ("iji->j", [(3, 4, 3)]),                            # diagonal of non-adjacent dims
    ("iii->i", [(3, 3, 3)]),
    ("ij->ji", [(3, 4)]),                               # transpose
    ("ijk->kij", [(2, 3, 4)]),
    ("ij->", [(3, 4)]),                                 # sum over all
    ("ij->j", [(3, 4)]),
    ("ij", [(3, 4)]),                                   # implicit: identity
    ("ji", [(3, 4)]),                                   # implicit: output in label order
    ("i,j->ij", [(3,), (4,)]),                          # outer
    ("i,j", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),                            # dot
    ("i,i", [(5,), (5,)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),                     # row-wise dot
    ("ij,ij->ij", [(3, 4), (3, 4)]),                    # elementwise
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),     # bilinear
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),         # a chain, left to right
    ("ab,ab,ab->", [(2, 3), (2, 3), (2, 3)]),
    ("a,b,c->abc", [(2,), (3,), (4,)]),
    ("ij,kl->ijkl", [(2, 3), (4, 5)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("Ab,bC->AC", [(3, 4), (4, 2)]),                    # uppercase labels
    ("aA,Aa->", [(3, 4), (4, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),       # ellipsis, broadcast batch
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(3, 2, 4)]),
    ("...", [(2, 3)]),
    ("ij...,jk...->ik...", [(3, 4, 2), (4, 5, 2)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)], "bij,bij->b"),   # the ellipsis summed (NumPy can't say it)
    ("i,i->i", [(4,), (1,)]),                           # a size-1 dim broadcasts
    ("ij,j->i", [(3, 4), (1,)]),
    ("ij,jk->ik", [(3, 0), (0, 5)]),                    # empty contraction: zeros
    ("ij,jk->ik", [(0, 4), (4, 5)]),
    ("ii->i", [(0, 0)]),
    ("", [()]),                                         # 0-dim operands
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    (" i j , j k -> i k ", [(3, 4), (4, 5)]),           # spaces are ignored
]
EQ_IDS = [f"{k}:{e[0].strip() or 'scalar'}" for k, e in enumerate(EQUATIONS)]


def np_equation(k):
    """NumPy's spelling of equation k."""
    return EQUATIONS[k][-1] if len(EQUATIONS[k]) == 3 else EQUATIONS[k][0].replace(" ", "")


@pytest.mark.parametrize("layout", "cts")
@pytest.mark.parametrize("k", range(len(EQUATIONS)), ids=EQ_IDS)
def test_einsum_matches_numpy(k, layout):
    eq, shapes = EQUATIONS[k][:2]
    arrays = [arr(s, ("einsum", k, i)) for i, s in enumerate(shapes)]
    got = torch.einsum(eq, *[LAYOUTS[layout](a) for a in arrays])
    assert got.dtype == F64
    assert_close(got, np.einsum(np_equation(k), *arrays), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [0, 1, 6, 20, 28])
def test_einsum_operand_list_and_float32(k):
    eq, shapes = EQUATIONS[k][:2]
    arrays = [arr(s, ("f32", k, i), np.float32) for i, s in enumerate(shapes)]
    ts = [torch.tensor(a) for a in arrays]
    for got in (torch.einsum(eq, ts), torch.einsum(eq, tuple(ts))):
        assert got.dtype == torch.float32
        assert_close(got, np.einsum(eq, *arrays), rtol=1e-5, atol=1e-5)


def test_einsum_sublist_format_matches_numpy():
    a, b = arr((3, 4), "sa"), arr((4, 5), "sb")
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert_close(torch.einsum(ta, [0, 1], tb, [1, 2], [0, 2]), np.einsum(a, [0, 1], b, [1, 2], [0, 2]))
    assert_close(torch.einsum(ta, [0, 1], tb, [1, 2]), np.einsum(a, [0, 1], b, [1, 2]))
    assert_close(torch.einsum(ta, [Ellipsis, 1], [Ellipsis]), a.sum(-1))
    assert_close(torch.einsum(ta, [30, 51], [51, 30]), a.T)     # labels above 25 are lowercase
    c = arr((2, 3, 3), "sc")
    assert_close(torch.einsum(torch.tensor(c), [0, 1, 1], [0]), np.einsum(c, [0, 1, 1], [0]))


def test_einsum_views_share_memory_where_pytorch_does():
    t = torch.tensor(arr((4, 4), "view"))
    d = torch.einsum("ii->i", t)
    d2 = torch.einsum("ij->ji", t)
    t[1, 1] = 100.0
    assert d[1].item() == 100.0 and d2[1, 1].item() == 100.0


# dtypes: integers contract exactly, half types compute in float32, bool only without a sum
@pytest.mark.parametrize("name", DNAMES)
def test_einsum_dtypes(name):
    rng = np.random.default_rng(seed("dt", name))
    a, b = rng.integers(0, 4, (3, 4)), rng.integers(0, 4, (4, 2))
    if name == "bool":
        a, b = a > 1, b > 1
    ta, tb = mk(a, name), mk(b, name)
    if name == "bool":
        assert dname(torch.einsum("ij->ji", ta)) == "bool"
        assert_close(torch.einsum("ij,ij->ij", ta, ta), a & a)
        with pytest.raises(NotImplementedError, match="\"bmm\" not implemented for 'Bool'"):
            torch.einsum("ij,jk->ik", ta, tb)
        return
    got = torch.einsum("ij,jk->ik", ta, tb)
    assert dname(got) == name
    assert_close(got, (a @ b).astype(np.float64), check_dtype=False)
    summed = torch.einsum("ij->i", ta)   # a sum: integers widen to int64, as torch.sum
    assert dname(summed) == (name if name in ("float16", "bfloat16", "float32", "float64") else "int64")
    assert_close(summed, a.sum(1).astype(np.float64), check_dtype=False)


def test_einsum_mixed_dtypes():
    a = torch.tensor([1, 2, 3], dtype=torch.uint8)
    b = torch.tensor([1, 2, 3], dtype=torch.int32)
    assert dname(torch.einsum("i,i->i", a, b)) == "int32"          # a product alone promotes
    f, d = torch.ones(2, 3), torch.ones(3, 4, dtype=F64)
    assert dname(torch.einsum("i,j->ij", f[0], d[0])) == "float64"
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        torch.einsum("ij,jk->ik", f, d)


EINSUM_BAD = [
    (lambda: torch.einsum("ij", torch.zeros(2, 3, 4)), RuntimeError,
     "einsum(): the number of subscripts in the equation (2) does not match the number of dimensions (3) for "
     "operand 0 and no ellipsis was given"),
    (lambda: torch.einsum("ij...", torch.zeros(2)), RuntimeError,
     "einsum(): the number of subscripts in the equation (2) is more than the number of dimensions (1) for operand 0"),
    (lambda: torch.einsum("ij,jk", torch.zeros(2, 3)), RuntimeError,
     "einsum(): fewer operands were provided than specified in the equation"),
    (lambda: torch.einsum("ij", torch.zeros(2, 3), torch.zeros(3)), RuntimeError,
     "einsum(): more operands were provided than specified in the equation"),
    (lambda: torch.einsum("i1", torch.zeros(2, 3)), RuntimeError,
     "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]"),
    (lambda: torch.einsum("ij->i1", torch.zeros(2, 3)), RuntimeError,
     "einsum(): invalid subscript given at index 5 in the equation string"),
    (lambda: torch.einsum("ij->j->i", torch.zeros(2, 3)), RuntimeError, "invalid subscript given at index 5"),
    (lambda: torch.einsum("ij-", torch.zeros(2, 3)), RuntimeError, "invalid subscript given at index 2"),
    (lambda: torch.einsum("ij->ii", torch.zeros(2, 3)), RuntimeError,
     "einsum(): output subscript i appears more than once in the output"),
    (lambda: torch.einsum("ij->k", torch.zeros(2, 3)), RuntimeError,
     "einsum(): output subscript k does not appear in the equation for any input operand"),
    (lambda: torch.einsum("ij,jk->ik", torch.zeros(2, 3), torch.zeros(2, 3)), RuntimeError,
     "einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda: torch.einsum("ii", torch.zeros(2, 3)), RuntimeError,
     "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    (lambda: torch.einsum("i.j", torch.zeros(2, 3)), RuntimeError,
     "einsum(): found '.' for operand 0 that is not part of any ellipsis"),
    (lambda: torch.einsum("...i...", torch.zeros(2, 3)), RuntimeError,
     "einsum(): found '.' for operand 0 for which an ellipsis was already found"),
    (lambda: torch.einsum("ij->..", torch.zeros(2, 3)), RuntimeError,
     "einsum(): found '.' for output that is not part of any ellipsis (...)"),
    (lambda: torch.einsum("...ij->......", torch.zeros(2, 3)), RuntimeError,
     "einsum(): found '.' for output but an ellipsis (...) was already found"),
    (lambda: torch.einsum("...i,...i->...", torch.zeros(2, 3), torch.zeros(4, 3)), RuntimeError,
     "einsum(): dimension 0 covered by ellipsis in operand 1has size 4 which does not broadcast with previously "
     "seen ellipsis with size 2 for the respective dimension"),
    (lambda: torch.einsum("ij"), ValueError,
     "einsum(): must specify the equation string and at least one operand, or at least one operand and its "
     "subscripts list"),
    (lambda: torch.einsum(torch.zeros(2, 3), [0, 60]), ValueError,
     "einsum(): subscript in subscript list is not within the valid range [0, 52)"),
    (lambda: torch.einsum(3, torch.zeros(2)), TypeError,
     "einsum(): argument 'equation' (position 1) must be str, not int"),
    (lambda: torch.einsum("ij", [3]), TypeError, "expected Tensor as element 0 in argument 1, but got int"),
    (lambda: torch.einsum("ij,jk", torch.zeros(2, 3), [torch.zeros(3, 2)]), TypeError,
     "expected Tensor as element 1 in argument 1, but got list"),
    (lambda: torch.einsum("ij", torch.zeros(2, 3), x=1), TypeError, "einsum() got an unexpected keyword argument 'x'"),
]


@pytest.mark.parametrize("k", range(len(EINSUM_BAD)))
def test_einsum_bad_inputs(k):
    fn, cls, msg = EINSUM_BAD[k]
    with pytest.raises(cls) as e:
        fn()
    assert msg in str(e.value)


def test_einsum_gradients_against_numpy():
    a, b = arr((3, 4), "ga"), arr((4, 5), "gb")
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    w = arr((3, 5), "gw")
    (torch.einsum("ij,jk->ik", ta, tb) * torch.tensor(w)).sum().backward()
    assert_close(ta.grad, w @ b.T, rtol=1e-12, atol=1e-12)
    assert_close(tb.grad, a.T @ w, rtol=1e-12, atol=1e-12)
    m = torch.tensor(arr((4, 4), "gm"), requires_grad=True)
    torch.einsum("ii", m).backward()           # d trace = identity
    assert_close(m.grad, np.eye(4))


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("bn,anm,bm->ba", [(2, 3), (2, 3, 4), (2, 4)]), ("ii->i", [(3, 3)]),
    ("iji->j", [(3, 2, 3)]), ("...ij,...jk", [(2, 3, 4), (4, 2)]), ("i,i->", [(4,), (1,)]), ("ij->", [(2, 3)]),
])
def test_einsum_gradcheck(eq, shapes):
    rng = np.random.default_rng(seed("gc", eq))
    ins = [torch.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert torch.autograd.gradcheck(lambda *xs: torch.einsum(eq, *xs), ins)
    assert torch.autograd.gradgradcheck(lambda *xs: torch.einsum(eq, *xs), ins)


# =============================================================================
# tensordot
# =============================================================================
TENSORDOT = [
    ((3, 4, 5), (4, 5, 6), 2, 2),
    ((3, 4, 5), (5, 6), 1, 1),
    ((3, 4), (5, 6), 0, 0),
    ((3, 4, 5), (4, 5), 2, 2),
    ((3, 5, 4, 6), (6, 4, 5, 3), ([2, 1, 3], [1, 2, 0]), ([2, 1, 3], [1, 2, 0])),
    ((3, 4, 5), (4, 3, 2), ([0, 1], [1, 0]), ([0, 1], [1, 0])),
    ((3, 4, 5), (5, 4), ((-1, -2), (0, 1)), ((-1, -2), (0, 1))),
    ((2, 3), (3, 2), [[1], [0]], [[1], [0]]),
    ((3, 1, 5), (4, 5), ([1, 2], [0, 1]), None),          # a size-1 dim against 4: b is summed over it first
    ((2, 0), (0, 3), 1, 1),
    ((), (), 0, 0),
]


@pytest.mark.parametrize("layout", "cts")
@pytest.mark.parametrize("k", range(len(TENSORDOT)))
def test_tensordot_matches_numpy(k, layout):
    sa, sb, dims, np_dims = TENSORDOT[k]
    a, b = arr(sa, ("td", k, 0)), arr(sb, ("td", k, 1))
    got = torch.tensordot(LAYOUTS[layout](a), LAYOUTS[layout](b), dims)
    if np_dims is None:   # NumPy does not broadcast contracted dims: sum b over the one a has as 1
        expected = np.tensordot(a, b.sum(0, keepdims=True), ([1, 2], [0, 1]))
    else:
        expected = np.tensordot(a, b, np_dims)
    assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_tensordot_dims_forms():
    a, b = arr((3, 4, 5), "fa"), arr((4, 5, 6), "fb")
    ta, tb = torch.tensor(a), torch.tensor(b)
    expected = np.tensordot(a, b, 2)
    assert_close(torch.tensordot(ta, tb), expected)
    assert_close(torch.tensordot(ta, tb, dims=torch.tensor(2)), expected)
    assert_close(torch.tensordot(ta, tb, torch.tensor([[1, 2], [0, 1]])), expected)
    assert_close(torch.tensordot(a=ta, b=tb, dims=([1, 2], [0, 1])), expected)
    out = torch.empty(3, 6, dtype=F64)
    assert torch.tensordot(ta, tb, 2, out=out) is out
    assert_close(out, expected)
    i = torch.tensor(np.arange(12).reshape(3, 4))
    assert_close(torch.tensordot(i, i, ([0, 1], [0, 1])), np.array((np.arange(12) ** 2).sum()))


TENSORDOT_BAD = [
    (lambda a, b: torch.tensordot(a, b, 1), RuntimeError,
     "contracted dimensions need to match, but first has size 5 in dim -1 and second has size 4 in dim 0"),
    (lambda a, b: torch.tensordot(a, b, -1), RuntimeError, "tensordot expects dims >= 0, but got dims=-1"),
    (lambda a, b: torch.tensordot(a, b, 4), RuntimeError, "tensordot expects dims < ndim_a or ndim_b, but got dims=4"),
    (lambda a, b: torch.tensordot(a, b, ([1, 2], [0])), RuntimeError, "both dimension lists should have same length"),
    (lambda a, b: torch.tensordot(a, b, ([1, 1], [0, 0])), RuntimeError,
     "dim 1 appears multiple times in the list of dims"),
    (lambda a, b: torch.tensordot(a, b, ([5], [0])), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 5)"),
    (lambda a, b: torch.tensordot(a, b, torch.tensor(4)), IndexError, "but got -4)"),
    (lambda a, b: torch.tensordot(a, b, [1, 0]), TypeError,
     "tensordot(): argument 'dims_self' (position 3) must be tuple of ints, not int"),
    (lambda a, b: torch.tensordot(a, b, ([1, 2], 1)), TypeError,
     "tensordot(): argument 'dims_other' (position 4) must be tuple of ints, not int"),
    (lambda a, b: torch.tensordot(a, b, [[1.0], [0]]), TypeError,
     "tensordot(): argument 'dims_self' (position 3) must be tuple of ints, but found element of type float at pos 0"),
    (lambda a, b: torch.tensordot(a, b, ([1, 2],)), ValueError, "not enough values to unpack (expected 2, got 1)"),
    (lambda a, b: torch.tensordot(a, b, ([1], [0], [2])), ValueError, "too many values to unpack (expected 2)"),
    (lambda a, b: torch.tensordot(a, b, 2.0), RuntimeError,
     "tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] containing two lists, "
     "but got dims=2.0"),
    (lambda a, b: torch.tensordot(a, b, torch.tensor([[1, 2], [0, 1], [0, 0]])), AssertionError,
     "dims tensor must have size 2 in first dimension, got 3"),
    (lambda a, b: torch.tensordot(a, b.double(), 2), RuntimeError, "both inputs should have same dtype"),
    (lambda a, b: torch.tensordot(a.bool(), b.bool(), 2), NotImplementedError, "not implemented for 'Bool'"),
    (lambda a, b: torch.tensordot(a, b, 2, out=torch.empty(3, 6, dtype=torch.float64)), RuntimeError,
     "tensordot: Expected the output tensor to have dtype Float, but got an output tensor with dtype Double"),
]


@pytest.mark.parametrize("k", range(len(TENSORDOT_BAD)))
def test_tensordot_bad_inputs(k):
    fn, cls, msg = TENSORDOT_BAD[k]
    with pytest.raises(cls) as e:
        fn(torch.zeros(3, 4, 5), torch.zeros(4, 5, 6))
    assert msg in str(e.value)


def test_tensordot_gradcheck():
    rng = np.random.default_rng(seed("tdgc"))
    a = torch.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    b = torch.tensor(rng.standard_normal((2, 4, 5)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: torch.tensordot(x, y, ([1, 2], [1, 0])), (a, b))


# =============================================================================
# cdist and dist
# =============================================================================
PS = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")]


def np_cdist(x1, x2, p):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(x1.dtype)
    if np.isinf(p):
        return d.max(-1) if d.shape[-1] else d.sum(-1)
    return (d ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("layout", "cts")
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("shapes", [((4, 3), (5, 3)), ((2, 4, 3), (2, 5, 3)), ((2, 1, 4, 3), (3, 5, 3)),
                                    ((30, 5), (7, 5)), ((3, 40, 17), (3, 6, 17))], ids=str)
def test_cdist_matches_numpy(shapes, p, layout):
    x1, x2 = arr(shapes[0], ("cd", 1)), arr(shapes[1], ("cd", 2))
    if p == 0:   # exact zeros in some coordinates
        x1[..., 0] = 1.0
        x2[..., 0] = 1.0
    got = torch.cdist(LAYOUTS[layout](x1), LAYOUTS[layout](x2), p=p)
    assert got.dtype == F64
    assert_close(got, np_cdist(x1, x2, p), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                  "donot_use_mm_for_euclid_dist"])
@pytest.mark.parametrize("rows", [5, 26])
def test_cdist_compute_modes_float32(mode, rows):
    x1, x2 = arr((rows, 8), "m1", np.float32), arr((6, 8), "m2", np.float32)
    got = torch.cdist(torch.tensor(x1), torch.tensor(x2), compute_mode=mode)
    assert got.dtype == torch.float32
    assert_close(got, np_cdist(x1.astype(np.float64), x2.astype(np.float64), 2), rtol=1e-5, atol=1e-5,
                 check_dtype=False)


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_cdist_half_types_only_in_the_matrix_form(name):
    x1, x2 = arr((30, 4), "h1", np.float32), arr((5, 4), "h2", np.float32)
    t1, t2 = mk(x1, name), mk(x2, name)
    got = torch.cdist(t1, t2)                       # 30 rows: the matrix form, as PyTorch
    assert dname(got) == name
    assert_close(got, np_cdist(to_numpy(t1).astype(np.float64), to_numpy(t2).astype(np.float64), 2), rtol=3e-2,
                 atol=3e-2, check_dtype=False)
    with pytest.raises(NotImplementedError, match="\"cdist\" not implemented for"):
        torch.cdist(t1[:5], t2)                     # the direct form has no half kernel


def test_cdist_direct_form_is_exact_at_zero():
    """The direct form gives exact zeros for equal rows; the matrix form (P > 25) rounds around them."""
    x = torch.tensor(arr((10, 16), "z", np.float32) * 100)
    d = torch.cdist(x, x)
    assert np.all(np.diag(to_numpy(d)) == 0)


@pytest.mark.parametrize("p", PS)
def test_cdist_nan(p):
    """NaN spreads through the sums, p = inf skips it (PyTorch's max)."""
    x1 = arr((3, 40), "nan")
    x1[1, 33] = np.nan
    got = to_numpy(torch.cdist(torch.tensor(x1), torch.zeros(2, 40, dtype=F64), p))
    assert not np.any(np.isnan(got[[0, 2]]))
    if np.isinf(p):
        np.testing.assert_allclose(got[1], np.repeat(np.nanmax(np.abs(x1[1])), 2), rtol=1e-12)
    else:
        assert np.all(np.isnan(got[1]))


def test_cdist_empty_and_zero_columns():
    assert tuple(torch.cdist(torch.zeros(0, 3), torch.zeros(5, 3)).shape) == (0, 5)
    assert tuple(torch.cdist(torch.zeros(2, 0, 4, 3), torch.zeros(5, 3)).shape) == (2, 0, 4, 5)
    z = torch.cdist(torch.zeros(4, 0), torch.zeros(30, 0))
    assert_close(z, np.zeros((4, 30), np.float32))
    h = torch.float16   # no half kernel, but nothing to compute
    assert tuple(torch.cdist(torch.zeros(0, 4, 3, dtype=h), torch.zeros(0, 5, 3, dtype=h)).shape) == (0, 4, 5)


CDIST_BAD = [
    (lambda: torch.cdist(torch.zeros(3), torch.zeros(4, 3)), RuntimeError,
     "cdist only supports at least 2D tensors, X1 got: 1D"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(3)), RuntimeError,
     "cdist only supports at least 2D tensors, X2 got: 1D"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 4)), RuntimeError,
     "X1 and X2 must have the same number of columns. X1: 3 X2: 4"),
    (lambda: torch.cdist(torch.zeros(4, 3).long(), torch.zeros(5, 3)), RuntimeError,
     "cdist only supports floating-point dtypes, X1 got: Long"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3).int()), RuntimeError,
     "cdist only supports floating-point dtypes, X2 got: Int"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3), p=-1), RuntimeError,
     "cdist only supports non-negative p values"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3), p=float("nan")), RuntimeError,
     "cdist only supports non-negative p values"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3), compute_mode="foo"), ValueError,
     "foo is not a valid value for compute_mode"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3), compute_mode=None), ValueError,
     "None is not a valid value for compute_mode"),
    (lambda: torch.cdist(torch.zeros(2, 4, 3), torch.zeros(3, 5, 3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: torch.cdist(torch.zeros(4, 3).half(), torch.zeros(5, 3).half()), NotImplementedError,
     "\"cdist\" not implemented for 'Half'"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3).double()), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: torch.cdist(torch.zeros(30, 3), torch.zeros(5, 3).double()), RuntimeError,
     "to have the same dtype, but got: float != double"),
    (lambda: torch.cdist(torch.zeros(4, 3), 3), TypeError, "must be Tensor, not int"),
    (lambda: torch.cdist(torch.zeros(4, 3), torch.zeros(5, 3), p="x"), TypeError, "argument 'p'"),
    (lambda: torch.dist(torch.zeros(2, 3).long(), torch.zeros(2, 3).long()), RuntimeError,
     "norm(): input dtype should be either floating point or complex. Got Long instead."),
    (lambda: torch.dist(torch.zeros(2, 3).bool(), torch.zeros(2, 3).bool()), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported"),
    (lambda: torch.dist(torch.zeros(2, 3), torch.zeros(4, 3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0"),
    (lambda: torch.dist(torch.zeros(2, 3), 3), TypeError, "must be Tensor, not int"),
    (lambda: torch.dist(torch.zeros(0), torch.zeros(0), float("-inf")), RuntimeError,
     "linalg.vector_norm cannot compute the -inf norm on an empty tensor because the operation does not have an "
     "identity"),
    (lambda: torch.dist(torch.zeros(0), torch.zeros(1), float("inf")), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor"),
    (lambda: torch.dist(torch.zeros(2, 0), torch.zeros(0), -1.5), RuntimeError,
     "linalg.vector_norm cannot compute the -1.5 norm on an empty tensor"),
]


@pytest.mark.parametrize("k", range(len(CDIST_BAD)))
def test_cdist_and_dist_bad_inputs(k):
    fn, cls, msg = CDIST_BAD[k]
    with pytest.raises(cls) as e:
        fn()
    assert msg in str(e.value)


@pytest.mark.parametrize("p", PS + [-1.0, float("-inf")])
def test_dist_matches_numpy(p):
    a, b = arr((3, 4), "da"), arr((4,), "db")
    d = (a - b).ravel()
    if p == 0:
        expected = np.count_nonzero(d)
    elif np.isinf(p):
        expected = np.abs(d).max() if p > 0 else np.abs(d).min()
    else:
        expected = (np.abs(d) ** p).sum() ** (1 / p)
    got = torch.dist(torch.tensor(a), torch.tensor(b), p)
    assert got.dim() == 0 and got.dtype == F64
    assert_close(got, np.array(expected, np.float64), rtol=1e-12, atol=1e-12)
    assert_close(torch.tensor(a).dist(torch.tensor(b), p=p), np.array(expected, np.float64), rtol=1e-12, atol=1e-12)


def test_dist_dtypes():
    assert torch.dist(torch.ones(3).half(), torch.zeros(3).half()).dtype == torch.float16
    assert torch.dist(torch.ones(3).int(), torch.zeros(3)).dtype == torch.float32
    assert_close(torch.dist(torch.ones(3).int(), torch.zeros(3)), np.array(np.sqrt(3), np.float32))
    assert_close(torch.dist(torch.tensor([3.0, 4.0]), torch.tensor(0.0), torch.tensor(2.0)), np.array(5.0, np.float32))


def leaf(a):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=True)


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("rows", [3, 27])   # 27 rows: the matrix-product form for p = 2
def test_cdist_gradcheck(p, rows):
    rng = np.random.default_rng(seed("cdgc", p, rows))
    x1 = torch.tensor(rng.standard_normal((2, rows, 3)), requires_grad=True)
    x2 = torch.tensor(rng.standard_normal((1, 4, 3)), requires_grad=True)   # a broadcast batch
    assert torch.autograd.gradcheck(lambda a, b: torch.cdist(a, b, p), (x1, x2))


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, float("inf"), -1.0])
def test_dist_gradcheck(p):
    rng = np.random.default_rng(seed("dgc", p))
    a = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = torch.tensor(rng.standard_normal((4,)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: torch.dist(x, y, p), (a, b))


@pytest.mark.parametrize("mode", ["donot_use_mm_for_euclid_dist", "use_mm_for_euclid_dist"])
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")])
def test_cdist_gradient_is_zero_at_zero_distance(p, mode):
    x1 = leaf([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    x2 = leaf([[1.0, 2.0, 3.0]])
    d = torch.cdist(x1, x2, p, compute_mode=mode)
    d.sum().backward()
    g1, g2 = to_numpy(x1.grad), to_numpy(x2.grad)
    assert np.all(g1[0] == 0)                      # the pair at distance 0 adds nothing
    diff = np.array([1.0, 2.0, 3.0])
    if p == 0:
        expected = np.zeros(3)
    elif np.isinf(p):
        expected = (np.abs(diff) == 3.0) * np.sign(diff)
    else:
        expected = np.sign(diff) * np.abs(diff) ** (p - 1) / np.linalg.norm(diff, p) ** (p - 1)
    np.testing.assert_allclose(g1[1], -expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g2[0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0, float("inf"), float("-inf"), -1.0])
def test_dist_gradient_is_zero_at_zero_distance(p):
    a = leaf([1.0, -2.0, 3.0])
    torch.dist(a, torch.tensor([1.0, -2.0, 3.0], dtype=F64), p).backward()
    assert np.all(to_numpy(a.grad) == 0)


def test_dist_inf_gradient_is_shared_by_ties():
    a = leaf([3.0, -3.0, 2.0])
    torch.dist(a, torch.zeros(3, dtype=F64), float("inf")).backward()
    assert_close(a.grad, np.array([0.5, -0.5, 0.0]))
    x1 = leaf([[3.0, -3.0, 2.0]])
    torch.cdist(x1, torch.zeros(1, 3, dtype=F64), float("inf")).sum().backward()   # cdist: each tie takes it all
    assert_close(x1.grad, np.array([[1.0, -1.0, 0.0]]))


def test_dist_p0_has_no_gradient():
    a = leaf([1.0, 2.0])
    torch.dist(a, torch.zeros(2, dtype=F64), 0).backward()
    assert a.grad is None


def test_cdist_double_backward_of_the_direct_form_is_not_implemented():
    x1, x2 = leaf(arr((3, 2), "db1")), leaf(arr((4, 2), "db2"))
    g, = torch.autograd.grad(torch.cdist(x1, x2, 1.0).sum(), x1, create_graph=True)
    with pytest.raises((RuntimeError, NotImplementedError)):
        g.sum().backward()


def test_cdist_matrix_form_has_a_second_derivative():
    rng = np.random.default_rng(seed("gg"))
    x1 = torch.tensor(rng.standard_normal((26, 3)), requires_grad=True)
    x2 = torch.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda a, b: torch.cdist(a, b), (x1, x2))


# =============================================================================
# side by side with real PyTorch
# =============================================================================
def both(a):
    return torch.tensor(a), real_torch.tensor(a)


@pytest.mark.parity
@parity
@pytest.mark.parametrize("rows", [25, 26, 300])
def test_cdist_values_match_pytorch_in_both_forms(rows):
    rng = np.random.default_rng(seed("pc", rows))
    x1 = rng.standard_normal((rows, 32)).astype(np.float32)
    x2 = np.concatenate([x1[:5], rng.standard_normal((20, 32)).astype(np.float32)])   # 5 pairs at distance 0
    ours, theirs = both(x1), both(x2)
    got, expected = torch.cdist(ours[0], theirs[0]), real_torch.cdist(ours[1], theirs[1])
    np.testing.assert_allclose(to_numpy(got), expected.numpy(), rtol=2e-5, atol=2e-3 if rows > 25 else 1e-5)
    if rows <= 25:   # the direct form: exactly 0 where PyTorch's is
        assert np.array_equal(to_numpy(got)[:5, :5] == 0, expected.numpy()[:5, :5] == 0)


@pytest.mark.parity
@parity
@pytest.mark.parametrize("fn", [
    lambda t, a, b: t.einsum("ij,jk->ik", a, b), lambda t, a, b: t.einsum("ij->ji", a),
    lambda t, a, b: t.einsum("ij->", a), lambda t, a, b: t.einsum("i,j->ij", a[0], b[0]),
    lambda t, a, b: t.einsum("ij,ij->i", a, a), lambda t, a, b: t.tensordot(a, b, 1),
    lambda t, a, b: t.cdist(a, b.t()), lambda t, a, b: t.cdist(a.repeat(10, 1), b.t()),
    lambda t, a, b: t.dist(a, a + 1),
])
def test_grad_fn_names_match_pytorch(fn):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 3))
    names = []
    for t in (torch, real_torch):
        ta, tb = t.tensor(a, requires_grad=True), t.tensor(b, requires_grad=True)
        names.append(type(fn(t, ta, tb).grad_fn).__name__)
    assert names[0] == names[1]


@pytest.mark.parity
@parity
@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 2)]), ("ij->i", [(2, 3)]), ("ii->i", [(3, 3)]),
                                       ("i,i->i", [(3,), (3,)]), ("ij,jk->j", [(2, 3), (3, 2)])])
def test_einsum_dtypes_match_pytorch(name, eq, shapes):
    rng = np.random.default_rng(seed("pd", name, eq))
    arrays = [rng.integers(0, 3, s) for s in shapes]
    if name == "bool":
        arrays = [x > 0 for x in arrays]
    ours = [mk(x, name) for x in arrays]
    theirs = [real_torch.tensor(x.astype(np.float32)).to(getattr(real_torch, name)) for x in arrays]
    try:
        expected = real_torch.einsum(eq, *theirs)
    except Exception as e:  # noqa: BLE001 - the same class, then
        with pytest.raises(type(e)):
            torch.einsum(eq, *ours)
        return
    got = torch.einsum(eq, *ours)
    assert str(got.dtype) == str(expected.dtype)
    assert_close(got, expected.float().numpy() if name == "bfloat16" else expected.numpy(), check_dtype=False)


SNIPPET = """
# X1 is of shape m*d.
X1 = torch.unsqueeze(X1, dim=1).expand(m, n, d)
# X2 is of shape n*d.
X2 = torch.unsqueeze(X2, dim=0).expand(m, n, d)
# dist is of shape m*n, where dist[i][j] = sqrt(|X1[i, :] - X[j, :]|^2)
dist = torch.sqrt(torch.sum((X1 - X2) ** 2, dim=2))
"""


@pytest.mark.parity
@parity
def test_seed_pairwise_distance_snippet_matches_pytorch_and_cdist():
    """The seed's snippet (pytorch-snippets.zh.txt, 计算两组数据之间的两两欧式距离), its lines as written."""
    m, n, d = 7, 5, 3
    a, b = arr((m, d), "snip1", np.float32), arr((n, d), "snip2", np.float32)
    results = {}
    for lib in (torch, real_torch):
        scope = {"torch": lib, "X1": lib.tensor(a), "X2": lib.tensor(b), "m": m, "n": n, "d": d}
        exec(SNIPPET, scope)
        results[lib] = scope["dist"]
    assert tuple(results[torch].shape) == (m, n)
    np.testing.assert_allclose(to_numpy(results[torch]), results[real_torch].numpy(), rtol=1e-6, atol=1e-6)
    assert_close(torch.cdist(torch.tensor(a), torch.tensor(b)), to_numpy(results[torch]), rtol=1e-5, atol=1e-5)
