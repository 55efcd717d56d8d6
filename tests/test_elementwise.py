"""Elementwise math: Python operators, unary and binary functions, their
in-place variants, broadcasting, layouts, 0-dim and empty tensors.

NumPy is the oracle: inputs come from numpy.random.default_rng(seed), the
expected values are computed in float64 (or in the exact integer dtype, with
NumPy's wrap-around) from the values the tensor actually holds, then cast to
the result dtype PyTorch gives. Run with CTORCH_TEST_REFERENCE=torch to check
every expectation against real PyTorch.
"""
import operator

import numpy as np
import pytest

from helpers import (torch, real_torch, assert_close, NP, DNAMES, INTS, FLOATS,
                     np_of, dname, seed, mk, vals, cat, promote)

TOL = {
    "float16": dict(rtol=2e-3, atol=2e-3),
    "bfloat16": dict(rtol=1.6e-2, atol=1.6e-2),
    "float32": dict(rtol=2e-6, atol=1e-6),
    "float64": dict(rtol=1e-12, atol=1e-12),
}


# ----------------------------------------------------------------- helpers
def tol(name):
    return TOL.get(name, dict(rtol=0, atol=0))


def gen(rng, shape, name, kind="any"):
    """Random values of dtype `name` from a domain that suits the op."""
    if name == "bool":
        if kind in ("nonzero", "pos"):
            return np.ones(shape, dtype=bool)
        return rng.random(shape) < 0.5
    if name in INTS:
        lo, hi = {"any": (-10, 11), "pos": (1, 11), "base": (-3, 4),
                  "exp": (0, 4), "shift": (0, 4), "trig": (-1, 2)}.get(kind, (1, 11))
        if name == "uint8":
            lo = max(lo, 0)
            hi = 21 if kind == "any" else hi
        v = rng.integers(lo, hi, size=shape)
        if kind == "nonzero" and name != "uint8":
            v = v * rng.choice([-1, 1], size=shape)
        return v.astype(NP[name])
    if kind == "any":
        v = rng.standard_normal(shape) * 2
    elif kind == "pos":
        v = rng.uniform(0.1, 5, shape)
    elif kind == "nonzero":
        v = rng.uniform(0.5, 5, shape) * rng.choice([-1, 1], size=shape)
    elif kind == "base":
        v = rng.uniform(0.5, 2.5, shape)
    elif kind == "exp":
        v = rng.uniform(-2, 2, shape)
    elif kind == "trig":
        v = rng.uniform(-1.3, 1.3, shape)
    elif kind == "unit":
        v = rng.uniform(-0.9, 0.9, shape)
    elif kind == "shift":
        v = rng.uniform(0, 3, shape)
    else:
        raise ValueError(kind)
    return v.astype(np_of(name))


LAYOUTS = ["contiguous", "transposed", "sliced", "expanded", "zero_dim", "empty"]
SHAPE = (3, 5)


def build(arr, name, layout):
    """A tensor of dtype `name` with the logical values of `arr` (2-D) laid out
    as `layout`. Returns (tensor, base): base is the tensor that owns the
    memory (the tensor itself when it is contiguous)."""
    if layout == "contiguous":
        t = mk(arr, name)
        return t, t
    if layout == "transposed":
        base = mk(arr.T, name)
        return base.t(), base
    if layout == "sliced":
        big = np.zeros((arr.shape[0] * 2, arr.shape[1] * 3), dtype=arr.dtype)
        big[::2, 1::3] = arr
        base = mk(big, name)
        return base[::2, 1::3], base
    if layout == "expanded":
        base = mk(arr[:1], name)
        return base.expand(*arr.shape), base
    if layout == "zero_dim":
        t = mk(np.asarray(arr.flat[0]), name)
        return t, t
    if layout == "empty":
        t = mk(arr[:0], name)
        return t, t
    raise ValueError(layout)


# ------------------------------------------------------------ unary math
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name: (float64 reference, input domain, kind)
#   "float": int/bool inputs give the default float dtype (float32)
#   "keep":  the result keeps the input dtype (bool included)
#   "keep_nobool": keeps the dtype; bool input raises RuntimeError
#   "pred": bool result for every dtype, no in-place variant
UNARY = {
    "exp": (np.exp, "any", "float"),
    "log": (np.log, "pos", "float"),
    "log1p": (np.log1p, "pos", "float"),
    "expm1": (np.expm1, "any", "float"),
    "sqrt": (np.sqrt, "pos", "float"),
    "rsqrt": (lambda x: 1 / np.sqrt(x), "pos", "float"),
    "sin": (np.sin, "any", "float"),
    "cos": (np.cos, "any", "float"),
    "tan": (np.tan, "trig", "float"),
    "tanh": (np.tanh, "any", "float"),
    "sigmoid": (_sigmoid, "any", "float"),
    "reciprocal": (lambda x: 1 / x, "nonzero", "float"),
    "relu": (lambda x: np.maximum(x, 0), "any", "keep_nobool"),
    "sign": (np.sign, "any", "keep"),
    "floor": (np.floor, "any", "keep_nobool"),
    "ceil": (np.ceil, "any", "keep_nobool"),
    "round": (np.round, "any", "keep_nobool"),
    "trunc": (np.trunc, "any", "keep_nobool"),
    "neg": (np.negative, "any", "keep_nobool"),
    "abs": (np.abs, "any", "keep_nobool"),
    "isnan": (np.isnan, "any", "pred"),
    "isinf": (np.isinf, "any", "pred"),
    "isfinite": (np.isfinite, "any", "pred"),
}


def unary_expected(op, x):
    """(result dtype name, expected array) for op on the values x (a NumPy
    array of the input's own dtype; not for bfloat16, see _bf16_expected)."""
    ref, _, kind = UNARY[op]
    d = {np.dtype(v): k for k, v in NP.items() if v is not None}[x.dtype]
    with np.errstate(all="ignore"):
        if kind == "pred":
            return "bool", ref(x.astype(np.float64))
        if kind == "float":
            res = d if d in FLOATS else "float32"
            return res, ref(x.astype(np.float64)).astype(np_of(res))
        if d in FLOATS:
            return d, ref(x.astype(np.float64)).astype(np_of(d))
        if d == "bool":
            return d, ref(x.astype(np.int8)).astype(bool)
        return d, np.asarray(ref(x)).astype(NP[d])


def unary_input(op, dt, layout):
    rng = np.random.default_rng(seed(op, dt, layout))
    return build(gen(rng, SHAPE, dt, UNARY[op][1]), dt, layout)


def _bf16_expected(op, x):
    ref, _, kind = UNARY[op]
    with np.errstate(all="ignore"):
        r = ref(x.astype(np.float64))
    return r if kind == "pred" else r.astype(np.float32)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dt", DNAMES)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op, dt, layout):
    t, _ = unary_input(op, dt, layout)
    before = vals(t).copy()
    if UNARY[op][2] == "keep_nobool" and dt == "bool":
        with pytest.raises(RuntimeError):
            getattr(torch, op)(t)
        with pytest.raises(RuntimeError):
            getattr(t, op)()
        return
    x = vals(t)
    for out in (getattr(torch, op)(t), getattr(t, op)()):
        if dt == "bfloat16":
            res = "bool" if UNARY[op][2] == "pred" else "bfloat16"
            assert dname(out) == res
            assert tuple(out.shape) == tuple(t.shape)
            assert_close(out, _bf16_expected(op, x), check_dtype=False, **tol(res))
        else:
            res, expected = unary_expected(op, x)
            assert dname(out) == res
            assert tuple(out.shape) == tuple(t.shape)
            assert_close(out, expected, **tol(res))
    np.testing.assert_array_equal(vals(t), before)  # the input is untouched


INPLACE_LAYOUTS = ["contiguous", "transposed", "sliced", "zero_dim", "empty"]


@pytest.mark.parametrize("layout", INPLACE_LAYOUTS)
@pytest.mark.parametrize("dt", DNAMES)
@pytest.mark.parametrize("op", sorted(k for k, v in UNARY.items() if v[2] != "pred"))
def test_unary_inplace(op, dt, layout):
    t, base = unary_input(op, dt, layout)
    kind = UNARY[op][2]
    if (kind == "float" and dt not in FLOATS) or (kind == "keep_nobool" and dt == "bool"):
        with pytest.raises(RuntimeError):
            getattr(t, op + "_")()
        return
    x = vals(t)
    base_before = vals(base).copy()
    ptr = t.data_ptr()
    r = getattr(t, op + "_")()
    assert r is t
    assert t.data_ptr() == ptr and dname(t) == dt
    if dt == "bfloat16":
        expected = _bf16_expected(op, x)
        assert_close(t, expected, check_dtype=False, **tol(dt))
    else:
        res, expected = unary_expected(op, x)
        assert res == dt
        assert_close(t, expected, **tol(dt))
    if layout == "sliced":  # the write went through the view, and only there
        full = vals(base)
        untouched = np.ones(full.shape, dtype=bool)
        untouched[::2, 1::3] = False
        np.testing.assert_array_equal(full[untouched], base_before[untouched])
        assert_close(base[::2, 1::3], expected, check_dtype=dt != "bfloat16", **tol(dt))
    if layout == "transposed":
        assert_close(base.t(), expected, check_dtype=dt != "bfloat16", **tol(dt))


def test_unary_special_values():
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1.5, -2.5])
    assert_close(torch.isnan(x), [True, False, False, False, False, False, False])
    assert_close(torch.isinf(x), [False, True, True, False, False, False, False])
    assert_close(torch.isfinite(x), [False, False, False, True, True, True, True])
    assert_close(torch.exp(x), np.exp(np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -2.5],
                                               np.float32)))
    # PyTorch's sign gives 0 for NaN (NumPy gives NaN)
    assert_close(torch.sign(x), np.array([0, 1, -1, 0, 0, 1, -1], np.float32))
    assert_close(torch.relu(x), np.array([np.nan, np.inf, 0, 0, 0, 1.5, 0], np.float32))
    with np.errstate(all="ignore"):
        assert_close(torch.log(torch.tensor([0.0, -1.0, 1.0])),
                     np.array([-np.inf, np.nan, 0.0], np.float32))
        assert_close(torch.sqrt(torch.tensor([-1.0, 4.0])), np.array([np.nan, 2.0], np.float32))
        assert_close(torch.rsqrt(torch.tensor([0.0, 4.0])), np.array([np.inf, 0.5], np.float32))
        assert_close(torch.reciprocal(torch.tensor([0, 2])), np.array([np.inf, 0.5], np.float32))
    assert_close(torch.sigmoid(torch.tensor([-100.0, 100.0, 0.0])),
                 np.array([0.0, 1.0, 0.5], np.float32))
    assert_close(torch.isnan(torch.tensor([1, 2])), [False, False])
    assert_close(torch.isinf(torch.tensor([True])), [False])
    assert_close(torch.isfinite(torch.tensor([3], dtype=torch.int8)), [True])
    # abs of the most negative int8 wraps to itself; neg of uint8 wraps
    assert_close(torch.tensor([-128, -5], dtype=torch.int8).abs(), np.array([-128, 5], np.int8))
    assert_close(-torch.tensor([1, 0, 255], dtype=torch.uint8), np.array([255, 0, 1], np.uint8))


def test_round_half_to_even_and_decimals():
    x = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 3.7])
    assert_close(torch.round(x), np.array([0.0, 2.0, 2.0, -0.0, -2.0, 4.0], np.float32))
    r = torch.round(torch.tensor([15.0, 25.0, 35.0, 1.234]), decimals=-1)
    assert_close(r, np.array([20.0, 20.0, 40.0, 0.0], np.float32))
    rng = np.random.default_rng(7)
    for dt in ["float32", "float64", "float16", "bfloat16"]:
        a = mk(rng.standard_normal((4, 6)) * 100, dt)
        x = vals(a).astype(np.float64)
        for d in (0, 1, 2, -1):
            out = torch.round(a, decimals=d)
            assert dname(out) == dt
            exp = np.round(x, d).astype(np_of(dt))
            assert_close(out, exp, check_dtype=dt != "bfloat16",
                         rtol=tol(dt)["rtol"], atol=10.0 ** -d if d > 0 else 1e-6)
            assert_close(a.round(decimals=d), exp, check_dtype=dt != "bfloat16",
                         rtol=tol(dt)["rtol"], atol=10.0 ** -d if d > 0 else 1e-6)
    t = torch.tensor([1.26, -1.26], dtype=torch.float64)
    t.round_(decimals=1)
    assert_close(t, np.array([1.3, -1.3]))
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).round(decimals=1)
    assert_close(torch.tensor([1, 2]).round(), np.array([1, 2]))  # ints: identity


# -------------------------------------------------------- binary operators
OPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
    "&": operator.and_, "|": operator.or_, "^": operator.xor,
    "<<": operator.lshift, ">>": operator.rshift,
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
NP_OPS = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
    "//": np.floor_divide, "%": np.remainder, "**": np.power,
    "&": np.bitwise_and, "|": np.bitwise_or, "^": np.bitwise_xor,
    "<<": np.left_shift, ">>": np.right_shift,
    "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
    ">": np.greater, ">=": np.greater_equal,
}
CMP = {"==", "!=", "<", "<=", ">", ">="}
# the operands' value domains (left, right)
DOMAIN = {"/": ("any", "nonzero"), "//": ("any", "nonzero"), "%": ("any", "nonzero"),
          "**": ("base", "exp"), "<<": ("any", "shift"), ">>": ("any", "shift")}
# Python scalars used with each operator: (int, float, bool)
SCALARS = {"/": (-3, -1.5, True), "//": (-3, -1.5, True), "%": (-3, -1.5, True),
           "**": (2, 0.5, True), "<<": (2, 2.5, True), ">>": (2, 2.5, True)}


def scalar_common(d, s):
    """The dtype of tensor(d) op scalar s (before the / and comparison rules)."""
    if isinstance(s, bool):
        return d
    if isinstance(s, int):
        return "int64" if d == "bool" else d
    return d if d in FLOATS else "float32"


def binary_outcome(op, common, bool_operand=False):
    """Result dtype name for `op` computed in `common`, or None if it raises.
    `bool_operand`: one operand (tensor or Python scalar) is a bool; PyTorch
    refuses any subtraction with a bool."""
    if op == "-" and bool_operand:
        return None
    if op in CMP:
        return "bool"
    if op == "/":
        return common if common in FLOATS else "float32"
    if op in ("-", "//", "%", "**") and common == "bool":
        return None
    if op in ("&", "|", "^") and common in FLOATS:
        return None
    if op in ("<<", ">>") and (common in FLOATS or common == "bool"):
        return None
    return common


def np_binary(op, a, b, common, res):
    """Expected values of a op b, both cast to the compute dtype `common`."""
    # true division computes in the (floating) result dtype: a Python int
    # divisor is never wrapped into a uint8 common dtype first
    cn = np_of(res) if op == "/" else np_of(common)
    a = np.asarray(a).astype(cn)
    b = np.asarray(b).astype(cn)
    with np.errstate(all="ignore"):
        if op in CMP:
            return NP_OPS[op](a, b)
        if common in FLOATS or op == "/":
            return NP_OPS[op](a.astype(np.float64), b.astype(np.float64)).astype(np_of(res))
        return np.asarray(NP_OPS[op](a, b)).astype(np_of(res))


def check_binary(op, t, expected_res, expected):
    assert dname(t) == expected_res
    assert_close(t, expected, check_dtype=expected_res != "bfloat16", **tol(expected_res))


FORMS = ["tensor-tensor", "tensor-int", "tensor-float", "tensor-bool",
         "int-tensor", "float-tensor", "bool-tensor"]


def _binary_cases():
    for op in OPS:
        for dt in DNAMES:
            for form in FORMS:
                # bool ** bool scalar: PyTorch's own corner (works one way only)
                if op == "**" and dt == "bool" and "bool" in form and form != "tensor-tensor":
                    continue
                yield op, dt, form


@pytest.mark.parametrize("op,dt,form", list(_binary_cases()))
def test_binary_operator(op, dt, form):
    rng = np.random.default_rng(seed(op, dt, form))
    lk, rk = DOMAIN.get(op, ("any", "any"))
    si, sf, sb = SCALARS.get(op, (3, 2.5, True))
    scalar = {"int": si, "float": sf, "bool": sb}
    f = OPS[op]
    left, right = form.split("-")
    if form == "tensor-tensor":
        a = mk(gen(rng, SHAPE, dt, lk), dt)
        b = mk(gen(rng, SHAPE, dt, rk), dt)
        common = dt
        xa, xb = vals(a), vals(b)
        call = lambda: f(a, b)  # noqa: E731
    elif left == "tensor":
        a = mk(gen(rng, SHAPE, dt, lk), dt)
        s = scalar[right]
        common = scalar_common(dt, s)
        xa, xb = vals(a), s
        call = lambda: f(a, s)  # noqa: E731
    else:
        b = mk(gen(rng, SHAPE, dt, rk), dt)
        s = scalar[left]
        common = scalar_common(dt, s)
        xa, xb = s, vals(b)
        call = lambda: f(s, b)  # noqa: E731
    res = binary_outcome(op, common, dt == "bool" or "bool" in form)
    if res is None:
        with pytest.raises(RuntimeError):
            call()
        return
    out = call()
    assert tuple(out.shape) == SHAPE
    check_binary(op, out, res, np_binary(op, xa, xb, common, res))


MIXED_OPS = ["+", "*", "/", "<", "//", "-", "&"]


@pytest.mark.parametrize("db", DNAMES)
@pytest.mark.parametrize("da", DNAMES)
@pytest.mark.parametrize("op", MIXED_OPS)
def test_binary_mixed_dtypes(op, da, db):
    rng = np.random.default_rng(seed(op, da, db))
    lk, rk = DOMAIN.get(op, ("any", "any"))
    a = mk(gen(rng, SHAPE, da, lk), da)
    b = mk(gen(rng, SHAPE, db, rk), db)
    common = promote(da, db)
    res = binary_outcome(op, common, "bool" in (da, db))
    if res is None:
        with pytest.raises(RuntimeError):
            OPS[op](a, b)
        return
    out = OPS[op](a, b)
    xa, xb = vals(a), vals(b)
    check_binary(op, out, res, np_binary(op, xa, xb, common, res))


BROADCAST_SHAPES = [
    ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)), ((), (2, 3)), ((2, 3), ()),
    ((5, 1, 3), (4, 1)), ((1,), (3, 2)), ((0, 3), (1, 3)), ((2, 0, 3), (2, 1, 3)),
    ((0,), ()), ((), ()), ((2, 1, 1, 3), (1, 4, 2, 1)),
]
BROADCAST_OPS = ["+", "-", "*", "/", "//", "%", "**", "<", "==", "&", "<<"]


@pytest.mark.parametrize("dt", ["float32", "int64", "float64", "int16", "bool"])
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("op", BROADCAST_OPS)
def test_binary_broadcast(op, shapes, dt):
    sa, sb = shapes
    rng = np.random.default_rng(seed(op, sa, sb, dt))
    lk, rk = DOMAIN.get(op, ("any", "any"))
    a = mk(gen(rng, sa, dt, lk), dt)
    b = mk(gen(rng, sb, dt, rk), dt)
    res = binary_outcome(op, dt, dt == "bool")
    if res is None:
        with pytest.raises(RuntimeError):
            OPS[op](a, b)
        return
    out = OPS[op](a, b)
    assert tuple(out.shape) == np.broadcast_shapes(sa, sb)
    check_binary(op, out, res, np_binary(op, vals(a), vals(b), dt, res))


LAYOUT_PAIRS = [("transposed", "contiguous"), ("sliced", "transposed"), ("expanded", "sliced"),
                ("contiguous", "expanded"), ("zero_dim", "sliced"), ("transposed", "zero_dim"),
                ("zero_dim", "zero_dim"), ("empty", "empty")]


@pytest.mark.parametrize("dt", ["float32", "int32", "float64", "float16", "uint8"])
@pytest.mark.parametrize("layouts", LAYOUT_PAIRS, ids="/".join)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "%", "**", ">=", "|", ">>"])
def test_binary_layouts(op, layouts, dt):
    rng = np.random.default_rng(seed(op, layouts, dt))
    lk, rk = DOMAIN.get(op, ("any", "any"))
    a, _ = build(gen(rng, SHAPE, dt, lk), dt, layouts[0])
    b, _ = build(gen(rng, SHAPE, dt, rk), dt, layouts[1])
    res = binary_outcome(op, dt)
    if res is None:
        with pytest.raises(RuntimeError):
            OPS[op](a, b)
        return
    out = OPS[op](a, b)
    assert tuple(out.shape) == np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    check_binary(op, out, res, np_binary(op, vals(a), vals(b), dt, res))


def test_zero_dim_results():
    a = torch.tensor(3.0)
    b = torch.tensor(2)
    out = a * b
    assert out.dim() == 0 and tuple(out.shape) == () and dname(out) == "float32"
    assert out.item() == 6.0
    assert (b + 1).dim() == 0 and (b + 1).item() == 3
    assert (b < 5).dim() == 0 and (b < 5).item() is True
    assert (torch.tensor(7) // 2).item() == 3
    c = torch.tensor(5) + torch.ones(2, 3, dtype=torch.int8)
    assert tuple(c.shape) == (2, 3) and dname(c) == "int8"  # a 0-dim operand doesn't promote


# ------------------------------------------------------------ unary operators
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "zero_dim", "empty"])
@pytest.mark.parametrize("dt", DNAMES)
def test_unary_operators(dt, layout):
    rng = np.random.default_rng(seed("unop", dt, layout))
    t, _ = build(gen(rng, SHAPE, dt, "any"), dt, layout)
    x = vals(t)
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    if dt == "bool":
        with pytest.raises(RuntimeError):
            -t
        with pytest.raises(RuntimeError):
            abs(t)
        out = ~t
        assert dname(out) == "bool"
        assert_close(out, ~x)
        return
    with np.errstate(all="ignore"):
        out = -t
        assert dname(out) == dt
        assert_close(out, np.negative(x), **chk)
        out = abs(t)
        assert dname(out) == dt
        assert_close(out, np.abs(x), **chk)
    if dt in FLOATS:
        with pytest.raises(TypeError):
            ~t
    else:
        out = ~t
        assert dname(out) == dt
        assert_close(out, np.invert(x))


# ------------------------------------------------ in-place operators (+= ...)
IOPS = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
        "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
        "&=": operator.iand, "|=": operator.ior}
SOURCES = ["same", "float32", "int64", "int8", "bool", "int-scalar", "float-scalar"]


def can_cast(src, dst):
    """torch.can_cast semantics for in-place results (same-kind casting)."""
    return cat(src) <= cat(dst)


@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("dt", DNAMES)
@pytest.mark.parametrize("iop", list(IOPS))
def test_inplace_operator(iop, dt, src):
    op = iop[:-1]
    rng = np.random.default_rng(seed(iop, dt, src))
    lk, rk = DOMAIN.get(op, ("any", "any"))
    t, base = build(gen(rng, SHAPE, dt, lk), dt, "sliced")
    if src.endswith("scalar"):
        other = SCALARS.get(op, (3, 2.5, True))[0 if src == "int-scalar" else 1]
        common = scalar_common(dt, other)
        xo = other
    else:
        sd = dt if src == "same" else src
        other = mk(gen(rng, (SHAPE[1],), sd, rk), sd)  # broadcast (5,) into (3, 5)
        common = promote(dt, sd)
        xo = vals(other)
    res = binary_outcome(op, common, "bool" in (dt, src))
    x = vals(t)
    alias = t
    ptr = t.data_ptr()
    if res is None or not can_cast(res, dt):
        with pytest.raises(RuntimeError, match=None if res is None else "can't be cast"):
            t = IOPS[iop](t, other)
        np.testing.assert_array_equal(vals(alias), x)
        return
    t = IOPS[iop](t, other)
    assert t is alias and t.data_ptr() == ptr and dname(t) == dt
    expected = np_binary(op, x, xo, common, res)
    if dt != "bfloat16":
        with np.errstate(all="ignore"):
            expected = expected.astype(np_of(res)).astype(np_of(dt))
    assert_close(t, expected, check_dtype=dt != "bfloat16",
                 **(tol(dt) if dt != "bfloat16" else tol("bfloat16")))
    assert_close(base[::2, 1::3], expected, check_dtype=dt != "bfloat16", **tol(dt))


def test_inplace_int_true_divide_raises():
    a = torch.tensor([4, 6])
    with pytest.raises(RuntimeError,
                       match="result type Float can't be cast to the desired output type Long"):
        a /= 2
    assert a.tolist() == [4, 6]
    a = torch.tensor([4, 6], dtype=torch.int32)
    with pytest.raises(RuntimeError,
                       match="result type Float can't be cast to the desired output type Int"):
        a /= torch.tensor([2, 3], dtype=torch.int32)
    b = torch.tensor([4.0, 6.0])
    b /= torch.tensor([2, 3])
    assert b.tolist() == [2.0, 2.0]


def test_inplace_wraps_and_views():
    a = torch.tensor([250, 3], dtype=torch.uint8)
    a += 1000
    assert a.tolist() == [(250 + 1000) % 256, (3 + 1000) % 256] and dname(a) == "uint8"
    base = torch.zeros(4, 6)
    v = base[1::2, ::3]
    v += 1
    v *= torch.tensor([2.0, 3.0])
    expected = np.zeros((4, 6), np.float32)
    expected[1::2, ::3] = [2.0, 3.0]
    assert_close(base, expected)
    t = torch.ones(3, 2).t()
    t -= torch.tensor([[1.0], [2.0]])
    assert_close(t, np.array([[0, 0, 0], [-1, -1, -1]], np.float32))


# ---------------------------------------------------- named binary functions
@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16", "int64", "int32",
                                "int8", "uint8"])
def test_add_sub_alpha(dt):
    rng = np.random.default_rng(seed("alpha", dt))
    a, b = mk(gen(rng, SHAPE, dt), dt), mk(gen(rng, (SHAPE[1],), dt), dt)
    x, y = vals(a).astype(np.float64), vals(b).astype(np.float64)
    alpha = 2.5 if dt in FLOATS else 2
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    with np.errstate(all="ignore"):
        exp_add = (x + alpha * y).astype(np_of(dt)) if dt in FLOATS else \
            (vals(a) + np.asarray(alpha * vals(b), NP[dt])).astype(NP[dt])
        exp_sub = (x - alpha * y).astype(np_of(dt)) if dt in FLOATS else \
            (vals(a) - np.asarray(alpha * vals(b), NP[dt])).astype(NP[dt])
    assert_close(torch.add(a, b, alpha=alpha), exp_add, **chk)
    assert_close(a.add(b, alpha=alpha), exp_add, **chk)
    assert_close(torch.sub(a, b, alpha=alpha), exp_sub, **chk)
    assert_close(a.sub(b, alpha=alpha), exp_sub, **chk)
    c = a.clone()
    assert c.add_(b, alpha=alpha) is c
    assert_close(c, exp_add, **chk)
    c = a.clone()
    c.sub_(b, alpha=alpha)
    assert_close(c, exp_sub, **chk)
    # a scalar other
    with np.errstate(all="ignore"):
        exp = (vals(a).astype(np.float64) + alpha * 3).astype(np_of(dt))
    assert_close(torch.add(a, 3, alpha=alpha), exp, **chk)
    if dt not in FLOATS:
        with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
            torch.add(a, b, alpha=0.5)


def test_add_alpha_float_tensor_int_alpha():
    out = torch.sub(torch.tensor([1.0, 2.0]), torch.tensor([1, 2]), alpha=2)
    assert dname(out) == "float32" and out.tolist() == [-1.0, -2.0]


DIV_MODES = [None, "trunc", "floor"]


@pytest.mark.parametrize("mode", DIV_MODES)
@pytest.mark.parametrize("dt", ["int64", "int32", "int16", "int8", "uint8", "float32",
                                "float64", "float16", "bfloat16"])
def test_div_rounding_mode(dt, mode):
    rng = np.random.default_rng(seed("div", dt, mode))
    a = mk(gen(rng, SHAPE, dt, "any") * (3 if dt != "uint8" else 1), dt)
    b = mk(gen(rng, SHAPE, dt, "nonzero"), dt)
    x, y = vals(a).astype(np.float64), vals(b).astype(np.float64)
    q = x / y
    if mode is None:
        res = dt if dt in FLOATS else "float32"
        exp = q
    else:
        res = dt
        exp = np.trunc(q) if mode == "trunc" else np.floor(q)
    exp = exp.astype(np_of(res))
    for out in (torch.div(a, b, rounding_mode=mode), a.div(b, rounding_mode=mode)):
        assert dname(out) == res
        assert_close(out, exp, check_dtype=res != "bfloat16", **tol(res))
    if mode is not None:
        c = a.clone()
        assert c.div_(b, rounding_mode=mode) is c
        assert_close(c, exp, check_dtype=res != "bfloat16", **tol(res))
    elif dt not in FLOATS:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            a.clone().div_(b)
    # scalar divisor
    out = torch.div(a, -2, rounding_mode=mode)
    # with rounding, uint8 // -2 computes in uint8 (-2 wraps to 254); true
    # division computes in float32
    q = x / 254 if (dt == "uint8" and mode is not None) else x / -2
    exp = q if mode is None else (np.trunc(q) if mode == "trunc" else np.floor(q))
    assert_close(out, exp.astype(np_of(res)), check_dtype=res != "bfloat16", **tol(res))


def test_division_conventions_negative_ints():
    a = torch.tensor([-7, 7, -7, 7, 0])
    b = torch.tensor([2, -2, -2, 2, 3])
    assert (a // b).tolist() == [-4, -4, 3, 3, 0]
    assert torch.floor_divide(a, b).tolist() == [-4, -4, 3, 3, 0]
    assert a.floor_divide(b).tolist() == [-4, -4, 3, 3, 0]
    assert torch.div(a, b, rounding_mode="trunc").tolist() == [-3, -3, 3, 3, 0]
    assert torch.div(a, b, rounding_mode="floor").tolist() == [-4, -4, 3, 3, 0]
    assert (a / b).tolist() == [-3.5, -3.5, 3.5, 3.5, 0.0]
    assert (-7 // torch.tensor([2])).tolist() == [-4]
    assert (torch.tensor([-7]) // 2).tolist() == [-4]
    c = torch.tensor([-7, 7])
    c //= 2
    assert c.tolist() == [-4, 3]
    d = torch.tensor([-7, 7])
    assert d.floor_divide_(2) is d and d.tolist() == [-4, 3]


@pytest.mark.parametrize("dt", ["int64", "int32", "int8", "float32", "float64", "float16"])
def test_remainder_fmod_sign_conventions(dt):
    a = mk(np.array([-7, 7, -7, 7, 0, 5]), dt)
    b = mk(np.array([3, -3, -3, 3, 2, 5]), dt)
    rem = np.array([2, -2, -1, 1, 0, 0])
    fmo = np.array([-1, 1, -1, 1, 0, 0])
    chk = dict(check_dtype=True, **tol(dt))
    for out in (a % b, torch.remainder(a, b), a.remainder(b)):
        assert dname(out) == dt
        assert_close(out, rem.astype(NP[dt]), **chk)
    for out in (torch.fmod(a, b), a.fmod(b)):
        assert dname(out) == dt
        assert_close(out, fmo.astype(NP[dt]), **chk)
    assert_close(torch.remainder(a, -3), np.remainder(np.array([-7, 7, -7, 7, 0, 5]), -3)
                 .astype(NP[dt]), **chk)
    assert_close(torch.fmod(a, -3), np.fmod(np.array([-7, 7, -7, 7, 0, 5]), -3)
                 .astype(NP[dt]), **chk)
    assert_close(-7 % b, np.remainder(-7, np.array([3, -3, -3, 3, 2, 5])).astype(NP[dt]), **chk)
    c = a.clone()
    assert c.remainder_(b) is c
    assert_close(c, rem.astype(NP[dt]), **chk)
    c = a.clone()
    assert c.fmod_(b) is c
    assert_close(c, fmo.astype(NP[dt]), **chk)
    c = a.clone()
    c %= 3
    assert_close(c, np.remainder(np.array([-7, 7, -7, 7, 0, 5]), 3).astype(NP[dt]), **chk)


def test_float_remainder_values():
    rng = np.random.default_rng(11)
    x = rng.standard_normal(200) * 10
    y = rng.uniform(0.5, 4, 200) * rng.choice([-1, 1], 200)
    a, b = torch.tensor(x), torch.tensor(y)
    assert_close(a % b, np.remainder(x, y), rtol=1e-12, atol=1e-12)
    assert_close(torch.fmod(a, b), np.fmod(x, y), rtol=1e-12, atol=1e-12)
    assert_close(a // b, np.floor_divide(x, y))
    assert_close(torch.remainder(torch.tensor([-7.5]), 2), np.array([0.5], np.float32))
    assert_close(torch.fmod(torch.tensor([1, 2]), 2.5), np.array([1.0, 2.0], np.float32))


@pytest.mark.parametrize("dt", INTS)
@pytest.mark.parametrize("how", ["//", "%", "div-trunc", "div-floor", "fmod", "remainder",
                                 "tensor-divisor", "0dim-divisor"])
def test_integer_division_by_zero_raises(dt, how):
    a = mk(np.array([1, 2, 3]), dt)
    calls = {
        "//": lambda: a // 0, "%": lambda: a % 0,
        "div-trunc": lambda: torch.div(a, 0, rounding_mode="trunc"),
        "div-floor": lambda: torch.div(a, 0, rounding_mode="floor"),
        "fmod": lambda: torch.fmod(a, 0), "remainder": lambda: torch.remainder(a, 0),
        "tensor-divisor": lambda: a // mk(np.array([1, 0, 1]), dt),
        "0dim-divisor": lambda: a % mk(np.array(0), dt),
    }
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        calls[how]()
    assert (a + 1).tolist() == [2, 3, 4]  # still healthy


@pytest.mark.parametrize("dt", FLOATS)
def test_float_division_by_zero(dt):
    a = mk(np.array([1.0, -1.0, 0.0]), dt)
    inf = np.inf
    chk = dict(check_dtype=dt != "bfloat16")
    with np.errstate(all="ignore"):
        assert_close(a / 0, np.array([inf, -inf, np.nan], np_of(dt)), **chk)
        assert_close(a / -0.0, np.array([-inf, inf, np.nan], np_of(dt)), **chk)
        assert_close(a / mk(np.zeros(3), dt), np.array([inf, -inf, np.nan], np_of(dt)), **chk)
        assert_close(a // 0, np.array([inf, -inf, np.nan], np_of(dt)), **chk)
        assert_close(a % 0, np.array([np.nan] * 3, np_of(dt)), **chk)
        assert_close(torch.fmod(a, 0), np.array([np.nan] * 3, np_of(dt)), **chk)
        assert_close(torch.div(a, 0, rounding_mode="trunc"),
                     np.array([inf, -inf, np.nan], np_of(dt)), **chk)
        assert_close(1.0 / mk(np.array([0.0, -0.0]), dt), np.array([inf, -inf], np_of(dt)),
                     **chk)


def test_int_true_division_by_zero_gives_float():
    out = torch.tensor([1, -1, 0]) / 0
    assert dname(out) == "float32"
    assert_close(out, np.array([np.inf, -np.inf, np.nan], np.float32))
    out = torch.tensor([3, 0], dtype=torch.int8) / torch.tensor([0, 0], dtype=torch.int8)
    assert_close(out, np.array([np.inf, np.nan], np.float32))


# ------------------------------------------------------------------- pow
@pytest.mark.parametrize("dt", [d for d in DNAMES if d != "bool"])
def test_pow_forms(dt):
    rng = np.random.default_rng(seed("pow", dt))
    a = mk(gen(rng, SHAPE, dt, "base"), dt)
    e = mk(gen(rng, SHAPE, dt, "exp"), dt)
    x, y = vals(a).astype(np.float64), vals(e).astype(np.float64)
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    with np.errstate(all="ignore"):
        exp_tt = np.power(x, y).astype(np_of(dt))
        for out in (torch.pow(a, e), a.pow(e), a ** e):
            assert dname(out) == dt
            assert_close(out, exp_tt, **chk)
        for out in (torch.pow(a, 2), a.pow(2), a ** 2):
            assert dname(out) == dt
            assert_close(out, (x ** 2).astype(np_of(dt)), **chk)
        # scalar base
        for out in (torch.pow(2, e), 2 ** e):
            assert dname(out) == dt
            assert_close(out, np.power(2.0, y).astype(np_of(dt)), **chk)
        # float exponent on ints gives float32
        res = dt if dt in FLOATS else "float32"
        out = a.pow(0.5)
        assert dname(out) == res
        assert_close(out, np.sqrt(x).astype(np_of(res)), check_dtype=res != "bfloat16",
                     **tol(res))
        out = torch.pow(1.5, e)
        assert dname(out) == res
        assert_close(out, np.power(1.5, y).astype(np_of(res)), check_dtype=res != "bfloat16",
                     **tol(res))
        c = a.clone()
        assert c.pow_(e) is c
        assert_close(c, exp_tt, **chk)
        c = a.clone()
        c.pow_(3)
        assert_close(c, (x ** 3).astype(np_of(dt)), **chk)
    if dt not in FLOATS:
        with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
            a.pow(-1)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            a.clone().pow_(0.5)


def test_pow_special():
    assert_close(torch.tensor([1, 2]) ** -1.0, np.array([1.0, 0.5], np.float32))
    assert_close(torch.tensor([2.0, 3.0]).pow(torch.tensor([-1, 1])),
                 np.array([0.5, 3.0], np.float32))
    assert_close(torch.tensor([1, 2]) ** torch.tensor([True, False]), np.array([1, 1]))
    assert_close(torch.tensor([True, False]) ** 2, np.array([1, 0]))
    assert_close(torch.tensor([0.0, 4.0]) ** 0, np.array([1.0, 1.0], np.float32))


# ---------------------------------------------------------------- clamp
CLAMP_FORMS = ["both", "min-only", "max-only", "tensor-bounds", "tensor-min-only",
               "min-gt-max", "clamp_min", "clamp_max"]


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "zero_dim"])
@pytest.mark.parametrize("form", CLAMP_FORMS)
@pytest.mark.parametrize("dt", [d for d in DNAMES if d != "bool"])
def test_clamp(dt, form, layout):
    rng = np.random.default_rng(seed("clamp", dt, form, layout))
    t, _ = build(gen(rng, SHAPE, dt, "any"), dt, layout)
    x = vals(t)
    lo, hi = (3, 12) if dt == "uint8" else (-1, 2)
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    kw = {}
    if form == "both":
        out, out_m = torch.clamp(t, min=lo, max=hi), t.clamp(lo, hi)
        exp = np.minimum(np.maximum(x, lo), hi)
        kw = dict(min=lo, max=hi)
    elif form == "min-only":
        out, out_m = torch.clamp(t, min=lo), t.clamp(min=lo)
        exp = np.maximum(x, lo)
        kw = dict(min=lo)
    elif form == "max-only":
        out, out_m = torch.clamp(t, max=hi), t.clamp(max=hi)
        exp = np.minimum(x, hi)
        kw = dict(max=hi)
    elif form == "min-gt-max":  # PyTorch: min(max(x, min), max) -> everything is max
        out, out_m = torch.clamp(t, min=hi, max=lo), t.clamp(hi, lo)
        exp = np.full(x.shape, lo)
        kw = dict(min=hi, max=lo)
    elif form == "clamp_min":
        out, out_m = torch.clamp_min(t, lo), t.clamp_min(lo)
        exp = np.maximum(x, lo)
    elif form == "clamp_max":
        out, out_m = torch.clamp_max(t, hi), t.clamp_max(hi)
        exp = np.minimum(x, hi)
    else:
        lo_np = np.array([lo, lo + 1, lo, lo + 2, lo]).astype(np_of(dt))
        hi_np = np.array([[hi], [hi - 1], [hi]]).astype(np_of(dt))
        tlo, thi = mk(lo_np, dt), mk(hi_np, dt)
        if form == "tensor-bounds":
            out, out_m = torch.clamp(t, min=tlo, max=thi), t.clamp(tlo, thi)
            exp = np.minimum(np.maximum(x, lo_np), hi_np)
            kw = dict(min=tlo, max=thi)
        else:
            out, out_m = torch.clamp(t, min=tlo), t.clamp(min=tlo)
            exp = np.maximum(x, lo_np)
            kw = dict(min=tlo)
    exp = np.asarray(exp).astype(np_of(dt))
    for o in (out, out_m):
        assert dname(o) == dt
        assert tuple(o.shape) == exp.shape
        assert_close(o, exp, **chk)
    if exp.shape == tuple(t.shape):  # in place
        c = t.clone()
        r = {"clamp_min": lambda: c.clamp_min_(lo), "clamp_max": lambda: c.clamp_max_(hi)}.get(
            form, lambda: c.clamp_(**kw))()
        assert r is c
        assert_close(c, exp, **chk)


def test_clamp_promotion_and_errors():
    a = torch.tensor([1, 5, 9])
    out = a.clamp(min=2.5)
    assert dname(out) == "float32" and out.tolist() == [2.5, 5.0, 9.0]
    out = a.clamp_max(1.5)
    assert dname(out) == "float32"
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        a.clone().clamp_(min=0.5, max=3)
    out = torch.tensor([1.0, 5.0], dtype=torch.float16).clamp(min=torch.tensor([2.0]))
    assert dname(out) == "float32"  # tensor bounds take part in promotion
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        torch.clamp(a)
    nan = float("nan")
    assert_close(torch.clamp(torch.tensor([nan, -3.0, 3.0]), -1, 1),
                 np.array([nan, -1.0, 1.0], np.float32))


# ---------------------------------------------------------------- where
@pytest.mark.parametrize("branches", ["tensor-tensor", "tensor-int", "int-tensor", "float-float",
                                      "tensor-float", "int-int", "broadcast", "0dim"])
@pytest.mark.parametrize("dt", ["float32", "int64", "int8", "float16", "bool", "float64",
                                "bfloat16", "uint8"])
def test_where(dt, branches):
    rng = np.random.default_rng(seed("where", dt, branches))
    cond_np = rng.random(SHAPE) < 0.5
    cond = torch.tensor(cond_np)
    x_np, y_np = gen(rng, SHAPE, dt), gen(rng, SHAPE, dt)
    a, b = mk(x_np, dt), mk(y_np, dt)
    x, y = vals(a), vals(b)
    if branches == "tensor-tensor":
        out, res, exp = torch.where(cond, a, b), dt, np.where(cond_np, x, y)
    elif branches == "tensor-int":
        out, res = torch.where(cond, a, 1), scalar_common(dt, 1)
        exp = np.where(cond_np, x, 1)
    elif branches == "int-tensor":
        out, res = torch.where(cond, 0, b), scalar_common(dt, 0)
        exp = np.where(cond_np, 0, y)
    elif branches == "tensor-float":
        out, res = torch.where(cond, a, -0.5), scalar_common(dt, -0.5)
        exp = np.where(cond_np, x.astype(np.float64), -0.5)
    elif branches == "float-float":
        out, res = torch.where(cond, 1.5, -0.5), "float32"
        exp = np.where(cond_np, 1.5, -0.5)
    elif branches == "int-int":
        out, res = torch.where(cond, 7, -2), "int64"
        exp = np.where(cond_np, 7, -2)
    elif branches == "broadcast":  # cond (3, 5), a (1, 5), b (3, 1)
        a1, b1 = a[:1], b[:, :1]
        out, res = torch.where(cond, a1, b1), dt
        exp = np.where(cond_np, x[:1], y[:, :1])
    else:  # 0-dim condition and branches
        out = torch.where(torch.tensor(True), a, mk(np.asarray(y_np.flat[0]), dt))
        res, exp = dt, x
    assert dname(out) == res
    assert tuple(out.shape) == SHAPE
    assert_close(out, np.asarray(exp).astype(np_of(res)), check_dtype=res != "bfloat16",
                 **tol(res))


def test_where_promotion_and_condition():
    c = torch.tensor([True, False])
    out = torch.where(c, torch.tensor([1.0, 2.0], dtype=torch.float16), torch.tensor([3.0, 4.0]))
    assert dname(out) == "float32" and out.tolist() == [1.0, 4.0]
    out = torch.where(c, torch.tensor(1.0, dtype=torch.float64), torch.tensor([5, 6]))
    assert dname(out) == "float64" and out.tolist() == [1.0, 6.0]
    out = torch.where(c, True, False)
    assert dname(out) == "bool" and out.tolist() == [True, False]
    out = torch.where(torch.tensor(True), torch.tensor([1, 2]), torch.tensor([[3], [4]]))
    assert tuple(out.shape) == (2, 2) and out.tolist() == [[1, 2], [1, 2]]
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        torch.where(torch.tensor([1, 0]), 1, 2)


# ------------------------------------------------------- maximum / minimum
@pytest.mark.parametrize("dt", DNAMES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "expanded", "zero_dim",
                                    "empty"])
def test_maximum_minimum(dt, layout):
    rng = np.random.default_rng(seed("maxmin", dt, layout))
    a, _ = build(gen(rng, SHAPE, dt), dt, layout)
    b, _ = build(gen(rng, SHAPE, dt), dt, "sliced" if layout != "empty" else "empty")
    x, y = vals(a), vals(b)
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    for out in (torch.maximum(a, b), a.maximum(b)):
        assert dname(out) == dt
        assert_close(out, np.maximum(x, y), **chk)
    for out in (torch.minimum(a, b), a.minimum(b)):
        assert dname(out) == dt
        assert_close(out, np.minimum(x, y), **chk)


def test_maximum_minimum_nan_and_promotion():
    nan = float("nan")
    a = torch.tensor([nan, 1.0, 2.0])
    b = torch.tensor([0.0, nan, 1.0])
    assert_close(torch.maximum(a, b), np.array([nan, nan, 2.0], np.float32))
    assert_close(torch.minimum(a, b), np.array([nan, nan, 1.0], np.float32))
    out = torch.maximum(torch.tensor([1, 5]), torch.tensor([2.5, 3.0], dtype=torch.float64))
    assert dname(out) == "float64" and out.tolist() == [2.5, 5.0]
    out = torch.minimum(torch.tensor([[1], [7]], dtype=torch.int8), torch.tensor([3, 4, 5]))
    assert dname(out) == "int64" and out.tolist() == [[1, 1, 1], [3, 4, 5]]


# ------------------------------------------------- lerp / addcmul / addcdiv
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "zero_dim"])
@pytest.mark.parametrize("dt", FLOATS)
def test_lerp(dt, layout):
    rng = np.random.default_rng(seed("lerp", dt, layout))
    s, _ = build(gen(rng, SHAPE, dt), dt, layout)
    e = mk(gen(rng, SHAPE, dt) if layout != "zero_dim" else gen(rng, (), dt), dt)
    w = mk(rng.uniform(-0.5, 1.5, SHAPE if layout != "zero_dim" else ()), dt)
    x, y, z = (vals(v).astype(np.float64) for v in (s, e, w))
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    for weight, wv in ((0.25, 0.25), (0.75, 0.75), (w, z)):
        exp = (x + wv * (y - x)).astype(np_of(dt))
        assert_close(torch.lerp(s, e, weight), exp, **chk)
        assert_close(s.lerp(e, weight), exp, **chk)
        c = s.clone()
        assert c.lerp_(e, weight) is c
        assert_close(c, exp, **chk)


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16", "int64", "int32",
                                "int16", "uint8"])
@pytest.mark.parametrize("value", [None, 2, -0.5])
def test_addcmul(dt, value):
    if value == -0.5 and dt not in FLOATS:
        pytest.skip("float value with integer tensors")
    rng = np.random.default_rng(seed("addcmul", dt, value))
    i = mk(gen(rng, SHAPE, dt), dt)
    t1 = mk(gen(rng, (SHAPE[1],), dt), dt)           # broadcast (5,)
    t2 = mk(gen(rng, (SHAPE[0], 1), dt), dt)         # broadcast (3, 1)
    x, a, b = vals(i), vals(t1), vals(t2)
    v = 1 if value is None else value
    kw = {} if value is None else dict(value=value)
    with np.errstate(all="ignore"):
        if dt in FLOATS:
            exp = (x.astype(np.float64) + v * a.astype(np.float64) * b.astype(np.float64))
            exp = exp.astype(np_of(dt))
        else:
            exp = (x + np.asarray(v, NP[dt]) * a * b).astype(NP[dt])
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    assert_close(torch.addcmul(i, t1, t2, **kw), exp, **chk)
    assert_close(i.addcmul(t1, t2, **kw), exp, **chk)
    c = i.clone()
    assert c.addcmul_(t1, t2, **kw) is c
    assert_close(c, exp, **chk)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("value", [None, 3, -0.5])
def test_addcdiv(dt, value):
    rng = np.random.default_rng(seed("addcdiv", dt, value))
    i = mk(gen(rng, SHAPE, dt), dt)
    t1 = mk(gen(rng, SHAPE, dt), dt)
    t2 = mk(gen(rng, (SHAPE[1],), dt, "nonzero"), dt)
    x, a, b = (vals(v).astype(np.float64) for v in (i, t1, t2))
    v = 1 if value is None else value
    kw = {} if value is None else dict(value=value)
    exp = (x + v * a / b).astype(np_of(dt))
    chk = dict(check_dtype=dt != "bfloat16", **tol(dt))
    assert_close(torch.addcdiv(i, t1, t2, **kw), exp, **chk)
    assert_close(i.addcdiv(t1, t2, **kw), exp, **chk)
    c = i.clone()
    assert c.addcdiv_(t1, t2, **kw) is c
    assert_close(c, exp, **chk)


def test_addcdiv_integer_raises():
    a = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        torch.addcdiv(a, a, a)


# -------------------------------------------------- allclose and equal
def test_allclose():
    a = torch.tensor([1.0, 2.0, 3.0])
    assert torch.allclose(a, a.clone()) is True
    assert torch.allclose(a, a + 1e-9) is True
    assert torch.allclose(a, a + 1e-3) is False
    assert torch.allclose(a, a + 1e-3, atol=1e-2) is True
    assert torch.allclose(a, a * 1.01, rtol=0.02, atol=0) is True
    assert torch.allclose(a, a * 1.01, rtol=0.001, atol=0) is False
    assert a.allclose(a + 1e-9)
    nan = float("nan")
    b = torch.tensor([1.0, nan])
    assert torch.allclose(b, b.clone()) is False
    assert torch.allclose(b, b.clone(), equal_nan=True) is True
    assert torch.allclose(torch.tensor([1.0]), torch.tensor([1.0, 1.0])) is True  # broadcasts
    assert torch.allclose(torch.tensor([1, 2]), torch.tensor([1, 2])) is True
    inf = float("inf")
    assert torch.allclose(torch.tensor([inf, -inf]), torch.tensor([inf, -inf])) is True
    assert torch.allclose(torch.tensor([inf]), torch.tensor([-inf])) is False


def test_equal():
    a = torch.tensor([[1, 2], [3, 4]])
    assert torch.equal(a, a.clone()) is True
    assert a.equal(torch.tensor([[1, 2], [3, 4]])) is True
    assert torch.equal(a, a.t()) is False
    assert torch.equal(a.t(), torch.tensor([[1, 3], [2, 4]])) is True  # non-contiguous
    assert torch.equal(torch.tensor([1.0]), torch.tensor([1.0, 1.0])) is False  # no broadcast
    nan = float("nan")
    assert torch.equal(torch.tensor([nan]), torch.tensor([nan])) is False
    assert torch.equal(torch.zeros(0, 3), torch.zeros(0, 3)) is True
    assert torch.equal(torch.zeros(0, 3), torch.zeros(3, 0)) is False


# ------------------------------------------------ in-place binary methods
INPLACE_BINARY = {
    "add_": ("+", "any"), "sub_": ("-", "any"), "mul_": ("*", "any"), "div_": ("/", "nonzero"),
    "remainder_": ("%", "nonzero"), "floor_divide_": ("//", "nonzero"), "pow_": ("**", "exp"),
    "bitwise_and_": ("&", "any"), "bitwise_or_": ("|", "any"), "bitwise_xor_": ("^", "any"),
}


@pytest.mark.parametrize("other", ["tensor", "broadcast", "scalar"])
@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "uint8", "bool",
                                "float16"])
@pytest.mark.parametrize("method", list(INPLACE_BINARY))
def test_inplace_binary_methods(method, dt, other):
    op, rk = INPLACE_BINARY[method]
    if method == "pow_" and dt == "bool" and other == "scalar":
        pytest.skip("bool ** True is PyTorch's own corner case")
    rng = np.random.default_rng(seed(method, dt, other))
    lk = DOMAIN.get(op, ("any", "any"))[0]
    t, base = build(gen(rng, SHAPE, dt, lk), dt, "transposed")
    if other == "scalar":
        o = SCALARS.get(op, (3, 2.5, True))[0] if dt not in FLOATS else 1.5
        if dt == "bool":
            o = True
        xo = o
        common = scalar_common(dt, o)
    else:
        shape = SHAPE if other == "tensor" else (SHAPE[1],)
        o = mk(gen(rng, shape, dt, rk), dt)
        xo = vals(o)
        common = dt
    res = binary_outcome(op, common, dt == "bool")
    x = vals(t)
    if res is None or not can_cast(res, dt):
        with pytest.raises(RuntimeError):
            getattr(t, method)(o)
        return
    r = getattr(t, method)(o)
    assert r is t and dname(t) == dt
    exp = np_binary(op, x, xo, common, res).astype(np_of(dt))
    assert_close(t, exp, check_dtype=dt != "bfloat16", **tol(dt))
    assert_close(base.t(), exp, check_dtype=dt != "bfloat16", **tol(dt))


# ------------------------------------------------- bitwise and shifts
@pytest.mark.parametrize("dt", INTS)
def test_shift_values(dt):
    a = mk(np.array([1, 5, 7, 3]), dt)
    assert_close(a << 2, (np.array([1, 5, 7, 3]) << 2).astype(NP[dt]))
    assert_close(a >> 1, np.array([0, 2, 3, 1]).astype(NP[dt]))
    assert_close(1 << mk(np.array([0, 1, 2, 3]), dt), np.array([1, 2, 4, 8]).astype(NP[dt]))
    assert_close(torch.tensor([1, 2, 3]).__rlshift__(1), np.array([2, 4, 8]))
    if dt != "uint8":
        neg = mk(np.array([-8, -1, -5]), dt)
        assert_close(neg >> 1, np.array([-4, -1, -3]).astype(NP[dt]))  # arithmetic shift


def test_bitwise_bool_and_scalars():
    a = torch.tensor([True, False, True])
    b = torch.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True]
    assert (~a).tolist() == [False, True, False]
    assert (a & True).tolist() == [True, False, True]
    out = a | 2
    assert dname(out) == "int64" and out.tolist() == [3, 2, 3]
    assert (True & torch.tensor([1, 2])).tolist() == [1, 0]
    assert (~torch.tensor([1, 0], dtype=torch.uint8)).tolist() == [254, 255]
    assert (~torch.tensor([0, -1, 5])).tolist() == [-1, 0, -6]


# --------------------------------------------------------------- @ operator
def test_matmul_operator_basic():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    out = torch.tensor(x) @ torch.tensor(y)
    assert dname(out) == "float64"
    assert_close(out, x @ y, rtol=1e-12, atol=1e-12)
    v = torch.tensor([1.0, 2.0]) @ torch.tensor([3.0, 4.0])
    assert v.dim() == 0 and v.item() == 11.0
    assert_close(torch.tensor([[1, 2], [3, 4]]) @ torch.tensor([1, 1]), np.array([3, 7]))


# ------------------------------------------------------------- parity
@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_parity(op):
    rng = np.random.default_rng(seed("parity", op))
    for dt in DNAMES:
        arr = gen(rng, (4, 7), dt, UNARY[op][1])
        ours = mk(arr, dt)
        src = arr.astype(np.float32) if dt == "bfloat16" else arr.astype(NP[dt])
        theirs = real_torch.tensor(src).to(getattr(real_torch, dt))
        try:
            expected = getattr(real_torch, op)(theirs)
        except Exception as e:  # noqa: BLE001
            with pytest.raises(type(e)):
                getattr(torch, op)(ours)
            continue
        got = getattr(torch, op)(ours)
        assert str(got.dtype) == str(expected.dtype)
        exp_np = (expected.float() if dt == "bfloat16" and expected.dtype != real_torch.bool
                  else expected).numpy()
        assert_close(got, exp_np, check_dtype=dt != "bfloat16",
                     **tol(str(expected.dtype).replace("torch.", "")))
