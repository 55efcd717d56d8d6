"""The loss family of nn: cross_entropy / nll_loss (class indices with weight,
ignore_index and label smoothing; probabilities; N-d inputs), the pointwise
losses, embedding, one_hot, pad, interpolate, normalize and the distances,
against NumPy (values), float64 finite differences (gradients) and real
PyTorch side by side (parity); the modules' repr, buffers and state_dict
keys; bad inputs with PyTorch's exception classes and messages."""
import math
import warnings

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, real_torch, seed, to_numpy, torch

F = torch.nn.functional
nn = torch.nn
F64 = torch.float64
ctorch_only = pytest.mark.skipif(REFERENCE, reason="ctorch's own behaviour (PyTorch differs)")
both = pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")


def rng_for(*parts):
    return np.random.default_rng(seed("nn_loss", *parts))


def t64(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=F64, requires_grad=requires_grad)


def noncontig(a, dtype=np.float64):
    """a tensor holding `a` in a transposed layout (not contiguous for 2-D and up)."""
    a = np.asarray(a, dtype=dtype)
    if a.ndim < 2:
        return torch.tensor(np.stack([a, a]))[1]
    return torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)


LAYOUTS = {"c": lambda a: torch.tensor(np.asarray(a)), "t": noncontig}


# ---------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------

def np_log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def np_reduce(loss, reduction, divisor=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.asarray(loss.sum())
    return np.asarray(loss.sum() / (loss.size if divisor is None else divisor))


def np_nll(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """nll over (N, C, d...) or (C,) log-probabilities; the weighted mean divides by the weights of the targets."""
    one = logp.ndim == 1
    if one:
        logp, target = logp[None], np.asarray(target).reshape(1)
    w = np.ones(logp.shape[1]) if weight is None else np.asarray(weight, np.float64)
    keep = target != ignore_index
    tc = np.where(keep, target, 0)
    picked = np.take_along_axis(logp, tc[:, None], axis=1)[:, 0]
    wt = w[tc] * keep
    loss = -picked * wt
    if reduction == "none":
        return loss[0] if one else loss
    return np_reduce(loss, reduction, wt.sum())


def np_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    axis = 0 if x.ndim == 1 else 1
    C = x.shape[axis]
    logp = np_log_softmax(x, axis)
    w = np.ones(C) if weight is None else np.asarray(weight, np.float64)
    wshape = [1] * x.ndim
    wshape[axis] = C
    if np.shape(target) == x.shape:   # probabilities
        y = target * (1 - label_smoothing) + label_smoothing / C
        loss = -(logp * y * w.reshape(wshape)).sum(axis)
        return np_reduce(loss, reduction, x.size / C)
    nll = np_nll(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    keep = np.asarray(target) != ignore_index
    smooth = -(logp * w.reshape(wshape)).sum(axis) * keep
    tc = np.where(keep, target, 0)
    smooth = np_reduce(smooth, reduction, (w[tc] * keep).sum())
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / C)


def np_log_sigmoid(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


NP_POINTWISE = {  # name -> (call, NumPy elementwise loss of x, y)
    "mse": (lambda x, y, r: F.mse_loss(x, y, reduction=r), lambda x, y: (x - y) ** 2),
    "l1": (lambda x, y, r: F.l1_loss(x, y, reduction=r), lambda x, y: np.abs(x - y)),
    "smooth_l1": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.6),
                  lambda x, y: np.where(np.abs(x - y) < 0.6, 0.5 * (x - y) ** 2 / 0.6, np.abs(x - y) - 0.3)),
    "huber": (lambda x, y, r: F.huber_loss(x, y, reduction=r, delta=0.6),
              lambda x, y: np.where(np.abs(x - y) < 0.6, 0.5 * (x - y) ** 2, 0.6 * (np.abs(x - y) - 0.3))),
    "bce": (lambda x, y, r: F.binary_cross_entropy(torch.sigmoid(x), torch.sigmoid(y), reduction=r),
            lambda x, y: -(1 / (1 + np.exp(-y)) * np.log(1 / (1 + np.exp(-x)))
                           + (1 - 1 / (1 + np.exp(-y))) * np.log(1 - 1 / (1 + np.exp(-x))))),
    "bce_logits": (lambda x, y, r: F.binary_cross_entropy_with_logits(x, torch.sigmoid(y), reduction=r),
                   lambda x, y: (1 - 1 / (1 + np.exp(-y))) * x - np_log_sigmoid(x)),
    "kl_div": (lambda x, y, r: F.kl_div(x, y.abs(), reduction=r),
               lambda x, y: np.where(y == 0, 0, np.abs(y) * np.log(np.abs(y))) - np.abs(y) * x),
    "kl_div_log": (lambda x, y, r: F.kl_div(x, y, reduction=r, log_target=True), lambda x, y: np.exp(y) * (y - x)),
    "soft_margin": (lambda x, y, r: F.soft_margin_loss(x, y, reduction=r), lambda x, y: np.log1p(np.exp(-y * x))),
}


# ---------------------------------------------------------------------------
# cross_entropy and nll_loss against NumPy
# ---------------------------------------------------------------------------

CE_CASES = [  # input shape, target maker (rng, shape, C), options
    ((6, 5), "class", {}),
    ((6, 5), "class", {"weight": True}),
    ((6, 5), "class", {"ignore": True, "weight": True}),
    ((6, 5), "class", {"label_smoothing": 0.15}),
    ((6, 5), "class", {"label_smoothing": 0.3, "weight": True, "ignore": True}),
    ((5,), "class", {}),
    ((2, 4, 3), "class", {"weight": True}),
    ((2, 3, 4, 5), "class", {"ignore": True, "label_smoothing": 0.1}),
    ((2, 3, 2, 2, 3), "class", {}),
    ((6, 5), "prob", {}),
    ((6, 5), "prob", {"weight": True, "label_smoothing": 0.2}),
    ((2, 3, 4), "prob", {}),
]


def ce_inputs(shape, kind, opts, k):
    rng = rng_for("ce", k)
    x = rng.standard_normal(shape) * 2
    C = shape[0] if len(shape) == 1 else shape[1]
    if kind == "prob":
        target = rng.uniform(0, 1, shape)
    else:
        tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
        target = rng.integers(0, C, tshape)
        if opts.get("ignore") and target.size > 1:
            target.flat[1] = -100 if "ignore_index" not in opts else opts["ignore_index"]
    weight = rng.uniform(0.2, 2.0, C) if opts.get("weight") else None
    return x, target, weight


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("layout", ["c", "t"])
@pytest.mark.parametrize("k", range(len(CE_CASES)))
def test_cross_entropy_matches_numpy(k, layout, reduction):
    shape, kind, opts = CE_CASES[k]
    x, target, weight = ce_inputs(shape, kind, opts, k)
    ls = opts.get("label_smoothing", 0.0)
    got = F.cross_entropy(LAYOUTS[layout](x), torch.tensor(target), weight=None if weight is None else t64(weight),
                          reduction=reduction, label_smoothing=ls)
    assert_close(got, np_cross_entropy(x, target, weight, -100, reduction, ls), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 3, 4), (2, 3, 4, 2), (1, 3, 2, 2, 2)])
def test_nll_loss_matches_numpy(shape, reduction):
    rng = rng_for("nll", shape)
    x = rng.standard_normal(shape)
    C = shape[0] if len(shape) == 1 else shape[1]
    target = rng.integers(0, C, () if len(shape) == 1 else (shape[0],) + shape[2:])
    if target.size > 2:
        target.flat[2] = 7   # an ignored target outside the classes
    w = rng.uniform(0.5, 2, C)
    got = F.nll_loss(noncontig(x), torch.tensor(target), weight=t64(w), ignore_index=7, reduction=reduction)
    assert_close(got, np_nll(x, target, w, 7, reduction), rtol=1e-12, atol=1e-12)


def test_nll_loss_uint8_targets_and_all_ignored():
    x = np.log(np.full((3, 4), 0.25))
    got = F.nll_loss(torch.tensor(x), torch.tensor([1, 3, 0], dtype=torch.uint8))
    assert_close(got, np.asarray(np.log(4.0)))
    assert math.isnan(F.nll_loss(torch.tensor(x), torch.tensor([-100, -100, -100])).item())   # 0 / 0, as PyTorch
    assert F.nll_loss(torch.tensor(x), torch.tensor([-100, -100, -100]), reduction="sum").item() == 0


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_class_losses_empty_batch(reduction):
    x, t = torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64)
    for loss in (F.cross_entropy(x, t, reduction=reduction), F.nll_loss(x, t, reduction=reduction)):
        if reduction == "none":
            assert tuple(loss.shape) == (0,)
        elif reduction == "sum":
            assert loss.item() == 0
        else:
            assert math.isnan(loss.item())
    probs = F.cross_entropy(torch.zeros(0, 4), torch.zeros(0, 4), reduction=reduction)
    assert tuple(probs.shape) == ((0,) if reduction == "none" else ())


def test_cross_entropy_gradient_matches_numpy():
    """d/dx of mean CE with weights and smoothing: (a + b W) softmax - a onehot - b w, over the total weight."""
    rng = rng_for("ce-grad")
    x, t, w = rng.standard_normal((4, 6)), np.array([2, 5, -100, 0]), rng.uniform(0.5, 2, 6)
    eps, C = 0.2, 6
    xt = t64(x, True)
    F.cross_entropy(xt, torch.tensor(t), weight=t64(w), label_smoothing=eps).backward()
    p = np.exp(np_log_softmax(x, 1))
    keep = t != -100
    tc = np.where(keep, t, 0)
    a = (1 - eps) * w[tc] * keep
    b = eps / C * keep
    g = (a + b * w.sum())[:, None] * p - b[:, None] * w[None]
    g[np.arange(4), tc] -= a
    assert_close(xt.grad, g / (w[tc] * keep).sum(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------

TOL = {"float16": 2e-2, "bfloat16": 5e-2, "float32": 1e-5, "float64": 1e-12}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_float_dtypes(dtype):
    rng = rng_for("dtypes", dtype)
    x, y = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    t = rng.integers(0, 7, 5)
    dt = getattr(torch, dtype)
    xs, ys = torch.tensor(x).to(dt), torch.tensor(y).to(dt)
    xr, yr = to_numpy(xs).astype(np.float64), to_numpy(ys).astype(np.float64)   # the values as rounded
    tol = TOL[dtype]
    for got, want in [(F.cross_entropy(xs, torch.tensor(t)), np_cross_entropy(xr, t)),
                      (F.mse_loss(xs, ys), np.asarray(((xr - yr) ** 2).mean())),
                      (F.smooth_l1_loss(xs, ys, reduction="none"),
                       np.where(np.abs(xr - yr) < 1, 0.5 * (xr - yr) ** 2, np.abs(xr - yr) - 0.5)),
                      (F.binary_cross_entropy_with_logits(xs, torch.sigmoid(ys)),
                       np.asarray(NP_POINTWISE["bce_logits"][1](xr, yr).mean()))]:
        assert str(got.dtype) == f"torch.{dtype}"
        assert_close(got, want.astype(np.float32) if dtype == "bfloat16" else want.astype(np.dtype(dtype)),
                     rtol=tol, atol=tol)
    xg = xs.clone().requires_grad_()
    F.cross_entropy(xg, torch.tensor(t)).backward()
    assert str(xg.grad.dtype) == f"torch.{dtype}"


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool"])
def test_integer_inputs_are_rejected(dtype):
    x = torch.ones(2, 3).to(getattr(torch, dtype))
    with pytest.raises(NotImplementedError, match="not implemented for"):
        F.mse_loss(x, x)
    with pytest.raises(NotImplementedError, match="not implemented for"):
        F.cross_entropy(x, torch.tensor([0, 1]))


def test_mixed_dtypes_promote():
    assert str(F.mse_loss(torch.ones(3), torch.ones(3, dtype=F64)).dtype) == "torch.float64"
    assert str(F.mse_loss(torch.ones(3, dtype=torch.int64), torch.ones(3)).dtype) == "torch.float32"
    assert str(F.cross_entropy(torch.ones(2, 3), torch.rand(2, 3, dtype=F64)).dtype) == "torch.float64"


# ---------------------------------------------------------------------------
# pointwise losses against NumPy
# ---------------------------------------------------------------------------

KL_MEAN = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")


@KL_MEAN
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("layout", ["c", "t"])
@pytest.mark.parametrize("name", sorted(NP_POINTWISE))
def test_pointwise_losses_match_numpy(name, layout, reduction):
    rng = rng_for("pw", name)
    x, y = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    call, ref = NP_POINTWISE[name]
    got = call(LAYOUTS[layout](x), LAYOUTS[layout](y), reduction)
    assert_close(got, np_reduce(ref(x, y), reduction), rtol=1e-9, atol=1e-12)


@KL_MEAN
@pytest.mark.parametrize("name", sorted(NP_POINTWISE))
def test_pointwise_losses_empty(name):
    e = torch.zeros(0, 3, dtype=F64)
    assert tuple(NP_POINTWISE[name][0](e, e, "none").shape) == (0, 3)
    assert NP_POINTWISE[name][0](e, e, "sum").item() == 0
    assert math.isnan(NP_POINTWISE[name][0](e, e, "mean").item())


def test_weighted_bce_and_pos_weight_match_numpy():
    rng = rng_for("bce-w")
    p, y, w, pw = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0, 2, 4), rng.uniform(0, 3, 4)
    got = F.binary_cross_entropy(t64(p), t64(y), weight=t64(w), reduction="none")
    assert_close(got, -w * (y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    x = rng.standard_normal((3, 4)) * 3
    got = F.binary_cross_entropy_with_logits(t64(x), t64(y), weight=t64(w), pos_weight=t64(pw), reduction="sum")
    assert_close(got, np.asarray((w * ((1 - y) * x - (1 + (pw - 1) * y) * np_log_sigmoid(x))).sum()), rtol=1e-12)


def test_bce_log_is_clamped_at_minus_100():
    got = F.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.0]), torch.tensor([1.0, 0.0, 0.0]), reduction="none")
    assert_close(got, np.array([100.0, 100.0, 0.0], np.float32))


def test_bce_with_logits_is_stable_for_large_logits():
    got = F.binary_cross_entropy_with_logits(t64([800.0, -800.0]), t64([0.0, 1.0]), reduction="none")
    assert_close(got, np.array([800.0, 800.0]))


def test_kl_div_batchmean_and_legacy_reductions():
    rng = rng_for("kl")
    x, y = np.log(rng.uniform(0.1, 1, (4, 3))), rng.uniform(0.1, 1, (4, 3))
    elem = y * np.log(y) - y * x
    assert_close(F.kl_div(t64(x), t64(y), reduction="batchmean"), np.asarray(elem.sum() / 4), rtol=1e-12)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        assert_close(F.kl_div(t64(x), t64(y)), np.asarray(elem.mean()), rtol=1e-12)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        assert_close(F.kl_div(t64(x), t64(y), size_average=False), np.asarray(elem.sum()), rtol=1e-12)


@pytest.mark.parametrize("size_average,reduce,expected", [
    (None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none"), (None, True, "mean"),
])
def test_legacy_size_average_reduce(size_average, reduce, expected):
    x, y = t64([[1.0, 2.0], [3.0, -1.0]]), t64([[0.0, 2.5], [1.0, 1.0]])
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        got = F.mse_loss(x, y, size_average=size_average, reduce=reduce)
    assert_close(got, np_reduce(np.array([[1.0, 0.25], [4.0, 4.0]]), expected))
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        module = nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
    assert module.reduction == expected


def test_broadcast_target_warns_and_broadcasts():
    x, y = t64([[1.0, 2.0], [3.0, 4.0]]), t64([1.0, 1.0])
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[2\]\)\) that is different to the input"):
        got = F.mse_loss(x, y, reduction="none")
    assert_close(got, np.array([[0.0, 1.0], [4.0, 9.0]]))


def test_weighted_mse_l1_huber():
    x, y, w = t64([[1.0, 2.0], [3.0, 4.0]]), t64([[0.0, 0.0], [1.0, 1.0]]), t64([[1.0, 0.5], [2.0, 0.0]])
    d = np.array([[1.0, 2.0], [2.0, 3.0]])
    wn = np.array([[1.0, 0.5], [2.0, 0.0]])
    assert_close(F.mse_loss(x, y, weight=w), np.asarray((d ** 2 * wn).sum() / wn.sum()))
    assert_close(F.l1_loss(x, y, weight=w, reduction="sum"), np.asarray((d * wn).sum()))
    hub = np.where(d < 1.0, 0.5 * d ** 2, d - 0.5)
    assert_close(F.huber_loss(x, y, weight=w), np.asarray((hub * wn).mean()))


# ---------------------------------------------------------------------------
# margin losses, distances, normalize
# ---------------------------------------------------------------------------

def test_distances_and_normalize_match_numpy():
    rng = rng_for("dist")
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    assert_close(F.normalize(noncontig(a)), a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12))
    assert_close(F.normalize(t64(a), p=1, dim=0), a / np.abs(a).sum(0, keepdims=True))
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert_close(F.cosine_similarity(noncontig(a), t64(b)), cos)
    assert_close(F.cosine_similarity(t64(a), t64(b[:1]), dim=-1), (a * b[:1]).sum(1) / (
        np.linalg.norm(a, axis=1) * np.linalg.norm(b[0])))
    assert_close(F.pairwise_distance(t64(a), noncontig(b)), np.linalg.norm(a - b + 1e-6, axis=1))
    assert_close(F.pairwise_distance(t64(a), t64(b), p=1, keepdim=True), np.abs(a - b + 1e-6).sum(1, keepdims=True))
    assert_close(F.pairwise_distance(t64(a), t64(b), p=float("inf")), np.abs(a - b + 1e-6).max(1))
    assert_close(F.cosine_similarity(t64(np.zeros((1, 3))), t64(a[:1, :3])), np.zeros(1))   # norms clamped at eps


def test_margin_losses_match_numpy():
    rng = rng_for("margin")
    x1, x2, t = rng.standard_normal(6), rng.standard_normal(6), rng.choice([-1.0, 1.0], 6)
    assert_close(F.margin_ranking_loss(t64(x1), t64(x2), t64(t), margin=0.3),
                 np.asarray(np.maximum(0, -t * (x1 - x2) + 0.3).mean()))
    a, b = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    want = np.where(t == 1, 1 - cos, np.maximum(cos - 0.2, 0))
    assert_close(F.cosine_embedding_loss(t64(a), t64(b), t64(t), margin=0.2, reduction="none"), want)
    c = rng.standard_normal((6, 4))
    dp, dn = np.linalg.norm(a - b + 1e-6, axis=1), np.linalg.norm(a - c + 1e-6, axis=1)
    assert_close(F.triplet_margin_loss(t64(a), t64(b), t64(c), margin=1.5), np.asarray(np.maximum(1.5 + dp - dn, 0).mean()))


# ---------------------------------------------------------------------------
# embedding, one_hot
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("idx_dtype", ["int64", "int32"])
def test_embedding_matches_numpy_and_accumulates_rows(idx_dtype):
    rng = rng_for("emb")
    w = rng.standard_normal((6, 4))
    idx = np.array([[1, 4, 1], [0, 2, 4]])
    wt = noncontig(w).requires_grad_()
    out = F.embedding(torch.tensor(idx).to(getattr(torch, idx_dtype)), wt, padding_idx=4)
    assert_close(out.detach(), w[idx])
    g = rng.standard_normal((2, 3, 4))
    out.backward(t64(g))
    want = np.zeros_like(w)
    np.add.at(want, idx.reshape(-1), g.reshape(-1, 4))
    want[4] = 0   # the padding row gets no gradient
    assert_close(wt.grad, want)


def test_embedding_scale_grad_by_freq_and_max_norm():
    w = t64(np.arange(12.0).reshape(4, 3), True)
    F.embedding(torch.tensor([1, 1, 3]), w, scale_grad_by_freq=True).sum().backward()
    assert_close(w.grad, np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1.0]]))
    v = t64(np.arange(12.0).reshape(4, 3))
    out = F.embedding(torch.tensor([0, 2]), v, max_norm=5.0)
    rows = np.arange(12.0).reshape(4, 3)
    norm2 = np.linalg.norm(rows[2])
    renormed = rows.copy()
    renormed[2] *= 5.0 / (norm2 + 1e-7)   # rows over max_norm scaled in place; others untouched
    assert_close(v, renormed)
    assert_close(out, renormed[[0, 2]])


def test_embedding_empty_and_zero_dim_indices():
    w = torch.ones(3, 2)
    assert tuple(F.embedding(torch.tensor([], dtype=torch.int64), w).shape) == (0, 2)
    assert tuple(F.embedding(torch.tensor(1), w).shape) == (2,)


def test_one_hot_matches_numpy():
    idx = np.array([[0, 3], [2, 2]])
    assert_close(F.one_hot(torch.tensor(idx)), np.eye(4, dtype=np.int64)[idx])
    assert_close(F.one_hot(torch.tensor(idx), 6), np.eye(6, dtype=np.int64)[idx])
    assert_close(F.one_hot(torch.tensor([], dtype=torch.int64), 3), np.zeros((0, 3), np.int64))
    assert_close(F.one_hot(noncontig(np.array([[1, 0], [0, 1]]), np.int64)), np.eye(2, dtype=np.int64)[[[1, 0], [0, 1]]])


# ---------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------

NP_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
PAD_CASES = [((2, 5), (1, 2)), ((2, 3, 5), (2, 1)), ((2, 4, 5), (1, 2, 3, 1)), ((1, 2, 4, 5), (2, 0, 0, 3)),
             ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)), ((2, 3, 4), (0, 0, 1, 1))]


def np_pad(a, pad, mode, value=0.0):
    """F.pad's pairs (last dim first) as np.pad's, negative pads as crops."""
    k = len(pad) // 2
    width = [(0, 0)] * (a.ndim - k) + [(max(pad[2 * i], 0), max(pad[2 * i + 1], 0)) for i in reversed(range(k))]
    crop = [slice(None)] * (a.ndim - k) + [slice(-min(pad[2 * i], 0), a.shape[a.ndim - 1 - i] + min(pad[2 * i + 1], 0))
                                           for i in reversed(range(k))]
    a = a[tuple(crop)]
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(a, width, mode=NP_PAD_MODES[mode], **kw)


@pytest.mark.parametrize("layout", ["c", "t"])
@pytest.mark.parametrize("mode", sorted(NP_PAD_MODES))
@pytest.mark.parametrize("k", range(len(PAD_CASES)))
def test_pad_matches_numpy(k, mode, layout):
    shape, pad = PAD_CASES[k]
    if mode != "constant" and not (len(shape) - 2 <= len(pad) // 2 <= len(shape) - 1):
        pytest.skip("non-constant modes pad 1 to 3 of the last dims of a batched or unbatched input")
    a = rng_for("pad", k).standard_normal(shape)
    got = F.pad(LAYOUTS[layout](a), pad, mode=mode, value=2.5 if mode == "constant" else None)
    assert_close(got, np_pad(a, pad, mode, 2.5))


def test_pad_negative_and_mixed_pads():
    a = np.arange(24.0).reshape(2, 3, 4)
    assert_close(F.pad(t64(a), (-1, 2, 1, -2)), np_pad(a, (-1, 2, 1, -2), "constant"))
    assert_close(F.pad(t64(a), (-1, 2), mode="replicate"), np.pad(a[..., 1:], ((0, 0), (0, 0), (0, 2)), mode="edge"))
    assert_close(F.pad(t64(a), (-1, 2), mode="circular"), np.pad(a[..., 1:], ((0, 0), (0, 0), (0, 2)), mode="wrap"))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32"])
def test_pad_dtypes(dtype):
    a = np.arange(6).reshape(2, 3) % 2
    x = torch.tensor(a).to(getattr(torch, dtype))
    got = F.pad(x, (1, 1), value=1)
    assert str(got.dtype) == f"torch.{dtype}"
    assert_close(got.to(F64), np.pad(a, ((0, 0), (1, 1)), constant_values=1).astype(np.float64))
    if dtype != "bool":
        assert_close(F.pad(x.unsqueeze(0), (2, 1), mode="reflect").to(F64),
                     np.pad(a[None], ((0, 0), (0, 0), (2, 1)), mode="reflect").astype(np.float64))


def test_pad_int_value_truncates_and_empty_inputs():
    assert_close(F.pad(torch.ones(1, 2, dtype=torch.int64), (1, 0), value=-2.7), np.array([[-2, 1, 1]], np.int64))
    assert tuple(F.pad(torch.ones(0, 2, 3), (1, 1), mode="reflect").shape) == (0, 2, 5)
    assert tuple(F.pad(torch.ones(2, 0), (1, 1)).shape) == (2, 2)
    assert tuple(F.pad(torch.ones(2, 3), ()).shape) == (2, 3)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_gradient_matches_numpy(mode):
    """the gradient of pad: each output's gradient added at its source (NumPy's pad of the indices)"""
    a = rng_for("pad-grad", mode).standard_normal((1, 2, 3, 4))
    x = t64(a, True)
    out = F.pad(x, (2, 1, 2, 1), mode=mode)
    g = rng_for("pad-g", mode).standard_normal(tuple(out.shape))
    out.backward(t64(g))
    src = np_pad(np.arange(a.size).reshape(a.shape).astype(np.float64), (2, 1, 2, 1), mode).astype(np.int64)
    want = np.zeros(a.size)
    np.add.at(want, src.reshape(-1), g.reshape(-1))
    assert_close(x.grad, want.reshape(a.shape))


# ---------------------------------------------------------------------------
# interpolate: NumPy's resampling matrices with PyTorch's source-index formulas
# ---------------------------------------------------------------------------

def np_interp_matrix(n_in, n_out, mode, align_corners, scale=None):
    """W (n_out, n_in) with out = W @ in along one dim."""
    W = np.zeros((n_out, n_in))
    ratio = ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0) if align_corners else (
        1.0 / scale if scale else n_in / n_out)
    for o in range(n_out):
        if mode == "nearest":
            s = int(np.floor(np.float32(o) * np.float32(1.0 / scale if scale else n_in / n_out)))
            W[o, min(s, n_in - 1)] = 1
            continue
        real = ratio * o if align_corners else ratio * (o + 0.5) - 0.5
        if mode == "linear":
            real = max(real, 0.0)
            i0 = min(int(np.floor(real)), n_in - 1)
            lam = min(max(real - i0, 0.0), 1.0)
            W[o, i0] += 1 - lam
            W[o, min(i0 + 1, n_in - 1)] += lam
            continue
        i0 = int(np.floor(real))
        t, A = real - i0, -0.75
        c1 = lambda x: ((A + 2) * x - (A + 3)) * x * x + 1   # noqa: E731
        c2 = lambda x: ((A * x - 5 * A) * x + 8 * A) * x - 4 * A   # noqa: E731
        for j, wj in enumerate([c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]):
            W[o, min(max(i0 - 1 + j, 0), n_in - 1)] += wj
    return W


INTERP_CASES = [  # input shape, size or scale, mode, align_corners
    ((2, 3, 5, 6), {"size": (10, 12)}, "nearest", None),
    ((2, 3, 5, 6), {"scale_factor": 3}, "nearest", None),
    ((1, 2, 7, 5), {"size": (3, 4)}, "nearest", None),
    ((2, 3, 5, 6), {"size": (9, 4)}, "bilinear", False),
    ((2, 3, 5, 6), {"size": (9, 4)}, "bilinear", True),
    ((2, 3, 5, 6), {"scale_factor": (1.5, 2.25)}, "bilinear", False),
    ((1, 2, 4, 5), {"size": (7, 3)}, "bicubic", False),
    ((1, 2, 4, 5), {"scale_factor": 2}, "bicubic", True),
    ((2, 3, 7), {"size": 12}, "linear", False),
    ((2, 3, 7), {"scale_factor": 0.5}, "linear", True),
    ((1, 2, 3, 4, 5), {"size": (5, 3, 7)}, "trilinear", False),
    ((1, 2, 3, 4, 5), {"scale_factor": 2}, "nearest", None),
]


def np_interpolate(a, out_size, mode, align, scales):
    kind = "nearest" if mode == "nearest" else "cubic" if mode == "bicubic" else "linear"
    out = a
    for j in range(a.ndim - 2):
        W = np_interp_matrix(a.shape[2 + j], out_size[j], kind, bool(align), scales[j] if scales else None)
        out = np.moveaxis(np.tensordot(out, W, axes=([2 + j], [1])), -1, 2 + j)
    return out


@pytest.mark.parametrize("layout", ["c", "t"])
@pytest.mark.parametrize("k", range(len(INTERP_CASES)))
def test_interpolate_matches_numpy(k, layout):
    shape, size_kw, mode, align = INTERP_CASES[k]
    a = rng_for("interp", k).standard_normal(shape)
    d = len(shape) - 2
    sf = size_kw.get("scale_factor")
    scales = None if sf is None else (list(sf) if isinstance(sf, tuple) else [sf] * d)
    out_size = size_kw.get("size")
    out_size = [int(shape[2 + j] * scales[j]) for j in range(d)] if out_size is None else (
        list(out_size) if isinstance(out_size, tuple) else [out_size] * d)
    x = LAYOUTS[layout](a).requires_grad_()
    got = F.interpolate(x, mode=mode, align_corners=align, **size_kw)
    assert_close(got.detach(), np_interpolate(a, out_size, mode, align, scales), rtol=1e-10, atol=1e-12)
    # the gradient: the transposed resampling of the output's gradient
    g = rng_for("interp-g", k).standard_normal(tuple(got.shape))
    got.backward(t64(g))
    want = g
    for j in range(d):
        W = np_interp_matrix(shape[2 + j], out_size[j], "nearest" if mode == "nearest" else "cubic" if mode == "bicubic"
                             else "linear", bool(align), scales[j] if scales else None)
        want = np.moveaxis(np.tensordot(want, W, axes=([2 + j], [0])), -1, 2 + j)
    assert_close(x.grad, want, rtol=1e-10, atol=1e-12)


def test_interpolate_nearest_integer_factor_is_repeat_and_uint8():
    a = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)
    got = F.interpolate(torch.tensor(a), scale_factor=2)
    assert_close(got, a.repeat(2, axis=2).repeat(2, axis=3))
    assert tuple(F.interpolate(torch.zeros(0, 2, 3, 4), size=(5, 5), mode="bilinear").shape) == (0, 2, 5, 5)


def test_interpolate_recompute_scale_factor():
    a = rng_for("recompute").standard_normal((1, 1, 4, 5))
    got = F.interpolate(t64(a), scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)
    assert tuple(got.shape) == (1, 1, 6, 8)
    assert_close(got, np_interpolate(a, [6, 8], "bilinear", False, None), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# grad_fn names, modules
# ---------------------------------------------------------------------------

def _x(*shape):
    return torch.randn(*shape, requires_grad=True)


GRAD_FN_NAMES = [
    (lambda: F.cross_entropy(_x(3, 5), torch.tensor([1, 0, 4])), "NllLossBackward0"),
    (lambda: F.cross_entropy(_x(3, 5), torch.tensor([1, 0, 4]), label_smoothing=0.1), "AddBackward0"),
    (lambda: F.cross_entropy(_x(3, 5), torch.rand(3, 5)), "DivBackward1"),
    (lambda: F.cross_entropy(_x(3, 5), torch.rand(3, 5), reduction="sum"), "NegBackward0"),
    (lambda: F.nll_loss(_x(2, 3, 4, 5), torch.zeros(2, 4, 5, dtype=torch.int64)), "NllLoss2DBackward0"),
    (lambda: F.nll_loss(_x(2, 3, 4), torch.zeros(2, 4, dtype=torch.int64), reduction="none"), "ViewBackward0"),
    (lambda: F.mse_loss(_x(3), torch.rand(3)), "MseLossBackward0"),
    (lambda: F.l1_loss(_x(3), torch.rand(3)), "MeanBackward0"),
    (lambda: F.l1_loss(_x(3), torch.rand(3), reduction="none"), "AbsBackward0"),
    (lambda: F.smooth_l1_loss(_x(3), torch.rand(3)), "SmoothL1LossBackward0"),
    (lambda: F.huber_loss(_x(3), torch.rand(3)), "HuberLossBackward0"),
    (lambda: F.binary_cross_entropy(torch.sigmoid(_x(3)), torch.rand(3)), "BinaryCrossEntropyBackward0"),
    (lambda: F.binary_cross_entropy_with_logits(_x(3), torch.rand(3)), "BinaryCrossEntropyWithLogitsBackward0"),
    (lambda: F.kl_div(_x(3), torch.rand(3), reduction="batchmean"), "DivBackward0"),
    (lambda: F.kl_div(_x(3), torch.rand(3), reduction="sum"), "SumBackward0"),
    (lambda: F.kl_div(_x(3), torch.rand(3), reduction="none", log_target=True), "MulBackward0"),
    (lambda: F.soft_margin_loss(_x(3), torch.rand(3)), "SoftMarginLossBackward0"),
    (lambda: F.embedding(torch.tensor([1]), _x(3, 2)), "EmbeddingBackward0"),
    (lambda: F.pad(_x(1, 2, 3), (1, 1)), "ConstantPadNdBackward0"),
    (lambda: F.pad(_x(1, 2, 3), (1, 1), mode="reflect"), "ReflectionPad1DBackward0"),
    (lambda: F.pad(_x(1, 2, 3, 3), (1, 1, 1, 1), mode="replicate"), "ReplicationPad2DBackward0"),
    (lambda: F.interpolate(_x(1, 1, 2, 2), scale_factor=2), "UpsampleNearest2DBackward0"),
    (lambda: F.interpolate(_x(1, 1, 2, 2), scale_factor=2, mode="bilinear"), "UpsampleBilinear2DBackward0"),
    (lambda: F.interpolate(_x(1, 1, 2), scale_factor=2, mode="linear"), "UpsampleLinear1DBackward0"),
    (lambda: F.interpolate(_x(1, 1, 2, 2), scale_factor=2, mode="nearest-exact"), "UpsampleNearestExact2DBackward0"),
    (lambda: F.normalize(_x(2, 3)), "DivBackward0"),
    (lambda: F.cosine_similarity(_x(2, 3), _x(2, 3)), "SumBackward1"),
    (lambda: F.pairwise_distance(_x(2, 3), _x(2, 3)), "NormBackward1"),
]


@pytest.mark.parametrize("k", range(len(GRAD_FN_NAMES)))
def test_grad_fn_names(k):
    fn, name = GRAD_FN_NAMES[k]
    assert type(fn().grad_fn).__name__ == name


MODULES = [  # constructor, PyTorch's repr, state_dict keys
    (lambda nn, t: nn.CrossEntropyLoss(), "CrossEntropyLoss()", []),
    (lambda nn, t: nn.CrossEntropyLoss(weight=t.ones(3), label_smoothing=0.1), "CrossEntropyLoss()", ["weight"]),
    (lambda nn, t: nn.NLLLoss(weight=t.ones(3)), "NLLLoss()", ["weight"]),
    (lambda nn, t: nn.L1Loss(reduction="sum"), "L1Loss()", []),
    (lambda nn, t: nn.MSELoss(), "MSELoss()", []),
    (lambda nn, t: nn.SmoothL1Loss(beta=0.5), "SmoothL1Loss()", []),
    (lambda nn, t: nn.HuberLoss(delta=2.0), "HuberLoss()", []),
    (lambda nn, t: nn.BCELoss(weight=t.ones(3)), "BCELoss()", ["weight"]),
    (lambda nn, t: nn.BCEWithLogitsLoss(pos_weight=t.ones(3)), "BCEWithLogitsLoss()", ["pos_weight"]),
    (lambda nn, t: nn.KLDivLoss(reduction="batchmean", log_target=True), "KLDivLoss()", []),
    (lambda nn, t: nn.SoftMarginLoss(), "SoftMarginLoss()", []),
    (lambda nn, t: nn.TripletMarginLoss(margin=0.5), "TripletMarginLoss()", []),
    (lambda nn, t: nn.Embedding(10, 3), "Embedding(10, 3)", ["weight"]),
    (lambda nn, t: nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True),
     "Embedding(10, 3, padding_idx=9, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)", ["weight"]),
    (lambda nn, t: nn.ZeroPad2d(2), "ZeroPad2d((2, 2, 2, 2))", []),
    (lambda nn, t: nn.ConstantPad1d((1, 2), 3.5), "ConstantPad1d(padding=(1, 2), value=3.5)", []),
    (lambda nn, t: nn.ConstantPad2d(1, 0), "ConstantPad2d(padding=(1, 1, 1, 1), value=0)", []),
    (lambda nn, t: nn.ReflectionPad1d(2), "ReflectionPad1d((2, 2))", []),
    (lambda nn, t: nn.ReflectionPad2d((1, 0, 2, 1)), "ReflectionPad2d((1, 0, 2, 1))", []),
    (lambda nn, t: nn.ReplicationPad2d(1), "ReplicationPad2d((1, 1, 1, 1))", []),
    (lambda nn, t: nn.CircularPad1d(1), "CircularPad1d((1, 1))", []),
    (lambda nn, t: nn.Upsample(scale_factor=2, mode="bilinear"), "Upsample(scale_factor=2.0, mode='bilinear')", []),
    (lambda nn, t: nn.Upsample(size=(4, 5)), "Upsample(size=(4, 5), mode='nearest')", []),
    (lambda nn, t: nn.UpsamplingNearest2d(scale_factor=3), "UpsamplingNearest2d(scale_factor=3.0, mode='nearest')", []),
    (lambda nn, t: nn.UpsamplingBilinear2d(size=4), "UpsamplingBilinear2d(size=4, mode='bilinear')", []),
    (lambda nn, t: nn.CosineSimilarity(dim=0), "CosineSimilarity()", []),
    (lambda nn, t: nn.PairwiseDistance(p=1.0), "PairwiseDistance()", []),
]


@pytest.mark.parametrize("k", range(len(MODULES)))
def test_module_repr_and_state_dict(k):
    make, text, keys = MODULES[k]
    m = make(nn, torch)
    assert repr(m) == text
    assert list(m.state_dict().keys()) == keys


def test_embedding_module_init_and_from_pretrained():
    torch.manual_seed(0)
    e = nn.Embedding(50, 8, padding_idx=2)
    w = to_numpy(e.weight.detach())
    assert np.all(w[2] == 0) and abs(w.std() - 1) < 0.2 and e.weight.requires_grad
    p = nn.Embedding.from_pretrained(t64([[1.0, 2.0], [3.0, 4.0]]))
    assert not p.weight.requires_grad and (p.num_embeddings, p.embedding_dim) == (2, 2)
    assert_close(p(torch.tensor([1, 1])), np.array([[3.0, 4.0], [3.0, 4.0]]))
    assert nn.Embedding.from_pretrained(t64([[1.0]]), freeze=False).weight.requires_grad


def test_loss_modules_forward():
    x, t = t64([[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]], True), torch.tensor([2, 0])
    w = t64([1.0, 2.0, 0.5])
    got = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(x, t)
    assert_close(got.detach(), np_cross_entropy(to_numpy(x.detach()), np.array([2, 0]), to_numpy(w), label_smoothing=0.1))
    assert_close(nn.L1Loss(reduction="sum")(x, t64(np.zeros((2, 3)))).detach(), np.asarray(5.5))
    assert_close(nn.ZeroPad2d((1, 0, 0, 1))(x.detach()[None]), np.pad(to_numpy(x.detach())[None], ((0, 0), (0, 1),
                                                                                                    (1, 0))))


# ---------------------------------------------------------------------------
# bad inputs: PyTorch's classes and messages
# ---------------------------------------------------------------------------

X35 = lambda: torch.randn(3, 5)   # noqa: E731
BAD = [
    (lambda: F.cross_entropy(X35(), torch.tensor([1, 0, 5])), IndexError, "Target 5 is out of bounds."),
    (lambda: F.nll_loss(X35(), torch.tensor([1, -1, 0])), IndexError, "Target -1 is out of bounds."),
    (lambda: F.nll_loss(torch.randn(2, 3, 2, 2), torch.full((2, 2, 2), 3)), IndexError, "Target 3 is out of bounds."),
    (lambda: F.cross_entropy(X35(), torch.tensor([1, 0])), ValueError,
     "Expected input batch_size (3) to match target batch_size (2)."),
    (lambda: F.cross_entropy(X35(), torch.tensor([1.0, 0.0, 2.0])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    (lambda: F.nll_loss(X35(), torch.tensor([1, 0, 2], dtype=torch.int32)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Int"),
    (lambda: F.nll_loss(torch.randn(5), torch.tensor([[2]])), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.nll_loss(torch.randn(5), torch.tensor([2, 3])), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    (lambda: F.nll_loss(torch.randn(()), torch.tensor(0)), ValueError, "Expected 1 or more dimensions (got 0)"),
    (lambda: F.cross_entropy(X35(), torch.tensor([1, 0, 4]), weight=torch.ones(4)), RuntimeError,
     "weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: [4]"),
    (lambda: F.nll_loss(torch.randn(2, 3, 4, 5), torch.zeros(2, 4, 5, dtype=torch.int64), weight=torch.ones(4)),
     RuntimeError, "weight tensor should be defined either for all or no classes"),
    (lambda: F.nll_loss(X35(), torch.tensor([1, 0, 4]), weight=torch.ones(5, dtype=F64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: F.cross_entropy(torch.randn(2, 3, 4, 5), torch.zeros(2, 4, 4, dtype=torch.int64)), RuntimeError,
     "size mismatch (got input: [2, 3, 4, 5] , target: [2, 4, 4]"),
    (lambda: F.nll_loss(torch.randn(2, 3, 4, 5), torch.zeros(2, 4, dtype=torch.int64)), RuntimeError,
     "only batches of spatial targets supported (3D tensors) but got targets of dimension: 2"),
    (lambda: F.nll_loss(torch.randn(2, 3, 4), torch.zeros(2, 5, dtype=torch.int64)), RuntimeError,
     "Expected target size [2, 4], got [2, 5]"),
    (lambda: F.cross_entropy(X35(), torch.rand(3, 4)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cross_entropy(X35(), torch.ones(3, 5, dtype=torch.int32)), RuntimeError,
     "Expected floating point type for target with class probabilities, got Int"),
    (lambda: F.cross_entropy(X35(), torch.rand(3, 5), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (lambda: F.cross_entropy(X35(), torch.tensor([1, 0, 4]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(torch.ones(3, 5, dtype=torch.int64), torch.tensor([1, 0, 4])), NotImplementedError,
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda: F.nll_loss(torch.ones(3, 5, dtype=torch.int64), torch.tensor([1, 0, 4])), NotImplementedError,
     "\"nll_loss_out_frame\" not implemented for 'Long'"),
    (lambda: F.cross_entropy(X35(), torch.tensor([1, 0, 4]), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.mse_loss(torch.ones(3, dtype=torch.int64), torch.ones(3, dtype=torch.int64)), NotImplementedError,
     "\"mse_cpu\" not implemented for 'Long'"),
    (lambda: F.mse_loss(X35(), torch.randn(4)), RuntimeError,
     "The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 1"),
    (lambda: F.smooth_l1_loss(X35(), X35(), beta=-1), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    (lambda: F.huber_loss(X35(), X35(), delta=0), RuntimeError,
     "huber_loss does not support non-positive values for delta."),
    (lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([2.0])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(torch.rand(3), torch.rand(4)), ValueError,
     "Using a target size (torch.Size([4])) that is different to the input size (torch.Size([3])) is deprecated."),
    (lambda: F.binary_cross_entropy(torch.rand(3), torch.rand(3, dtype=F64)), RuntimeError,
     "Found dtype Double but expected Float"),
    (lambda: F.binary_cross_entropy(torch.rand(3, 5), torch.rand(3, 5), weight=torch.rand(4)), RuntimeError,
     "Attempting to broadcast a dimension of length 4 at -1!"),
    (lambda: F.binary_cross_entropy_with_logits(torch.rand(3), torch.rand(4)), ValueError,
     "Target size (torch.Size([4])) must be the same as input size (torch.Size([3]))"),
    (lambda: F.binary_cross_entropy_with_logits(torch.rand(3, 4), torch.rand(3, 4), weight=torch.rand(2, 3, 4),
                                                reduction="none"), RuntimeError,
     "output with shape [3, 4] doesn't match the broadcast shape [2, 3, 4]"),
    (lambda: F.binary_cross_entropy_with_logits(X35(), X35(), weight=torch.rand(5, requires_grad=True)),
     RuntimeError, "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument "
                   "'weight'. This input cannot have requires_grad True."),
    (lambda: F.kl_div(torch.ones(3, dtype=torch.int64), torch.ones(3, dtype=torch.int64), reduction="sum"),
     RuntimeError, "kl_div: Integral inputs not supported."),
    (lambda: F.embedding(torch.tensor([10]), torch.randn(10, 3)), IndexError, "index out of range in self"),
    (lambda: F.embedding(torch.tensor([-1]), torch.randn(10, 3)), IndexError, "index out of range in self"),
    (lambda: F.embedding(torch.tensor([1.0]), torch.randn(10, 3)), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
     "torch.FloatTensor instead (while checking arguments for embedding)"),
    (lambda: F.embedding(torch.tensor([1]), torch.randn(10)), RuntimeError, "'weight' must be 2-D"),
    (lambda: F.embedding(torch.tensor([1]), torch.randn(10, 3), padding_idx=10), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda: F.one_hot(torch.tensor([-1, 2])), RuntimeError, "Class values must be non-negative."),
    (lambda: F.one_hot(torch.tensor([1, 2]), 2), RuntimeError, "Class values must be smaller than num_classes."),
    (lambda: F.one_hot(torch.tensor([1, 2], dtype=torch.int32)), RuntimeError,
     "one_hot is only applicable to index tensor of type LongTensor."),
    (lambda: F.one_hot(torch.tensor([], dtype=torch.int64)), RuntimeError,
     "Can not infer total number of classes from empty tensor."),
    (lambda: F.pad(torch.randn(1, 2, 4, 4), (1, 1, 1)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda: F.pad(X35(), (1, 1, 1, 1, 1, 1)), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got padding length 6 and input "
     "of dimension 2"),
    (lambda: F.pad(torch.randn(1, 2, 4, 4), (4, 0, 0, 0), mode="reflect"), RuntimeError,
     "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (4, 0) at "
     "dimension 3 of input [1, 2, 4, 4]"),
    (lambda: F.pad(torch.randn(1, 3, 3), (1, 1, 3, 1), mode="reflect"), RuntimeError,
     "Argument #6: Padding size should be less than the corresponding input dimension, but got: padding (3, 1) at "
     "dimension 1 of input [1, 3, 3]"),
    (lambda: F.pad(torch.randn(5), (2, 2), mode="reflect"), NotImplementedError,
     "Padding size 2 is not supported for 1D input tensor."),
    (lambda: F.pad(torch.randn(2, 0, 3), (1, 1), mode="replicate"), RuntimeError,
     "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but "
     "got: [2, 0, 3]"),
    (lambda: F.pad(torch.randn(2, 3), (-2, -2), mode="reflect"), RuntimeError,
     "input (W: 3) is too small. Calculated output W: -1"),
    (lambda: F.pad(torch.randn(1, 2, 4, 4), (5, 0, 0, 0), mode="circular"), RuntimeError,
     "Padding value causes wrapping around more than once."),
    (lambda: F.pad(torch.randn(2, 3), (-2, -2), mode="circular"), RuntimeError,
     "Negative padding value is resulting in an empty dimension"),
    (lambda: F.pad(torch.randn(2, 3), (1, 1), mode="foo"), NotImplementedError, "Unrecognised padding mode foo"),
    (lambda: F.pad(torch.randn(2, 3), (1, 1), mode="reflect", value=1.0), RuntimeError,
     "Padding mode \"reflect\" doesn't take in value argument"),
    (lambda: F.pad(torch.ones(1, 2, 3, dtype=torch.bool), (1, 1), mode="replicate"), NotImplementedError,
     "\"replication_pad1d\" not implemented for 'Bool'"),
    (lambda: F.pad(torch.randn(2, 3), (-4, 0)), RuntimeError, "narrow(): length must be non-negative."),
    (lambda: F.interpolate(torch.randn(1, 2, 4, 4)), ValueError, "either size or scale_factor should be defined"),
    (lambda: F.interpolate(torch.randn(1, 2, 4, 4), size=3, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(torch.randn(1, 2, 4), size=3, mode="bilinear"), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda: F.interpolate(torch.randn(1, 2, 4, 4), size=3, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"),
    (lambda: F.interpolate(torch.randn(1, 2, 4, 4), size=(3, 3, 3)), ValueError,
     "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of "
     "[4, 4] and output size of (3, 3, 3)."),
    (lambda: F.interpolate(torch.randn(1, 2, 4, 4), scale_factor=0.1), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output (H: 0, W: 0)"),
    (lambda: F.interpolate(torch.ones(1, 1, 0), size=5), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (W: 0) and output (W: 5)"),
    (lambda: F.interpolate(torch.ones(1, 0, 3, 3), size=5), RuntimeError,
     "Non-empty 4D data tensor expected but got a tensor with sizes [1, 0, 3, 3]"),
    (lambda: F.interpolate(torch.ones(1, 1, 2, 2, dtype=torch.int64), scale_factor=2), NotImplementedError,
     "\"upsample_nearest2d_channels_last\" not implemented for 'Long'"),
    (lambda: F.interpolate(torch.randn(1, 2, 4), size=3, mode="foo"), NotImplementedError,
     "Input Error: Only 3D, 4D and 5D input Tensors supported (got 3D) for the modes: nearest | linear | bilinear | "
     "bicubic | trilinear | lanczos | area | nearest-exact (got foo)"),
    (lambda: F.interpolate(torch.randn(1, 2, 4, 4), size=3, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size."),
    (lambda: F.cosine_similarity(torch.ones(2, 3, dtype=torch.int64), torch.ones(2, 3, dtype=torch.int64)),
     RuntimeError, "expected common dtype to be floating point, yet common dtype is Long"),
    (lambda: F.pairwise_distance(torch.ones(2, 3), torch.ones(2, 4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    (lambda: F.normalize(torch.ones(2, 3, dtype=torch.int64)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: F.triplet_margin_loss(X35(), X35(), X35(), margin=0), ValueError, "margin must be greater than 0, got 0"),
    (lambda: F.soft_margin_loss(X35(), torch.randn(3, 5, requires_grad=True)), RuntimeError,
     "The function 'soft_margin_loss' is not differentiable with respect to argument 'target'."),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_inputs_raise_pytorch_errors(k):
    fn, cls, msg = BAD[k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(cls) as e:
            fn()
    assert msg in str(e.value)


def test_bad_target_writes_nothing_and_state_survives():
    """an out-of-range class or index leaves no partial result and later calls work"""
    x = torch.randn(4, 3, requires_grad=True)
    for bad in ([0, 1, 2, 3], [0, -2, 1, 1]):
        with pytest.raises(IndexError):
            F.cross_entropy(x, torch.tensor(bad))
    F.cross_entropy(x, torch.tensor([0, 1, 2, 0])).backward()
    assert x.grad is not None and tuple(x.grad.shape) == (4, 3)


@ctorch_only
def test_sparse_embedding_gradients_are_not_supported():
    w = torch.randn(4, 2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding(torch.tensor([1]), w, sparse=True)
    assert tuple(F.embedding(torch.tensor([1]), w.detach(), sparse=True).shape) == (1, 2)


@ctorch_only
def test_double_backward_through_fused_losses_raises():
    """the fused kernels' gradients have no history: create_graph through them is refused, not silently 0"""
    x = torch.randn(3, 4, dtype=F64, requires_grad=True)
    for loss in (F.mse_loss(x * x, torch.zeros(3, 4, dtype=F64)), F.cross_entropy(x, torch.tensor([0, 1, 2]))):
        with pytest.raises(NotImplementedError, match="double backward"):
            torch.autograd.grad(loss, x, create_graph=True)
    g, = torch.autograd.grad(F.pad(x * x, (1, 1)).sum(), x, create_graph=True)   # a constant pad's is recorded
    assert g.grad_fn is not None


# ---------------------------------------------------------------------------
# parity with real PyTorch: the same calls, outputs and gradients
# ---------------------------------------------------------------------------

PARITY = {
    "ce-weights-smoothing": (lambda t, F, x: F.cross_entropy(x, t.tensor([4, -100, 0, 2]), weight=t.tensor(
        [1.0, 0.5, 2.0, 1.5, 0.3], dtype=t.float64), label_smoothing=0.25), [(4, 5)]),
    "ce-ignore-index": (lambda t, F, x: F.cross_entropy(x, t.tensor([4, 3, 0, 3]), ignore_index=3), [(4, 5)]),
    "ce-probs": (lambda t, F, x, p: F.cross_entropy(x, p.exp() / p.exp().sum(1, keepdim=True), label_smoothing=0.1),
                 [(4, 5), (4, 5)]),
    "ce-4d-none": (lambda t, F, x: F.cross_entropy(x, t.tensor([[[0, 2], [1, 2]]]), reduction="none").sum(),
                   [(1, 3, 2, 2)]),
    "nll-3d": (lambda t, F, x: F.nll_loss(x, t.tensor([[0, 2, 1]]), reduction="sum"), [(1, 3, 3)]),
    "mse-broadcast": (lambda t, F, x, y: F.mse_loss(x, y.expand(4, 5)), [(4, 5), (5,)]),
    "huber": (lambda t, F, x, y: F.huber_loss(x, y, delta=0.5), [(4, 5), (4, 5)]),
    "smooth-l1": (lambda t, F, x, y: F.smooth_l1_loss(x, y, beta=0.5, reduction="sum"), [(4, 5), (4, 5)]),
    "bce": (lambda t, F, x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()), [(4, 5), (4, 5)]),
    "bce-logits": (lambda t, F, x, y: F.binary_cross_entropy_with_logits(
        x, y.sigmoid(), pos_weight=t.tensor([1.0, 2.0, 0.5, 1.0, 3.0], dtype=t.float64)), [(4, 5), (4, 5)]),
    "kl": (lambda t, F, x, y: F.kl_div(x - x.logsumexp(1, keepdim=True), y.exp() / y.exp().sum(1, keepdim=True),
                                       reduction="batchmean"), [(4, 5), (4, 5)]),
    "soft-margin": (lambda t, F, x: F.soft_margin_loss(x, t.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]], dtype=t.float64)),
                    [(4, 5)]),
    "embedding": (lambda t, F, w: (F.embedding(t.tensor([[0, 3], [3, 1]]), w, padding_idx=1) ** 2).sum(), [(4, 3)]),
    "pad-reflect": (lambda t, F, x: (F.pad(x, (2, 1, 1, 2), mode="reflect") ** 2).sum(), [(1, 2, 3, 4)]),
    "pad-circular": (lambda t, F, x: (F.pad(x, (-1, 2), mode="circular") ** 2).sum(), [(2, 2, 4)]),
    "interp-bilinear": (lambda t, F, x: (F.interpolate(x, size=(7, 5), mode="bilinear") ** 2).sum(), [(1, 2, 4, 6)]),
    "interp-nearest": (lambda t, F, x: (F.interpolate(x, scale_factor=1.6) ** 2).sum(), [(1, 2, 4, 6)]),
    "interp-nearest-exact": (lambda t, F, x: (F.interpolate(x, size=(5, 9), mode="nearest-exact") ** 2).sum(),
                             [(1, 2, 4, 6)]),
    "interp-bicubic": (lambda t, F, x: (F.interpolate(x, scale_factor=(1.5, 0.75), mode="bicubic",
                                                      align_corners=True) ** 2).sum(), [(1, 1, 4, 6)]),
    "cosine-pairwise": (lambda t, F, x, y: F.cosine_similarity(x, y).sum() + F.pairwise_distance(x, y, p=1).sum(),
                        [(4, 5), (4, 5)]),
    "margin-losses": (lambda t, F, x, y: F.margin_ranking_loss(x[:, 0], y[:, 0], t.tensor(
        [1.0, -1.0, 1.0, -1.0], dtype=t.float64)) + F.triplet_margin_loss(x, y, x.flip(0), swap=True), [(4, 5), (4, 5)]),
}


@pytest.mark.parity
@both
@pytest.mark.parametrize("name", sorted(PARITY))
def test_parity_with_pytorch(name):
    fn, shapes = PARITY[name]
    rng = rng_for("parity", name)
    arrays = [rng.standard_normal(s) for s in shapes]
    results = {}
    for lib in (torch, real_torch):
        leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        out = fn(lib, lib.nn.functional, *leaves)
        out.backward()
        results[lib] = (out.item(), [np.array(x.grad.tolist()) for x in leaves])
    assert results[torch][0] == pytest.approx(results[real_torch][0], rel=1e-10, abs=1e-12)
    for ours, theirs in zip(results[torch][1], results[real_torch][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parity
@both
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_parity_reduced_precision(dtype):
    """float32 and the half types: PyTorch's values to its own rounding"""
    rng = rng_for("parity-dtype", dtype)
    x, y = rng.standard_normal((8, 6)), rng.standard_normal((8, 6))
    t = rng.integers(0, 6, 8)
    img = rng.standard_normal((1, 2, 5, 7))
    outs = {}
    for lib in (torch, real_torch):
        dt = getattr(lib, dtype)
        X, Y = lib.tensor(x).to(dt), lib.tensor(y).to(dt)
        fn = lib.nn.functional
        outs[lib] = [fn.cross_entropy(X, lib.tensor(t)), fn.mse_loss(X, Y), fn.huber_loss(X, Y, reduction="none"),
                     fn.binary_cross_entropy_with_logits(X, Y.sigmoid()),
                     fn.interpolate(lib.tensor(img).to(dt), scale_factor=2.2, mode="bilinear"),
                     fn.interpolate(lib.tensor(img).to(dt), size=(4, 9))]
    tol = TOL[dtype]
    for ours, theirs in zip(outs[torch], outs[real_torch]):
        np.testing.assert_allclose(np.array(ours.float().tolist()), np.array(theirs.float().tolist()), rtol=tol,
                                   atol=tol)


@pytest.mark.parity
@both
@pytest.mark.parametrize("k", range(len(MODULES)))
def test_parity_module_repr(k):
    """the repr and state_dict keys of each module as real PyTorch's for the same construction"""
    make = MODULES[k][0]
    ours, theirs = make(nn, torch), make(real_torch.nn, real_torch)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())


SNIPPET = """
N = labels.size(0)
# C is the number of classes.
smoothed_labels = torch.full(size=(N, C), fill_value=0.1 / (C - 1)).cuda()
smoothed_labels.scatter_(dim=1, index=torch.unsqueeze(labels, dim=1), value=0.9)
score = model(images)
log_prob = torch.nn.functional.log_softmax(score, dim=1)
loss = -torch.sum(log_prob * smoothed_labels) / N
"""


def run_snippet(lib, arrays, code):
    """the seed's label smoothing by hand (on the CPU: .cuda() is left out), with a linear model"""
    w = lib.tensor(arrays[1], requires_grad=True)
    env = {"torch": lib, "labels": lib.tensor(arrays[2]), "images": lib.tensor(arrays[0]), "C": 4,
           "model": lambda x: x @ w}
    exec(code.replace(".cuda()", ""), env)
    env["loss"].backward()
    return env["loss"], w.grad, env


@pytest.mark.parity
@both
def test_label_smoothing_snippet_matches_pytorch():
    rng = rng_for("snippet")
    arrays = [rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.integers(0, 4, 5)]
    theirs, their_grad, env = run_snippet(real_torch, arrays, SNIPPET)
    # the same loss through cross_entropy with the smoothed labels as class probabilities (ctorch's fused kernel)
    w = torch.tensor(arrays[1], requires_grad=True)
    smoothed = torch.tensor(env["smoothed_labels"].numpy())
    ours = F.cross_entropy(torch.tensor(arrays[0]) @ w, smoothed)
    ours.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(to_numpy(w.grad), their_grad.numpy(), rtol=1e-10, atol=1e-12)
    if not hasattr(F, "log_softmax"):
        pytest.skip("F.log_softmax comes with the norm family")
    loss, grad, _ = run_snippet(torch, arrays, SNIPPET)   # the snippet itself, unchanged, on ctorch
    assert loss.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(to_numpy(grad), their_grad.numpy(), rtol=1e-10, atol=1e-12)


def test_large_inputs_take_the_threaded_paths():
    """inputs above the kernels' grain size (work split among threads) give the single-thread results"""
    rng = rng_for("large")
    x, t = rng.standard_normal((300, 257)), rng.integers(0, 257, 300)
    xt = noncontig(x).requires_grad_()
    loss = F.cross_entropy(xt, torch.tensor(t), label_smoothing=0.1)
    assert_close(loss.detach(), np_cross_entropy(x, t, label_smoothing=0.1), rtol=1e-10, atol=1e-12)
    loss.backward()
    p = np.exp(np_log_softmax(x, 1))
    g = (p - 0.1 / 257 - 0.9 * np.eye(257)[t]) / 300
    assert_close(xt.grad, g, rtol=1e-9, atol=1e-12)
    a, b = rng.standard_normal(70001), rng.standard_normal(70001)
    assert_close(F.mse_loss(t64(a), t64(b)), np.asarray(((a - b) ** 2).mean()), rtol=1e-10)
    assert_close(F.huber_loss(t64(a), t64(b), reduction="none"), np.where(np.abs(a - b) < 1, 0.5 * (a - b) ** 2,
                                                                          np.abs(a - b) - 0.5))
    img = rng.standard_normal((3, 4, 40, 50))
    assert_close(F.pad(noncontig(img), (3, 2, 1, 4), mode="reflect"), np_pad(img, (3, 2, 1, 4), "reflect"))
    xi = t64(img, True)
    out = F.interpolate(xi, size=(70, 90), mode="bilinear", align_corners=True)
    assert_close(out.detach(), np_interpolate(img, [70, 90], "bilinear", True, None), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    Wy, Wx = np_interp_matrix(40, 70, "linear", True), np_interp_matrix(50, 90, "linear", True)
    assert_close(xi.grad, np.broadcast_to(np.outer(Wy.sum(0), Wx.sum(0)), img.shape), rtol=1e-10, atol=1e-12)
    w = t64(rng.standard_normal((3000, 64)), True)
    idx = rng.integers(0, 3000, 700)
    F.embedding(torch.tensor(idx), w).sum().backward()
    assert_close(w.grad, np.broadcast_to(np.bincount(idx, minlength=3000)[:, None], (3000, 64)).astype(np.float64))
