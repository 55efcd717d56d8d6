"""nn normalization family: batch/layer/group/instance norm, the activations,
softmax/softmin/log_softmax, prelu, glu and dropout, as torch.nn.functional
calls (and their modules). NumPy is the oracle for values, float64 gradcheck
for gradients, real PyTorch for parity (same inputs and weights: outputs,
gradients, running stats, dropout masks from one seed); bad inputs raise
PyTorch's exceptions and messages."""
import math
import warnings

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, parity, real_torch, seed, to_numpy, torch

F = torch.nn.functional
FLOATS = ["float32", "float64", "float16", "bfloat16"]
TOL = {"float64": 1e-10, "float32": 2e-5, "float16": 2e-2, "bfloat16": 5e-2}


def rand(shape, key, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed(key, shape)).uniform(lo, hi, size=shape)


def tensor(a, dtype="float64", layout="c"):
    """a as a tensor of dtype: contiguous (c), transposed (t: last two dims) or strided (s: every other element)."""
    d = getattr(torch, dtype)
    if layout == "t" and a.ndim >= 2:
        return torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).to(d).transpose(-1, -2)
    if layout == "s" and a.ndim >= 1:
        return torch.tensor(np.repeat(a, 2, axis=-1)).to(d)[..., ::2]
    return torch.tensor(a).to(d)


def rounded(a, dtype):
    """NumPy values as the tensor of dtype holds them (float64)."""
    return to_numpy(torch.tensor(a).to(getattr(torch, dtype)).double())


def check(out, expected, dtype):
    assert str(out.dtype) == f"torch.{dtype}"
    tol = TOL[dtype]
    assert_close(out.double(), expected, rtol=tol, atol=tol)


# ---- NumPy references ----

def np_norm(x, axes, eps):
    m = x.mean(axis=axes, keepdims=True)
    v = x.var(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps)


def bcast(p, ndim):
    """A per-channel parameter shaped to broadcast along dim 1."""
    return p.reshape((1, -1) + (1,) * (ndim - 2))


def np_batch_norm(x, w, b, eps=1e-5):
    y = np_norm(x, (0,) + tuple(range(2, x.ndim)), eps)
    return y * bcast(w, x.ndim) + bcast(b, x.ndim)


def np_group_norm(x, g, w, b, eps=1e-5):
    n, c = x.shape[:2]
    y = np_norm(x.reshape(n, g, -1), (2,), eps).reshape(x.shape)
    return y * bcast(w, x.ndim) + bcast(b, x.ndim)


ERF = np.vectorize(math.erf)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
# name, F call, NumPy reference
ACTIVATIONS = [
    ("relu", lambda F, x: F.relu(x), lambda x: np.maximum(x, 0)),
    ("relu6", lambda F, x: F.relu6(x), lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", lambda F, x: F.elu(x, alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    ("selu", lambda F, x: F.selu(x), lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    ("celu", lambda F, x: F.celu(x, alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7))),
    ("gelu", lambda F, x: F.gelu(x), lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", lambda F, x: F.silu(x), lambda x: x * np_sigmoid(x)),
    ("mish", lambda F, x: F.mish(x), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("hardswish", lambda F, x: F.hardswish(x), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x), lambda x: np.clip(x + 3, 0, 6) / 6),
    ("hardtanh", lambda F, x: F.hardtanh(x, -0.5, 1.2), lambda x: np.clip(x, -0.5, 1.2)),
    ("softplus", lambda F, x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: np_softplus(x, 2.0, 3.0)),
    ("softsign", lambda F, x: F.softsign(x), lambda x: x / (1 + np.abs(x))),
    ("tanhshrink", lambda F, x: F.tanhshrink(x), lambda x: x - np.tanh(x)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))),
    ("sigmoid", lambda F, x: F.sigmoid(x), np_sigmoid),
    ("tanh", lambda F, x: F.tanh(x), np.tanh),
]
ACT_IDS = [a[0] for a in ACTIVATIONS]


# ---- forward values against NumPy ----

@pytest.mark.parametrize("layout", "cts")
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=ACT_IDS)
def test_activation_values(name, fn, ref, dtype, layout):
    a = rand((3, 5, 6), name, -6, 6)
    a[0, 0, :3] = [0.0, 3.0, -3.0]   # the kinks
    x = tensor(a, dtype, layout)
    check(fn(F, x), ref(rounded(a, dtype)), dtype)


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=ACT_IDS)
def test_activation_extremes_and_empty(name, fn, ref):
    a = np.array([-1e4, -80.0, -30.0, -1e-6, 0.0, 1e-6, 30.0, 80.0, 1e4])
    with np.errstate(over="ignore"):
        expected = ref(a)
    assert_close(fn(F, torch.tensor(a)), expected, rtol=1e-7, atol=1e-12)
    assert_close(fn(F, torch.tensor(a, dtype=torch.float32)), expected.astype(np.float32), rtol=2e-6, atol=1e-7)
    assert tuple(fn(F, torch.zeros(0, 3)).shape) == (0, 3)
    assert np.isnan(to_numpy(fn(F, torch.tensor([float("nan")])))).all()


INPLACE = [("relu", F.relu, "ReluBackward0"), ("relu6", F.relu6, "HardtanhBackward0"),
           ("leaky_relu", F.leaky_relu, "LeakyReluBackward1"), ("elu", F.elu, "EluBackward1"),
           ("selu", F.selu, "EluBackward1"), ("celu", F.celu, "CeluBackward1"), ("silu", F.silu, "SiluBackward0"),
           ("mish", F.mish, "MishBackward0"), ("hardswish", F.hardswish, "HardswishBackward0"),
           ("hardsigmoid", F.hardsigmoid, "HardsigmoidBackward0"), ("hardtanh", F.hardtanh, "HardtanhBackward0")]


@pytest.mark.parametrize("name,fn,grad_fn", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_activations(name, fn, grad_fn):
    a = rand((4, 5), name, -3, 3)
    x = torch.tensor(a)
    expected = to_numpy(fn(x))
    assert fn(x, inplace=True) is x
    assert_close(x, expected)
    # through a view, with history: the base sees the write, gradients equal the out-of-place ones
    leaf = torch.tensor(a, requires_grad=True)
    y = leaf * 1.0
    fn(y[1:], inplace=True)
    assert type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    ref = torch.tensor(a, requires_grad=True)
    torch.cat([ref[:1], fn(ref[1:])]).sum().backward()
    assert_close(leaf.grad, to_numpy(ref.grad))
    z = torch.tensor(a, requires_grad=True) * 2
    assert type(fn(z, inplace=True).grad_fn).__name__ == grad_fn


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", "cts")
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_values(dim, layout, dtype):
    a = rand((4, 6, 5), "softmax", -5, 5)
    x = tensor(a, dtype, layout)
    r = rounded(a, dtype)
    e = np.exp(r - r.max(axis=dim, keepdims=True))
    check(F.softmax(x, dim), e / e.sum(axis=dim, keepdims=True), dtype)
    check(F.log_softmax(x, dim), np.log(e / e.sum(axis=dim, keepdims=True)), dtype)
    e = np.exp(-r - (-r).max(axis=dim, keepdims=True))
    check(F.softmin(x, dim), e / e.sum(axis=dim, keepdims=True), dtype)


def test_softmax_rows_dtype_and_special_values():
    x = torch.tensor([[1000.0, 1000.0, -1000.0], [float("-inf"), 0.0, 0.0]])
    assert_close(F.softmax(x, 1), np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], np.float32))
    assert_close(F.log_softmax(x, 1)[0, :2], np.log([0.5, 0.5]).astype(np.float32))
    assert np.isnan(to_numpy(F.softmax(torch.full((2,), float("-inf")), 0))).all()
    long = torch.tensor([[1, 2, 3]])
    out = F.softmax(long, 1, dtype=torch.float64)
    assert out.dtype == torch.float64
    e = np.exp([1.0, 2.0, 3.0])
    assert_close(out, (e / e.sum())[None])
    assert_close(F.softmax(torch.tensor(3.0), 0), np.float32(1.0))
    assert tuple(F.log_softmax(torch.zeros(0, 4), 1).shape) == (0, 4)
    big = rand((1100, 70), "rows")   # rows over several threads
    e = np.exp(big - big.max(1, keepdims=True))
    assert_close(F.softmax(torch.tensor(big), 1), e / e.sum(1, keepdims=True), rtol=1e-12, atol=1e-15)


def test_softmax_implicit_dim_warns():
    x = torch.tensor(rand((2, 3), "implicit"))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        y = F.softmax(x)
    assert_close(y, to_numpy(F.softmax(x, 1)))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        y = F.log_softmax(torch.tensor(rand((2, 3, 4), "implicit3")))
    assert_close(y.exp().sum(0), np.ones((3, 4)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 3), (5, 3, 7), (2, 3, 4, 5)])
def test_batch_norm_training_values_and_running_stats(shape, dtype):
    a = rand(shape, "bn", -3, 3)
    w, b = rand((3,), "bnw"), rand((3,), "bnb")
    rm0, rv0 = rand((3,), "rm"), rand((3,), "rv", 0.5, 2)
    rm, rv = torch.tensor(rm0, dtype=torch.float32), torch.tensor(rv0, dtype=torch.float32)
    pd = "float32" if dtype in ("float16", "bfloat16") else dtype   # reduced floats take float32 parameters
    rm, rv = rm.to(getattr(torch, pd)), rv.to(getattr(torch, pd))
    x = tensor(a, dtype, "t" if len(shape) > 2 else "c")
    y = F.batch_norm(x, rm, rv, tensor(w, pd), tensor(b, pd), training=True, momentum=0.3, eps=1e-3)
    r = rounded(a, dtype)
    check(y, np_batch_norm(r, w, b, 1e-3), dtype)
    axes = (0,) + tuple(range(2, len(shape)))
    n = r.size / 3
    tol = max(TOL[dtype], 1e-6)
    assert_close(rm.double(), 0.7 * rm0 + 0.3 * r.mean(axis=axes), rtol=tol, atol=tol)
    assert_close(rv.double(), 0.7 * rv0 + 0.3 * r.var(axis=axes) * n / (n - 1), rtol=tol, atol=tol)


@pytest.mark.parametrize("layout", "cts")
def test_batch_norm_eval_uses_running_stats(layout):
    a = rand((4, 3, 5), "bn_eval")
    rm, rv, w = rand((3,), "rm2"), rand((3,), "rv2", 0.5, 2), rand((3,), "w2")
    rmt, rvt = torch.tensor(rm), torch.tensor(rv)
    y = F.batch_norm(tensor(a, layout=layout), rmt, rvt, torch.tensor(w), None, training=False, eps=1e-4)
    assert_close(y, (a - bcast(rm, 3)) / np.sqrt(bcast(rv, 3) + 1e-4) * bcast(w, 3), rtol=1e-12, atol=1e-12)
    assert_close(rmt, rm)   # untouched
    y = F.batch_norm(tensor(a, layout=layout), None, None, training=True)   # no running stats at all
    assert_close(y, np_batch_norm(a, np.ones(3), np.zeros(3)), rtol=1e-12, atol=1e-12)


def test_batch_norm_empty_and_large():
    rm, rv = torch.zeros(3), torch.ones(3)
    y = F.batch_norm(torch.zeros(0, 3), rm, rv, training=True)
    assert tuple(y.shape) == (0, 3)
    assert_close(rm, np.zeros(3, np.float32))   # an empty batch leaves the running stats
    a = rand((8, 16, 33, 17), "bn_big")   # channels over several threads
    assert_close(F.batch_norm(torch.tensor(a), None, None, training=True), np_batch_norm(a, np.ones(16),
                 np.zeros(16)), rtol=1e-10, atol=1e-10)


def test_norms_of_values_far_from_zero():
    """float32 values 1000 + 0.01 noise: a one-pass variance would lose them all (PyTorch's error: ~5e-3)."""
    a = (rand((16, 4, 50, 50), "offset") * 0.01 + 1000).astype(np.float32)
    x = torch.tensor(a)
    ad = a.astype(np.float64)
    assert_close(F.batch_norm(x, None, None, training=True), np_batch_norm(ad, np.ones(4), np.zeros(4)).astype(
        np.float32), rtol=0, atol=2e-2)
    assert_close(F.layer_norm(x, (50, 50)), np_norm(ad, (2, 3), 1e-5).astype(np.float32), rtol=0, atol=2e-2)
    assert_close(F.group_norm(x, 2), np_group_norm(ad, 2, np.ones(4), np.zeros(4)).astype(np.float32), rtol=0,
                 atol=2e-2)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("layout", "cts")
@pytest.mark.parametrize("nshape", [1, 2])
def test_layer_norm_values(nshape, layout, dtype):
    a = rand((3, 4, 6), "ln", -3, 3)
    shape = a.shape[-nshape:]
    w, b = rand(shape, "lnw"), rand(shape, "lnb")
    x = tensor(a, dtype, layout)
    y = F.layer_norm(x, shape, tensor(w, dtype), tensor(b, dtype), eps=1e-4)
    r = rounded(a, dtype)
    check(y, np_norm(r, tuple(range(3 - nshape, 3)), 1e-4) * rounded(w, dtype) + rounded(b, dtype), dtype)
    check(F.layer_norm(x, shape), np_norm(r, tuple(range(3 - nshape, 3)), 1e-5), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("shape", [(2, 6), (3, 6, 5), (2, 6, 3, 4)])
def test_group_norm_values(shape, groups, dtype):
    a = rand(shape, "gn", -3, 3)
    w, b = rand((6,), "gnw"), rand((6,), "gnb")
    x = tensor(a, dtype, "t" if len(shape) > 2 else "c")
    y = F.group_norm(x, groups, tensor(w, dtype), tensor(b, dtype), eps=1e-3)
    check(y, np_group_norm(rounded(a, dtype), groups, rounded(w, dtype), rounded(b, dtype), 1e-3), dtype)


@pytest.mark.parametrize("layout", "ct")
def test_instance_norm_values_and_running_stats(layout):
    a = rand((3, 4, 5, 6), "in")
    w, b = rand((4,), "inw"), rand((4,), "inb")
    rm, rv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    y = F.instance_norm(tensor(a, layout=layout), rm, rv, torch.tensor(w), torch.tensor(b), momentum=0.2)
    assert_close(y, np_norm(a, (2, 3), 1e-5) * bcast(w, 4) + bcast(b, 4), rtol=1e-10, atol=1e-10)
    assert_close(rm, 0.2 * a.mean(axis=(2, 3)).mean(0), rtol=1e-12, atol=1e-12)
    assert_close(rv, 0.8 + 0.2 * (a.var(axis=(2, 3)) * 30 / 29).mean(0), rtol=1e-12, atol=1e-12)
    y = F.instance_norm(torch.tensor(a), rm, rv, use_input_stats=False)
    assert_close(y, (a - bcast(to_numpy(rm), 4)) / np.sqrt(bcast(to_numpy(rv), 4) + 1e-5), rtol=1e-10, atol=1e-10)


def test_prelu_glu_values():
    a = rand((2, 3, 4), "prelu")
    w = np.array([0.1, -0.2, 0.3])
    assert_close(F.prelu(torch.tensor(a), torch.tensor(w)), np.where(a > 0, a, bcast(w, 3) * a))
    assert_close(F.prelu(torch.tensor(a), torch.tensor([0.25], dtype=torch.float64)), np.where(a > 0, a, 0.25 * a))
    assert_close(F.glu(torch.tensor(a), 2), a[..., :2] * np_sigmoid(a[..., 2:]))
    assert_close(F.glu(tensor(rand((4, 3), "glu"), layout="t"), 0),
                 rand((4, 3), "glu")[:2] * np_sigmoid(rand((4, 3), "glu")[2:]))


# ---- dropout ----

def test_dropout_mask_and_scale():
    torch.manual_seed(5)
    y = F.dropout(torch.ones(1000), 0.3)
    v = to_numpy(y)
    kept = v != 0
    assert_close(torch.tensor(v[kept]), np.full(kept.sum(), 1 / 0.7, np.float32))
    assert 600 < kept.sum() < 800
    x = torch.ones(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert_close(F.dropout(x, 1.0), np.zeros((4, 5), np.float32))
    y = F.dropout2d(torch.ones(8, 16, 3, 3), 0.5)
    per_channel = to_numpy(y).reshape(8, 16, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))   # whole channels kept or dropped
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    z = torch.ones(6, 10)
    assert F.dropout(z, 0.5, inplace=True) is z
    assert set(np.unique(to_numpy(z))) <= {0.0, 2.0}


def test_dropout_gradient_is_the_mask():
    x = torch.ones(50, dtype=torch.float64, requires_grad=True)
    y = F.dropout(x, 0.4)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    assert_close(x.grad, to_numpy(y.detach()))


@pytest.mark.parametrize("shape,expected_warning", [((2, 3, 4), "Received a 3D input to dropout2d"),
                                                    ((2, 3, 4, 5, 6), "Received a 5-D input to dropout2d")])
def test_dropout2d_warnings(shape, expected_warning):
    with pytest.warns(UserWarning, match=expected_warning):
        F.dropout2d(torch.ones(*shape), 0.5)


def test_dropout1d_unbatched_and_alpha():
    torch.manual_seed(1)
    y = F.dropout1d(torch.ones(5, 7), 0.5)
    v = to_numpy(y)
    assert tuple(y.shape) == (5, 7) and np.all(v.min(1) == v.max(1))
    torch.manual_seed(2)
    a = F.alpha_dropout(torch.zeros(20000), 0.2, training=True)
    # SELU's fixed point kept: zero-mean unit-variance inputs keep mean 0 and variance 1
    b = F.alpha_dropout(torch.randn(20000), 0.2, training=True)
    assert abs(float(b.mean())) < 0.05 and abs(float(b.var()) - 1) < 0.05
    assert len(np.unique(to_numpy(a))) == 2
    x = torch.ones(3)
    assert F.alpha_dropout(x, 0.5) is x   # training=False by default


@parity
@pytest.mark.parametrize("fn", ["dropout", "dropout2d", "alpha_dropout", "dropout1d"])
def test_parity_dropout_masks(fn):
    """The same seed draws the same mask as PyTorch (bernoulli_(1 - p) on the CPU generator)."""
    shape = (4, 6, 5) if fn != "dropout2d" else (3, 4, 5, 2)
    outs = []
    for lib in (torch, real_torch):
        lib.manual_seed(123)
        x = lib.tensor(rand(shape, "mask"))
        outs.append(to_numpy(getattr(lib.nn.functional, fn)(x, 0.35, training=True)))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=0)


# ---- gradients ----

def gradcheck(fn, *arrays, layouts=None):
    ins = [tensor(a, "float64", (layouts or "c" * len(arrays))[i]).requires_grad_() for i, a in enumerate(arrays)]
    assert torch.autograd.gradcheck(fn, tuple(ins))


@pytest.mark.parametrize("name,fn,ref", ACTIVATIONS, ids=ACT_IDS)
def test_activation_gradcheck(name, fn, ref):
    a = rand((3, 4), name, -3, 3)
    a[np.abs(np.abs(a) - 3) < 0.05] = 0.5   # away from the kinks of hardswish/hardsigmoid/hardtanh
    a[np.abs(a - 1.2) < 0.05] = 0.5
    a[np.abs(a + 0.5) < 0.05] = 0.3
    a[np.abs(a) < 0.05] = 0.7
    gradcheck(lambda x: fn(F, x), a, layouts="t")


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 3, 5), (2, 3, 2, 3)])
def test_batch_norm_gradcheck(shape, training):
    rm, rv = torch.tensor(rand((3,), "grm")), torch.tensor(rand((3,), "grv", 0.5, 2))
    gradcheck(lambda x, w, b: F.batch_norm(x, rm.clone(), rv.clone(), w, b, training=training),
              rand(shape, "gbn"), rand((3,), "gw"), rand((3,), "gb"), layouts="tcs")


def test_norm_gradchecks():
    gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), rand((3, 5, 4), "gln"), rand((4,), "a"), rand((4,), "b"),
              layouts="tcc")
    gradcheck(lambda x, w, b: F.layer_norm(x, (5, 4), w, b), rand((3, 5, 4), "gln2"), rand((5, 4), "c"),
              rand((5, 4), "d"))
    gradcheck(lambda x: F.layer_norm(x, (4,)), rand((3, 4), "gln3"), layouts="s")
    gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), rand((3, 4, 5), "ggn"), rand((4,), "e"), rand((4,), "f"),
              layouts="tcc")
    gradcheck(lambda x, w: F.group_norm(x, 4, w), rand((2, 4, 3, 2), "ggn2"), rand((4,), "g"))
    gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), rand((2, 3, 5), "gin"), rand((3,), "h"),
              rand((3,), "i"), layouts="tcc")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradchecks(dim):
    a = rand((3, 4, 5), "gsm")
    gradcheck(lambda x: F.softmax(x, dim), a, layouts="t")
    gradcheck(lambda x: F.log_softmax(x, dim), a, layouts="s")
    gradcheck(lambda x: F.softmin(x, dim), a)


def test_prelu_glu_gradchecks():
    gradcheck(lambda x, w: F.prelu(x, w), rand((2, 3, 4), "gpr"), np.array([0.1, -0.3, 0.5]), layouts="tc")
    gradcheck(lambda x, w: F.prelu(x, w), rand((5,), "gpr1"), np.array([0.2]))
    gradcheck(lambda x: F.glu(x, 1), rand((3, 4, 2), "gglu"), layouts="t")


def test_double_backward_of_a_fused_kernel_raises():
    x = torch.tensor(rand((3, 4), "dbl"), requires_grad=True)
    g, = torch.autograd.grad(F.softmax(x, 1)[:, 0].sum(), x, create_graph=True)
    if REFERENCE:
        return   # PyTorch implements it
    with pytest.raises(NotImplementedError, match="the derivative of softmax_backward is not implemented"):
        g.sum().backward()


# ---- parity with real PyTorch: outputs, gradients, running stats ----

PARITY = [
    ("batch_norm", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    ("layer_norm", lambda F, x, w, b: F.layer_norm(x, (5,), w.repeat(2)[:5], b.repeat(2)[:5])),
    ("group_norm", lambda F, x, w, b: F.group_norm(x.repeat(1, 2, 1)[:, :4], 2, w.repeat(2)[:4], b.repeat(2)[:4])),
    ("instance_norm", lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b)),
    ("softmax", lambda F, x, w, b: F.softmax(x * w[None, :, None], 1)),
    ("log_softmax", lambda F, x, w, b: F.log_softmax(x + b[None, :, None], 2)),
    ("prelu", lambda F, x, w, b: F.prelu(x, w)),
    ("glu", lambda F, x, w, b: F.glu(x[..., :4] * b[None, :, None], -1)),
] + [(n, (lambda f: lambda F, x, w, b: f(F, x * w[None, :, None]))(f)) for n, f, _ in ACTIVATIONS]


@parity
@pytest.mark.parametrize("name,fn", PARITY, ids=[p[0] for p in PARITY])
def test_parity_forward_backward(name, fn):
    arrays = [rand((4, 3, 5), name + "x"), rand((3,), name + "w", 0.5, 1.5), rand((3,), name + "b")]
    results = []
    for lib in (torch, real_torch):
        ins = [lib.tensor(a, dtype=lib.float32, requires_grad=True) for a in arrays]
        out = fn(lib.nn.functional, *ins)
        out.backward(lib.tensor(rand(tuple(out.shape), "g"), dtype=lib.float32))
        results.append([to_numpy(out.detach())] + [None if t.grad is None else to_numpy(t.grad) for t in ins]
                       + [type(out.grad_fn).__name__])
    for got, want in zip(results[0], results[1]):
        if isinstance(want, np.ndarray):
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)
        else:
            assert got == want


@parity
def test_parity_batch_norm_running_stats_momentum():
    stats = []
    for lib in (torch, real_torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        for step in range(3):
            x = lib.tensor(rand((6, 3, 4), f"run{step}"), dtype=lib.float32)
            lib.nn.functional.batch_norm(x, rm, rv, training=True, momentum=0.25)
        stats.append((to_numpy(rm), to_numpy(rv)))
    for got, want in zip(stats[0], stats[1]):
        np.testing.assert_allclose(got, want, rtol=1e-6)


# ---- bad inputs: PyTorch's exception class and message ----

X3 = "torch.randn(2, 3, 4)"
BAD = [
    (f"F.batch_norm({X3}, torch.zeros(4), torch.ones(3))", RuntimeError, "running_mean should contain 3 elements not 4"),
    (f"F.batch_norm({X3}, torch.zeros(3), torch.ones(5))", RuntimeError, "running_var should contain 3 elements not 5"),
    (f"F.batch_norm({X3}, torch.zeros(3), torch.ones(3), torch.ones(4))", RuntimeError,
     "weight should contain 3 elements not 4"),
    (f"F.batch_norm({X3}, torch.zeros(3), torch.ones(3), None, torch.ones(5))", RuntimeError,
     "bias should contain 3 elements not 5"),
    ("F.batch_norm(torch.randn(1, 3), torch.zeros(3), torch.ones(3), training=True)", ValueError,
     r"Expected more than 1 value per channel when training, got input size torch.Size\(\[1, 3\]\)"),
    (f"F.batch_norm({X3}.double(), torch.zeros(3), torch.ones(3))", RuntimeError,
     r"mixed dtype \(CPU\): all inputs must share same datatype."),
    (f"F.batch_norm({X3}.long(), torch.zeros(3), torch.ones(3))", NotImplementedError,
     "\"batch_norm\" not implemented for 'Long'"),
    (f"F.layer_norm({X3}, (3,))", RuntimeError,
     r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input of size\[2, 3, 4\]"),
    (f"F.layer_norm({X3}, (4,), torch.ones(3))", RuntimeError, r"Expected weight to be of same shape as "
     r"normalized_shape, but got weight of shape \[3\] and normalized_shape = \[4\]"),
    (f"F.layer_norm({X3}, (4,), None, torch.ones(3))", RuntimeError, "Expected bias to be of same shape"),
    (f"F.layer_norm({X3}, [])", RuntimeError, "Expected normalized_shape to be at least 1-dimensional"),
    (f"F.layer_norm({X3}, 4)", TypeError, "argument 'normalized_shape' .* must be tuple of ints, not int"),
    (f"F.layer_norm({X3}.long(), (4,))", NotImplementedError, "\"LayerNormKernelImpl\" not implemented for 'Long'"),
    (f"F.group_norm({X3}, 2)", RuntimeError, r"Expected number of channels in input to be divisible by num_groups, "
     r"but got input of shape \[2, 3, 4\] and num_groups=2"),
    (f"F.group_norm({X3}, 3, torch.ones(2))", RuntimeError, r"Expected weight to be a vector of size equal to the "
     r"number of channels in input, but got weight of shape \[2\] and input of shape \[2, 3, 4\]"),
    ("F.group_norm(torch.randn(3), 1)", RuntimeError, "Expected at least 2 dimensions for input tensor but received 1"),
    (f"F.group_norm({X3}.long(), 1)", NotImplementedError, "\"GroupNormKernelImpl\" not implemented for 'Long'"),
    ("F.instance_norm(torch.randn(2, 3))", ValueError, "Expected more than 1 spatial element when training"),
    (f"F.softmax({X3}, 3)", IndexError, r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"),
    (f"F.softmax({X3}.long(), 1)", NotImplementedError, "\"softmax_kernel_impl\" not implemented for 'Long'"),
    (f"F.log_softmax({X3}.int(), 0)", NotImplementedError, "\"log_softmax_kernel_impl\" not implemented for 'Int'"),
    (f"F.glu({X3}, 1)", RuntimeError, "Halving dimension must be even, but dimension 1 is size 3"),
    ("F.glu(torch.tensor(1.), 0)", RuntimeError, "glu does not support scalars because halving size must be even"),
    (f"F.prelu({X3}, torch.ones(2))", RuntimeError, "Mismatch of parameter numbers and input channel size. Found "
     "parameter numbers = 2 and channel size = 3."),
    (f"F.prelu({X3}, torch.ones(1, 3))", RuntimeError,
     "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"),
    (f"F.prelu({X3}.double(), torch.ones(3))", RuntimeError, "prelu: Type promoting not supported. Got Double and Float"),
    (f"F.leaky_relu({X3}.long())", NotImplementedError, "\"leaky_relu_cpu\" not implemented for 'Long'"),
    (f"F.elu({X3}.int())", NotImplementedError, "\"elu_cpu\" not implemented for 'Int'"),
    (f"F.selu({X3}.long())", NotImplementedError, "\"elu_cpu\" not implemented for 'Long'"),
    (f"F.gelu({X3}.long())", NotImplementedError, "\"GeluKernelImpl\" not implemented for 'Long'"),
    (f"F.gelu({X3}, approximate='foo')", RuntimeError, "approximate argument must be either none or tanh."),
    (f"F.silu({X3}.long())", NotImplementedError, "\"silu_cpu\" not implemented for 'Long'"),
    (f"F.softplus({X3}.short())", NotImplementedError, "\"softplus_cpu\" not implemented for 'Short'"),
    (f"F.logsigmoid({X3}.long())", NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'"),
    (f"F.hardtanh({X3}, 2., 1.)", ValueError, "min_val cannot be greater than max_val"),
    (f"F.dropout({X3}, 1.5)", ValueError, "dropout probability has to be between 0 and 1, but got 1.5"),
    (f"F.dropout({X3}, -0.1)", ValueError, "dropout probability has to be between 0 and 1, but got -0.1"),
    (f"F.dropout({X3}.long(), 0.5)", RuntimeError, "result type Float can't be cast to the desired output type Long"),
    ("F.dropout1d(torch.randn(2, 3, 4, 5), 0.5)", RuntimeError, "dropout1d: Expected 2D or 3D input, but received a 4D "
     "input"),
    ("F.relu(torch.randn(3, requires_grad=True), inplace=True)", RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("F.leaky_relu(torch.randn(3, requires_grad=True), inplace=True)", RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
]


@pytest.mark.parametrize("expr,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs(expr, exc, msg):
    with pytest.raises(exc, match=msg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eval(expr, {"torch": torch, "F": F})


def test_integer_inputs_that_pytorch_accepts():
    x = torch.tensor([[-3, 0, 8]])
    assert F.relu(x).tolist() == [[0, 0, 8]]
    assert F.relu6(x).tolist() == [[0, 0, 6]] and F.relu6(x).dtype == torch.int64
    assert F.hardtanh(x, -2, 2).tolist() == [[-2, 0, 2]]
    assert F.softsign(x).dtype == torch.float32


# ---- modules ----

MODULES = [
    "BatchNorm1d(3)", "BatchNorm1d(3, momentum=None)", "BatchNorm2d(4, affine=False, track_running_stats=False)",
    "BatchNorm2d(3, eps=1e-3, bias=False)", "InstanceNorm1d(3)",
    "InstanceNorm2d(3, affine=True, track_running_stats=True)", "LayerNorm([3, 4], elementwise_affine=False)",
    "LayerNorm(5, bias=False)", "LayerNorm(6)", "GroupNorm(2, 4)", "GroupNorm(3, 6, affine=False)",
    "ReLU()", "ReLU(inplace=True)", "ReLU6(True)", "LeakyReLU(0.2, True)", "LeakyReLU()", "ELU(2.0)",
    "SELU(True)", "CELU(0.5, True)", "GELU('tanh')", "GELU()", "SiLU(True)", "Mish()", "Hardswish(True)",
    "Hardsigmoid()", "Hardtanh(-2, 3, True)", "Hardtanh()", "Softplus(2, 10)", "Softsign()", "Tanhshrink()",
    "LogSigmoid()", "Sigmoid()", "Tanh()", "PReLU(3)", "PReLU(init=0.1)", "GLU()", "GLU(0)", "Softmax(1)",
    "Softmin()", "LogSoftmax(dim=-1)", "Dropout(0.3, True)", "Dropout()", "Dropout1d(0.1)", "Dropout2d()",
    "Dropout3d(0.2)", "AlphaDropout(0.2)", "FeatureAlphaDropout()",
]


def module_summary(lib, spec):
    m = eval(f"lib.nn.{spec}", {"lib": lib})
    return repr(m), [(k, tuple(v.shape), str(v.dtype).replace("torch.", ""), to_numpy(v).tolist())
                     for k, v in m.state_dict().items()]


@pytest.mark.parametrize("spec", MODULES)
def test_module_repr_and_state(spec):
    r, state = module_summary(torch, spec)
    name = spec.split("(")[0]
    assert r.startswith(name + "(")
    for key, shape, dtype, values in state:
        if key == "weight" and name.startswith("PReLU"):
            assert set(np.ravel(values)) == {np.float32(0.1) if "0.1" in spec else 0.25}
        elif key in ("weight", "running_var"):
            assert np.all(np.asarray(values) == 1)
        elif key == "num_batches_tracked":
            assert (shape, dtype, values) == ((), "int64", 0)
        else:
            assert np.all(np.asarray(values) == 0)


@parity
@pytest.mark.parametrize("spec", MODULES)
def test_parity_module_repr_and_state(spec):
    assert module_summary(torch, spec) == module_summary(real_torch, spec)


@parity
@pytest.mark.parametrize("spec,shape", [("BatchNorm1d(3)", (5, 3)), ("BatchNorm1d(3, momentum=None)", (4, 3, 2)),
                                        ("BatchNorm2d(3, track_running_stats=False)", (2, 3, 2, 2)),
                                        ("InstanceNorm1d(3, track_running_stats=True)", (2, 3, 5)),
                                        ("InstanceNorm2d(3)", (3, 4, 5)), ("GroupNorm(3, 6)", (2, 6, 3)),
                                        ("LayerNorm(4)", (2, 3, 4)), ("PReLU(3)", (2, 3, 4))])
def test_parity_module_train_eval(spec, shape):
    """Three training steps then one in eval mode: outputs, buffers and gradients match PyTorch's."""
    results = []
    for lib in (torch, real_torch):
        m = eval(f"lib.nn.{spec}", {"lib": lib})
        outs = []
        for step in range(4):
            if step == 3:
                m.eval()
            x = lib.tensor(rand(shape, f"mod{step}"), dtype=lib.float32)
            y = m(x)
            if y.requires_grad:
                (y * lib.tensor(rand(shape, "gmod"), dtype=lib.float32)).sum().backward()
            outs.append(to_numpy(y.detach()))
        outs += [to_numpy(v) for v in m.state_dict().values()]
        outs += [to_numpy(p.grad) for p in m.parameters()]
        results.append(outs)
    assert len(results[0]) == len(results[1])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_batch_norm_module_modes():
    bn = torch.nn.BatchNorm1d(2, momentum=None)
    xs = [rand((5, 2), f"cma{i}") for i in range(3)]
    for x in xs:
        bn(torch.tensor(x, dtype=torch.float32))
    assert int(bn.num_batches_tracked) == 3
    # momentum None: the plain average of the batch statistics seen
    assert_close(bn.running_mean, np.mean([x.mean(0) for x in xs], 0).astype(np.float32), rtol=1e-5, atol=1e-6)
    assert_close(bn.running_var, np.mean([x.var(0, ddof=1) for x in xs], 0).astype(np.float32), rtol=1e-5, atol=1e-6)
    bn.eval()
    x = rand((3, 2), "cma_eval")
    expected = (x - to_numpy(bn.running_mean)) / np.sqrt(to_numpy(bn.running_var) + 1e-5)
    assert_close(bn(torch.tensor(x, dtype=torch.float32)).detach(), expected.astype(np.float32), rtol=1e-5, atol=1e-5)
    assert int(bn.num_batches_tracked) == 3
    free = torch.nn.BatchNorm1d(2, track_running_stats=False).eval()   # no buffers: batch statistics in eval too
    assert_close(free(torch.tensor(x, dtype=torch.float32)).detach(),
                 np_batch_norm(x, np.ones(2), np.zeros(2)).astype(np.float32), rtol=1e-5, atol=1e-5)
    sd = torch.nn.BatchNorm1d(2).state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1   # an old checkpoint: loads strictly, with num_batches_tracked 0
    torch.nn.BatchNorm1d(2).load_state_dict(sd)


@pytest.mark.parametrize("expr,exc,msg", [
    ("torch.nn.BatchNorm2d(3)(torch.randn(2, 3))", ValueError, r"expected 4D input \(got 2D input\)"),
    ("torch.nn.BatchNorm1d(3)(torch.randn(2, 3, 4, 5))", ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    ("torch.nn.InstanceNorm2d(3, affine=True)(torch.randn(2, 4, 5, 5))", ValueError,
     r"expected input's size at dim=1 to match num_features \(3\), but got: 4."),
    ("torch.nn.GroupNorm(4, 6)", ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)"),
    ("torch.nn.Dropout(1.5)", ValueError, "dropout probability has to be between 0 and 1, but got 1.5"),
])
def test_module_bad_inputs(expr, exc, msg):
    with pytest.raises(exc, match=msg):
        eval(expr, {"torch": torch})
