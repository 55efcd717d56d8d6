"""Matrix products: mm bmm matmul (and @) dot mv outer addmm, against NumPy.

float32/float64 go through BLAS, the integer dtypes through C loops,
float16/bfloat16 are checked with loose tolerances. Operands come in several
memory layouts (transposed, stepped slices, expanded) and sizes (1, 7, 64,
129, and 0).
"""
import numpy as np
import pytest

from helpers import (torch, real_torch, assert_close, NP, INTS, FLOATS,
                     np_of, dname, seed, mk, vals)

NUMERIC = INTS + FLOATS
MAIN = ["float32", "float64", "int64", "int32", "float16", "bfloat16"]
SIZES = [1, 7, 64, 129]


def gen(rng, shape, name):
    if name in INTS:
        lo = 0 if name == "uint8" else -3
        return rng.integers(lo, 4, size=shape).astype(NP[name])
    return rng.standard_normal(shape).astype(np_of(name))


def build(x, name, layout):
    """A tensor with logical values x (>= 2-D) laid out as `layout`."""
    if layout == "contiguous":
        return mk(x, name)
    if layout == "transposed":  # last two dims swapped in memory
        return mk(np.swapaxes(x, -1, -2), name).transpose(-1, -2)
    if layout == "sliced":
        big = np.zeros(x.shape[:-2] + (x.shape[-2] * 2, x.shape[-1] * 3), dtype=x.dtype)
        big[..., ::2, 1::3] = x
        return mk(big, name)[..., ::2, 1::3]
    if layout == "expanded":  # rows repeat: a stride-0 dim
        return mk(x[..., :1, :], name).expand(*x.shape)
    raise ValueError(layout)


def expected_product(a, b, res, k):
    """(expected array, tolerance kwargs) for a @ b in dtype res."""
    if res in INTS:
        with np.errstate(all="ignore"):
            return np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(NP[res]), {}
    exp = np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np_of(res))
    scale = np.sqrt(max(k, 1))
    t = {"float16": (1e-2, 1e-2 * scale), "bfloat16": (2e-2, 4e-2 * scale),
         "float32": (1e-5, 1e-5 * scale), "float64": (1e-12, 1e-12 * scale)}[res]
    return exp, dict(rtol=t[0], atol=t[1], check_dtype=res != "bfloat16")


# ------------------------------------------------------------------- mm
@pytest.mark.parametrize("m", SIZES)
@pytest.mark.parametrize("k", SIZES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dt", ["float32", "float64", "int64"])
def test_mm_sizes(dt, n, k, m):
    rng = np.random.default_rng(seed("mm", dt, n, k, m))
    x, y = gen(rng, (n, k), dt), gen(rng, (k, m), dt)
    a, b = mk(x, dt), mk(y, dt)
    exp, tol = expected_product(vals(a), vals(b), dt, k)
    for out in (torch.mm(a, b), a.mm(b), a @ b, torch.matmul(a, b)):
        assert dname(out) == dt and tuple(out.shape) == (n, m)
        assert_close(out, exp, **tol)


LAYOUTS = ["contiguous", "transposed", "sliced", "expanded"]


@pytest.mark.parametrize("lb", LAYOUTS)
@pytest.mark.parametrize("la", LAYOUTS)
@pytest.mark.parametrize("dt", NUMERIC)
def test_mm_layouts_and_dtypes(dt, la, lb):
    rng = np.random.default_rng(seed("mml", dt, la, lb))
    n, k, m = 7, 64, 9
    a = build(gen(rng, (n, k), dt), dt, la)
    b = build(gen(rng, (k, m), dt), dt, lb)
    exp, tol = expected_product(vals(a), vals(b), dt, k)
    for out in (torch.mm(a, b), a @ b):
        assert dname(out) == dt and tuple(out.shape) == (n, m)
        assert out.is_contiguous()
        assert_close(out, exp, **tol)


@pytest.mark.parametrize("dt", MAIN)
def test_mm_result_does_not_alias_inputs(dt):
    rng = np.random.default_rng(seed("alias", dt))
    a = mk(gen(rng, (5, 5), dt), dt)
    before = vals(a).copy()
    out = a @ a
    exp, tol = expected_product(before, before, dt, 5)
    assert_close(out, exp, **tol)
    np.testing.assert_array_equal(vals(a), before)
    assert out.data_ptr() != a.data_ptr()


# ------------------------------------------------------------ zero sizes
@pytest.mark.parametrize("dt", MAIN + ["int8"])
@pytest.mark.parametrize("n,k,m", [(3, 0, 4), (0, 5, 4), (3, 5, 0), (0, 0, 0), (1, 0, 1)])
def test_mm_zero_sizes(dt, n, k, m):
    a, b = mk(np.ones((n, k)), dt), mk(np.ones((k, m)), dt)
    out = a @ b
    assert dname(out) == dt and tuple(out.shape) == (n, m)
    assert_close(out, np.zeros((n, m), np_of(dt)), check_dtype=dt != "bfloat16")
    out = torch.bmm(mk(np.ones((2, n, k)), dt), mk(np.ones((2, k, m)), dt))
    assert tuple(out.shape) == (2, n, m)
    assert_close(out, np.zeros((2, n, m), np_of(dt)), check_dtype=dt != "bfloat16")
    if n and m:
        c = mk(np.full((n, m), 2.0), dt)
        out = torch.addmm(c, a, b)  # k == 0: just beta * input
        assert_close(out, np.full((n, m), 2, np_of(dt)), check_dtype=dt != "bfloat16")


def test_dot_mv_empty():
    assert torch.dot(torch.ones(0), torch.ones(0)).item() == 0.0
    out = torch.mv(torch.ones(3, 0), torch.ones(0))
    assert out.tolist() == [0.0, 0.0, 0.0]
    assert tuple(torch.outer(torch.ones(0), torch.ones(3)).shape) == (0, 3)
    assert tuple(torch.matmul(torch.ones(0), torch.ones(0, 4)).shape) == (4,)


# ------------------------------------------------------------------- bmm
@pytest.mark.parametrize("layout", LAYOUTS + ["batch-permuted"])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (3, 7, 64, 9), (5, 129, 7, 1), (2, 1, 129, 64)],
                         ids=str)
@pytest.mark.parametrize("dt", MAIN)
def test_bmm(dt, shape, layout):
    bsz, n, k, m = shape
    rng = np.random.default_rng(seed("bmm", dt, shape, layout))
    x, y = gen(rng, (bsz, n, k), dt), gen(rng, (bsz, k, m), dt)
    if layout == "batch-permuted":  # batch dim not outermost in memory
        a = mk(np.transpose(x, (1, 0, 2)), dt).permute(1, 0, 2)
        b = mk(np.transpose(y, (2, 1, 0)), dt).permute(2, 1, 0)
    else:
        a, b = build(x, dt, layout), build(y, dt, "transposed" if layout != "expanded" else
                                          "contiguous")
    exp, tol = expected_product(vals(a), vals(b), dt, k)
    for out in (torch.bmm(a, b), a.bmm(b), a @ b):
        assert dname(out) == dt and tuple(out.shape) == (bsz, n, m)
        assert_close(out, exp, **tol)


# ---------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((7,), (7,)),                # dot -> 0-dim
    ((64,), (64, 9)),            # vector @ matrix
    ((9, 64), (64,)),            # matrix @ vector
    ((2, 1, 3, 4), (5, 4, 2)),   # batched broadcast
    ((4,), (3, 4, 5)),           # vector @ batch
    ((3, 4, 5), (5,)),           # batch @ vector
    ((2, 3, 4), (4, 5)),         # batch @ matrix
    ((3, 4), (2, 4, 5)),         # matrix @ batch
    ((1, 129), (129, 1)),
    ((2, 3, 7, 5), (2, 3, 5, 4)),
    ((1, 3, 7, 5), (2, 1, 5, 4)),
    ((129,), (129,)),
]


@pytest.mark.parametrize("dt", MAIN + ["int16", "uint8"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_shapes(dt, shapes):
    sa, sb = shapes
    rng = np.random.default_rng(seed("matmul", dt, sa, sb))
    x, y = gen(rng, sa, dt), gen(rng, sb, dt)
    a, b = mk(x, dt), mk(y, dt)
    k = sa[-1]
    exp, tol = expected_product(vals(a), vals(b), dt, k)
    for out in (torch.matmul(a, b), a.matmul(b), a @ b):
        assert dname(out) == dt
        assert tuple(out.shape) == exp.shape
        assert_close(out, exp, **tol)


@pytest.mark.parametrize("dt", ["float32", "float64", "int64"])
def test_matmul_noncontiguous_batched(dt):
    rng = np.random.default_rng(seed("mmnc", dt))
    x = gen(rng, (2, 1, 3, 4), dt)
    y = gen(rng, (5, 4, 2), dt)
    a = mk(np.transpose(x, (3, 1, 2, 0)), dt).permute(3, 1, 2, 0)   # (2,1,3,4) strided
    big = np.zeros((5, 8, 6), dtype=y.dtype)
    big[:, ::2, ::3] = y
    b = mk(big, dt)[:, ::2, ::3]                                    # (5,4,2) stepped
    exp, tol = expected_product(x, y, dt, 4)
    out = a @ b
    assert tuple(out.shape) == (2, 5, 3, 2)
    assert_close(out, exp, **tol)


# ------------------------------------------------------------- dot / mv
@pytest.mark.parametrize("layout", ["contiguous", "stepped", "expanded", "column"])
@pytest.mark.parametrize("n", [1, 7, 64, 129, 1000])
@pytest.mark.parametrize("dt", MAIN + ["int8"])
def test_dot(dt, n, layout):
    rng = np.random.default_rng(seed("dot", dt, n, layout))
    x, y = gen(rng, (n,), dt), gen(rng, (n,), dt)
    if layout == "stepped":
        a = mk(np.repeat(x, 3), dt)[::3]
        b = mk(y, dt)
    elif layout == "expanded":
        a = mk(x[:1], dt).expand(n)
        b = mk(y, dt)
    elif layout == "column":  # a column of a matrix (stride n)
        a = mk(np.stack([x] * 2, axis=1), dt)[:, 1]
        b = mk(y, dt)
    else:
        a, b = mk(x, dt), mk(y, dt)
    exp, tol = expected_product(vals(a), vals(b), dt, n)
    for out in (torch.dot(a, b), a.dot(b), a @ b, torch.matmul(a, b)):
        assert dname(out) == dt and out.dim() == 0
        assert_close(out, exp, **tol)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("nk", [(1, 1), (7, 64), (129, 7), (64, 129)], ids=str)
@pytest.mark.parametrize("dt", MAIN)
def test_mv(dt, nk, layout):
    n, k = nk
    rng = np.random.default_rng(seed("mv", dt, nk, layout))
    A = build(gen(rng, (n, k), dt), dt, layout)
    v = mk(gen(rng, (2 * k,), dt), dt)[::2]
    exp, tol = expected_product(vals(A), vals(v), dt, k)
    for out in (torch.mv(A, v), A.mv(v), A @ v):
        assert dname(out) == dt and tuple(out.shape) == (n,)
        assert_close(out, exp, **tol)


@pytest.mark.parametrize("dt", NUMERIC)
def test_outer(dt):
    rng = np.random.default_rng(seed("outer", dt))
    x, y = gen(rng, (7,), dt), gen(rng, (5,), dt)
    a, b = mk(x, dt), mk(np.repeat(y, 2), dt)[::2]
    exp, tol = expected_product(vals(a)[:, None], vals(b)[None, :], dt, 1)
    for out in (torch.outer(a, b), a.outer(b)):
        assert dname(out) == dt and tuple(out.shape) == (7, 5)
        assert_close(out, exp, **tol)


def test_outer_promotes():
    out = torch.outer(torch.tensor([1, 2, 3]), torch.tensor([0.5, 2.0]))
    assert dname(out) == "float32"
    assert_close(out, np.outer([1, 2, 3], [0.5, 2.0]).astype(np.float32))
    out = torch.outer(torch.ones(2, dtype=torch.int8), torch.ones(3, dtype=torch.uint8))
    assert dname(out) == "int16"


# ---------------------------------------------------------------- addmm
@pytest.mark.parametrize("input_shape", ["full", "row", "scalar"])
@pytest.mark.parametrize("coef", [(1, 1), (0.5, 2.0), (0, 1.5), (2, 0), (-1, -1)], ids=str)
@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16"])
def test_addmm_float(dt, coef, input_shape):
    beta, alpha = coef
    rng = np.random.default_rng(seed("addmm", dt, coef, input_shape))
    n, k, m = 7, 64, 9
    a = build(gen(rng, (n, k), dt), dt, "transposed")
    b = mk(gen(rng, (k, m), dt), dt)
    shape = {"full": (n, m), "row": (m,), "scalar": ()}[input_shape]
    c = mk(gen(rng, shape, dt), dt)
    prod, tol = expected_product(vals(a), vals(b), dt, k)
    exp = (beta * vals(c).astype(np.float64)
           + alpha * np.matmul(vals(a).astype(np.float64), vals(b).astype(np.float64)))
    exp = exp.astype(np_of(dt))
    kw = {} if coef == (1, 1) else dict(beta=beta, alpha=alpha)
    for out in (torch.addmm(c, a, b, **kw), c.addmm(a, b, **kw)):
        assert dname(out) == dt and tuple(out.shape) == (n, m)
        assert_close(out, exp, **tol)
    if input_shape == "full":
        d = c.clone()
        assert d.addmm_(a, b, **kw) is d
        assert_close(d, exp, **tol)


@pytest.mark.parametrize("dt", ["int64", "int32", "int16"])
def test_addmm_int(dt):
    rng = np.random.default_rng(seed("addmmi", dt))
    a, b, c = (mk(gen(rng, s, dt), dt) for s in ((5, 7), (7, 3), (5, 3)))
    A, B, C = (vals(t).astype(np.int64) for t in (a, b, c))
    assert_close(torch.addmm(c, a, b), (C + A @ B).astype(NP[dt]))
    assert_close(torch.addmm(c, a, b, beta=2, alpha=3), (2 * C + 3 * (A @ B)).astype(NP[dt]))
    assert_close(torch.addmm(c, a, b, beta=0), (A @ B).astype(NP[dt]))


def test_addmm_beta_zero_ignores_nan_input():
    c = torch.full((2, 2), float("nan"))
    out = torch.addmm(c, torch.ones(2, 3), torch.ones(3, 2), beta=0)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    out = torch.addmm(torch.full((2,), float("inf")), torch.ones(2, 3), torch.ones(3, 2),
                      beta=0, alpha=2)
    assert out.tolist() == [[6.0, 6.0], [6.0, 6.0]]


# --------------------------------------------------------------- larger
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_mm_large_blas(dt):
    rng = np.random.default_rng(seed("large", dt))
    x = rng.standard_normal((256, 300)).astype(NP[dt])
    y = rng.standard_normal((300, 200)).astype(NP[dt])
    out = torch.from_numpy(x) @ torch.from_numpy(y)
    exp, tol = expected_product(x, y, dt, 300)
    assert_close(out, exp, **tol)
    out = torch.from_numpy(y).t() @ torch.from_numpy(x).t()  # both transposed
    assert_close(out, exp.T, **tol)


def test_int_mm_large_exact():
    rng = np.random.default_rng(9)
    x = rng.integers(-100, 100, (65, 130))
    y = rng.integers(-100, 100, (130, 67))
    out = torch.from_numpy(x) @ torch.from_numpy(y)
    assert dname(out) == "int64"
    np.testing.assert_array_equal(out.numpy(), x @ y)
    out32 = torch.from_numpy(x.astype(np.int32)) @ torch.from_numpy(y.astype(np.int32))
    assert dname(out32) == "int32"
    np.testing.assert_array_equal(out32.numpy(), (x @ y).astype(np.int32))


def test_int8_matmul_wraps():
    a = torch.full((2, 100), 3, dtype=torch.int8)
    b = torch.full((100, 2), 3, dtype=torch.int8)
    out = a @ b
    assert dname(out) == "int8"
    assert out.tolist() == [[np.int64(900).astype(np.int8).item()] * 2] * 2


# ---------------------------------------------------------------- parity
@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
@pytest.mark.parametrize("dt", NUMERIC + ["bool"])
def test_matmul_parity(dt):
    rng = np.random.default_rng(seed("parity", dt))
    x = (rng.random((4, 6)) < 0.5) if dt == "bool" else gen(rng, (4, 6), dt)
    y = (rng.random((6, 3)) < 0.5) if dt == "bool" else gen(rng, (6, 3), dt)
    ours = [mk(v, dt) for v in (x, y)]
    theirs = [real_torch.tensor(v.astype(np.float32) if dt == "bfloat16" else v)
              .to(getattr(real_torch, dt)) for v in (x, y)]
    try:
        expected = theirs[0] @ theirs[1]
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            ours[0] @ ours[1]
        return
    got = ours[0] @ ours[1]
    assert str(got.dtype) == str(expected.dtype)
    exp_np = (expected.float() if dt == "bfloat16" else expected).numpy()
    assert_close(got, exp_np, rtol=2e-2 if dt in ("float16", "bfloat16") else 1e-5,
                 atol=5e-2 if dt in ("float16", "bfloat16") else 1e-5,
                 check_dtype=dt != "bfloat16")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["dot", "mv", "mv_t", "vm", "vm_t", "dot_strided", "addmm_row", "addmm_col"])
def test_vector_products_take_dot_and_gemv_paths_correctly(case, dtype):
    # 1 x k @ k x 1 runs as a BLAS dot and m x k @ k x 1 / 1 x k @ k x n as gemv:
    # every operand layout (transposed, strided) and beta/alpha must give NumPy's values
    rng = np.random.default_rng(3)
    a, b, v = (rng.standard_normal(s).astype(dtype) for s in [(37, 300), (300, 41), (300,)])
    A, B, V = torch.tensor(a), torch.tensor(b), torch.tensor(v)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    got, want = {
        "dot": lambda: (V.dot(V), v @ v),
        "mv": lambda: (A @ V, a @ v),
        "mv_t": lambda: (B.t() @ V, b.T @ v),
        "vm": lambda: (V @ B, v @ b),
        "vm_t": lambda: (V @ A.t(), v @ a.T),
        "dot_strided": lambda: (A[:, 3].dot(A[:, 5]), a[:, 3] @ a[:, 5]),
        "addmm_row": lambda: (torch.addmm(torch.ones(1, 41, dtype=A.dtype), V[None], B, beta=0.5, alpha=2.0),
                              0.5 + 2.0 * (v[None] @ b)),
        "addmm_col": lambda: (torch.addmm(torch.ones(37, 1, dtype=A.dtype), A, V[:, None], beta=0.5, alpha=2.0),
                              0.5 + 2.0 * (a @ v[:, None])),
    }[case]()
    np.testing.assert_allclose(got.numpy(), want, **tol)
