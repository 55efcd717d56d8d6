"""Property-based fuzzing (hypothesis; issue 8): random shapes (0-size and
0-dim included), dtypes and layouts (transposed, stepped, expanded views),
random sequences of ops, all checked against NumPy; gradients of random
compositions against float64 central differences."""
import warnings

import numpy as np
import pytest

from helpers import assert_close, torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
dtypes = st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.int16, np.uint8, np.bool_])
layouts = st.sampled_from(["contiguous", "transposed", "stepped", "expanded"])


def make(shape, dtype, layout, seed):
    """(tensor, the same values as a NumPy array) in the given layout."""
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        a = rng.random(shape) > 0.5
    elif np.issubdtype(dtype, np.integer):
        a = rng.integers(0 if dtype == np.uint8 else -5, 6, shape).astype(dtype)
    else:
        a = rng.standard_normal(shape).astype(dtype)
    if layout == "transposed" and a.ndim >= 2:
        t = torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    elif layout == "stepped" and a.ndim >= 1:
        big = np.repeat(a, 2, axis=-1)
        t = torch.tensor(big)[..., ::2]
    elif layout == "expanded" and a.ndim >= 1 and a.shape[0] > 0:
        t = torch.tensor(a[:1]).expand(*a.shape)
        a = np.broadcast_to(a[:1], a.shape).copy()
    else:
        t = torch.tensor(a)
    return t, a


def broadcastable(shape, seed):
    """A shape that broadcasts with `shape` (dims dropped or set to 1)."""
    rng = np.random.default_rng(seed)
    out = [1 if rng.random() < 0.3 else n for n in shape]
    return tuple(out[int(rng.integers(0, len(out) + 1)):]) if out else ()


BINARY = {
    "add": (lambda a, b: a + b, np.add), "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply), "maximum": (torch.maximum, np.maximum),
    "minimum": (torch.minimum, np.minimum), "eq": (lambda a, b: a == b, np.equal),
    "lt": (lambda a, b: a < b, np.less),
}


@FUZZ
@given(shape=shapes, dt=dtypes, la=layouts, lb=layouts, op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 99))
def test_binary_ops_broadcast_like_numpy(shape, dt, la, lb, op, seed):
    if dt == np.bool_ and op == "sub":
        return   # PyTorch refuses bool subtraction (tested in test_bad_input)
    ta, a = make(shape, dt, la, seed)
    tb, b = make(broadcastable(shape, seed), dt, lb, seed + 1)
    fn, np_fn = BINARY[op]
    expect = np_fn(a, b)
    got = fn(ta, tb)
    assert_close(got, expect, rtol=1e-6, atol=1e-6, check_dtype=False)


REDUCTIONS = [("sum", np.sum), ("amax", np.max), ("amin", np.min), ("mean", np.mean)]


@FUZZ
@given(shape=shapes, dt=st.sampled_from([np.float32, np.float64, np.int64]), layout=layouts,
       k=st.integers(0, len(REDUCTIONS) - 1), keepdim=st.booleans(), seed=st.integers(0, 99), data=st.data())
def test_reductions_like_numpy(shape, dt, layout, k, keepdim, seed, data):
    name, np_fn = REDUCTIONS[k]
    t, a = make(shape, dt, layout, seed)
    if not shape:
        return
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    if a.shape[dim] == 0 and name in ("amax", "amin"):
        with pytest.raises(IndexError):
            getattr(t, name)(dim)
        return
    if name == "mean" and dt == np.int64:
        return   # mean of integers is an error in PyTorch (tested elsewhere)
    got = getattr(t, name)(dim, keepdim=keepdim)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # NumPy's mean of an empty slice (NaN, as PyTorch)
        expect = np_fn(a, axis=dim, keepdims=keepdim)
    assert_close(got, np.asarray(expect), rtol=1e-5, atol=1e-5, check_dtype=False)


VIEWS = ["t", "flip", "unsqueeze", "reshape", "slice", "permute", "contiguous", "neg", "abs"]


@FUZZ
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple), layout=layouts,
       ops=st.lists(st.sampled_from(VIEWS), min_size=1, max_size=6), seed=st.integers(0, 99))
def test_random_sequences_of_views_and_ops(shape, layout, ops, seed):
    t, a = make(shape, np.float64, layout, seed)
    for op in ops:
        if op == "t" and a.ndim >= 2:
            t, a = t.transpose(0, 1), np.swapaxes(a, 0, 1)
        elif op == "flip":
            t, a = t.flip(-1), np.flip(a, -1)
        elif op == "unsqueeze" and a.ndim < 6:
            t, a = t.unsqueeze(0), a[None]
        elif op == "reshape":
            t, a = t.reshape(-1), a.reshape(-1)
        elif op == "slice" and a.shape[0] > 1:
            t, a = t[1:], a[1:]
        elif op == "permute":
            perm = list(range(a.ndim))[::-1]
            t, a = t.permute(*perm), np.transpose(a, perm)
        elif op == "contiguous":
            t = t.contiguous()
        elif op == "neg":
            t, a = -t, -a
        elif op == "abs":
            t, a = t.abs(), np.abs(a)
        assert_close(t, a)
    t2 = t.clone()
    t2.add_(1.0)
    assert_close(t2, a + 1.0)


UNARY_DIFF = [("exp", lambda x: x.exp()), ("tanh", lambda x: x.tanh()), ("sin", lambda x: x.sin()),
              ("square", lambda x: x * x), ("sigmoid", lambda x: x.sigmoid())]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
       layout=st.sampled_from(["contiguous", "transposed", "stepped"]),   # expanded: tied values, max has no gradient
       chain=st.lists(st.integers(0, len(UNARY_DIFF) - 1), min_size=1, max_size=4),
       reduce=st.sampled_from(["sum", "mean", "max", "matmul"]), seed=st.integers(0, 99))
def test_gradients_of_random_compositions(shape, layout, chain, reduce, seed):
    t, _ = make(shape, np.float64, layout, seed)
    x = t.detach().clone().requires_grad_()

    def f(x):
        y = x
        for k in chain:
            y = UNARY_DIFF[k][1](y)
        if reduce == "matmul":
            y = y.reshape(-1)
            return y @ y
        return getattr(y, reduce)()
    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-5, rtol=1e-4)
