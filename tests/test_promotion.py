"""Type promotion (docs/interop-formats.md section 5): promote_types,
result_type, can_cast, the result dtype of binary ops for every pair of the
ten dtypes, with dimensioned tensors, 0-dim tensors and Python scalars, and
the default-dtype rules for true division and Python floats.

The expected dtypes come from the algorithm written out in the doc; running
against real PyTorch (CTORCH_TEST_REFERENCE=torch) checks that algorithm, and
the parity tests compare the whole table with real PyTorch side by side.
"""
import operator

import numpy as np
import pytest

from helpers import torch, real_torch, DNAMES, INTS, FLOATS, dname, dt as D, cat, promote

PAIRS = [(a, b) for a in DNAMES for b in DNAMES]


def combine(higher, lower):
    """The doc's combine(higher, lower) for buckets (no complex here)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if cat(higher) == 2:
        return higher
    if higher == "bool" or cat(lower) == 2:
        return promote(higher, lower)
    return higher


def scalar_bucket(s, default="float32"):
    if isinstance(s, bool):
        return "bool"
    if isinstance(s, int):
        return "int64"
    return default


def expected(dim=(), zero=(), wrapped=()):
    """result_type of dimensioned tensors, 0-dim tensors and Python scalars."""
    def bucket(names):
        r = None
        for n in names:
            r = n if r is None else promote(r, n)
        return r
    return combine(bucket(dim), combine(bucket(zero), bucket(wrapped)))


def tensor(name, zero_dim=False):
    shape = () if zero_dim else (2, 3)
    return torch.ones(shape, dtype=D(name))


# --------------------------------------------------------------- lattice
@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types(a, b):
    r = torch.promote_types(D(a), D(b))
    assert dname(r) == promote(a, b)
    assert r == torch.promote_types(D(b), D(a))  # symmetric


@pytest.mark.parametrize("a,b", PAIRS)
def test_result_type_and_binary_ops_dimensioned(a, b):
    x, y = tensor(a), tensor(b)
    exp = promote(a, b)
    assert dname(torch.result_type(x, y)) == exp
    assert dname(x * y) == exp
    assert dname(x + y) == exp
    assert dname(torch.maximum(x, y)) == exp
    assert dname(x / y) == (exp if exp in FLOATS else "float32")
    for cmp in (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge):
        out = cmp(x, y)
        assert dname(out) == "bool" and tuple(out.shape) == (2, 3)
    if cat(exp) < 2:
        assert dname(x & y) == exp
    if "bool" not in (a, b):
        assert dname(x - y) == exp
    if cat(exp) == 1:
        assert dname(x // y) == exp and dname(x % y) == exp


@pytest.mark.parametrize("a,b", PAIRS)
def test_tensor_with_zero_dim_tensor(a, b):
    x, z = tensor(a), tensor(b, zero_dim=True)
    exp = expected(dim=[a], zero=[b])
    assert dname(torch.result_type(x, z)) == exp
    assert dname(torch.result_type(z, x)) == exp
    out = x * z
    assert dname(out) == exp and tuple(out.shape) == (2, 3)
    assert dname(z * x) == exp
    assert dname(x / z) == (exp if exp in FLOATS else "float32")
    assert dname(x < z) == "bool"


@pytest.mark.parametrize("a,b", PAIRS)
def test_zero_dim_with_zero_dim(a, b):
    x, y = tensor(a, zero_dim=True), tensor(b, zero_dim=True)
    out = x * y
    assert out.dim() == 0 and dname(out) == promote(a, b)
    assert dname(torch.result_type(x, y)) == promote(a, b)


SCALARS = [True, False, 1, -3, 1000, 2.5, -0.5, 0.0]


@pytest.mark.parametrize("s", SCALARS, ids=repr)
@pytest.mark.parametrize("a", DNAMES)
def test_tensor_with_python_scalar(a, s):
    x = tensor(a)
    exp = expected(dim=[a], wrapped=[scalar_bucket(s)])
    assert dname(torch.result_type(x, s)) == exp
    assert dname(torch.result_type(s, x)) == exp
    assert dname(x * s) == exp and dname(s * x) == exp
    assert dname(x + s) == exp and dname(s + x) == exp
    assert dname(x / s) == (exp if exp in FLOATS else "float32")  # never raises
    assert dname(x == s) == "bool" and dname(s < x) == "bool"


@pytest.mark.parametrize("s", SCALARS, ids=repr)
@pytest.mark.parametrize("a", DNAMES)
def test_zero_dim_with_python_scalar(a, s):
    z = tensor(a, zero_dim=True)
    exp = expected(zero=[a], wrapped=[scalar_bucket(s)])
    assert dname(torch.result_type(z, s)) == exp
    out = z * s
    assert out.dim() == 0 and dname(out) == exp


@pytest.mark.parametrize("a,b", PAIRS)
def test_where_promotes_like_binary_ops(a, b):
    cond = torch.tensor([[True, False, True], [False, True, False]])
    x, y, z = tensor(a), tensor(b), tensor(b, zero_dim=True)
    assert dname(torch.where(cond, x, y)) == promote(a, b)
    assert dname(torch.where(cond, x, z)) == expected(dim=[a], zero=[b])
    assert dname(torch.where(cond, z, x)) == expected(dim=[a], zero=[b])


@pytest.mark.parametrize("s", [1, 2.5, True], ids=repr)
@pytest.mark.parametrize("a", DNAMES)
def test_where_with_scalar_branch(a, s):
    cond = torch.tensor([[True, False, True], [False, True, False]])
    x = tensor(a)
    exp = expected(dim=[a], wrapped=[scalar_bucket(s)])
    assert dname(torch.where(cond, x, s)) == exp
    assert dname(torch.where(cond, s, x)) == exp


@pytest.mark.parametrize("s,t,exp", [(1, 2, "int64"), (1, 2.0, "float32"), (True, False, "bool"),
                                     (True, 2, "int64"), (0.5, 1.5, "float32")], ids=str)
def test_where_two_scalars(s, t, exp):
    cond = torch.tensor([True, False])
    out = torch.where(cond, s, t)
    assert dname(out) == exp and tuple(out.shape) == (2,)


# ------------------------------------------------------------ can_cast
@pytest.mark.parametrize("a,b", PAIRS)
def test_can_cast(a, b):
    # same-kind casting: never down a category (float -> int, int -> bool)
    assert torch.can_cast(D(a), D(b)) is (cat(a) <= cat(b))


# ---------------------------------------------------- worked examples
EXAMPLES = [
    # (dimensioned, zero-dim, python scalar, expected)
    ("int32", "int64", None, None, "int64", "int32_t + int64_t"),
    ("int64", "float32", None, None, "float32", "int64_t + f32_t"),
    ("int32", None, "int64", None, "int32", "int32_t + 0-d int64"),
    ("int32", None, "float64", None, "float64", "int32_t + 0-d f64"),
    ("float16", None, "float64", None, "float16", "f16_t + 0-d f64"),
    ("uint8", None, None, 5, "uint8", "uint8_t + 5"),
    ("int8", None, "uint8", None, "int8", "int8_t + 0-d uint8"),
    ("int32", None, None, 2.5, "float32", "int32_t + 2.5"),
    ("float16", None, None, 2.5, "float16", "f16_t + 2.5"),
    ("bool", None, None, 1, "int64", "bool_t + 1"),
    ("bool", None, None, True, "bool", "bool_t + True"),
]


@pytest.mark.parametrize("a,b,z,s,exp,label", EXAMPLES, ids=[e[-1] for e in EXAMPLES])
def test_worked_examples(a, b, z, s, exp, label):
    x = tensor(a)
    if b is not None:
        out = x + tensor(b)
    elif z is not None:
        out = x + tensor(z, zero_dim=True)
    else:
        out = x + s
    assert dname(out) == exp


def test_worked_example_zero_dim_pair():
    out = tensor("float64", zero_dim=True) + tensor("int32", zero_dim=True)
    assert dname(out) == "float64" and out.dim() == 0


def test_promote_types_examples():
    assert torch.promote_types(torch.uint8, torch.int8) == torch.int16
    assert torch.promote_types(torch.float16, torch.bfloat16) == torch.float32
    assert torch.promote_types(torch.int64, torch.float16) == torch.float16
    assert torch.promote_types(torch.bool, torch.int32) == torch.int32


@pytest.mark.skipif(not hasattr(torch, "complex64"), reason="no complex dtypes")
@pytest.mark.parametrize("a,s,exp", [("int64", 1j, "complex64"), ("float64", 1j, "complex128")])
def test_worked_examples_complex(a, s, exp):
    assert dname(tensor(a) + s) == exp


# -------------------------------------------------- values never matter
def test_uint8_plus_1000_wraps():
    t = torch.tensor([250, 3, 0], dtype=torch.uint8)
    out = t + 1000
    assert dname(out) == "uint8"
    assert out.tolist() == [(250 + 1000) % 256, (3 + 1000) % 256, 1000 % 256]
    out = t * 300
    assert dname(out) == "uint8" and out.tolist() == [(250 * 300) % 256, (3 * 300) % 256, 0]
    out = torch.tensor([100], dtype=torch.int8) + 100
    assert dname(out) == "int8" and out.tolist() == [-56]
    out = torch.tensor([1], dtype=torch.int16) + 2 ** 40  # the scalar is never inspected
    assert dname(out) == "int16"
    z = torch.tensor(1000)  # a 0-dim int64 tensor does not widen uint8 either
    out = torch.tensor([250], dtype=torch.uint8) + z
    assert dname(out) == "uint8" and out.tolist() == [226]


def test_comparison_results_are_bool():
    for a in DNAMES:
        x = tensor(a)
        for other in (x, 1, 2.5, True, tensor("float64", zero_dim=True)):
            assert dname(x > other) == "bool"
            assert dname(x == other) == "bool"
    assert dname(torch.isnan(tensor("float16"))) == "bool"


# -------------------------------------------------- default dtype rules
@pytest.fixture
def default_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)
    assert torch.get_default_dtype() == old


@pytest.mark.parametrize("a", INTS + ["bool"])
def test_integer_true_division_gives_default_float(a):
    assert torch.get_default_dtype() == torch.float32
    x = tensor(a)
    assert dname(x / x) == "float32"
    assert dname(x / 2) == "float32"
    assert dname(2 / x) == "float32"
    assert dname(torch.div(x, x)) == "float32"
    assert dname(torch.true_divide(x, 2)) == "float32"
    assert dname(x.exp()) == "float32"
    assert dname(x + 2.5) == "float32"
    assert dname(torch.result_type(x, 2.5)) == "float32"


@pytest.mark.parametrize("a", INTS + ["bool"])
def test_integer_true_division_under_default_float64(a, default_float64):
    assert torch.get_default_dtype() == torch.float64
    x = tensor(a)
    assert dname(x / x) == "float64"
    assert dname(x / 2) == "float64"
    assert dname(x + 2.5) == "float64"
    assert dname(torch.result_type(x, 2.5)) == "float64"
    assert dname(x.exp()) == "float64"
    assert dname(x.sqrt()) == "float64"
    # floating tensors keep their own dtype
    assert dname(tensor("float32") + 2.5) == "float32"
    assert dname(tensor("float16") / 3) == "float16"
    assert dname(torch.tensor(2.5)) == "float64"
    assert dname(torch.tensor([1.0, 2.0])) == "float64"
    assert dname(torch.tensor([1, 2])) == "int64"


def test_default_dtype_restored():
    assert torch.get_default_dtype() == torch.float32
    assert dname(torch.tensor(1.5)) == "float32"
    assert dname(torch.tensor(1)) == "int64"
    assert dname(torch.tensor(True)) == "bool"
    assert dname(torch.tensor([1, 2.5])) == "float32"
    assert dname(torch.tensor([True, 2])) == "int64"


# ------------------------------------------------------- in-place casts
@pytest.mark.parametrize("a,b", PAIRS)
def test_inplace_respects_can_cast(a, b):
    x, y = tensor(a), tensor(b)
    res = promote(a, b)
    if cat(res) <= cat(a):
        out = x.mul_(y)
        assert out is x and dname(x) == a
    else:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            x.mul_(y)


def test_inplace_cast_messages():
    with pytest.raises(RuntimeError,
                       match="result type Float can't be cast to the desired output type Long"):
        torch.tensor([1, 2]).add_(1.5)
    with pytest.raises(RuntimeError,
                       match="result type Long can't be cast to the desired output type Bool"):
        torch.tensor([True]).add_(1)
    with pytest.raises(RuntimeError,
                       match="result type Float can't be cast to the desired output type Int"):
        t = torch.tensor([1, 2], dtype=torch.int32)
        t *= torch.tensor([0.5, 0.5])
    t = torch.tensor([1.0, 2.0])
    t += torch.tensor([1.0, 1.0], dtype=torch.float64)  # same category: allowed
    assert dname(t) == "float32" and t.tolist() == [2.0, 3.0]
    t = torch.tensor([100], dtype=torch.int8)
    t += torch.tensor([100])  # int64 into int8: wraps
    assert t.tolist() == [-56]


# ---------------------------------------------------------------- parity
def _real(name, zero_dim=False):
    return real_torch.ones(() if zero_dim else (2, 3), dtype=getattr(real_torch, name))


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
def test_promotion_table_parity():
    mismatches = []
    for a, b in PAIRS:
        for za, zb in ((False, False), (False, True), (True, False), (True, True)):
            ours = str((tensor(a, za) + tensor(b, zb)).dtype)
            theirs = str((_real(a, za) + _real(b, zb)).dtype)
            if ours != theirs:
                mismatches.append((a, za, b, zb, ours, theirs))
            ours = str(torch.result_type(tensor(a, za), tensor(b, zb)))
            theirs = str(real_torch.result_type(_real(a, za), _real(b, zb)))
            if ours != theirs:
                mismatches.append(("result_type", a, za, b, zb, ours, theirs))
        if str(torch.promote_types(D(a), D(b))) != str(
                real_torch.promote_types(getattr(real_torch, a), getattr(real_torch, b))):
            mismatches.append(("promote_types", a, b))
        if torch.can_cast(D(a), D(b)) != real_torch.can_cast(getattr(real_torch, a),
                                                             getattr(real_torch, b)):
            mismatches.append(("can_cast", a, b))
    assert not mismatches, mismatches[:20]


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
def test_scalar_promotion_parity():
    mismatches = []
    ops = [operator.add, operator.mul, operator.truediv, operator.floordiv, operator.lt]
    for a in DNAMES:
        for s in SCALARS + [2 ** 40, -1.5e300]:
            for za in (False, True):
                for op in ops:
                    for rev in (False, True):
                        def run(t, lib):
                            try:
                                return str((op(s, t) if rev else op(t, s)).dtype)
                            except Exception as e:  # noqa: BLE001
                                return type(e).__name__
                        ours = run(tensor(a, za), torch)
                        theirs = run(_real(a, za), real_torch)
                        if ours != theirs:
                            mismatches.append((a, za, s, op.__name__, rev, ours, theirs))
    assert not mismatches, mismatches[:20]


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
def test_values_after_promotion_parity():
    rng = np.random.default_rng(0)
    for a, b in PAIRS:
        xa = rng.integers(0, 5, (2, 3))
        xb = rng.integers(1, 5, (2, 3))
        ours = torch.tensor(xa).to(D(a)) + torch.tensor(xb).to(D(b))
        theirs = real_torch.tensor(xa).to(getattr(real_torch, a)) + \
            real_torch.tensor(xb).to(getattr(real_torch, b))
        assert str(ours.dtype) == str(theirs.dtype)
        assert ours.tolist() == theirs.tolist(), (a, b)
