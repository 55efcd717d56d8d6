"""Reductions and scans: sum mean prod max min argmax argmin std var norm all
any logsumexp cumsum cumprod, over every dtype, with no dim / int dim /
negative dim / tuple dims, keepdim, dtype=, non-contiguous, 0-dim, empty and
large inputs. NumPy (float64) is the oracle.
"""
import numpy as np
import pytest

from helpers import (torch, real_torch, assert_close, NP, DNAMES, INTS, FLOATS,
                     np_of, dname, seed, mk, vals)

SHAPE = (3, 4, 5)

# (rtol, atol) for results of each floating dtype
TOL = {"float16": (3e-3, 1e-2), "bfloat16": (2e-2, 5e-2), "float32": (1e-5, 1e-4),
       "float64": (1e-10, 1e-10)}


def close(t, expected, res):
    """assert_close with the tolerance of the result dtype `res`."""
    expected = np.asarray(expected)
    if res in FLOATS:
        rtol, atol = TOL[res]
        assert_close(t, expected.astype(np_of(res)), rtol=rtol, atol=atol,
                     check_dtype=res != "bfloat16")
    else:
        assert_close(t, expected.astype(NP[res]))


def gen(rng, shape, name, kind="any"):
    if name == "bool":
        return rng.random(shape) < (0.85 if kind == "logic" else 0.5)
    if kind == "prod":  # products stay in range
        if name in INTS:
            v = rng.choice([-1, 1, 2] if name != "uint8" else [1, 2], size=shape)
        else:
            v = rng.uniform(0.6, 1.4, shape) * rng.choice([-1, 1], size=shape)
    elif name in INTS:
        v = rng.integers(0 if name == "uint8" else -20, 21, size=shape)
    else:
        v = rng.standard_normal(shape) * 2
    if kind == "logic":  # a few zeros, some slices without any
        v = np.where(rng.random(shape) < 0.1, 0, v)
    if kind == "distinct" and name not in INTS:
        v = rng.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) / 4 - 7
    return np.asarray(v).astype(np_of(name))


# ------------------------------------------------------------- the ops
OPS = ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "std", "var", "norm", "all",
       "any", "logsumexp", "cumsum", "cumprod"]
TUPLE_DIMS = {"sum", "mean", "std", "var", "norm", "all", "any", "logsumexp"}
NEEDS_DIM = {"logsumexp", "cumsum", "cumprod"}
SCANS = {"cumsum", "cumprod"}
KIND = {"prod": "prod", "cumprod": "prod", "all": "logic", "any": "logic",
        "argmax": "distinct", "argmin": "distinct", "max": "distinct", "min": "distinct"}


def result_dtype(op, dt):
    """PyTorch's result dtype, or an exception class when the dtype is refused."""
    if op in ("sum", "prod", "cumsum", "cumprod"):
        return "int64" if dt not in FLOATS else dt
    if op in ("mean", "std", "var", "norm"):
        return dt if dt in FLOATS else RuntimeError
    if op in ("max", "min"):
        return dt
    if op in ("argmax", "argmin"):
        return RuntimeError if dt == "bool" else "int64"
    if op in ("all", "any"):
        return "uint8" if dt == "uint8" else "bool"
    if op == "logsumexp":
        return dt if dt in FLOATS else "float32"
    raise ValueError(op)


def axis_of(dim):
    return dim if dim is None or isinstance(dim, int) else tuple(dim)


def reference(op, x, dim, keepdim, res):
    """Expected values for op(x, dim, keepdim) (x: NumPy array of the input)."""
    ax = axis_of(dim)
    f = x.astype(np.float64)
    kd = dict(keepdims=keepdim)
    with np.errstate(all="ignore"):
        if op == "sum":
            return np.sum(x.astype(np.int64) if res == "int64" else f, axis=ax, **kd)
        if op == "prod":
            return np.prod(x.astype(np.int64) if res == "int64" else f, axis=ax, **kd)
        if op == "mean":
            return np.mean(f, axis=ax, **kd)
        if op in ("max", "min"):
            return getattr(np, op)(x, axis=ax, **kd)
        if op in ("argmax", "argmin"):
            if dim is None:
                return np.asarray(getattr(np, op)(x))
            return getattr(np, op)(x, axis=ax, keepdims=keepdim)
        if op in ("std", "var"):
            return getattr(np, op)(f, axis=ax, ddof=1, **kd)
        if op == "norm":
            return np.sqrt(np.sum(f * f, axis=ax, **kd))
        if op in ("all", "any"):
            return getattr(np, op)(x != 0, axis=ax, **kd)
        if op == "logsumexp":
            m = np.max(f, axis=ax, keepdims=True)
            r = np.log(np.sum(np.exp(f - m), axis=ax, keepdims=True)) + m
            return r if keepdim else np.squeeze(r, axis=ax)
        if op == "cumsum":
            return np.cumsum(x.astype(np.int64) if res == "int64" else f, axis=ax)
        if op == "cumprod":
            return np.cumprod(x.astype(np.int64) if res == "int64" else f, axis=ax)
    raise ValueError(op)


def call(op, t, dim, keepdim, method):
    f = getattr(t, op) if method else (lambda *a, **k: getattr(torch, op)(t, *a, **k))
    if op in SCANS:
        return f(dim)
    if dim is None:
        return f()
    if op == "norm":  # Tensor.norm(p, dim, keepdim): dim is second; p="fro"
        # (the default) only takes one or two dims
        return f(2, dim, keepdim) if method else f(p=2, dim=dim, keepdim=keepdim)
    return f(dim=dim, keepdim=keepdim)


DIMS = [None, 0, 1, -1, 2, (0, 2), (-1, 0), (0, 1, 2)]


def _dim_cases():
    for op in OPS:
        for dim in DIMS:
            if dim is None and op in NEEDS_DIM:
                continue
            if isinstance(dim, tuple) and op not in TUPLE_DIMS:
                continue
            for keepdim in (False, True):
                if keepdim and (dim is None or op in SCANS):
                    continue
                yield op, dim, keepdim


def check_reduction(op, t, dim, keepdim, out, x, res):
    expected = reference(op, x, dim, keepdim, res)
    if op in ("max", "min") and dim is not None:
        assert isinstance(out, tuple) and len(out) == 2
        values, indices = out
        assert out[0] is values and out[1] is indices
        assert out.values is values and out.indices is indices
        assert dname(values) == res and dname(indices) == "int64"
        close(values, expected, res)
        arg = getattr(np, "arg" + op)(x, axis=dim, keepdims=keepdim)
        assert_close(indices, arg.astype(np.int64))
        return
    assert dname(out) == res
    close(out, expected, res)


@pytest.mark.parametrize("dt", DNAMES)
@pytest.mark.parametrize("op,dim,keepdim", list(_dim_cases()),
                         ids=lambda v: str(v).replace(" ", ""))
def test_reduction_dims(op, dim, keepdim, dt):
    rng = np.random.default_rng(seed(op, dim, keepdim, dt))
    x = gen(rng, SHAPE, dt, KIND.get(op, "any"))
    t = mk(x, dt)
    x = vals(t)
    res = result_dtype(op, dt)
    if not isinstance(res, str):
        with pytest.raises(res):
            call(op, t, dim, keepdim, True)
        return
    for method in (True, False):
        out = call(op, t, dim, keepdim, method)
        check_reduction(op, t, dim, keepdim, out, x, res)


# ------------------------------------------------------------- layouts
def build(x, dt, layout):
    """A tensor with the logical values x (3-D) in the given memory layout."""
    if layout == "contiguous":
        return mk(x, dt)
    if layout == "permuted":
        return mk(np.transpose(x, (2, 0, 1)), dt).permute(1, 2, 0)
    if layout == "transposed":
        return mk(np.swapaxes(x, 0, 2), dt).transpose(0, 2)
    if layout == "sliced":
        big = np.zeros((x.shape[0] * 2, x.shape[1], x.shape[2] * 2), dtype=x.dtype)
        big[::2, :, 1::2] = x
        return mk(big, dt)[::2, :, 1::2]
    if layout == "expanded":
        return mk(x[:, :1, :], dt).expand(*x.shape)
    raise ValueError(layout)


LAYOUTS = ["permuted", "transposed", "sliced", "expanded"]


def _layout_cases():
    for op in OPS:
        for dim in [None, 0, -1, (0, 2)]:
            if dim is None and op in NEEDS_DIM or isinstance(dim, tuple) and op not in TUPLE_DIMS:
                continue
            yield op, dim


@pytest.mark.parametrize("dt", ["float32", "int64", "float16", "float64", "bool", "int8"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("op,dim", list(_layout_cases()), ids=lambda v: str(v).replace(" ", ""))
def test_reduction_layouts(op, dim, layout, dt):
    rng = np.random.default_rng(seed(op, layout, dt, dim))
    x = gen(rng, SHAPE, dt, KIND.get(op, "any"))
    t = build(x, dt, layout)
    assert tuple(t.shape) == SHAPE
    assert layout == "expanded" or not t.is_contiguous()
    x = vals(t)  # the logical values (repeated along dim 1 when expanded)
    res = result_dtype(op, dt)
    if not isinstance(res, str):
        with pytest.raises(res):
            call(op, t, dim, False, True)
        return
    out = call(op, t, dim, False, True)
    check_reduction(op, t, dim, False, out, x, res)


# ------------------------------------------------------------ 0-dim input
@pytest.mark.parametrize("dt", ["float32", "int64", "float64", "bool", "int8"])
def test_zero_dim_input(dt):
    t = mk(np.array(3 if dt != "bool" else True), dt)
    v = 3 if dt != "bool" else 1
    for op in ("sum", "prod", "max", "min", "cumsum", "cumprod", "all", "any"):
        res = result_dtype(op, dt)
        for dim in ([None, 0, -1] if op not in SCANS else [0, -1]):
            out = call(op, t, dim, False, True)
            if op in ("max", "min") and dim is not None:
                assert out.values.dim() == 0 and out.indices.dim() == 0
                assert out.indices.item() == 0
                out = out.values
            assert out.dim() == 0 and dname(out) == res, (op, dim)
            assert out.item() == (True if op in ("all", "any") else v), (op, dim)
    if dt in FLOATS:
        assert torch.mean(t).item() == 3.0 and t.mean(0).item() == 3.0
        assert t.norm().item() == 3.0
        assert t.var(correction=0).item() == 0.0
        assert t.logsumexp(0).item() == pytest.approx(3.0)
        assert t.argmax().item() == 0 and t.argmax(0).item() == 0
        with pytest.warns(UserWarning):
            assert np.isnan(t.std().item())  # one element, correction 1
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.sum(1)


# ----------------------------------------------------------- dtype= option
@pytest.mark.parametrize("src", ["int8", "int32", "float16", "float32", "bool", "uint8"])
@pytest.mark.parametrize("target", ["int64", "int16", "float32", "float64", "float16"])
def test_sum_cumsum_dtype_arg(src, target):
    rng = np.random.default_rng(seed("dtype", src, target))
    t = mk(gen(rng, (4, 6), src), src)
    x = vals(t).astype(np.float64)
    if target in FLOATS:
        x = x.astype(np_of(target)).astype(np.float64)  # the input is cast first
    else:
        x = np.trunc(x).astype(NP[target]).astype(np.int64)
    for out, exp in ((t.sum(dtype=getattr(torch, target)), np.sum(x)),
                     (torch.sum(t, 1, dtype=getattr(torch, target)), np.sum(x, 1)),
                     (t.sum(dim=0, keepdim=True, dtype=getattr(torch, target)),
                      np.sum(x, 0, keepdims=True)),
                     (t.cumsum(1, dtype=getattr(torch, target)), np.cumsum(x, 1)),
                     (torch.cumsum(t, dim=0, dtype=getattr(torch, target)), np.cumsum(x, 0))):
        assert dname(out) == target
        if target in FLOATS:
            close(out, exp, target)
        else:
            close(out, exp.astype(NP[target]), target)


@pytest.mark.parametrize("src", ["int64", "int8", "float16", "float32", "bool"])
@pytest.mark.parametrize("target", ["float32", "float64"])
def test_mean_prod_dtype_arg(src, target):
    rng = np.random.default_rng(seed("mdtype", src, target))
    t = mk(gen(rng, (4, 6), src, "prod"), src)
    x = vals(t).astype(np.float64)
    td = getattr(torch, target)
    for out, exp in ((t.mean(dtype=td), np.mean(x)), (torch.mean(t, 1, dtype=td), np.mean(x, 1)),
                     (t.mean((0, 1), keepdim=True, dtype=td), np.mean(x, (0, 1), keepdims=True)),
                     (t.prod(dtype=td), np.prod(x)), (torch.prod(t, 0, dtype=td), np.prod(x, 0)),
                     (t.cumprod(1, dtype=td), np.cumprod(x, 1))):
        assert dname(out) == target
        close(out, exp, target)


def test_mean_on_integers_raises():
    for dt in ("int64", "int32", "uint8", "bool"):
        t = mk(np.array([1, 2, 3]), dt)
        with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
            t.mean()
        with pytest.raises(RuntimeError, match="could not infer output dtype"):
            torch.mean(t, 0)
    with pytest.raises(RuntimeError, match="Optional dtype must be either a floating point"):
        torch.tensor([1, 2]).mean(dtype=torch.int64)
    assert torch.tensor([1, 2]).float().mean().item() == 1.5


# ------------------------------------------------------ integer results
@pytest.mark.parametrize("dt", INTS + ["bool"])
def test_integer_sums_are_int64(dt):
    rng = np.random.default_rng(seed("i64", dt))
    t = mk(gen(rng, (50, 40), dt), dt)
    x = vals(t).astype(np.int64)
    for out, exp in ((t.sum(), x.sum()), (t.sum(0), x.sum(0)), (t.sum((0, 1)), x.sum()),
                     (t.cumsum(1), np.cumsum(x, 1)), (torch.prod(t[:3], 0), np.prod(x[:3], 0))):
        assert dname(out) == "int64"
        assert_close(out, np.asarray(exp, np.int64))
    # no overflow in the narrow type: 2000 * 127 does not fit in int8
    if dt == "int8":
        big = torch.full((2000,), 127, dtype=torch.int8)
        assert big.sum().item() == 254000
    if dt == "uint8":
        big = torch.full((1000,), 255, dtype=torch.uint8)
        assert big.sum().item() == 255000
        assert big.cumsum(0)[-1].item() == 255000


def test_bool_sum_counts():
    t = torch.tensor([[True, False, True], [True, True, True]])
    assert dname(t.sum()) == "int64" and t.sum().item() == 5
    assert t.sum(1).tolist() == [2, 3]
    assert t.sum(0, keepdim=True).tolist() == [[2, 1, 2]]
    assert t.cumsum(1).tolist() == [[1, 1, 2], [1, 2, 3]]
    assert t.prod(1).tolist() == [0, 1]
    assert (torch.tensor([3, 5, 7]) > 4).sum().item() == 2


# ------------------------------------------------------------ max / min
def test_max_min_named_tuple():
    t = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    r = t.max(1)
    assert isinstance(r, tuple) and len(r) == 2
    assert r.values.tolist() == [3.0, 2.0]
    assert r.indices.tolist() == [1, 0]  # ties: the first index
    assert r[0].tolist() == [3.0, 2.0] and r[1].tolist() == [1, 0]
    values, indices = torch.max(t, dim=1)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 0]
    assert dname(indices) == "int64"
    r = torch.min(t, 1, True)
    assert tuple(r.values.shape) == (2, 1) and r.indices.tolist() == [[0], [2]]
    r = t.min(dim=0, keepdim=False)
    assert r.values.tolist() == [1.0, 2.0, 0.0] and r.indices.tolist() == [0, 1, 1]
    assert "values" in repr(r) and "indices" in repr(r)


def test_argmax_ties_first_index():
    assert torch.tensor([1.0, 3.0, 3.0, 1.0]).argmax().item() == 1
    assert torch.tensor([3.0, 1.0, 1.0, 3.0]).argmin().item() == 1
    assert torch.tensor([[5, 5], [5, 5]]).argmax().item() == 0
    assert torch.tensor([[2, 7, 7], [7, 7, 2]]).argmax(1).tolist() == [1, 0]
    assert torch.tensor([[2, 7, 7], [7, 7, 2]]).argmin(0).tolist() == [0, 0, 1]
    assert torch.ones(3, 4).argmax(dim=1, keepdim=True).tolist() == [[0], [0], [0]]
    t = torch.arange(24.0).reshape(2, 3, 4)
    assert t.argmax().item() == 23 and t.argmin().item() == 0
    assert tuple(t.argmax(keepdim=True).shape) == (1, 1, 1)
    assert t.argmax(-1).tolist() == [[3] * 3] * 2


@pytest.mark.parametrize("dt", [d for d in DNAMES if d != "bool"])
def test_max_with_two_tensors_is_maximum(dt):
    rng = np.random.default_rng(seed("max2", dt))
    a, b = mk(gen(rng, (3, 4), dt), dt), mk(gen(rng, (4,), dt), dt)
    x, y = vals(a), vals(b)
    for out, exp in ((torch.max(a, b), np.maximum(x, y)), (a.max(b), np.maximum(x, y)),
                     (torch.min(a, b), np.minimum(x, y)), (a.min(b), np.minimum(x, y))):
        assert dname(out) == dt and tuple(out.shape) == (3, 4)
        close(out, exp, dt)
    out = torch.max(torch.tensor([1, 5]), torch.tensor([3.0, 2.0]))
    assert dname(out) == "float32" and out.tolist() == [3.0, 5.0]


def test_nan_propagation():
    nan = float("nan")
    t = torch.tensor([1.0, nan, nan, 3.0])
    assert np.isnan(t.max().item()) and np.isnan(t.min().item())
    assert np.isnan(t.sum().item()) and np.isnan(t.mean().item()) and np.isnan(t.prod().item())
    assert np.isnan(t.std().item()) and np.isnan(t.norm().item())
    assert np.isnan(t.logsumexp(0).item())
    r = t.max(0)
    assert np.isnan(r.values.item()) and r.indices.item() == 1  # the first NaN
    assert t.argmax().item() == 1 and t.argmin().item() == 1
    m = torch.tensor([[1.0, nan], [2.0, 3.0]])
    r = m.max(1)
    assert np.isnan(r.values[0].item()) and r.values[1].item() == 3.0
    assert r.indices.tolist() == [1, 1]
    r = m.min(1)
    assert np.isnan(r.values[0].item()) and r.values[1].item() == 2.0
    assert r.indices.tolist() == [1, 0]
    assert_close(m.sum(0), np.array([3.0, nan], np.float32))
    assert_close(m.cumsum(1), np.array([[1.0, nan], [2.0, 5.0]], np.float32))
    inf = float("inf")
    assert np.isnan(torch.tensor([1.0, inf, -inf]).sum().item())
    assert torch.tensor([0.0, nan]).all().item() is False
    assert torch.tensor([nan]).all().item() is True  # NaN is nonzero
    assert torch.tensor([-inf, -inf]).logsumexp(0).item() == -inf
    assert torch.tensor([inf, 1.0]).logsumexp(0).item() == inf


def test_logsumexp_is_stable():
    t = torch.tensor([1000.0, 1000.0, -1000.0])
    assert t.logsumexp(0).item() == pytest.approx(1000.0 + np.log(2), rel=1e-6)
    assert torch.tensor([-1000.0, -1000.0]).logsumexp(0).item() == pytest.approx(-1000 + np.log(2))
    out = torch.tensor([[1, 2], [3, 4]]).logsumexp(1)
    assert dname(out) == "float32"
    assert_close(out, np.log(np.exp([1.0, 3.0]) + np.exp([2.0, 4.0])).astype(np.float32))


# ------------------------------------------------------------ std / var
@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("spec", ["default", "correction0", "correction2", "unbiasedF",
                                  "unbiasedT", "positional"])
@pytest.mark.parametrize("dim", [None, 1, -1, (0, 2)], ids=str)
def test_std_var_correction(dt, spec, dim):
    rng = np.random.default_rng(seed("stdvar", dt, spec, dim))
    t = mk(gen(rng, SHAPE, dt), dt)
    x = vals(t).astype(np.float64)
    ddof = {"default": 1, "correction0": 0, "correction2": 2, "unbiasedF": 0,
            "unbiasedT": 1, "positional": 0}[spec]
    kw = {"default": {}, "correction0": dict(correction=0), "correction2": dict(correction=2),
          "unbiasedF": dict(unbiased=False), "unbiasedT": dict(unbiased=True)}.get(spec)
    ax = axis_of(dim)
    for op in ("std", "var"):
        exp = getattr(np, op)(x, axis=ax, ddof=ddof)
        if spec == "positional":  # t.var(dim, unbiased, keepdim)
            if dim is None:
                out = getattr(t, op)(False)
            else:
                out = getattr(t, op)(dim, False, True)
                exp = getattr(np, op)(x, axis=ax, ddof=0, keepdims=True)
        elif dim is None:
            out = getattr(torch, op)(t, **kw)
        else:
            out = getattr(torch, op)(t, dim=dim, keepdim=False, **kw)
        assert dname(out) == dt
        close(out, exp, dt)


# ---------------------------------------------------------------- norm
NORMS = [2, 1, float("inf"), float("-inf"), 3, 0, "fro"]


def np_norm(x, p, axis, keepdims=False):
    a = np.abs(x)
    if p == "fro" or p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    if p == float("inf"):
        return np.max(a, axis=axis, keepdims=keepdims)
    if p == float("-inf"):
        return np.min(a, axis=axis, keepdims=keepdims)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(np.float64)
    return np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("dim", [None, 0, -1, (1, 2), (0, 2)], ids=str)
@pytest.mark.parametrize("p", NORMS, ids=str)
def test_norm(p, dim, dt):
    rng = np.random.default_rng(seed("norm", p, dim, dt))
    t = mk(gen(rng, SHAPE, dt), dt)
    x = vals(t).astype(np.float64)
    x_flat_axis = axis_of(dim)
    if dim is None:
        out = t.norm(p=p) if p != 2 else t.norm()
        exp = np_norm(x.ravel(), p, None)
    else:
        out = torch.norm(t, p=p, dim=dim)
        exp = np_norm(x, p, x_flat_axis)
        out_k = t.norm(p, dim, keepdim=True)
        assert dname(out_k) == dt
        close(out_k, np_norm(x, p, x_flat_axis, keepdims=True), dt)
    assert dname(out) == dt
    close(out, exp, dt)


def test_norm_fro_needs_one_or_two_dims():
    t = torch.ones(2, 3, 4)
    assert t.norm().item() == pytest.approx(np.sqrt(24))  # no dim: flattened 2-norm
    assert_close(torch.norm(t, dim=(1, 2)), np.full(2, np.sqrt(12), np.float32))
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
        torch.norm(t, dim=(0, 1, 2))
    assert t.norm(2, (0, 1, 2)).item() == pytest.approx(np.sqrt(24))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor"):
        torch.tensor([3, 4]).norm()


# --------------------------------------------------------- all / any
@pytest.mark.parametrize("dt", DNAMES)
def test_all_any_values(dt):
    t = mk(np.array([[1, 0, 2], [3, 4, 5]]), dt) if dt != "bool" else \
        torch.tensor([[True, False, True], [True, True, True]])
    res = "uint8" if dt == "uint8" else "bool"
    for out, exp in ((t.all(), False), (t.any(), True), (t.all(1), [False, True]),
                     (t.any(0), [True, True, True]), (torch.all(t, 0), [True, False, True]),
                     (t.all(dim=1, keepdim=True), [[False], [True]]),
                     (torch.any(t, dim=(0, 1)), True), (t.all((0, 1)), False)):
        assert dname(out) == res
        assert_close(out, np.asarray(exp).astype(NP[res]))
    z = mk(np.zeros((2, 2)), dt)
    assert not bool(z.any()) and not bool(z.all())


# ------------------------------------------------------------- scans
@pytest.mark.parametrize("dt", DNAMES)
@pytest.mark.parametrize("dim", [0, 1, -1, 2, -3])
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scans(op, dim, dt):
    rng = np.random.default_rng(seed(op, dim, dt))
    t = mk(gen(rng, SHAPE, dt, KIND.get(op, "any")), dt)
    x = vals(t)
    res = result_dtype(op, dt)
    for out in (getattr(t, op)(dim), getattr(torch, op)(t, dim=dim)):
        assert dname(out) == res and tuple(out.shape) == SHAPE
        close(out, reference(op, x, dim, False, res), res)


# --------------------------------------------------------- empty inputs
def test_reductions_over_empty():
    e = torch.zeros(0)
    assert e.sum().item() == 0.0 and dname(e.sum()) == "float32"
    assert e.prod().item() == 1.0
    assert torch.zeros(0, dtype=torch.int32).sum().item() == 0
    assert torch.zeros(0, dtype=torch.int32).prod().item() == 1
    assert np.isnan(e.mean().item())
    assert e.all().item() is True and e.any().item() is False
    assert e.logsumexp(0).item() == -float("inf")
    assert e.norm().item() == 0.0
    assert tuple(e.cumsum(0).shape) == (0,) and tuple(e.cumprod(0).shape) == (0,)
    m = torch.zeros(3, 0)
    assert m.sum(1).tolist() == [0.0, 0.0, 0.0]
    assert m.prod(1).tolist() == [1.0, 1.0, 1.0]
    assert m.all(1).tolist() == [True] * 3 and m.any(1).tolist() == [False] * 3
    assert tuple(m.sum(0).shape) == (0,)
    assert tuple(m.sum(0, keepdim=True).shape) == (1, 0)
    r = m.max(0)  # reducing a non-empty dim of an empty tensor is fine
    assert tuple(r.values.shape) == (0,) and tuple(r.indices.shape) == (0,)
    assert tuple(m.argmax(0).shape) == (0,)
    assert_close(torch.zeros(2, 0, 3).sum((0, 1)), np.zeros(3, np.float32))


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_empty_raise(op):
    with pytest.raises(RuntimeError,
                       match=f"{op}\\(\\): Expected reduction dim to be specified for input.numel\\(\\) == 0"):
        getattr(torch.zeros(0), op)()
    with pytest.raises(IndexError, match=f"{op}\\(\\): Expected reduction dim 1 to have non-zero size"):
        getattr(torch.zeros(3, 0), op)(1)
    with pytest.raises(IndexError, match=f"arg{op}\\(\\): Expected reduction dim to be specified"):
        getattr(torch.zeros(0), "arg" + op)()
    with pytest.raises(IndexError, match=f"arg{op}\\(\\): Expected reduction dim 1 to have non-zero size"):
        getattr(torch.zeros(3, 0), "arg" + op)(1)
    assert getattr(torch.ones(2), op)().item() == 1.0  # healthy


def test_empty_tuple_dim_reduces_everything():
    t = torch.arange(6.0).reshape(2, 3)
    assert tuple(t.sum(dim=()).shape) == () and t.sum(dim=()).item() == 15.0
    assert t.mean(dim=[]).item() == 2.5


def test_repeated_dim_raises():
    t = torch.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        t.sum((0, 0))
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        t.sum((0, -3))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.sum((0, 3))


# --------------------------------------------------------- large inputs
N_LARGE = 1_000_003


def test_large_sum_accuracy():
    rng = np.random.default_rng(123)
    x = rng.random(N_LARGE, dtype=np.float32) + np.float32(0.5)
    t = torch.from_numpy(x)
    exact = np.sum(x.astype(np.float64))
    assert t.sum().item() == pytest.approx(exact, rel=1e-5)
    assert t.mean().item() == pytest.approx(exact / N_LARGE, rel=1e-5)
    assert t.norm().item() == pytest.approx(np.sqrt(np.sum(x.astype(np.float64) ** 2)), rel=1e-5)
    assert t.var().item() == pytest.approx(np.var(x.astype(np.float64), ddof=1), rel=1e-4)
    assert t.std(correction=0).item() == pytest.approx(np.std(x.astype(np.float64)), rel=1e-4)
    lse = np.log(np.sum(np.exp(x.astype(np.float64))))
    assert t.logsumexp(0).item() == pytest.approx(lse, rel=1e-5)
    # a constant: naive float32 accumulation drifts by ~1e-2 here
    c = np.full(N_LARGE, 0.1, np.float32)
    assert torch.from_numpy(c).sum().item() == pytest.approx(
        np.sum(c.astype(np.float64)), rel=1e-5)
    assert torch.full((1001, 999), 0.1).sum().item() == pytest.approx(1001 * 999 * 0.1, rel=1e-5)
    y = rng.standard_normal(N_LARGE).astype(np.float32)
    assert torch.from_numpy(y).sum().item() == pytest.approx(
        np.sum(y.astype(np.float64)), rel=1e-4, abs=1e-1)


def test_large_max_argmax_and_logic():
    rng = np.random.default_rng(321)
    x = rng.standard_normal(N_LARGE).astype(np.float32)
    x[777_777] = 100.0
    x[12_345] = -100.0
    t = torch.from_numpy(x)
    assert t.max().item() == 100.0 and t.argmax().item() == 777_777
    assert t.min().item() == -100.0 and t.argmin().item() == 12_345
    r = t.max(0)
    assert r.values.item() == 100.0 and r.indices.item() == 777_777
    x2 = np.full(N_LARGE, 7, np.int64)
    x2[N_LARGE - 1] = 9
    x2[5] = 9  # a tie: the first index wins
    assert torch.from_numpy(x2).argmax().item() == 5
    b = np.ones(N_LARGE, bool)
    assert torch.from_numpy(b).all().item() is True
    b[N_LARGE - 2] = False
    assert torch.from_numpy(b).all().item() is False
    assert torch.from_numpy(b).any().item() is True
    assert torch.from_numpy(b).sum().item() == N_LARGE - 1
    ints = rng.integers(-1000, 1000, N_LARGE).astype(np.int32)
    assert torch.from_numpy(ints).sum().item() == int(ints.astype(np.int64).sum())


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_large_2d_reductions(dim, layout):
    rng = np.random.default_rng(seed("large2d", dim, layout))
    x = rng.standard_normal((1000, 1003)).astype(np.float32)
    t = torch.from_numpy(x) if layout == "contiguous" else torch.from_numpy(x.T.copy()).t()
    x64 = x.astype(np.float64)
    assert_close(t.sum(dim), np.sum(x64, dim).astype(np.float32), rtol=1e-4, atol=1e-3)
    assert_close(t.mean(dim), np.mean(x64, dim).astype(np.float32), rtol=1e-4, atol=1e-5)
    r = t.max(dim)
    assert_close(r.values, np.max(x, dim), rtol=0, atol=0)
    assert_close(r.indices, np.argmax(x, dim).astype(np.int64))
    assert_close(t.argmin(dim), np.argmin(x, dim).astype(np.int64))
    assert_close(t.std(dim), np.std(x64, dim, ddof=1).astype(np.float32), rtol=1e-4, atol=1e-5)
    assert_close(t.norm(dim=dim), np.sqrt(np.sum(x64 ** 2, dim)).astype(np.float32),
                 rtol=1e-4, atol=1e-4)
    assert_close(t.logsumexp(dim), np.log(np.sum(np.exp(x64), dim)).astype(np.float32),
                 rtol=1e-5, atol=1e-5)
    cs = t.cumsum(dim)
    assert_close(cs, np.cumsum(x64, dim).astype(np.float32), rtol=1e-3, atol=2e-3)


# ------------------------------------------------------------- parity
@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
@pytest.mark.parametrize("op", OPS)
def test_reduction_parity(op):
    rng = np.random.default_rng(seed("parity", op))
    for dt in DNAMES:
        x = gen(rng, SHAPE, dt, KIND.get(op, "any"))
        ours = mk(x, dt)
        src = x.astype(np.float32) if dt == "bfloat16" else x
        theirs = real_torch.tensor(src).to(getattr(real_torch, dt))
        dim = 1 if op in NEEDS_DIM else None
        args = (dim,) if dim is not None else ()
        try:
            expected = getattr(theirs, op)(*args)
        except Exception as e:  # noqa: BLE001
            with pytest.raises(type(e)):
                getattr(ours, op)(*args)
            continue
        got = getattr(ours, op)(*args)
        assert str(got.dtype) == str(expected.dtype), (op, dt)
        res = str(expected.dtype).replace("torch.", "")
        exp_np = (expected.float() if res == "bfloat16" else expected).numpy()
        close(got, exp_np.astype(np.float64) if res in FLOATS else exp_np, res)


@pytest.mark.parametrize("p", [3, 1.5, 0.5, 4])
def test_norm_p_gradient_is_exact_in_float64(p):
    # d||x||_p/dx = sign(x) |x|^(p-1) / ||x||_p^(p-1); the exponents 1/p - 1 and p - 1
    # must stay in double (a float32 exponent once made this ~1e-7 off)
    a = np.random.default_rng(7).standard_normal((5, 4))
    x = torch.tensor(a, requires_grad=True)
    x.norm(p).backward()
    nrm = np.sum(np.abs(a) ** p) ** (1 / p)
    np.testing.assert_allclose(x.grad.numpy(), np.sign(a) * np.abs(a) ** (p - 1) / nrm ** (p - 1), rtol=1e-13)
