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


def test_sdpa_threads_agree():
    """Batch items split over threads give the same numbers as one thread (a case above the threading threshold)."""
    q, k, v = (torch.tensor(rand((4, 8, 64, 32), ("th", i), np.float32)).requires_grad_() for i in range(3))
    mask = torch.tensor(np.random.default_rng(4).random((64, 64)) > 0.3)
    before, results = torch.get_num_threads(), []
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            out.sum().backward()
            results.append([to_numpy(out.detach())] + [to_numpy(t.grad) for t in (q, k, v)])
            q.grad = k.grad = v.grad = None
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


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


# ---- pixel shuffle

def np_pixel_shuffle(a, r):
    *lead, c, h, w = a.shape
    x = a.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    return x.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2).reshape(*lead, c // (r * r), h * r, w * r)


def np_pixel_unshuffle(a, r):
    *lead, c, h, w = a.shape
    x = a.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    return x.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3).reshape(*lead, c * r * r, h // r, w // r)


@pytest.mark.parametrize("name", ["bool", "uint8", "int64", "float16", "float32", "float64"])
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((9, 2, 2), 3), ((2, 1, 4, 1, 1), 2), ((0, 4, 2, 2), 2),
                                     ((1, 4, 0, 3), 2)])
def test_pixel_shuffle_matches_numpy(name, shape, r):
    a = (np.random.default_rng(seed("ps", shape)).integers(0, 5, size=shape)).astype(np.float64)
    a = a > 2 if name == "bool" else a
    x = mk(a, name)
    got = F.pixel_shuffle(x, r)
    assert got.dtype == x.dtype
    assert_close(got, np_pixel_shuffle(to_numpy(x), r), check_dtype=False)
    assert_close(torch.nn.PixelShuffle(r)(x), np_pixel_shuffle(to_numpy(x), r), check_dtype=False)
    assert_close(torch.pixel_shuffle(x, r), np_pixel_shuffle(to_numpy(x), r), check_dtype=False)
    back = F.pixel_unshuffle(got, r)
    if got.numel() == 0:   # PyTorch: an empty input comes back unchanged in shape
        assert tuple(back.shape) == tuple(got.shape)
        return
    assert_close(back, to_numpy(x), check_dtype=False)
    assert_close(torch.nn.PixelUnshuffle(r)(got), np_pixel_unshuffle(to_numpy(got), r), check_dtype=False)
    assert_close(torch.pixel_unshuffle(got, r), np_pixel_unshuffle(to_numpy(got), r), check_dtype=False)


def test_pixel_shuffle_non_contiguous_and_gradient():
    a = rand((2, 3, 8, 4), "psnc")
    x = torch.tensor(a).transpose(1, 2)   # [2, 8, 3, 4], transposed
    assert not x.is_contiguous()
    assert_close(F.pixel_shuffle(x, 2), np_pixel_shuffle(np.swapaxes(a, 1, 2), 2))
    assert_close(F.pixel_unshuffle(x[..., 1:, ::2], 2), np_pixel_unshuffle(np.swapaxes(a, 1, 2)[..., 1:, ::2], 2))
    x = torch.tensor(rand((1, 8, 2, 3), "psg")).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: F.pixel_shuffle(t, 2), (x,))
    assert torch.autograd.gradcheck(lambda t: F.pixel_unshuffle(t, 2), (torch.tensor(rand((2, 4, 2), "pug")).requires_grad_(),))


def test_pixel_shuffle_modules_repr():
    assert repr(torch.nn.PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"
    assert repr(torch.nn.PixelUnshuffle(2)) == "PixelUnshuffle(downscale_factor=2)"


# ---- MultiheadAttention: structure, initialization, the math

def test_mha_parameters_and_init():
    torch.manual_seed(0)
    m = torch.nn.MultiheadAttention(8, 2)
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                     "out_proj.bias"]
    assert m.head_dim == 4 and m._qkv_same_embed_dim and m.q_proj_weight is None and m.bias_k is None
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, torch.nn.Linear)
    assert np.all(to_numpy(m.in_proj_bias.detach()) == 0) and np.all(to_numpy(m.out_proj.bias.detach()) == 0)
    bound = math.sqrt(6 / (8 + 24))   # xavier_uniform_ on [3E, E]
    w = to_numpy(m.in_proj_weight.detach())
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    m = torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=5, add_bias_kv=True, bias=False)
    assert [n for n, _ in m.named_parameters()] == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k",
                                                     "bias_v", "out_proj.weight"]
    assert tuple(m.k_proj_weight.shape) == (6, 4) and tuple(m.v_proj_weight.shape) == (6, 5)
    assert m.in_proj_weight is None and m.in_proj_bias is None and m.out_proj.bias is None
    assert tuple(m.bias_k.shape) == (1, 1, 6)
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=6, "
                       "out_features=6, bias=False)\n)")


def np_mha(m, q, k, v, key_padding_mask=None, attn_mask=None):
    """Sequence-first [L, N, E] multi-head attention in NumPy float64 from m's weights (no bias_kv, zero attn)."""
    p = {n: to_numpy(t.detach()).astype(np.float64) for n, t in m.named_parameters()}
    E, H = m.embed_dim, m.num_heads
    wq, wk, wv = np.split(p["in_proj_weight"], 3)
    bq, bk, bv = np.split(p["in_proj_bias"], 3)
    L, N, _ = q.shape
    S = k.shape[0]
    heads = lambda x, n: x.reshape(n, N, H, E // H).transpose(1, 2, 0, 3)   # [N, H, n, hd]
    qh, kh, vh = heads(q @ wq.T + bq, L), heads(k @ wk.T + bk, S), heads(v @ wv.T + bv, S)
    s = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(E // H)
    if attn_mask is not None:
        s = s + (np.where(attn_mask, -np.inf, 0) if attn_mask.dtype == bool else attn_mask)
    if key_padding_mask is not None:
        s = s + np.where(key_padding_mask, -np.inf, 0)[:, None, None, :]
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = (w @ vh).transpose(2, 0, 1, 3).reshape(L, N, E) @ p["out_proj.weight"].T + p["out_proj.bias"]
    return out, w.mean(1)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", ["none", "attn", "padding", "both"])
def test_mha_matches_numpy(need_weights, masks):
    torch.manual_seed(1)
    m = torch.nn.MultiheadAttention(8, 2, dtype=F64)
    q, k = rand((4, 3, 8), "mq"), rand((5, 3, 8), "mk")
    am = np.random.default_rng(2).random((4, 5)) > 0.7 if masks in ("attn", "both") else None
    kpm = np.zeros((3, 5), bool) if masks in ("padding", "both") else None
    if kpm is not None:
        kpm[1, 3:] = True
    out, w = m(torch.tensor(q), torch.tensor(k), torch.tensor(k), need_weights=need_weights,
               key_padding_mask=None if kpm is None else torch.tensor(kpm),
               attn_mask=None if am is None else torch.tensor(am))
    want, want_w = np_mha(m, q, k, k, kpm, am)
    assert_close(out.detach(), want, rtol=1e-10, atol=1e-12)
    if need_weights:
        assert_close(w.detach(), want_w, rtol=1e-10, atol=1e-12)
    else:
        assert w is None


def test_mha_batch_first_and_unbatched_agree():
    torch.manual_seed(2)
    m = torch.nn.MultiheadAttention(6, 3, dtype=F64)
    mb = copy.deepcopy(m)
    mb.batch_first = True
    x = torch.tensor(rand((4, 2, 6), "bf"))
    out, w = m(x, x, x)
    outb, wb = mb(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1))
    assert_close(outb.transpose(0, 1).detach(), to_numpy(out.detach()), rtol=1e-12, atol=1e-12)
    assert_close(wb.detach(), to_numpy(w.detach()), rtol=1e-12, atol=1e-12)
    out1, w1 = m(x[:, 1], x[:, 1], x[:, 1], average_attn_weights=False)
    assert tuple(w1.shape) == (3, 4, 4)
    assert_close(out1.detach(), to_numpy(out.detach())[:, 1], rtol=1e-12, atol=1e-12)


def test_mha_gradcheck():
    torch.manual_seed(3)
    m = torch.nn.MultiheadAttention(4, 2, kdim=3, vdim=5, dtype=F64)
    q, k, v = (torch.tensor(rand(s, ("g", s))).requires_grad_() for s in ((3, 2, 4), (5, 2, 3), (5, 2, 5)))
    for nw in (True, False):
        assert torch.autograd.gradcheck(lambda a, b, c: m(a, b, c, need_weights=nw)[0], (q, k, v))


def test_mha_is_causal_uses_the_mask_shape():
    torch.manual_seed(4)
    m = torch.nn.MultiheadAttention(4, 2, dtype=F64)
    x = torch.tensor(rand((5, 2, 4), "c"))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=F64)
    a = m(x, x, x, attn_mask=causal, need_weights=False)[0]
    b = m(x, x, x, attn_mask=causal, need_weights=False, is_causal=True)[0]
    assert_close(b.detach(), to_numpy(a.detach()), rtol=1e-12, atol=1e-12)


def test_mha_dropout_only_in_training():
    torch.manual_seed(5)
    m = torch.nn.MultiheadAttention(4, 2, dropout=0.5)
    x = torch.tensor(rand((6, 2, 4), "d", np.float32))
    m.eval()
    a, b = m(x, x, x)[0], m(x, x, x)[0]
    assert np.array_equal(to_numpy(a.detach()), to_numpy(b.detach()))
    m.train()
    w = to_numpy(m(x, x, x, average_attn_weights=False)[1].detach())
    assert np.any(w == 0) and np.any(w > 0)


# ---- the Transformer family

def test_generate_square_subsequent_mask():
    m = torch.nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == torch.float32
    assert_close(m, np.triu(np.full((3, 3), -np.inf, np.float32), 1))


def test_encoder_layers_are_deep_copies():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = torch.nn.TransformerEncoderLayer(8, 2, 16)
        enc = torch.nn.TransformerEncoder(layer, 3)
    w = [l.linear1.weight for l in enc.layers]
    assert len(w) == 3 and w[0] is not w[1] and w[0] is not layer.linear1.weight
    assert all(np.array_equal(to_numpy(x.detach()), to_numpy(layer.linear1.weight.detach())) for x in w)
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


def test_encoder_warns_about_nested_tensors():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 1)
    assert enc.use_nested_tensor is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)
    assert enc.use_nested_tensor is True


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_its_parts(norm_first, activation):
    torch.manual_seed(6)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation, norm_first=norm_first,
                                             dtype=F64)
    x = torch.tensor(rand((5, 2, 8), "enc"))
    act = F.relu if activation == "relu" else F.gelu
    ff = lambda t: layer.linear2(act(layer.linear1(t)))
    sa = lambda t: layer.self_attn(t, t, t, need_weights=False)[0]
    if norm_first:
        y = x + sa(layer.norm1(x))
        want = y + ff(layer.norm2(y))
    else:
        y = layer.norm1(x + sa(x))
        want = layer.norm2(y + ff(y))
    assert_close(layer(x).detach(), to_numpy(want.detach()), rtol=1e-12, atol=1e-12)


def test_transformer_shapes_init_and_masks():
    torch.manual_seed(7)
    model = torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True)
    names = [n for n, _ in model.named_parameters()]
    assert "encoder.layers.1.self_attn.in_proj_weight" in names and "decoder.norm.weight" in names
    assert "decoder.layers.0.multihead_attn.out_proj.weight" in names
    bound = math.sqrt(6 / (8 + 16))   # xavier_uniform_ replaced linear1's default init
    assert np.abs(to_numpy(model.encoder.layers[0].linear1.weight.detach())).max() <= bound
    src, tgt = torch.tensor(rand((2, 5, 8), "src", np.float32)), torch.tensor(rand((2, 4, 8), "tgt", np.float32))
    pad = torch.tensor(np.array([[False] * 5, [False] * 3 + [True] * 2]))
    out = model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(4), src_key_padding_mask=pad,
                memory_key_padding_mask=pad, tgt_is_causal=True)
    assert tuple(out.shape) == (2, 4, 8)
    out.sum().backward()
    assert model.encoder.layers[0].self_attn.in_proj_weight.grad is not None


# ---- bad inputs: PyTorch's exception classes and messages

def _qkv(q=(2, 3, 4, 5), k=(2, 3, 6, 5), v=(2, 3, 6, 7), dtype=None):
    return [torch.zeros(s, dtype=dtype) for s in (q, k, v)]


def _sdpa(*shapes, dtype=None, k=(2, 3, 6, 5), v=(2, 3, 6, 7), **kw):
    shapes = shapes or ((2, 3, 4, 5), k, v)
    return lambda: F.scaled_dot_product_attention(*_qkv(*shapes, dtype=dtype), **kw)


def _mha(q, k, v, **kw):
    return lambda: torch.nn.MultiheadAttention(4, 2)(torch.zeros(q), torch.zeros(k), torch.zeros(v), **kw)


BAD = [
    ("sdpa 1-D", _sdpa((5,), (5,), (5,)), RuntimeError, "to all be  at least 2 dimensional, but got query.dim: 1"),
    ("sdpa dtypes", lambda: F.scaled_dot_product_attention(torch.zeros(4, 5), torch.zeros(6, 5, dtype=F64),
                                                           torch.zeros(6, 7)),
     RuntimeError, "same dtype, but got query.dtype: float key.dtype: double and value.dtype: float instead"),
    ("sdpa int64", _sdpa(dtype=torch.int64), RuntimeError, "expected scalar type Float but found Long"),
    ("sdpa bool", _sdpa(dtype=torch.bool), RuntimeError, "expected scalar type Float but found Bool"),
    ("sdpa causal and mask", _sdpa(attn_mask=torch.zeros(4, 6), is_causal=True), RuntimeError,
     "Explicit attn_mask should not be set when is_causal=True"),
    ("sdpa mask shape", _sdpa(attn_mask=torch.zeros(5, 6)), RuntimeError,
     r"The size of tensor a \(4\) must match the size of tensor b \(5\) at non-singleton dimension 2"),
    ("sdpa mask beyond scores", _sdpa((1, 1, 4, 5), (1, 1, 6, 5), (1, 1, 6, 7), attn_mask=torch.zeros(2, 4, 6)),
     RuntimeError, r"output with shape \[1, 1, 4, 6\] doesn't match the broadcast shape \[1, 2, 4, 6\]"),
    ("sdpa 1-D mask", _sdpa(attn_mask=torch.zeros(6)), IndexError,
     r"Dimension out of range \(expected to be in range of \[-1, 0\], but got -2\)"),
    ("sdpa mask dtype", _sdpa(attn_mask=torch.zeros(4, 6, dtype=torch.int64)), RuntimeError,
     "bool or float or to match query dtype, but got attn_mask.dtype: long int and  query.dtype: float instead"),
    ("sdpa mask float64", _sdpa(attn_mask=torch.zeros(4, 6, dtype=F64)), RuntimeError,
     "but got attn_mask.dtype: double and  query.dtype: float"),
    ("sdpa head dim", _sdpa(k=(2, 3, 6, 4)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[6, 5\] but got: \[6, 4\]."),
    ("sdpa key/value length", _sdpa(v=(2, 3, 5, 7)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[6, 6\] but got: \[6, 5\]."),
    ("sdpa heads", _sdpa(k=(2, 2, 6, 5), v=(2, 2, 6, 7)), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
    ("sdpa gqa heads", _sdpa((2, 4, 3, 5), (2, 3, 6, 5), (2, 3, 6, 7), enable_gqa=True), RuntimeError,
     "Number of heads in key and value must divide the number of heads in"),
    ("sdpa gqa 2-D", _sdpa((4, 5), (6, 5), (6, 7), enable_gqa=True), IndexError,
     r"expected to be in range of \[-2, 1\], but got -3"),
    ("pixel_shuffle 2-D", lambda: F.pixel_shuffle(torch.zeros(4, 4), 2), RuntimeError,
     r"pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 dimension\(s\)"),
    ("pixel_shuffle channels", lambda: F.pixel_shuffle(torch.zeros(1, 6, 2, 2), 2), RuntimeError,
     r"divisible by the square of upscale_factor, but input.size\(-3\)=6 is not divisible by 4"),
    ("pixel_shuffle factor 0", lambda: F.pixel_shuffle(torch.zeros(1, 4, 2, 2), 0), RuntimeError,
     "pixel_shuffle expects a positive upscale_factor, but got 0"),
    ("pixel_shuffle float factor", lambda: F.pixel_shuffle(torch.zeros(1, 4, 2, 2), 2.0), TypeError,
     "argument 'upscale_factor' \\(position 2\\) must be int, not float"),
    ("pixel_unshuffle height", lambda: F.pixel_unshuffle(torch.zeros(1, 1, 3, 4), 2), RuntimeError,
     r"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size\(-2\)=3"),
    ("pixel_unshuffle width", lambda: F.pixel_unshuffle(torch.zeros(1, 1, 4, 3), 2), RuntimeError,
     r"expects width to be divisible by downscale_factor, but input.size\(-1\)=3 is not divisible by 2"),
    ("pixel_unshuffle factor -1", lambda: torch.nn.PixelUnshuffle(-1)(torch.zeros(1, 1, 4, 4)), RuntimeError,
     "pixel_unshuffle expects a positive downscale_factor, but got -1"),
    ("mha heads", lambda: torch.nn.MultiheadAttention(10, 3), AssertionError, "embed_dim must be divisible by num_heads"),
    ("mha zero dim", lambda: torch.nn.MultiheadAttention(0, 3), ValueError,
     "embed_dim and num_heads must be greater than 0, got embed_dim=0 and num_heads=3 instead"),
    ("mha 4-D query", _mha((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4)), AssertionError,
     "query should be unbatched 2D or batched 3D tensor but received 4-D query tensor"),
    ("mha key dims", _mha((2, 3, 4), (2, 4), (2, 4)), AssertionError,
     "For batched \\(3-D\\) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D tensors respectively"),
    ("mha embed dim", _mha((2, 3, 5), (2, 3, 5), (2, 3, 5)), AssertionError,
     "was expecting embedding dimension of 4, but got 5"),
    ("mha 2-D mask", _mha((2, 3, 4), (5, 3, 4), (5, 3, 4), attn_mask=torch.zeros(2, 4)), RuntimeError,
     r"The shape of the 2D attn_mask is torch.Size\(\[2, 4\]\), but should be \(2, 5\)."),
    ("mha 3-D mask", _mha((2, 3, 4), (5, 3, 4), (5, 3, 4), attn_mask=torch.zeros(2, 2, 5)), RuntimeError,
     r"The shape of the 3D attn_mask is torch.Size\(\[2, 2, 5\]\), but should be \(6, 2, 5\)."),
    ("mha 4-D mask", _mha((2, 3, 4), (5, 3, 4), (5, 3, 4), attn_mask=torch.zeros(1, 6, 2, 5)), AssertionError,
     "expected `attn_mask` to be `None`, 2-D or 3-D but found 4-D tensor instead"),
    ("mha padding mask", _mha((2, 3, 4), (5, 3, 4), (5, 3, 4), key_padding_mask=torch.zeros(3, 4, dtype=torch.bool)),
     AssertionError, r"Expected key_padded_mask.shape\[1\] to be 5, but got 4"),
    ("mha padding mask dtype", _mha((2, 3, 4), (5, 3, 4), (5, 3, 4),
                                    key_padding_mask=torch.zeros(3, 5, dtype=torch.int64)),
     AssertionError, "only bool and floating types of key_padding_mask are supported"),
    ("mha causal without mask", _mha((2, 3, 4), (5, 3, 4), (5, 3, 4), is_causal=True), RuntimeError,
     "Need attn_mask if specifying the is_causal hint"),
    ("mha key/value shapes", _mha((2, 3, 4), (5, 3, 4), (6, 3, 4)), AssertionError,
     r"key shape torch.Size\(\[5, 3, 4\]\) does not match value shape torch.Size\(\[6, 3, 4\]\)"),
    ("mha unbatched 3-D mask", _mha((2, 4), (5, 4), (5, 4), attn_mask=torch.zeros(3, 2, 5)), AssertionError,
     r"Expected `attn_mask` shape to be \(2, 2, 5\) but got torch.Size\(\[3, 2, 5\]\)"),
    ("encoder activation", lambda: torch.nn.TransformerEncoderLayer(4, 2, activation="tanh"), RuntimeError,
     "activation should be relu/gelu, not tanh"),
    ("transformer batch", lambda: torch.nn.Transformer(4, 2, 1, 1, 8)(torch.zeros(3, 2, 4), torch.zeros(3, 5, 4)),
     RuntimeError, "the batch number of src and tgt must be equal"),
    ("transformer features", lambda: torch.nn.Transformer(4, 2, 1, 1, 8)(torch.zeros(3, 2, 4), torch.zeros(3, 2, 5)),
     RuntimeError, "the feature number of src and tgt must be equal to d_model"),
]


@pytest.mark.parametrize("fn,exc,msg", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_inputs(fn, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=msg):
            fn()


# ---- parity with real PyTorch, side by side: same seed, same weights, same numbers

def _np(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64)


def _same(ours, theirs, tol):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=tol, atol=tol)


def _run_both(build, call, seed_value, inputs, tol):
    """build(lib) -> module, call(lib, module, *inputs) -> output: outputs, weights and all gradients agree."""
    results = []
    for lib in (torch, real_torch):
        lib.manual_seed(seed_value)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = build(lib)
        xs = [lib.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a for a in inputs]
        out = call(lib, m, *xs)
        first = out[0] if isinstance(out, tuple) else out
        first.sum().backward()
        results.append((m, out, xs))
    (m1, o1, x1), (m2, o2, x2) = results
    assert list(m1.state_dict()) == list(m2.state_dict())
    for (n, a), b in zip(m1.state_dict().items(), m2.state_dict().values()):
        np.testing.assert_array_equal(_np(a), _np(b), err_msg=n)
    for a, b in zip(o1 if isinstance(o1, tuple) else (o1,), o2 if isinstance(o2, tuple) else (o2,)):
        assert (a is None) == (b is None)
        if a is not None:
            _same(a, b, tol)
    for (n, p), q in zip(m1.named_parameters(), m2.parameters()):
        _same(p.grad, q.grad, tol * 10)
    for a, b in zip(x1, x2):
        if hasattr(a, "grad") and a.grad is not None:
            _same(a.grad, b.grad, tol * 10)


MHA_PARITY = [
    ({}, {}), ({"batch_first": True}, {}), ({"kdim": 3, "vdim": 5}, {"need_weights": False}),
    ({"add_bias_kv": True}, {"average_attn_weights": False}), ({"add_zero_attn": True}, {"need_weights": False}),
    ({"bias": False}, {"key_padding_mask": "kpm"}), ({}, {"attn_mask": "bool", "need_weights": False}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"attn_mask": "float", "key_padding_mask": "kpm"}),
]


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ctor,kw", MHA_PARITY, ids=[f"{a}-{b}" for a, b in MHA_PARITY])
def test_parity_multihead_attention(ctor, kw, dtype):
    bf = ctor.get("batch_first", False)
    shape = (lambda n, e: (3, n, e)) if bf else (lambda n, e: (n, 3, e))
    q, k, v = (rand(shape(n, e), ("p", n, e)).astype(dtype)
               for n, e in ((4, 8), (5, ctor.get("kdim", 8)), (5, ctor.get("vdim", 8))))
    r = np.random.default_rng(9)
    kpm = r.random((3, 5)) > 0.7
    am = r.random((4, 5)) > 0.7 if kw.get("attn_mask") == "bool" else r.standard_normal((4, 5)).astype(dtype)

    def call(lib, m, q, k, v):
        extra = dict(kw)
        if "key_padding_mask" in extra:
            extra["key_padding_mask"] = lib.tensor(kpm)
        if "attn_mask" in extra:
            extra["attn_mask"] = lib.tensor(am)
        return m(q, k, v, **extra)
    tdtype = "float32" if dtype == np.float32 else "float64"
    _run_both(lambda lib: lib.nn.MultiheadAttention(8, 2, dtype=getattr(lib, tdtype), **ctor), call, 11, (q, k, v),
              1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("name", ["plain", "causal", "causal L > S", "bool mask", "float mask", "scale", "5-D",
                                  "batch broadcast", "gqa"])
def test_parity_sdpa(name):
    (q, k, v), _, np_mask, kw = sdpa_inputs(name)
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        res = []
        for lib in (torch, real_torch):
            xs = [lib.tensor(a.astype(dtype), requires_grad=True) for a in (q, k, v)]
            extra = dict(kw)
            if np_mask is not None:
                extra["attn_mask"] = lib.tensor(np_mask if np_mask.dtype == bool else np_mask.astype(dtype))
            out = lib.nn.functional.scaled_dot_product_attention(*xs, **extra)
            out.backward(lib.tensor(rand(tuple(out.shape), "pg").astype(dtype)))
            res.append([out] + [x.grad for x in xs])
        for a, b in zip(*res):
            _same(a, b, tol)


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_parity_encoder_decoder_layers(norm_first, activation):
    kw = dict(dropout=0.0, activation=activation, norm_first=norm_first)
    src, tgt = rand((5, 2, 8), "ps").astype(np.float32), rand((4, 2, 8), "pt").astype(np.float32)

    def enc(lib, m, x):
        m.eval()
        mask = lib.nn.Transformer.generate_square_subsequent_mask(5)
        return m(x, mask=mask, src_key_padding_mask=lib.tensor(np.array([[False] * 5, [False] * 4 + [True]])))
    _run_both(lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, **kw), 2,
                                                    norm=lib.nn.LayerNorm(8)), enc, 12, (src,), 1e-5)

    def dec(lib, m, x, mem):
        m.eval()
        return m(x, mem, tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4))
    _run_both(lambda lib: lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16, **kw), 2), dec, 13,
              (tgt, src), 1e-5)


@pytest.mark.parity
@needs_torch
def test_parity_transformer():
    src, tgt = rand((2, 6, 8), "ts").astype(np.float32), rand((2, 5, 8), "tt").astype(np.float32)

    def call(lib, m, s, t):
        m.eval()
        return m(s, t, tgt_mask=m.generate_square_subsequent_mask(5), tgt_is_causal=True)
    _run_both(lambda lib: lib.nn.Transformer(8, 2, 2, 2, 16, batch_first=True), call, 14, (src, tgt), 1e-5)


@pytest.mark.parity
@needs_torch
def test_parity_pixel_shuffle():
    a = rand((2, 18, 3, 4), "pps")
    for lib_fn in (lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3),
                   lambda lib, x: lib.nn.PixelUnshuffle(2)(x[:, :, 1:, :])):
        ours, theirs = (lib_fn(lib, lib.tensor(a)) for lib in (torch, real_torch))
        _same(ours, theirs, 0)


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("grad", [False, True])
def test_parity_encoder_inference_zeros_padding(grad):
    """PyTorch's inference fast path (nested tensors) gives zeros at padded positions; with grad it does not."""
    x = rand((2, 5, 8), "fp").astype(np.float32)
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    outs = []
    for lib in (torch, real_torch):
        lib.manual_seed(15)
        enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                        norm=lib.nn.LayerNorm(8)).eval()
        with lib.set_grad_enabled(grad):
            outs.append(enc(lib.tensor(x), src_key_padding_mask=lib.tensor(kpm)))
    _same(outs[0], outs[1], 1e-5)
    assert np.all(_np(outs[0])[1, 3:] == 0) != grad
