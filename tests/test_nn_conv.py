"""Convolution and pooling: F.conv1d/conv2d/conv_transpose1d/conv_transpose2d,
max/avg/adaptive pooling 1-d and 2-d and their modules, against NumPy
references written here (values), float64 finite differences (gradients),
PyTorch's error classes and messages, and real PyTorch side by side
(marker parity: same weights and inputs, outputs and gradients agree)."""
import contextlib
import math

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, bf16_round, parity, real_torch, seed, to_numpy, torch

F = torch.nn.functional
nn = torch.nn


def rand(shape, dtype=np.float64, key="x"):
    return np.random.default_rng(seed(key, shape)).standard_normal(shape).astype(dtype)


def layout(a, how):
    """a tensor holding a: contiguous (c), with the last two dims swapped in memory (t), or every other
    element of a wider buffer (s)"""
    if how == "t":
        t = torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    elif how == "s":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        t = torch.tensor(big)[..., ::2]
    else:
        return torch.tensor(a)
    assert not t.is_contiguous()
    return t


# ---------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------

def np_conv2d(x, w, b=None, stride=(1, 1), pad=((0, 0), (0, 0)), dil=(1, 1), groups=1):
    """cross-correlation of x (N, C, H, W) with w (K, C/groups, kh, kw); pad: (before, after) per dim"""
    acc = np.int64 if x.dtype.kind in "iu" else np.float64
    xp = np.pad(x.astype(acc), ((0, 0), (0, 0)) + tuple(pad))
    n, c, h, wd = xp.shape
    k, cg, kh, kw = w.shape
    oh, ow = (h - dil[0] * (kh - 1) - 1) // stride[0] + 1, (wd - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, k, oh, ow), dtype=acc)
    kg = k // groups
    for g in range(groups):
        xs, ws = xp[:, g * cg:(g + 1) * cg], w[g * kg:(g + 1) * kg].astype(acc)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dil[0]:i * dil[0] + stride[0] * (oh - 1) + 1:stride[0],
                           j * dil[1]:j * dil[1] + stride[1] * (ow - 1) + 1:stride[1]]
                out[:, g * kg:(g + 1) * kg] += np.einsum("nchw,kc->nkhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.astype(acc)[None, :, None, None]
    return out.astype(x.dtype)


def np_conv_transpose2d(x, w, b=None, stride=(1, 1), pad=(0, 0), out_pad=(0, 0), dil=(1, 1), groups=1):
    """the adjoint of np_conv2d: x (N, K, H, W) spread through w (K, C/groups, kh, kw)"""
    acc = np.int64 if x.dtype.kind in "iu" else np.float64
    n, k, h, wd = x.shape
    _, cg, kh, kw = w.shape
    full = [(h - 1) * stride[0] + dil[0] * (kh - 1) + 1 + out_pad[0],
            (wd - 1) * stride[1] + dil[1] * (kw - 1) + 1 + out_pad[1]]
    out = np.zeros((n, cg * groups, full[0], full[1]), dtype=acc)
    kg = k // groups
    for g in range(groups):
        xs, ws = x[:, g * kg:(g + 1) * kg].astype(acc), w[g * kg:(g + 1) * kg].astype(acc)
        for i in range(kh):
            for j in range(kw):
                out[:, g * cg:(g + 1) * cg, i * dil[0]:i * dil[0] + stride[0] * (h - 1) + 1:stride[0],
                    j * dil[1]:j * dil[1] + stride[1] * (wd - 1) + 1:stride[1]] += \
                    np.einsum("nkhw,kc->nchw", xs, ws[:, :, i, j])
    out = out[:, :, pad[0]:full[0] - pad[0], pad[1]:full[1] - pad[1]]
    if b is not None:
        out = out + b.astype(acc)[None, :, None, None]
    return out.astype(x.dtype)


def np_conv2d_grads(x, w, gy, stride, pad, dil, groups):
    """the gradients of np_conv2d's output (gradient gy) for x and w, by the same windows"""
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pad))
    gxp, gw = np.zeros_like(xp), np.zeros_like(w)
    k, cg, kh, kw = w.shape
    _, _, oh, ow = gy.shape
    kg = k // groups
    for g in range(groups):
        cs, ks = slice(g * cg, (g + 1) * cg), slice(g * kg, (g + 1) * kg)
        for i in range(kh):
            for j in range(kw):
                win = (slice(None), cs, slice(i * dil[0], i * dil[0] + stride[0] * (oh - 1) + 1, stride[0]),
                       slice(j * dil[1], j * dil[1] + stride[1] * (ow - 1) + 1, stride[1]))
                gw[ks, :, i, j] += np.einsum("nkhw,nchw->kc", gy[:, ks], xp[win])
                gxp[win] += np.einsum("nkhw,kc->nchw", gy[:, ks], w[ks, :, i, j])
    h, wd = xp.shape[2:]
    return gxp[:, :, pad[0][0]:h - pad[0][1], pad[1][0]:wd - pad[1][1]], gw


def pool_len(size, k, s, p, d, ceil):
    """PyTorch's documented pooling output length (a last window starting in the right padding is dropped)"""
    span = size + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil else span // s) + 1
    if ceil and (n - 1) * s >= size + p:
        n -= 1
    return n


def np_max_pool2d(x, k, s, p, d=(1, 1), ceil=False):
    """values and flat in-plane indices; the first maximum wins and a NaN wins over numbers (the last NaN)"""
    n, c, h, w = x.shape
    oh, ow = pool_len(h, k[0], s[0], p[0], d[0], ceil), pool_len(w, k[1], s[1], p[1], d[1], ceil)
    val, idx = np.zeros((n, c, oh, ow), dtype=x.dtype), np.zeros((n, c, oh, ow), dtype=np.int64)
    for a in range(oh):
        for b in range(ow):
            rows = [a * s[0] - p[0] + i * d[0] for i in range(k[0])]
            cols = [b * s[1] - p[1] + j * d[1] for j in range(k[1])]
            pos = [(r, q) for r in rows if 0 <= r < h for q in cols if 0 <= q < w]
            for nn_ in range(n):
                for cc in range(c):
                    best = None
                    for r, q in pos:
                        v = x[nn_, cc, r, q]
                        if best is None or v > best[0] or v != v:
                            best = (v, r * w + q)
                    val[nn_, cc, a, b], idx[nn_, cc, a, b] = best
    return val, idx


def np_avg_pool2d(x, k, s, p, ceil=False, include_pad=True, divisor=None):
    """window means; integer sums divide truncating toward zero, as C (and PyTorch) do"""
    n, c, h, w = x.shape
    oh, ow = pool_len(h, k[0], s[0], p[0], 1, ceil), pool_len(w, k[1], s[1], p[1], 1, ceil)
    ints = x.dtype.kind in "iu"
    out = np.zeros((n, c, oh, ow), dtype=np.int64 if ints else np.float64)
    for a in range(oh):
        for b in range(ow):
            h0, w0 = a * s[0] - p[0], b * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            padded = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0:h1, w0:w1].astype(out.dtype).sum(axis=(2, 3))
            div = divisor or (padded if include_pad else (h1 - h0) * (w1 - w0))
            out[:, :, a, b] = np.sign(total) * (np.abs(total) // div) if ints else total / div
    return out.astype(x.dtype)


def adaptive_bounds(size, out):
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def np_adaptive_pool2d(x, out, kind):
    """mean, or max with flat in-plane indices, over PyTorch's adaptive windows"""
    n, c, h, w = x.shape
    val, idx = np.zeros((n, c) + out, dtype=x.dtype), np.zeros((n, c) + out, dtype=np.int64)
    for a, (h0, h1) in enumerate(adaptive_bounds(h, out[0])):
        for b, (w0, w1) in enumerate(adaptive_bounds(w, out[1])):
            win = x[:, :, h0:h1, w0:w1].reshape(n, c, -1)
            if kind == "avg":
                val[:, :, a, b] = win.mean(-1)
                continue
            flat = np.argmax(win, axis=-1)
            val[:, :, a, b] = win.max(-1)
            idx[:, :, a, b] = (h0 + flat // (w1 - w0)) * w + w0 + flat % (w1 - w0)
    return val, idx


# ---------------------------------------------------------------------------
# convolutions: values
# ---------------------------------------------------------------------------

CONV2D = [  # (x shape, w shape, bias, kwargs, numpy padding ((top, bottom), (left, right)))
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}, ((0, 0), (0, 0))),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(padding=1), ((1, 1), (1, 1))),
    ((2, 4, 9, 8), (6, 2, 3, 2), False, dict(stride=2, padding=(1, 0), groups=2), ((1, 1), (0, 0))),
    ((1, 6, 10, 10), (6, 2, 3, 3), True, dict(stride=(2, 1), padding=2, dilation=2, groups=3), ((2, 2), (2, 2))),
    ((3, 4, 5, 5), (8, 4, 1, 1), True, {}, ((0, 0), (0, 0))),                             # 1x1: no im2col
    ((2, 3, 5, 5), (4, 3, 1, 1), False, dict(stride=2), ((0, 0), (0, 0))),
    ((2, 3, 6, 7), (5, 3, 4, 2), True, dict(padding="same"), ((1, 2), (0, 1))),           # even kernel: one more after
    ((2, 3, 6, 7), (5, 3, 3, 3), True, dict(padding="same", dilation=(2, 1)), ((2, 2), (1, 1))),
    ((2, 3, 6, 7), (5, 3, 3, 3), True, dict(padding="valid"), ((0, 0), (0, 0))),
    ((2, 8, 6, 6), (8, 1, 3, 3), True, dict(padding=1, groups=8), ((1, 1), (1, 1))),      # depthwise
    ((2, 3, 1, 1), (2, 3, 3, 3), True, dict(padding=1), ((1, 1), (1, 1))),                 # kernel over padding only
]


def np_args(kw, pad):
    return dict(stride=np.broadcast_to(kw.get("stride", 1), 2), pad=pad, dil=np.broadcast_to(kw.get("dilation", 1), 2),
                groups=kw.get("groups", 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", range(len(CONV2D)))
def test_conv2d_matches_numpy(k, dtype):
    xs, ws, has_b, kw, pad = CONV2D[k]
    x, w = rand(xs, dtype), rand(ws, dtype, "w")
    b = rand((ws[0],), dtype, "b") if has_b else None
    got = F.conv2d(torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b), **kw)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert_close(got, np_conv2d(x, w, b, **np_args(kw, pad)), rtol=tol, atol=tol)


@pytest.mark.parametrize("how", ["t", "s"])
def test_conv2d_non_contiguous_operands(how):
    x, w, b = rand((2, 3, 6, 5)), rand((4, 3, 3, 2), key="w"), rand((8,), key="b")
    got = F.conv2d(layout(x, how), layout(w, how), torch.tensor(b)[::2], stride=(1, 2), padding=1)
    assert_close(got, np_conv2d(x, w, b[::2], stride=(1, 2), pad=((1, 1), (1, 1))), rtol=1e-10, atol=1e-10)


def test_conv2d_unbatched_input_gives_unbatched_output():
    x, w = rand((3, 6, 5)), rand((4, 3, 3, 3), key="w")
    got = F.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    assert tuple(got.shape) == (4, 6, 5)
    assert_close(got, np_conv2d(x[None], w, pad=((1, 1), (1, 1)))[0], rtol=1e-10, atol=1e-10)


def test_numpy_integers_and_lists_as_sizes():
    x = rand((2, 3, 6, 6))
    got = F.conv2d(torch.tensor(x), torch.tensor(rand((4, 3, 3, 3), key="w")), stride=np.int64(2), padding=[1])
    assert tuple(got.shape) == (2, 4, 3, 3)
    assert tuple(F.max_pool2d(torch.tensor(x), np.int64(3), [2, 1]).shape) == (2, 3, 2, 4)


def test_conv_empty_batch_and_no_input_channels():
    w = torch.tensor(rand((4, 3, 3, 3), key="w"))
    assert tuple(F.conv2d(torch.zeros(0, 3, 5, 5, dtype=torch.float64), w).shape) == (0, 4, 3, 3)
    assert tuple(F.conv_transpose2d(torch.zeros(0, 4, 3, 3, dtype=torch.float64), w).shape) == (0, 3, 5, 5)
    # no input channels: PyTorch's output has no channels either, and the gradients are zeros
    x0 = torch.zeros(2, 0, 4, 4, dtype=torch.float64, requires_grad=True)
    w0 = torch.zeros(5, 0, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.ones(5, dtype=torch.float64, requires_grad=True)
    got = F.conv2d(x0, w0, b)
    assert tuple(got.shape) == (2, 0, 2, 2)
    got.sum().backward()
    assert tuple(x0.grad.shape) == (2, 0, 4, 4) and tuple(w0.grad.shape) == (5, 0, 3, 3)
    assert_close(b.grad, np.zeros(5))


INT_DTYPES = [("int64", np.int64), ("int32", np.int32), ("int16", np.int16), ("int8", np.int8), ("uint8", np.uint8)]


@pytest.mark.parametrize("name,npd", INT_DTYPES)
def test_conv2d_integer_dtypes_wrap_like_pytorch(name, npd):
    rng = np.random.default_rng(seed("int", name))
    x, w = rng.integers(0, 100, (2, 3, 5, 4)).astype(npd), rng.integers(0, 100, (4, 3, 3, 2)).astype(npd)
    b = rng.integers(0, 100, (4,)).astype(npd)
    got = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=(1, 0))
    assert_close(got, np_conv2d(x, w, b, pad=((1, 1), (0, 0))))


def test_conv_transpose2d_int64_and_unsupported_integers():
    x, w = np.arange(2 * 3 * 3 * 2).reshape(2, 3, 3, 2) - 10, np.arange(3 * 2 * 2 * 2).reshape(3, 2, 2, 2) - 7
    got = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2)
    assert_close(got, np_conv_transpose2d(x, w, stride=(2, 2)))
    with pytest.raises(NotImplementedError, match="\"slow_conv_transpose2d_out_cpu\" not implemented for 'Int'"):
        F.conv_transpose2d(torch.tensor(x).int(), torch.tensor(w).int())


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_conv_half_precision_computes_in_float32(name):
    x, w = rand((2, 3, 6, 5), np.float32), rand((4, 3, 3, 3), np.float32, "w")
    dt = getattr(torch, name)
    xt, wt = torch.tensor(x).to(dt), torch.tensor(w).to(dt)
    got = F.conv2d(xt, wt, padding=1)
    assert got.dtype == dt
    xr, wr = to_numpy(xt.float()), to_numpy(wt.float())
    expected = np_conv2d(xr.astype(np.float64), wr.astype(np.float64), pad=((1, 1), (1, 1)))
    tol = 2e-2 if name == "bfloat16" else 4e-3
    np.testing.assert_allclose(to_numpy(got.float()), expected, rtol=tol, atol=tol * 8)


CONV1D = [  # (x shape, w shape, kwargs, numpy padding)
    ((2, 3, 9), (4, 3, 3), {}, (0, 0)),
    ((2, 4, 11), (6, 2, 4), dict(stride=2, padding=2, dilation=2, groups=2), (2, 2)),
    ((2, 3, 8), (4, 3, 4), dict(padding="same"), (1, 2)),
    ((3, 8), (5, 3, 2), dict(padding=1), (1, 1)),                                        # unbatched
]


@pytest.mark.parametrize("k", range(len(CONV1D)))
def test_conv1d_matches_numpy(k):
    xs, ws, kw, pad = CONV1D[k]
    x, w, b = rand(xs), rand(ws, key="w"), rand((ws[0],), key="b")
    got = F.conv1d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw)
    x4 = (x if len(xs) == 3 else x[None])[:, :, None]
    exp = np_conv2d(x4, w[:, :, None], b, stride=(1, kw.get("stride", 1)), pad=((0, 0), pad),
                    dil=(1, kw.get("dilation", 1)), groups=kw.get("groups", 1))[:, :, 0]
    assert_close(got, exp if len(xs) == 3 else exp[0], rtol=1e-10, atol=1e-10)


CONV_T = [  # (x shape, w shape, kwargs)
    ((2, 4, 3, 5), (4, 3, 3, 3), {}),
    ((2, 4, 3, 5), (4, 2, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 6, 4, 4), (6, 1, 3, 3), dict(stride=(3, 2), padding=(2, 1), output_padding=(1, 0), dilation=2, groups=3)),
    ((2, 4, 3, 3), (4, 5, 1, 1), {}),                                                       # 1x1: no col2im
    ((2, 3, 2, 2), (3, 2, 2, 2), dict(stride=2)),
    # stride 1 runs as a convolution with the flipped kernel, padded d * (k - 1) - p (here -1, 0, 3 and 1)
    ((2, 4, 7, 6), (4, 3, 3, 3), dict(padding=(3, 2))),
    ((2, 4, 5, 6), (4, 2, 3, 2), dict(padding=1, dilation=2, groups=2)),
    ((2, 4, 4, 4), (4, 3, 3, 3), dict(dilation=2, output_padding=1)),
]


@pytest.mark.parametrize("how", ["c", "t"])
@pytest.mark.parametrize("k", range(len(CONV_T)))
def test_conv_transpose2d_matches_numpy(k, how):
    xs, ws, kw = CONV_T[k]
    g = kw.get("groups", 1)
    x, w, b = rand(xs), rand(ws, key="w"), rand((ws[1] * g,), key="b")
    got = F.conv_transpose2d(layout(x, how), torch.tensor(w), torch.tensor(b), **kw)
    exp = np_conv_transpose2d(x, w, b, stride=np.broadcast_to(kw.get("stride", 1), 2),
                              pad=np.broadcast_to(kw.get("padding", 0), 2),
                              out_pad=np.broadcast_to(kw.get("output_padding", 0), 2),
                              dil=np.broadcast_to(kw.get("dilation", 1), 2), groups=g)
    assert_close(got, exp, rtol=1e-10, atol=1e-10)


def test_conv_transpose1d_matches_numpy():
    x, w = rand((2, 4, 5)), rand((4, 3, 3), key="w")
    got = F.conv_transpose1d(torch.tensor(x), torch.tensor(w), stride=2, padding=1, output_padding=1)
    exp = np_conv_transpose2d(x[:, :, None], w[:, :, None], stride=(1, 2), pad=(0, 1), out_pad=(0, 1))[:, :, 0]
    assert_close(got, exp, rtol=1e-10, atol=1e-10)


def random_conv_config(k):
    """a random valid convolution: shapes, stride, padding, dilation, groups"""
    r = np.random.default_rng(seed("config", k))
    g = int(r.choice([1, 1, 2, 3]))
    cg, kg = int(r.integers(1, 4)), int(r.integers(1, 4))
    ks, st, dl = r.integers(1, 4, 2), r.integers(1, 4, 2), r.integers(1, 3, 2)
    pd = np.array([r.integers(0, 1 + (dl[d] * (ks[d] - 1) + 1) // 2 + 1) for d in range(2)])
    if k % 2 == 0:   # every other one: stride 1 and as wide as the input (the kernels' shortcuts)
        st, pd = np.ones(2, dtype=np.int64), dl * (ks - 1) // 2
    hw = np.maximum(dl * (ks - 1) + 1 - 2 * pd, 1) + r.integers(0, 6, 2)
    return (int(r.integers(1, 4)), g * cg, *map(int, hw)), (g * kg, cg, *map(int, ks)), \
        dict(stride=tuple(map(int, st)), padding=tuple(map(int, pd)), dilation=tuple(map(int, dl)), groups=g)


@pytest.mark.parametrize("k", range(24))
def test_random_convolutions_and_their_gradients_match_numpy(k):
    xs, ws, kw = random_conv_config(k)
    x, w, b = rand(xs), rand(ws, key="w"), rand((ws[0],), key="b")
    pad = tuple((p, p) for p in kw["padding"])
    xt, wt = torch.tensor(x).requires_grad_(), torch.tensor(w).requires_grad_()
    y = F.conv2d(xt, wt, torch.tensor(b), **kw)
    assert_close(y.detach(), np_conv2d(x, w, b, kw["stride"], pad, kw["dilation"], kw["groups"]), rtol=1e-10,
                 atol=1e-10)
    gy = rand(tuple(y.shape), key="gy")
    y.backward(torch.tensor(gy))
    gx, gw = np_conv2d_grads(x, w, gy, kw["stride"], pad, kw["dilation"], kw["groups"])
    assert_close(xt.grad, gx, rtol=1e-10, atol=1e-10)
    assert_close(wt.grad, gw, rtol=1e-10, atol=1e-10)
    # the transposed convolution of gy with the same parameters gives x's gradient back (output_padding
    # making up the rows the stride skipped)
    op = tuple(int(xs[2 + d] - ((gy.shape[2 + d] - 1) * kw["stride"][d] - 2 * kw["padding"][d]
                                + kw["dilation"][d] * (ws[2 + d] - 1) + 1)) for d in range(2))
    if all(o < max(kw["stride"][d], kw["dilation"][d]) for d, o in enumerate(op)):
        back = F.conv_transpose2d(torch.tensor(gy), torch.tensor(w), None, kw["stride"], kw["padding"], op,
                                  kw["groups"], kw["dilation"])
        assert_close(back, gx, rtol=1e-10, atol=1e-10)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for the same parameters"""
    x, w = rand((2, 4, 9, 8)), rand((6, 2, 3, 3), key="w")
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    y = rand(tuple(F.conv2d(torch.tensor(x), torch.tensor(w), **kw).shape), key="y")
    lhs = (to_numpy(F.conv2d(torch.tensor(x), torch.tensor(w), **kw)) * y).sum()
    back = F.conv_transpose2d(torch.tensor(y), torch.tensor(w), output_padding=(0, 1), **kw)
    rhs = (to_numpy(back) * x).sum()
    assert math.isclose(lhs, rhs, rel_tol=1e-10)


def test_convolution_function():
    x, w, b = rand((2, 3, 6, 6)), rand((4, 3, 3, 3), key="w"), rand((4,), key="b")
    got = torch.convolution(torch.tensor(x), torch.tensor(w), torch.tensor(b), [1, 1], [1, 1], [1, 1], False, [0, 0], 1)
    assert_close(got, np_conv2d(x, w, b, pad=((1, 1), (1, 1))), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------
# pooling: values
# ---------------------------------------------------------------------------

MAXPOOL = [  # (kernel, stride, padding, dilation, ceil_mode)
    ((2, 2), None, (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((2, 3), (1, 2), (1, 1), (2, 1), False),
    ((3, 2), (2, 3), (1, 0), (1, 2), True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", range(len(MAXPOOL)))
def test_max_pool2d_values_and_indices(k, dtype):
    ker, st, pad, dil, ceil = MAXPOOL[k]
    x = rand((2, 3, 9, 7), dtype)
    val, idx = F.max_pool2d(layout(x, "t"), ker, st, pad, dil, ceil_mode=ceil, return_indices=True)
    ev, ei = np_max_pool2d(x, ker, st or ker, pad, dil, ceil)
    assert_close(val, ev)
    assert_close(idx, ei)
    assert_close(F.max_pool2d(torch.tensor(x), ker, st, pad, dil, ceil), ev)


def test_max_pool2d_nan_wins_and_first_maximum_wins():
    nan, inf = float("nan"), float("inf")
    x = np.array([[[[1, nan, 3, nan], [nan, 0, 2, 5]], [[1, 1, 3, 3], [1, 0, 3, 5]], [[-inf] * 4, [-inf] * 4]]])
    val, idx = F.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert_close(val, [[[[nan, nan]], [[1, 5]], [[-inf, -inf]]]])
    assert_close(idx, [[[[4, 3]], [[0, 7]], [[0, 2]]]])
    val, idx = F.adaptive_max_pool2d(torch.tensor(x), (1, 2), return_indices=True)
    assert_close(idx, [[[[4, 3]], [[0, 7]], [[0, 2]]]])


@pytest.mark.parametrize("name,npd", [("int64", np.int64), ("int32", np.int32), ("uint8", np.uint8),
                                      ("int8", np.int8), ("int16", np.int16)])
def test_max_pool2d_integer_dtypes(name, npd):
    x = np.random.default_rng(seed("mpi", name)).integers(-50 if npd != np.uint8 else 0, 120, (2, 2, 5, 4)).astype(npd)
    val, idx = F.max_pool2d(torch.tensor(x), 2, padding=1, return_indices=True)
    ev, ei = np_max_pool2d(x, (2, 2), (2, 2), (1, 1))
    assert_close(val, ev)
    assert_close(idx, ei)


AVGPOOL = [  # (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ((2, 2), None, (0, 0), False, True, None),
    ((3, 3), (2, 2), (1, 1), True, True, None),
    ((3, 3), (2, 2), (1, 1), True, False, None),
    ((2, 3), (1, 2), (1, 1), False, False, None),
    ((2, 2), (2, 1), (1, 0), False, True, 3),
]


@pytest.mark.parametrize("k", range(len(AVGPOOL)))
def test_avg_pool2d_matches_numpy(k):
    ker, st, pad, ceil, inc, div = AVGPOOL[k]
    x = rand((2, 3, 9, 7))
    got = F.avg_pool2d(layout(x, "s"), ker, st, pad, ceil, inc, div)
    assert_close(got, np_avg_pool2d(x, ker, st or ker, pad, ceil, inc, div), rtol=1e-12, atol=1e-12)


def test_avg_pool2d_int64_truncates_toward_zero():
    x = np.array([[[[-7, 3, 2, -4], [1, -1, 5, 6]]]])
    for kw in [dict(kernel_size=2), dict(kernel_size=(1, 3), padding=(0, 1)),
               dict(kernel_size=(1, 3), padding=(0, 1), count_include_pad=False), dict(kernel_size=2, divisor_override=3)]:
        ker = np.broadcast_to(kw["kernel_size"], 2)
        exp = np_avg_pool2d(x, ker, ker, np.broadcast_to(kw.get("padding", 0), 2), False,
                            kw.get("count_include_pad", True), kw.get("divisor_override"))
        assert_close(F.avg_pool2d(torch.tensor(x), **kw), exp)


@pytest.mark.parametrize("out", [(3, 2), (4, 5), (9, 7), (2, 7), (1, 1)])
def test_adaptive_pools_match_numpy(out):
    x = rand((2, 3, 9, 7))
    assert_close(F.adaptive_avg_pool2d(layout(x, "t"), out), np_adaptive_pool2d(x, out, "avg")[0],
                 rtol=1e-12, atol=1e-12)
    val, idx = F.adaptive_max_pool2d(torch.tensor(x), out, return_indices=True)
    ev, ei = np_adaptive_pool2d(x, out, "max")
    assert_close(val, ev)
    assert_close(idx, ei)


def test_adaptive_output_size_none_keeps_the_input_size():
    x = rand((2, 3, 6, 5))
    assert tuple(F.adaptive_avg_pool2d(torch.tensor(x), (None, 2)).shape) == (2, 3, 6, 2)
    assert tuple(nn.AdaptiveMaxPool2d((3, None))(torch.tensor(x)).shape) == (2, 3, 3, 5)


def test_pools_of_unbatched_and_empty_batch_inputs():
    x = rand((3, 6, 5))
    assert_close(F.max_pool2d(torch.tensor(x), 2), np_max_pool2d(x[None], (2, 2), (2, 2), (0, 0))[0][0])
    assert_close(F.avg_pool2d(torch.tensor(x), 2), np_avg_pool2d(x[None], (2, 2), (2, 2), (0, 0))[0], rtol=1e-12)
    assert tuple(F.max_pool2d(torch.zeros(0, 3, 4, 4), 2).shape) == (0, 3, 2, 2)
    assert tuple(F.adaptive_avg_pool2d(torch.zeros(0, 3, 4, 4), 2).shape) == (0, 3, 2, 2)
    assert tuple(F.adaptive_max_pool2d(torch.zeros(2, 3, 4, 4), 0).shape) == (2, 3, 0, 0)


def test_one_d_pools_match_the_two_d_ones():
    x = rand((2, 3, 11))
    x4 = x[:, :, None]
    val, idx = F.max_pool1d(torch.tensor(x), 3, 2, 1, 2, ceil_mode=True, return_indices=True)
    ev, ei = np_max_pool2d(x4, (1, 3), (1, 2), (0, 1), (1, 2), True)
    assert_close(val, ev[:, :, 0])
    assert_close(idx, ei[:, :, 0])
    assert_close(F.max_pool1d(torch.tensor(x), 2), np_max_pool2d(x4, (1, 2), (1, 2), (0, 0))[0][:, :, 0])
    assert_close(F.avg_pool1d(torch.tensor(x), 3, 2, 1, False, False),
                 np_avg_pool2d(x4, (1, 3), (1, 2), (0, 1), False, False)[:, :, 0], rtol=1e-12)
    assert_close(F.adaptive_avg_pool1d(torch.tensor(x), 4), np_adaptive_pool2d(x4, (1, 4), "avg")[0][:, :, 0],
                 rtol=1e-12)
    val, idx = F.adaptive_max_pool1d(torch.tensor(x), 4, return_indices=True)
    ev, ei = np_adaptive_pool2d(x4, (1, 4), "max")
    assert_close(val, ev[:, :, 0])
    assert_close(idx, ei[:, :, 0])
    assert tuple(F.max_pool1d(torch.tensor(x[0]), 2).shape) == (3, 5)   # unbatched


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_pools_in_half_precision(name):
    x = rand((2, 3, 6, 5), np.float32)
    xt = torch.tensor(x).to(getattr(torch, name))
    xr = to_numpy(xt.float()).astype(np.float64)
    rnd = (lambda a: bf16_round(a)) if name == "bfloat16" else (lambda a: a.astype(np.float16).astype(np.float32))
    assert_close(F.max_pool2d(xt, 2).float(), np_max_pool2d(xr, (2, 2), (2, 2), (0, 0))[0].astype(np.float32))
    exp = rnd(np_avg_pool2d(xr, (2, 2), (2, 2), (0, 0)).astype(np.float32))
    assert_close(F.avg_pool2d(xt, 2).float(), exp, rtol=1e-2, atol=1e-2)


# ---------------------------------------------------------------------------
# gradients: float64 finite differences, and grad_fn names
# ---------------------------------------------------------------------------

def leaf(shape, key="x", lo=None):
    v = rand(shape, key=key)
    if lo is not None:   # distinct values, so that max pooling's choice is stable under the finite steps
        v = np.random.default_rng(seed(key, shape)).permutation(np.prod(shape)).reshape(shape) * 0.1 + lo
    return torch.tensor(v).requires_grad_()


GRAD_CASES = [
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)),
     [(2, 4, 7, 6), (3, 4, 3, 2), (3,)]),
    ("conv2d groups", lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), [(2, 4, 5, 5), (6, 2, 2, 3), (6,)]),
    ("conv2d 1x1", lambda x, w: F.conv2d(x, w), [(2, 3, 4, 4), (5, 3, 1, 1)]),
    ("conv2d unbatched", lambda x, w: F.conv2d(x, w, padding=1), [(3, 4, 4), (2, 3, 3, 3)]),
    ("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2), [(2, 3, 9), (4, 3, 3), (4,)]),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
     [(2, 4, 3, 3), (4, 3, 3, 2), (6,)]),
    ("conv_transpose1d", lambda x, w: F.conv_transpose1d(x, w, stride=3, dilation=2), [(2, 3, 4), (3, 2, 2)]),
]


@pytest.mark.parametrize("k", range(len(GRAD_CASES)), ids=[c[0] for c in GRAD_CASES])
def test_conv_gradcheck(k):
    _, fn, shapes = GRAD_CASES[k]
    ins = tuple(leaf(s, f"g{i}") for i, s in enumerate(shapes))
    assert torch.autograd.gradcheck(fn, ins)


def test_conv_gradients_of_non_contiguous_inputs_and_weight_only():
    x = layout(rand((2, 3, 6, 5)), "t")
    w = torch.tensor(rand((4, 3, 3, 3), key="w")).requires_grad_()
    assert torch.autograd.gradcheck(lambda w: F.conv2d(x, w, padding=1), (w,))
    out = F.conv2d(x, w, padding=1)
    assert out.grad_fn.next_functions[0][0] is None    # the input needs no gradient
    out.sum().backward()
    assert tuple(w.grad.shape) == (4, 3, 3, 3)


POOL_GRAD_CASES = [
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 3, 7, 6)),
    ("max_pool2d dilated", lambda x: F.max_pool2d(x, (2, 2), (1, 2), (1, 1), (2, 1)), (1, 2, 6, 7)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 7, 6)),
    ("avg_pool2d divisor", lambda x: F.avg_pool2d(x, 2, 1, divisor_override=3), (1, 2, 4, 5)),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 4)), (2, 3, 7, 6)),
    ("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (3, 2)), (2, 3, 7, 6)),
    ("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1), (2, 3, 9)),
    ("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, 1), (2, 3, 9)),
    ("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 4), (2, 3, 9)),
    ("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 4), (2, 3, 9)),
]


@pytest.mark.parametrize("k", range(len(POOL_GRAD_CASES)), ids=[c[0] for c in POOL_GRAD_CASES])
def test_pool_gradcheck(k):
    _, fn, shape = POOL_GRAD_CASES[k]
    assert torch.autograd.gradcheck(fn, (leaf(shape, "p", lo=-3.0),))


def test_max_pool_gradient_goes_to_the_chosen_element_and_overlaps_add():
    x = torch.tensor([[[[1.0, 5.0, 2.0], [0.0, 3.0, 4.0]]]], dtype=torch.float64).requires_grad_()
    F.max_pool2d(x, 2, stride=1).sum().backward()   # 5 is the max of both windows
    assert_close(x.grad, np.array([[[[0.0, 2, 0], [0, 0, 0]]]]))


GRAD_FN_NAMES = [
    (lambda x: F.conv2d(x, torch.ones(2, 3, 1, 1)), "ConvolutionBackward0"),
    (lambda x: F.conv_transpose2d(x, torch.ones(3, 2, 1, 1)), "ConvolutionBackward0"),
    (lambda x: F.conv1d(x[:, :, 0], torch.ones(2, 3, 1)), "ConvolutionBackward0"),
    (lambda x: F.conv2d(x[0], torch.ones(2, 3, 1, 1)), "SqueezeBackward1"),
    (lambda x: F.max_pool2d(x, 2), "MaxPool2DWithIndicesBackward0"),
    (lambda x: F.avg_pool2d(x, 2), "AvgPool2DBackward0"),
    (lambda x: F.adaptive_avg_pool2d(x, 2), "AdaptiveAvgPool2DBackward0"),
    (lambda x: F.adaptive_avg_pool2d(x, 1), "MeanBackward1"),
    (lambda x: F.adaptive_max_pool2d(x, 2), "AdaptiveMaxPool2DBackward0"),
    (lambda x: F.max_pool1d(x[0], 2), "SqueezeBackward1"),
    (lambda x: F.avg_pool1d(x[0], 2), "SqueezeBackward1"),
]


@pytest.mark.parametrize("k", range(len(GRAD_FN_NAMES)))
def test_grad_fn_names_are_pytorchs(k):
    fn, name = GRAD_FN_NAMES[k]
    out = fn(torch.ones(1, 3, 4, 4, requires_grad=True))
    assert type(out.grad_fn).__name__ == name or repr(out.grad_fn).startswith(f"<{name} object")


def test_no_graph_under_no_grad_and_for_integer_inputs():
    x = torch.ones(1, 3, 4, 4, requires_grad=True)
    with torch.no_grad():
        assert F.conv2d(x, torch.ones(2, 3, 1, 1)).grad_fn is None
        assert F.max_pool2d(x, 2).grad_fn is None
    assert F.max_pool2d(torch.ones(1, 1, 2, 2, dtype=torch.int64), 2).requires_grad is False


@pytest.mark.skipif(REFERENCE, reason="PyTorch differentiates its convolution twice; ctorch does not yet")
def test_second_derivative_through_conv_fails_loudly():
    x = torch.tensor(rand((1, 2, 5, 5))).requires_grad_()
    w = torch.tensor(rand((3, 2, 3, 3), key="w")).requires_grad_()
    gx, = torch.autograd.grad(F.conv2d(x, w).sum(), x, create_graph=True)
    assert gx.requires_grad
    with pytest.raises(NotImplementedError, match="the derivative of ConvolutionBackwardBackward0 is not implemented"):
        gx.sum().backward()


# ---------------------------------------------------------------------------
# modules
# ---------------------------------------------------------------------------

REPRS = [
    (lambda nn: nn.Conv2d(3, 8, 3), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda nn: nn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=2, bias=False,
                       padding_mode="reflect"),
     "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), groups=2, bias=False, "
     "padding_mode=reflect)"),
    (lambda nn: nn.Conv2d(3, 8, 3, padding="same"), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)"),
    (lambda nn: nn.Conv1d(2, 4, 5, padding=2), "Conv1d(2, 4, kernel_size=(5,), stride=(1,), padding=(2,))"),
    (lambda nn: nn.ConvTranspose2d(8, 4, 3, stride=2, output_padding=1),
     "ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"),
    (lambda nn: nn.ConvTranspose1d(8, 4, 3), "ConvTranspose1d(8, 4, kernel_size=(3,), stride=(1,))"),
    (lambda nn: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda nn: nn.MaxPool2d((3, 2), 1, 1, ceil_mode=True),
     "MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=True)"),
    (lambda nn: nn.MaxPool1d(3, 2), "MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda nn: nn.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (lambda nn: nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
    (lambda nn: nn.AdaptiveAvgPool2d((None, 3)), "AdaptiveAvgPool2d(output_size=(None, 3))"),
    (lambda nn: nn.AdaptiveAvgPool1d(4), "AdaptiveAvgPool1d(output_size=4)"),
    (lambda nn: nn.AdaptiveMaxPool2d(1, return_indices=True), "AdaptiveMaxPool2d(output_size=1)"),
    (lambda nn: nn.AdaptiveMaxPool1d(4), "AdaptiveMaxPool1d(output_size=4)"),
]


@pytest.mark.parametrize("k", range(len(REPRS)))
def test_module_repr_is_pytorchs(k):
    make, text = REPRS[k]
    assert repr(make(nn)) == text


def test_conv_module_parameters_and_default_init():
    m = nn.Conv2d(6, 8, (3, 2), groups=2)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [("weight", (8, 3, 3, 2)), ("bias", (8,))]
    assert list(m.state_dict().keys()) == ["weight", "bias"]
    bound = 1 / math.sqrt(3 * 3 * 2)   # kaiming_uniform_(a=sqrt(5)) and the bias share 1/sqrt(fan_in)
    w, b = to_numpy(m.weight.detach()), to_numpy(m.bias.detach())
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    assert np.abs(b).max() <= bound
    t = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False)
    assert tuple(t.weight.shape) == (4, 3, 3, 3) and t.bias is None
    assert list(t.state_dict().keys()) == ["weight"]


def test_conv_module_argument_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(3, 6, 3, groups=0)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv1d(3, 6, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect")


def test_conv_module_forward_matches_numpy():
    m = nn.Conv2d(3, 4, 3, stride=2, padding=1).double()
    x = rand((2, 3, 7, 6))
    exp = np_conv2d(x, to_numpy(m.weight.detach()), to_numpy(m.bias.detach()), stride=(2, 2), pad=((1, 1), (1, 1)))
    assert_close(m(torch.tensor(x)).detach(), exp, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(mode):
    m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    x = rand((1, 2, 4, 5))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode={"reflect": "reflect", "replicate": "edge",
                                                          "circular": "wrap"}[mode])
    exp = np_conv2d(xp, to_numpy(m.weight.detach()), to_numpy(m.bias.detach()))
    xt = torch.tensor(x).requires_grad_()
    assert_close(m(xt).detach(), exp, rtol=1e-10, atol=1e-10)
    assert torch.autograd.gradcheck(m, (xt,))


def test_conv_transpose_module_output_size():
    m = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1).double()
    x = torch.tensor(rand((1, 4, 5, 5)))
    assert tuple(m(x).shape) == (1, 2, 9, 9)
    assert tuple(m(x, output_size=[10, 10]).shape) == (1, 2, 10, 10)
    assert tuple(m(x, output_size=(1, 2, 10, 9)).shape) == (1, 2, 10, 9)
    with pytest.raises(ValueError, match=r"requested an output size of \[11, 11\], but valid sizes range from "
                                         r"\[9, 9\] to \[10, 10\]"):
        m(x, output_size=[11, 11])


def test_pool_modules_forward():
    x = torch.tensor(rand((2, 3, 8, 6)))
    val, idx = nn.MaxPool2d(2, return_indices=True)(x)
    ev, ei = np_max_pool2d(to_numpy(x), (2, 2), (2, 2), (0, 0))
    assert_close(val, ev)
    assert_close(idx, ei)
    assert_close(nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x),
                 np_avg_pool2d(to_numpy(x), (3, 3), (2, 2), (1, 1), False, False), rtol=1e-12)
    assert_close(nn.AdaptiveAvgPool2d(1)(x), to_numpy(x).mean((2, 3), keepdims=True), rtol=1e-12)
    assert tuple(nn.AdaptiveMaxPool1d(3)(x[0]).shape) == (3, 8, 3)
    assert tuple(nn.MaxPool1d(2)(x[0]).shape) == (3, 8, 3)
    assert tuple(nn.AvgPool1d(2)(x[0]).shape) == (3, 8, 3)
    assert tuple(nn.AdaptiveAvgPool1d(2)(x[0]).shape) == (3, 8, 2)


def test_small_cnn_trains_one_step():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 3))
    x = torch.tensor(rand((4, 1, 8, 8), np.float32))
    loss = (model(x) ** 2).mean()
    loss.backward()
    assert all(p.grad is not None and tuple(p.grad.shape) == tuple(p.shape) for p in model.parameters())
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    assert (model(x) ** 2).mean().item() < loss.item()


# ---------------------------------------------------------------------------
# bad inputs: PyTorch's exception classes and messages
# ---------------------------------------------------------------------------

def _x(*shape, dtype=None):
    return torch.zeros(*shape) if dtype is None else torch.zeros(*shape, dtype=dtype)


W = (8, 3, 3, 3)
BAD = [
    (lambda: F.conv2d(_x(2, 4, 5, 5), _x(*W)), RuntimeError,
     "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 5, 5] to have 3 channels, but got 4 "
     "channels instead"),
    (lambda: F.conv2d(_x(4, 5, 5), _x(*W)), RuntimeError, "expected input[1, 4, 5, 5] to have 3 channels"),
    (lambda: F.conv2d(_x(2, 6, 5, 5), _x(8, 2, 3, 3), groups=2), RuntimeError,
     "Given groups=2, weight of size [8, 2, 3, 3], expected input[2, 6, 5, 5] to have 4 channels, but got 6"),
    (lambda: F.conv2d(_x(2, 6, 5, 5), _x(7, 2, 3, 3), groups=3), RuntimeError,
     "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size [[7, 2, 3, 3]]"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), groups=16), RuntimeError,
     "Given groups=16, expected weight to be at least 16 at dimension 0, but got weight of size [8, 3, 3, 3]"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), groups=0), RuntimeError, "non-positive groups is not supported"),
    (lambda: F.conv2d(_x(2, 3, 2, 2), _x(*W)), RuntimeError,
     "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than "
     "actual input size"),
    (lambda: F.conv2d(_x(2, 3, 4, 4), _x(*W), dilation=2), RuntimeError,
     "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5)."),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), stride=0), RuntimeError, "non-positive stride is not supported"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), padding=-1), RuntimeError, "negative padding is not supported"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), dilation=0), RuntimeError, "non-positive dilation is not supported"),
    (lambda: F.conv2d(_x(3, 5), _x(*W)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 5]"),
    (lambda: F.conv1d(_x(2, 3, 5, 5), _x(*W)), RuntimeError,
     "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2, 3, 5, 5]"),
    (lambda: F.conv1d(_x(2, 3, 5), _x(*W)), RuntimeError,
     "Expected 4-dimensional input for 4-dimensional weight [8, 3, 3, 3], but got 3-dimensional input of size "
     "[2, 3, 5] instead"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(8, 3, 3)), RuntimeError,
     "expected stride to be a single integer value or a list of 1 values to match the convolution dimensions, but "
     "got stride=[1, 1]"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), padding=(1, 1, 1)), RuntimeError,
     "expected padding to be a single integer value or a list of 2 values to match the convolution dimensions, but "
     "got padding=[1, 1, 1]"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(8, 3)), RuntimeError, "weight should have at least three dimensions"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), _x(7)), RuntimeError,
     "Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 elements, but got bias of size [7]"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), _x(8, dtype=torch.float64)), RuntimeError,
     "Input type (float) and bias type (double) should be the same"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W, dtype=torch.float64)), RuntimeError,
     "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same"),
    (lambda: F.conv2d(_x(2, 3, 5, 5, dtype=torch.int64), _x(*W)), RuntimeError,
     "expected scalar type Long but found Float"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), stride=2, padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(*W), padding="full"), RuntimeError, "Invalid padding string: 'full'"),
    (lambda: F.conv2d(_x(2, 3, 5, 5), _x(8, 3, 3), padding="same"), RuntimeError,
     "Expected 3-dimensional input for 3-dimensional weight[8, 3, 3], but got 4-dimensional input"),
    (lambda: F.conv2d(_x(2, 3, 5, 5, dtype=torch.bool), _x(*W, dtype=torch.bool)), NotImplementedError,
     "\"slow_conv2d_cpu\" not implemented for 'Bool'"),
    (lambda: F.conv_transpose2d(_x(2, 4, 5, 5), _x(*W)), RuntimeError,
     "Given transposed=1, weight of size [8, 3, 3, 3], expected input[2, 4, 5, 5] to have 8 channels, but got 4"),
    (lambda: F.conv_transpose2d(_x(2, 8, 5, 5), _x(*W), _x(8)), RuntimeError,
     "Given transposed=1, weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 3 elements"),
    (lambda: F.conv_transpose2d(_x(2, 8, 5, 5), _x(*W), output_padding=1), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 1 "
     "output_padding_width: 1 stride_height: 1 stride_width: 1 dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose2d(_x(2, 8, 5, 5), _x(*W), output_padding=-1), RuntimeError,
     "negative output_padding is not supported"),
    (lambda: F.conv_transpose2d(_x(2, 8, 5, 5), _x(*W), padding="same"), TypeError,
     "conv_transpose2d(): argument 'padding' must be tuple of ints, not str"),
    (lambda: F.max_pool2d(_x(2, 4, 5, 5), 0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(_x(2, 4, 5, 5), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda: F.max_pool2d(_x(2, 4, 5, 5), 2, padding=-1), RuntimeError, "pad must be non-negative, but got pad: -1"),
    (lambda: F.max_pool2d(_x(2, 4, 5, 5), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda: F.max_pool2d(_x(1, 1, 1, 1), 2), RuntimeError,
     "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small"),
    (lambda: F.max_pool2d(_x(5, 5), 2), RuntimeError, "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.max_pool2d(_x(2, 4, 5, 5), (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool2d(_x(2, 0, 4, 4), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[2, 0, 4, 4]"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4, dtype=torch.bool), 2), NotImplementedError,
     "\"max_pool2d\" not implemented for 'Bool'"),
    (lambda: F.avg_pool2d(_x(2, 4, 5, 5), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.avg_pool2d(_x(5, 5), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4, dtype=torch.int32), 2), NotImplementedError,
     "\"avg_pool2d\" not implemented for 'Int'"),
    (lambda: F.adaptive_avg_pool2d(_x(2, 4, 5, 5), -1), RuntimeError,
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {-1, -1}"),
    (lambda: F.adaptive_avg_pool2d(_x(5, 5), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5, 5]"),
    (lambda: F.adaptive_avg_pool2d(_x(2, 3, 0, 4), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 3, 0, 4] with dimension 2 being empty"),
    (lambda: F.adaptive_avg_pool2d(_x(2, 4, 5, 5, dtype=torch.int64), 2), NotImplementedError,
     "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
    (lambda: F.adaptive_avg_pool2d(_x(5), (None, 2)), ValueError, "Input dimension should be at least 3"),
    (lambda: F.adaptive_max_pool2d(_x(5, 5), 2), RuntimeError,
     "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [5, 5]"),
    (lambda: F.adaptive_max_pool2d(_x(2, 4, 5, 5), -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, 4, -1, -1]"),
    (lambda: F.max_pool1d(_x(5), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[5]"),
    (lambda: F.max_pool1d(_x(2, 3, 6), 7), RuntimeError, "max_pool1d() Invalid computed output size: 0"),
    (lambda: F.max_pool1d(_x(2, 3, 6), 2, padding=2), RuntimeError,
     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2"),
    (lambda: F.max_pool1d(_x(2, 3, 6), (2, 2)), RuntimeError,
     "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got size 2"),
    (lambda: F.max_pool1d(_x(2, 3, 6, dtype=torch.int64), 2), NotImplementedError,
     "\"max_pool1d_impl\" not implemented for 'Long'"),
    (lambda: F.avg_pool1d(_x(2, 3, 6), (2, 2)), RuntimeError,
     "avg_pool1d() argument 'kernel_size' should contain one int (got 2)"),
    (lambda: F.avg_pool1d(_x(1, 2, 3, 6), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking arguments for "
     "avg_pool1d)"),
    (lambda: F.adaptive_avg_pool1d(_x(2, 3, 0), 4), RuntimeError,
     "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 3, 1, 0] with dimension 3 being empty"),
    (lambda: F.adaptive_max_pool1d(_x(2, 3, 0), 4), RuntimeError,
     "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
     "[2, 3, 0] with dimension 2 being empty"),
    (lambda: F.adaptive_max_pool1d(_x(2, 3, 6), (2, 2)), RuntimeError,
     "adaptive_max_pool1d() argument 'output_size' should contain one int (got 2)"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_inputs_raise_pytorch_errors(k):
    fn, cls, msg = BAD[k]
    with pytest.raises(cls) as e:
        fn()
    assert msg in str(e.value)


@pytest.mark.parametrize("spatial", [1, 2])
def test_conv_transpose_output_too_small(spatial):
    """PyTorch's own (non-oneDNN) message; its oneDNN path words it differently, so it is off there"""
    x, w = _x(2, 3, *(1,) * spatial), _x(3, 8, *(3,) * spatial)
    conv = F.conv_transpose1d if spatial == 1 else F.conv_transpose2d
    off = torch.backends.mkldnn.flags(enabled=False) if REFERENCE else contextlib.nullcontext()
    expected = f"Calculated output size per channel: ({'1' if spatial == 1 else '-3'} x -3). Output size is too small"
    with off, pytest.raises(RuntimeError) as e:
        conv(x, w, padding=3)
    assert "Given input size per channel: (1 x 1). " + expected in str(e.value)


# ---------------------------------------------------------------------------
# parity with real PyTorch: same weights and inputs
# ---------------------------------------------------------------------------

PARITY = [  # (name, call on (torch module, inputs...), input shapes)
    ("conv2d", lambda t, x, w, b: t.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
     [(2, 3, 9, 8), (4, 3, 3, 3), (4,)]),
    ("conv2d same groups", lambda t, x, w, b: t.nn.functional.conv2d(x, w, b, padding="same", groups=3),
     [(2, 6, 7, 8), (6, 2, 4, 3), (6,)]),
    ("conv1d", lambda t, x, w, b: t.nn.functional.conv1d(x, w, b, stride=2, padding=1), [(3, 4, 10), (5, 4, 3), (5,)]),
    ("conv_transpose2d", lambda t, x, w, b: t.nn.functional.conv_transpose2d(x, w, b, 2, 1, 1, 2, 1),
     [(2, 4, 5, 4), (4, 3, 3, 3), (6,)]),
    ("max_pool2d", lambda t, x: t.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(2, 3, 9, 8)]),
    ("avg_pool2d", lambda t, x: t.nn.functional.avg_pool2d(x, 3, 2, 1, True, False), [(2, 3, 9, 8)]),
    ("adaptive_avg_pool2d", lambda t, x: t.nn.functional.adaptive_avg_pool2d(x, (4, 3)), [(2, 3, 9, 8)]),
    ("adaptive_max_pool2d", lambda t, x: t.nn.functional.adaptive_max_pool2d(x, (4, 3)), [(2, 3, 9, 8)]),
    ("max_pool1d", lambda t, x: t.nn.functional.max_pool1d(x, 2), [(2, 3, 9)]),
]


@pytest.mark.parity
@parity
@pytest.mark.parametrize("k", range(len(PARITY)), ids=[p[0] for p in PARITY])
def test_parity_outputs_and_gradients(k):
    _, fn, shapes = PARITY[k]
    arrays = [rand(s, np.float32, f"parity{i}") for i, s in enumerate(shapes)]
    ours = [torch.tensor(a).requires_grad_() for a in arrays]
    theirs = [real_torch.tensor(a).requires_grad_() for a in arrays]
    yo, yt = fn(torch, *ours), fn(real_torch, *theirs)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = rand(tuple(yt.shape), np.float32, "parity-g")
    yo.backward(torch.tensor(g))
    yt.backward(real_torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parity
@parity
@pytest.mark.parametrize("k", range(len(REPRS)))
def test_parity_module_repr_and_state_dict(k):
    ours, theirs = REPRS[k][0](nn), REPRS[k][0](real_torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    for (n, p), (m, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == m and tuple(p.shape) == tuple(q.shape)


@pytest.mark.parity
@parity
def test_parity_default_initialization_draws_pytorchs_values():
    torch.manual_seed(5)
    real_torch.manual_seed(5)
    ours, theirs = nn.Conv2d(4, 6, 3, groups=2), real_torch.nn.Conv2d(4, 6, 3, groups=2)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parity
@parity
def test_parity_cnn_state_dict_round_trip():
    ours = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2), nn.ConvTranspose2d(4, 2, 2, stride=2))
    theirs = real_torch.nn.Sequential(real_torch.nn.Conv2d(3, 4, 3, padding=1), real_torch.nn.MaxPool2d(2),
                                      real_torch.nn.ConvTranspose2d(4, 2, 2, stride=2))
    theirs.load_state_dict({k: real_torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rand((2, 3, 8, 8), np.float32)
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), theirs(real_torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
