"""Attention, transformers and pixel shuffle: F.scaled_dot_product_attention
(one fused op: NumPy float64 reference, float64 gradcheck, dropout scaling,
masks, batch dims, layouts, empty inputs, dtypes), nn.MultiheadAttention,
F.multi_head_attention_forward, the Transformer family and PixelShuffle /
PixelUnshuffle; bad inputs raise PyTorch's exceptions and messages; parity
tests run the same calls (same seed: same weights) through real PyTorch."""
import copy
import math
import warnings

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, mk, real_torch, seed, to_numpy, torch

F = torch.nn.functional
F64 = torch.float64
needs_torch = pytest.mark.skipif(real_torch is None, reason="real PyTorch is not installed")
ctorch_only = pytest.mark.skipif(REFERENCE, reason="ctorch behaviour that PyTorch lacks")


def rand(shape, key, dtype=np.float64):
    return np.random.default_rng(seed(key, shape)).standard_normal(shape).astype(dtype)


# ---- the NumPy reference of scaled_dot_product_attention (float64)

def np_sdpa(q, k, v, mask=None, causal=False, scale=None, gqa=False):
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    if gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    L, S = s.shape[-2:]
    if causal:
        mask = np.tril(np.ones((L, S), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    s = np.broadcast_to(s, np.broadcast_shapes(s.shape, np.shape(mask)) if mask is not None else s.shape)
    mx = s.max(-1, keepdims=True) if S else np.zeros(s.shape[:-1] + (1,))
    dead = np.isneginf(mx)
    e = np.exp(s - np.where(dead, 0, mx))
    p = np.where(dead, 0, e / np.where(dead, 1, e.sum(-1, keepdims=True)))
    return p @ v


def layout(a, kind):
    """a as a float64 tensor: contiguous ("c"), transposed storage ("t") or every other element ("s")."""
    if kind == "t":
        return torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    if kind == "s":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],))
        big[..., ::2] = a
        return torch.tensor(big)[..., ::2]
    return torch.tensor(a)


SDPA_CASES = {   # name: (q shape, k shape, v shape, keyword arguments; "mask" is built from its shape)
    "plain": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {}),
    "causal": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"is_causal": True}),
    "causal L > S": ((1, 2, 7, 3), (1, 2, 4, 3), (1, 2, 4, 2), {"is_causal": True}),
    "scale": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"scale": 0.37}),
    "bool mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"mask": ((4, 6), bool)}),
    "bool mask over heads": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"mask": ((2, 1, 4, 6), bool)}),
    "float mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), {"mask": ((3, 1, 6), float)}),
    "unbatched 2-D": ((4, 5), (6, 5), (6, 3), {}),
    "3-D": ((3, 4, 5), (3, 6, 5), (3, 6, 2), {"is_causal": True}),
    "5-D": ((2, 2, 3, 4, 5), (2, 2, 3, 6, 5), (2, 2, 3, 6, 7), {"mask": ((2, 1, 1, 4, 6), bool)}),
    "batch broadcast": ((4, 5), (2, 3, 6, 5), (1, 3, 6, 7), {}),
    "gqa": ((2, 4, 3, 5), (2, 2, 6, 5), (2, 1, 6, 7), {"enable_gqa": True}),
    "one key": ((2, 3, 1), (2, 1, 1), (2, 1, 3), {}),
}


def sdpa_inputs(name, kind="c"):
    qs, ks, vs, kw = SDPA_CASES[name]
    kw = dict(kw)
    arrays = [rand(s, (name, i)) for i, s in enumerate((qs, ks, vs))]
    np_mask = None
    if "mask" in kw:
        shape, mtype = kw.pop("mask")
        r = np.random.default_rng(seed("mask", name))
        np_mask = r.random(shape) > 0.4 if mtype is bool else r.standard_normal(shape)
        kw["attn_mask"] = torch.tensor(np_mask)
    return arrays, [layout(a, kind) for a in arrays], np_mask, kw


@pytest.mark.parametrize("kind", ["c", "t", "s"])
@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_matches_numpy(name, kind):
    (q, k, v), tensors, np_mask, kw = sdpa_inputs(name, kind)
    got = F.scaled_dot_product_attention(*tensors, **kw)
    want = np_sdpa(q, k, v, np_mask, kw.get("is_causal", False), kw.get("scale"), kw.get("enable_gqa", False))
    assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16"])
def test_sdpa_dtypes(name):
    (q, k, v), _, np_mask, kw = sdpa_inputs("bool mask")
    tensors = [mk(a, name) if name != "bfloat16" else torch.tensor(a.astype(np.float32)).bfloat16()
               for a in (q, k, v)]
    got = F.scaled_dot_product_attention(*tensors, **kw)
    assert got.dtype == tensors[0].dtype
    tol = {"float32": 1e-5, "float16": 5e-3, "bfloat16": 4e-2}[name]
    want = np_sdpa(*(to_numpy(t).astype(np.float64) for t in tensors), np_mask)
    assert_close(got.double(), want, rtol=tol, atol=tol)


def test_sdpa_float32_mask_with_float64_query():
    (q, k, v), tensors, _, _ = sdpa_inputs("plain")
    m = rand((4, 6), "m32").astype(np.float32)
    got = F.scaled_dot_product_attention(*tensors, attn_mask=torch.tensor(m))
    assert_close(got, np_sdpa(q, k, v, m.astype(np.float64)), rtol=1e-10, atol=1e-12)


def test_sdpa_rows_with_nothing_to_attend_give_zeros():
    """PyTorch's CPU kernels: a fully masked row (bool False or float -inf) is 0, its gradients too."""
    (q, k, v), tensors, _, _ = sdpa_inputs("plain")
    m = np.ones((4, 6), bool)
    m[1] = False
    fm = np.where(m, 0.0, -np.inf)
    for mask in (torch.tensor(m), torch.tensor(fm)):
        qt = tensors[0].clone().requires_grad_()
        out = F.scaled_dot_product_attention(qt, tensors[1], tensors[2], attn_mask=mask)
        assert np.all(to_numpy(out.detach())[:, :, 1] == 0)
        assert_close(out.detach(), np_sdpa(q, k, v, m), rtol=1e-10, atol=1e-12)
        out.sum().backward()
        assert np.all(to_numpy(qt.grad)[:, :, 1] == 0)
        assert np.all(np.isfinite(to_numpy(qt.grad)))


def test_sdpa_nan_in_float_mask_gives_nan_row():
    (q, k, v), tensors, _, _ = sdpa_inputs("plain")
    m = np.zeros((4, 6))
    m[2, 3] = np.nan
    got = to_numpy(F.scaled_dot_product_attention(*tensors, attn_mask=torch.tensor(m)))
    assert np.all(np.isnan(got[:, :, 2])) and not np.any(np.isnan(got[:, :, [0, 1, 3]]))


@pytest.mark.parametrize("shapes", [
    ((2, 0, 5), (2, 6, 5), (2, 6, 7)),   # no queries
    ((2, 4, 5), (2, 0, 5), (2, 0, 7)),   # no keys: zeros, as PyTorch
    ((2, 4, 5), (2, 6, 5), (2, 6, 0)),   # no value features
    ((0, 4, 5), (0, 6, 5), (0, 6, 7)),   # no batch
    ((2, 4, 0), (2, 6, 0), (2, 6, 3)),   # no query features: uniform weights
])
def test_sdpa_empty(shapes):
    arrays = [rand(s, ("e", i)) for i, s in enumerate(shapes)]
    ts = [torch.tensor(a).requires_grad_() for a in arrays]
    out = F.scaled_dot_product_attention(*ts)
    assert_close(out.detach(), np_sdpa(*arrays, scale=1.0 if shapes[0][-1] == 0 else None), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    for t in ts:
        assert tuple(t.grad.shape) == tuple(t.shape)


# ---- gradients

GRAD_CASES = ["plain", "causal", "causal L > S", "bool mask over heads", "float mask", "5-D", "batch broadcast",
              "gqa", "unbatched 2-D"]


@pytest.mark.parametrize("kind", ["c", "t"])
@pytest.mark.parametrize("name", GRAD_CASES)
def test_sdpa_gradcheck(name, kind):
    _, tensors, _, kw = sdpa_inputs(name, kind)
    inputs = tuple(t.requires_grad_() for t in tensors)
    assert torch.autograd.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), inputs)


def test_sdpa_gradcheck_float_mask_requiring_grad():
    _, tensors, _, _ = sdpa_inputs("plain")
    m = np.random.default_rng(3).standard_normal((3, 1, 6))
    m[0, 0, 2] = -np.inf
    inputs = tuple(t.requires_grad_() for t in tensors) + (torch.tensor(m).requires_grad_(),)
    assert torch.autograd.gradcheck(lambda q, k, v, mask: F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                                    inputs)


def test_sdpa_float32_gradients_match_float64():
    _, tensors, _, kw = sdpa_inputs("bool mask")
    g = torch.tensor(rand((2, 3, 4, 7), "g"))
    grads = []
    for dtype in (torch.float32, F64):
        ins = [t.to(dtype).requires_grad_() for t in tensors]
        F.scaled_dot_product_attention(*ins, **kw).backward(g.to(dtype))
        grads.append([to_numpy(t.grad).astype(np.float64) for t in ins])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@ctorch_only
def test_sdpa_double_backward_raises():
    """PyTorch's math path is twice differentiable; the fused op's backward is not (NotImplementedError)."""
    _, tensors, _, _ = sdpa_inputs("plain")
    q = tensors[0].requires_grad_()
    (g,) = torch.autograd.grad(F.scaled_dot_product_attention(q, *tensors[1:]).sum(), q, create_graph=True)
    with pytest.raises(NotImplementedError, match="ScaledDotProductFlashAttentionForCpuBackward0"):
        torch.autograd.grad(g.sum(), q)


# ---- dropout: the pattern is ctorch's own, the scaling PyTorch's

def test_sdpa_dropout_scales_kept_weights():
    torch.manual_seed(0)
    q, k = torch.zeros(1, 1, 8, 4), torch.zeros(1, 1, 400, 4)   # uniform weights 1/400
    v = torch.ones(1, 1, 400, 3)
    p = 0.25
    out = to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=p))
    kept = out[0, 0, :, 0] * 400 * (1 - p)   # the number of kept keys per row
    np.testing.assert_allclose(kept, np.round(kept), atol=1e-3)
    assert np.all(out[..., 0] == out[..., 1])   # one pattern per weight, shared by the value features
    assert abs(kept.mean() / 400 - (1 - p)) < 0.06
    assert abs(out.mean() - 1) < 0.08


def test_sdpa_dropout_gradient_uses_the_same_pattern():
    torch.manual_seed(1)
    _, tensors, _, _ = sdpa_inputs("plain")
    v = tensors[2].requires_grad_()
    out = F.scaled_dot_product_attention(tensors[0], tensors[1], v, dropout_p=0.5)
    out.sum().backward()
    # out = W v with the dropped weights W: d(sum out)/dv = W^T 1, so sum(v.grad * v) = sum(out)
    lin = (to_numpy(v.grad) * to_numpy(v.detach())).sum()
    np.testing.assert_allclose(lin, to_numpy(out.detach()).sum(), rtol=1e-10)


def test_sdpa_dropout_one_drops_everything():
    _, tensors, _, _ = sdpa_inputs("plain")
    assert np.all(to_numpy(F.scaled_dot_product_attention(*tensors, dropout_p=1.0)) == 0)
