"""Autograd: every entry of the derivative table against float64 finite
differences (broadcast and non-contiguous inputs), gradients of gradients,
the engine and its Python API (accumulation, retain_graph, autograd.grad,
backward(inputs=), requires_grad, grad_fn names and next_functions, detach,
.data, grad modes and their thread-locality, in-place ops and version
counters) against NumPy and PyTorch's behaviour, and memory staying flat over
many forward+backward steps.

Run with CTORCH_TEST_REFERENCE=torch to check these expectations against real
PyTorch; the test tying the cases to ctorch's exported derivative table is
skipped there.
"""
import gc
import os
import re
import subprocess
import sys
import threading
import weakref
from collections import namedtuple

import numpy as np
import pytest

from helpers import torch, real_torch, REFERENCE, seed, to_numpy

ctorch_only = pytest.mark.skipif(REFERENCE, reason="ctorch extension that PyTorch lacks")
F64 = torch.float64

INPLACE_MSG = "one of the variables needed for gradient computation has been modified by an inplace operation"
LEAF_MSG = "leaf Variable that requires grad is being used in an in-place operation"


def leaf(values, requires_grad=True):
    """A float64 leaf holding `values`."""
    return torch.tensor(np.asarray(values, dtype=np.float64), dtype=F64, requires_grad=requires_grad)


def grad_np(t):
    assert t.grad is not None, "no gradient reached this tensor"
    return to_numpy(t.grad)


def close(got, expected, tol=1e-10):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=tol, atol=tol)


def node_name(node):
    """A graph node's class name as PyTorch shows it: <MulBackward0 object at ...>."""
    return re.match(r"<([\w:]+) object", repr(node)).group(1)


# =============================================================================
# 1. the derivative table: every entry against finite differences
# =============================================================================
# An input: its shape, value range, memory layout ("c" contiguous, "t" last two
# dims swapped in memory, "s" every other element of a wider buffer), and
# whether the range is of magnitudes with random signs (keeps away from 0).
In = namedtuple("In", "shape lo hi layout signed", defaults=(-2.0, 2.0, "c", False))


def make_input(rng, spec):
    shape, lo, hi, layout, signed = spec
    v = rng.uniform(lo, hi, size=shape)
    if signed:
        v = v * rng.choice([-1.0, 1.0], size=shape)
    if layout == "t" and len(shape) >= 2:
        t = torch.tensor(np.ascontiguousarray(np.swapaxes(v, -1, -2)), dtype=F64).transpose(-1, -2)
    elif layout == "s" and len(shape) >= 1:
        big = np.zeros(shape[:-1] + (2 * shape[-1] + 1,))
        big[..., 1::2] = v
        t = torch.tensor(big, dtype=F64)[..., 1::2]
    else:
        t = torch.tensor(v, dtype=F64)
    if layout != "c" and len(shape) >= 1 and max(shape) > 1:
        assert not t.is_contiguous()
    return t.requires_grad_()


# a case: the table name it covers, the public call, its inputs, whether the
# gradient is identically zero, why real PyTorch can't run it (or None), and
# gradcheck keyword arguments
Case = namedtuple("Case", "id name fn ins zero noref kw")
CASES = []
ZERO_GRAD = {"sign", "floor", "ceil", "round", "trunc", "round_decimals", "div_trunc", "floor_divide"}
LAYOUTS = "cts"


class _LateBound:
    """F.exp is torch.exp looked up at call time (a missing function fails its case, not collection)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: getattr(torch, name)(*args, **kwargs)


F = _LateBound()


def case(name, fn, *ins, noref=None, **kw):
    k = sum(c.name == name for c in CASES)
    CASES.append(Case(name if k == 0 else f"{name}-{k}", name, fn, ins, name in ZERO_GRAD, noref, kw))


# ---- unary elementwise: (name, call, low, high, signed)
UNARY = [
    ("neg", F.neg, -2, 2, False), ("abs", F.abs, 0.2, 2, True), ("sign", F.sign, 0.2, 2, True),
    ("floor", F.floor, -3, 3, False), ("ceil", F.ceil, -3, 3, False), ("round", F.round, -3, 3, False),
    ("trunc", F.trunc, -3, 3, False), ("frac", F.frac, -3, 3, False), ("relu", F.relu, 0.2, 2, True),
    ("square", F.square, -2, 2, False), ("round_decimals", lambda x: x.round(decimals=1), -3, 3, False),
    ("clamp", lambda x: x.clamp(-0.5, 0.7), -2, 2, False), ("clamp_min", lambda x: x.clamp(min=-0.3), -2, 2, False),
    ("clamp_max", lambda x: x.clamp(max=0.3), -2, 2, False), ("exp", F.exp, -2, 2, False),
    ("exp2", F.exp2, -2, 2, False), ("expm1", F.expm1, -2, 2, False), ("log", F.log, 0.2, 3, False),
    ("log2", F.log2, 0.2, 3, False), ("log10", F.log10, 0.2, 3, False), ("log1p", F.log1p, -0.6, 2, False),
    ("sqrt", F.sqrt, 0.2, 3, False), ("rsqrt", F.rsqrt, 0.2, 3, False), ("sin", F.sin, -3, 3, False),
    ("cos", F.cos, -3, 3, False), ("tan", F.tan, -1.2, 1.2, False), ("asin", F.asin, -0.9, 0.9, False),
    ("acos", F.acos, -0.9, 0.9, False), ("atan", F.atan, -3, 3, False), ("sinh", F.sinh, -2, 2, False),
    ("cosh", F.cosh, -2, 2, False), ("tanh", F.tanh, -2, 2, False), ("asinh", F.asinh, -3, 3, False),
    ("acosh", F.acosh, 1.2, 3, False), ("atanh", F.atanh, -0.9, 0.9, False), ("erf", F.erf, -2, 2, False),
    ("erfc", F.erfc, -2, 2, False), ("erfinv", F.erfinv, -0.9, 0.9, False), ("lgamma", F.lgamma, 0.3, 4, False), ("digamma", F.digamma, 0.3, 4, False), ("sigmoid", F.sigmoid, -3, 3, False),
    ("reciprocal", F.reciprocal, 0.3, 2, True),
]
for i, (name, fn, lo, hi, signed) in enumerate(UNARY):
    case(name, fn, In((3, 4), lo, hi, LAYOUTS[i % 3], signed))

# the same table entries reached through other spellings and scalar operands
case("clamp_min", lambda x: torch.clamp_min(x, 0.1), In((2, 3, 4), layout="s"))
case("clamp_max", lambda x: torch.clamp_max(x, -0.1), In((4, 3), layout="t"))
case("clamp", lambda x: x.clip(min=-1.0, max=1.0), In((5,)))
case("add", lambda x: x + 2.5, In((3, 4), layout="t"))
case("sub", lambda x: 2.5 - x, In((3, 4), layout="s"))
case("mul", lambda x: x * 3.0, In((3, 4)))
case("div", lambda x: 3.0 / x, In((3, 4), 0.5, 2, "t", True))
case("pow", lambda x: x ** 3, In((3, 4), layout="s"))
case("pow", lambda x: x.pow(2.5), In((3, 4), 0.3, 2))
case("pow", lambda x: 2.0 ** x, In((3, 4), layout="t"))
case("relu", lambda x: x.relu(), In((2, 3, 4), 0.2, 2, "t", True))

# ---- binary elementwise with broadcasting: (name, call, a range, b range)
ANY, POS, AWAY = (-2, 2, False), (0.5, 2, False), (0.5, 2, True)
BINARY = [
    ("add", F.add, ANY, ANY), ("add", lambda a, b: torch.add(a, b, alpha=2.5), ANY, ANY),
    ("sub", F.sub, ANY, ANY), ("sub", lambda a, b: torch.sub(a, b, alpha=-1.5), ANY, ANY),
    ("mul", F.mul, ANY, ANY), ("div", F.div, ANY, AWAY),
    ("div_trunc", lambda a, b: torch.div(a, b, rounding_mode="trunc"), ANY, AWAY),
    ("floor_divide", F.floor_divide, ANY, AWAY),
    ("remainder", F.remainder, ANY, AWAY), ("fmod", F.fmod, ANY, AWAY),
    ("pow", F.pow, POS, ANY), ("maximum", F.maximum, ANY, ANY), ("minimum", F.minimum, ANY, ANY),
    ("fmax", F.fmax, ANY, ANY), ("fmin", F.fmin, ANY, ANY), ("atan2", F.atan2, (0.2, 2, True), ANY),
    ("hypot", F.hypot, ANY, ANY), ("copysign", F.copysign, (0.2, 2, True), (0.2, 2, True)),
    ("xlogy", F.xlogy, ANY, POS),
    ("lerp_scalar", lambda a, b: torch.lerp(a, b, 0.3), ANY, ANY),
]
# (a shape, a layout, b shape, b layout): broadcast both ways, 0-dim, non-contiguous
BSHAPES = [((3, 4), "c", (4,), "c"), ((3, 1), "c", (1, 4), "c"), ((2, 3, 4), "t", (3, 1), "c"),
           ((3, 4), "s", (), "c"), ((4,), "c", (3, 4), "t"), ((3, 4), "t", (3, 4), "s")]
NOREF = {"floor_divide": "PyTorch has no derivative for floor_divide"}
for i, (name, fn, ra, rb) in enumerate(BINARY):
    sa, la, sb, lb = BSHAPES[i % len(BSHAPES)]
    case(name, fn, In(sa, *ra[:2], la, ra[2]), In(sb, *rb[:2], lb, rb[2]), noref=NOREF.get(name))
case("pow", F.pow, In((3, 4), 0.5, 2), In((), -2, 2))  # tensor ** 0-dim tensor
case("maximum", lambda a, b: a.maximum(b), In((2, 1, 4), layout="s"), In((3, 1)))

# ---- ternary
case("addcmul", lambda a, b, c: torch.addcmul(a, b, c, value=0.5), In((3, 4)), In((4,)), In((3, 1)))
case("addcmul", lambda a, b, c: a.addcmul(b, c), In((3, 4), layout="t"), In((3, 4), layout="s"), In(()))
case("addcdiv", lambda a, b, c: torch.addcdiv(a, b, c, value=-0.7), In((3, 1)), In((3, 4), layout="t"),
     In((4,), 0.5, 2, "c", True))
case("lerp", F.lerp, In((3, 4)), In((3, 4), layout="t"), In((4,), 0, 1))
case("lerp", F.lerp, In((4,), layout="s"), In((2, 1, 4)), In((3, 1), 0, 1))

# ---- where, reductions, scans
COND = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
case("where", lambda a, b: torch.where(torch.tensor(COND), a, b), In((3, 4), layout="t"), In((3, 1)))
case("where", lambda a, b: torch.where(torch.tensor(COND[0]), a, b), In((2, 3, 4), layout="s"), In(()))
case("sum", lambda x: x.sum(), In((3, 4), layout="t"))
case("sum", lambda x: x.sum(1), In((2, 3, 4), layout="s"))
case("sum", lambda x: x.sum((0, 2), keepdim=True), In((2, 3, 4)))
case("mean", lambda x: x.mean(), In((3, 4), layout="s"))
case("mean", lambda x: x.mean(dim=(-1, 0)), In((2, 3, 4), layout="t"))
case("mean", lambda x: x.mean(1, keepdim=True), In((3, 4)))
case("prod", lambda x: x.prod(), In((3, 4), 0.5, 1.5, "t", True))
case("prod", lambda x: x.prod(1), In((2, 3, 4), 0.5, 1.5, "s", True))
case("prod", lambda x: x.prod(0, keepdim=True), In((3, 4), 0.5, 1.5, "c", True))
case("amax", lambda x: x.amax(1), In((3, 4), layout="t"))
case("amax", lambda x: x.amax((0, 2), keepdim=True), In((2, 3, 4), layout="s"))
case("amax", lambda x: x.max(), In((3, 4)))
case("amin", lambda x: x.amin(0), In((3, 4), layout="s"))
case("amin", lambda x: torch.amin(x, (1, 2)), In((2, 3, 4), layout="t"))
case("amin", lambda x: x.min(), In((3, 4)))
case("max_dim", lambda x: x.max(dim=1)[0], In((3, 4), layout="t"))
case("max_dim", lambda x: torch.max(x, 0, keepdim=True).values, In((2, 3, 4), layout="s"))
case("min_dim", lambda x: x.min(dim=1)[0], In((3, 4), layout="s"))
case("min_dim", lambda x: torch.min(x, -1, keepdim=True).values, In((2, 3, 4), layout="t"))
case("cumsum", lambda x: x.cumsum(1), In((3, 4), layout="t"))
case("cumsum", lambda x: torch.cumsum(x, dim=0), In((3, 4), layout="s"))
case("cumsum", lambda x: x.cumsum(-1), In((2, 3, 4)))
case("cumprod", lambda x: x.cumprod(1), In((3, 4), 0.5, 1.5, "t", True))
case("norm", lambda x: x.norm(), In((3, 4), layout="t"))
case("norm", lambda x: x.norm(dim=1, keepdim=True), In((2, 3, 4), layout="s"))
case("cumprod", lambda x: torch.cumprod(x, dim=0), In((3, 4), 0.5, 1.5, "s", True))

# ---- views and shape ops
case("view", lambda x: x.view(4, 3), In((3, 4)))
case("view", lambda x: x.view(2, -1), In((2, 3, 4)))
case("reshape", lambda x: x.reshape(-1), In((3, 4), layout="t"))  # a copy
case("reshape", lambda x: torch.reshape(x, (6, 2)), In((3, 4)))
case("unsqueeze", lambda x: x.unsqueeze(0), In((3, 4), layout="t"))
case("unsqueeze", lambda x: torch.unsqueeze(x, -1), In((3, 4), layout="s"))
case("squeeze", lambda x: x.squeeze(1), In((3, 1, 4)))
case("squeeze", lambda x: x.squeeze(), In((1, 3, 1, 4), layout="s"))
case("flatten", lambda x: x.flatten(), In((2, 3, 4), layout="t"))
case("flatten", lambda x: torch.flatten(x, 1), In((2, 3, 4)))
case("permute", lambda x: x.permute(2, 0, 1), In((2, 3, 4), layout="t"))
case("permute", lambda x: torch.permute(x, (1, 0)), In((3, 4), layout="s"))
case("transpose", lambda x: x.transpose(0, 1), In((3, 4), layout="s"))
case("transpose", lambda x: torch.transpose(x, 0, 2), In((2, 3, 4)))
case("t", lambda x: x.t(), In((3, 4), layout="t"))
case("t", lambda x: x.t(), In((4,)))   # a 1-D tensor's t() is itself, with history
case("expand", lambda x: x.expand(3, 4), In((3, 1)))
case("expand", lambda x: x.expand(2, 3, 4), In((4,), layout="s"))
case("expand", lambda x: x.expand_as(torch.zeros(3, 4, dtype=F64)), In((1, 4)))
case("narrow", lambda x: x.narrow(1, 1, 2), In((3, 4), layout="t"))
case("narrow", lambda x: torch.narrow(x, 0, 1, 2), In((3, 4), layout="s"))
case("select", lambda x: x[1], In((3, 4), layout="t"))
case("select", lambda x: x.select(1, 2), In((2, 3, 4), layout="s"))
case("select", lambda x: x[1, -1], In((3, 4)))
case("slice", lambda x: x[1:3], In((3, 4), layout="t"))
case("slice", lambda x: x[:, ::2], In((3, 4), layout="s"))
case("slice", lambda x: x[..., 1:], In((2, 3, 4)))
case("to", lambda x: x.to(torch.float32).double(), In((3, 4), layout="t"), eps=1e-3, atol=1e-3)
case("to", lambda x: x.float().to(F64), In((3, 4)), eps=1e-3, atol=1e-3)
case("to", lambda x: x.to(dtype=torch.float32).to(F64), In((4,), layout="s"), eps=1e-3, atol=1e-3)
case("clone", lambda x: x.clone(), In((3, 4), layout="s"))
case("clone", F.clone, In((3, 4)))
case("contiguous", lambda x: x.contiguous(), In((3, 4), layout="t"))
case("contiguous", lambda x: x.contiguous() * 1.0, In((3, 4)))

# ---- shape ops that copy (cat: more inputs than a node's edges become a tree of nodes)
case("cat", lambda a, b: torch.cat([a, b], 1), In((3, 2), layout="t"), In((3, 4), layout="s"))
case("cat", lambda a, b, c: torch.cat((a, b, c, a, b)), In((2, 3)), In((1, 3), layout="s"), In((2, 3), layout="t"))
case("cat", lambda a: torch.cat([torch.zeros(0, dtype=F64), a, a], -1), In((2, 3), layout="s"))
case("stack", lambda a, b: torch.stack([a, b], 1), In((3, 4), layout="t"), In((3, 4)))
case("stack", lambda a: torch.stack((a, a * 2, a, a)), In((4,), layout="s"))
case("split", lambda x: x.split(2, 1)[1], In((3, 5), layout="t"))
case("split", lambda x: torch.split(x, [1, 3], dim=0)[1] * 2 + torch.split(x, [1, 3])[0], In((4, 2), layout="s"))
case("chunk", lambda x: x.chunk(3, -1)[1], In((2, 7), layout="t"))
case("unbind", lambda x: x.unbind(1)[2], In((3, 4), layout="s"))
case("unbind", lambda x: torch.unbind(x)[0] * torch.unbind(x)[1], In((2, 3)))
case("flip", lambda x: x.flip(0, 1), In((3, 4), layout="t"))
case("flip", lambda x: torch.flip(x, [-1]), In((2, 3, 4), layout="s"))
case("flip", lambda x: torch.fliplr(x), In((3, 4)))
case("roll", lambda x: x.roll(1, 1), In((3, 4), layout="t"))
case("roll", lambda x: torch.roll(x, (-1, 2), (0, 1)), In((3, 4), layout="s"))
case("roll", lambda x: x.roll(5), In((3, 4)))
case("repeat", lambda x: x.repeat(2, 3), In((3, 4), layout="t"))
case("repeat", lambda x: x.repeat(2, 1, 2), In((4,), layout="s"))
case("repeat", lambda x: torch.tile(x, (2,)), In((2, 3)))
case("tril", lambda x: x.tril(), In((4, 4), layout="t"))
case("tril", lambda x: torch.tril(x, -1), In((2, 3, 4), layout="s"))
case("triu", lambda x: x.triu(1), In((3, 5), layout="t"))
case("triu", lambda x: torch.triu(x, diagonal=-1), In((4, 3)))

# ---- the matmul family
case("mm", F.mm, In((3, 4), layout="t"), In((4, 5), layout="s"))
case("mm", lambda a, b: a.mm(b), In((1, 4)), In((4, 1)))
case("bmm", F.bmm, In((2, 3, 4), layout="s"), In((2, 4, 5), layout="t"))
case("matmul", F.matmul, In((3, 4)), In((4, 5), layout="t"))
case("matmul", lambda a, b: a @ b, In((2, 3, 4), layout="t"), In((4, 5)))      # broadcast batch
case("matmul", lambda a, b: a @ b, In((4, 5), layout="s"), In((2, 5, 3)))
case("matmul", lambda a, b: a @ b, In((3, 4)), In((4,)))                      # matrix @ vector
case("matmul", lambda a, b: a @ b, In((4,), layout="s"), In((4, 3)))          # vector @ matrix
case("matmul", lambda a, b: a @ b, In((4,)), In((4,)))                        # vector @ vector
case("addmm", F.addmm, In((5,)), In((3, 4), layout="t"), In((4, 5)))
case("addmm", lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0), In((3, 1)), In((3, 4)),
     In((4, 5), layout="s"))

# indexing: gather / index_select (and advanced reads, made of index_select), scatter forms, index_add
case("gather", lambda x: x.gather(1, torch.tensor([[0, 2, 2], [1, 0, 3], [3, 3, 1]])), In((3, 4), layout="t"))
case("gather", lambda x: torch.gather(x, 0, torch.tensor([[2, 0], [1, 1]])), In((3, 4), layout="s"))
case("index_select", lambda x: x.index_select(1, torch.tensor([3, 0, 0])), In((2, 4), layout="t"))
case("index_select", lambda x: x[torch.tensor([2, 0, 2])], In((3, 4), layout="s"))
case("index_select", lambda x: x[:, [1, 1], [0, 2]], In((2, 3, 4), layout="t"))
case("index_select", lambda x: x[x.detach() > 0], In((3, 4), signed=True))
case("scatter", lambda x, s: x.scatter(1, torch.tensor([[0, 2], [3, 1]]), s), In((2, 4), layout="t"), In((2, 2)))
case("scatter", lambda x: x.scatter(0, torch.tensor([[1, 0, 2]]), 0.5), In((3, 3), layout="s"))
case("scatter_add", lambda x, s: x.scatter_add(1, torch.tensor([[0, 0], [3, 1]]), s), In((2, 4)),
     In((2, 2), layout="t"))
case("index_add", lambda x, s: x.index_add(0, torch.tensor([2, 0, 2]), s, alpha=2.0), In((3, 4)),
     In((3, 4), layout="t"))
for _reduce in ["sum", "prod", "mean", "amax", "amin"]:
    for _include in [True, False]:
        case("scatter_reduce", lambda x, s, r=_reduce, i=_include: x.scatter_reduce(
            0, torch.tensor([[0, 2, 2], [2, 1, 0], [0, 0, 0], [2, 2, 1]]), s, r, include_self=i),
            In((3, 3), layout="t"), In((4, 3), signed=True))
case("masked_scatter", lambda x, s: x.masked_scatter(torch.tensor([[True, False, True], [False, True, True]]), s),
     In((2, 3), layout="t"), In((2, 4)))
case("masked_scatter", lambda x, s: x.masked_scatter(torch.tensor([False, True, True]), s), In((2, 1)), In((5,)))

# sorting: the gradient goes back to the positions the indices name
case("sort", lambda x: torch.sort(x, dim=1, descending=True).values, In((3, 4), layout="t"))
case("sort", lambda x: x.sort(dim=0, stable=True)[0], In((4, 3), layout="s"))
case("msort", torch.msort, In((4, 3), layout="t"))
case("topk", lambda x: x.topk(2, dim=1).values, In((3, 5), layout="t"))
case("topk", lambda x: torch.topk(x, 3, dim=0, largest=False, sorted=False)[0], In((4, 3), layout="s"))
case("kthvalue", lambda x: x.kthvalue(2, dim=1).values, In((3, 4), layout="t"))
case("kthvalue", lambda x: torch.kthvalue(x, 3, 0, keepdim=True)[0], In((4, 3), layout="s"))
case("kthvalue", lambda x: torch.kthvalue(x.sum(), 1).values, In((3,)))
# the loss family (nn.functional): losses with their options, embedding, pad, interpolate
_NN = torch.nn.functional
case("cross_entropy", lambda x: _NN.cross_entropy(x, torch.tensor([1, 0, 3])), In((3, 4), layout="t"))
case("cross_entropy", lambda x: _NN.cross_entropy(x, torch.tensor([1, -100, 3]), weight=torch.tensor(
    [0.5, 2.0, 1.0, 1.5], dtype=F64), label_smoothing=0.2, reduction="sum"), In((3, 4), layout="s"))
case("cross_entropy", lambda x: _NN.cross_entropy(x, torch.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]]),
                                                  reduction="none"), In((2, 3, 2, 2)))
case("cross_entropy", lambda x, p: _NN.cross_entropy(x, p, label_smoothing=0.1), In((3, 4), layout="t"),
     In((3, 4), 0.0, 1.0))
case("nll_loss", lambda x: _NN.nll_loss(x, torch.tensor([2, 0, 1]), weight=torch.tensor([1.0, 0.5, 2.0],
                                                                                         dtype=F64)), In((3, 3), layout="t"))
case("nll_loss", lambda x: _NN.nll_loss(x, torch.tensor([[0, 2, 1, 1]]), reduction="none"), In((1, 3, 4), layout="s"))
case("mse_loss", lambda x, y: _NN.mse_loss(x, y), In((3, 4), layout="t"), In((3, 4), layout="s"))
case("mse_loss", lambda x, y: _NN.mse_loss(x, y, reduction="none"), In((3, 4)), In((3, 4), layout="t"))
case("smooth_l1_loss", lambda x, y: _NN.smooth_l1_loss(x, y, beta=0.5, reduction="sum"), In((3, 4), layout="t"),
     In((3, 4)))
case("huber_loss", lambda x, y: _NN.huber_loss(x, y, delta=0.7, reduction="none"), In((3, 4)), In((3, 4), layout="s"))
case("binary_cross_entropy", lambda x, y: _NN.binary_cross_entropy(x, y, weight=torch.tensor([1.0, 2.0, 0.5, 1.0],
     dtype=F64)), In((3, 4), 0.1, 0.9, "t"), In((3, 4), 0.0, 1.0))
case("binary_cross_entropy_with_logits", lambda x, y: _NN.binary_cross_entropy_with_logits(
    x, y, pos_weight=torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=F64), reduction="sum"), In((3, 4), layout="s"),
    In((3, 4), 0.0, 1.0))
case("kl_div", lambda x, y: _NN.kl_div(x, y, reduction="batchmean"), In((3, 4), -3.0, -0.5, "t"), In((3, 4), 0.1, 1.0))
case("kl_div", lambda x, y: _NN.kl_div(x, y, reduction="none", log_target=True), In((3, 4)), In((3, 4), layout="s"))
case("soft_margin_loss", lambda x: _NN.soft_margin_loss(x, torch.tensor([[1.0, -1.0, 1.0, 1.0]], dtype=F64)),
     In((3, 4), layout="t"))
case("embedding", lambda w: _NN.embedding(torch.tensor([[1, 3, 1], [0, 4, 3]]), w), In((5, 3), layout="t"))
case("embedding", lambda w: _NN.embedding(torch.tensor([[2], [0]]), w), In((4, 2), layout="s"))
case("pad", lambda x: _NN.pad(x, (1, 2, -1, 1), value=0.5), In((2, 3, 4), layout="t"))
for _mode in ["reflect", "replicate", "circular"]:
    case("pad", lambda x, m=_mode: _NN.pad(x, (2, 1, 1, 2), mode=m), In((1, 2, 3, 4), layout="s"))
case("interpolate", lambda x: _NN.interpolate(x, scale_factor=1.7), In((1, 2, 3, 4), layout="t"))
case("interpolate", lambda x: _NN.interpolate(x, size=(5, 3), mode="bilinear", align_corners=True),
     In((2, 1, 3, 4), layout="s"))
case("interpolate", lambda x: _NN.interpolate(x, size=(4, 7), mode="bicubic"), In((1, 1, 3, 4)))
case("interpolate", lambda x: _NN.interpolate(x, scale_factor=2.5, mode="linear"), In((2, 2, 3), layout="t"))
case("interpolate", lambda x: _NN.interpolate(x, size=(3, 2, 4), mode="trilinear"), In((1, 1, 2, 3, 2)))
# convolution and pooling (nn_conv): input, weight, bias; options as PyTorch's functional forms
_NF = lambda name: lambda *a, **k: getattr(torch.nn.functional, name)(*a, **k)  # noqa: E731
case("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)), In((2, 4, 6, 5), layout="t"),
     In((3, 4, 3, 2)), In((3,)))
case("conv2d", lambda x, w: F.conv2d(x, w, padding="same", groups=2), In((2, 4, 5, 5)), In((4, 2, 2, 3), layout="s"))
case("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), In((2, 3, 7), layout="s"), In((4, 3, 3)), In((4,)))
case("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2), In((2, 4, 3, 3), layout="t"),
     In((4, 3, 3, 2)), In((6,)))
case("conv_transpose1d", lambda x, w: F.conv_transpose1d(x, w, stride=3, dilation=2), In((2, 3, 4)), In((3, 2, 2)))
case("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), In((2, 3, 7, 6), layout="t"))
case("max_pool1d", lambda x: F.max_pool1d(x, 2), In((2, 3, 7), layout="s"))
case("avg_pool2d", lambda x: _NF("avg_pool2d")(x, 3, 2, 1, True, False), In((2, 3, 7, 6), layout="t"))
case("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, 1), In((2, 3, 8)))
case("adaptive_avg_pool2d", lambda x: _NF("adaptive_avg_pool2d")(x, (3, 4)), In((2, 3, 7, 6), layout="s"))
case("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 3), In((2, 3, 7)))
case("adaptive_max_pool2d", lambda x: _NF("adaptive_max_pool2d")(x, (3, 2)), In((2, 3, 7, 6), layout="t"))
case("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3)[0], In((2, 3, 7)))

# contractions and distances (composites of recorded ops, and the CdistBackward0 / EuclideanDistBackward0 /
# DistBackward0 node); distances kept away from 0 by the random inputs
case("einsum", lambda a, b: torch.einsum("bij,bjk->bik", a, b), In((2, 3, 4), layout="t"), In((2, 4, 2), layout="s"))
case("einsum", lambda a, b, c: torch.einsum("bn,anm,bm->ba", a, b, c), In((2, 3)), In((4, 3, 2), layout="t"), In((2, 2)))
case("einsum", lambda x: torch.einsum("iji->j", x), In((3, 2, 3), layout="s"))
case("tensordot", lambda a, b: torch.tensordot(a, b, ([0, 2], [2, 0])), In((2, 3, 4), layout="t"), In((4, 5, 2)))
case("cdist", lambda a, b: torch.cdist(a, b, 1.5), In((2, 3, 4), layout="t"), In((4, 4), layout="s"))
case("cdist", lambda a, b: torch.cdist(a, b), In((26, 3), layout="t"), In((5, 3)))          # the matrix form
case("cdist", lambda a, b: torch.cdist(a, b, float("inf")), In((3, 4)), In((2, 4), layout="s"))
case("dist", lambda a, b: torch.dist(a, b, 3), In((3, 4), layout="t"), In((4,)))
case("dist", lambda a, b: a.dist(b), In((3, 4), layout="s"), In((3, 1)))

# nn normalization family, through torch.nn.functional (looked up at call time)
def _nnf(name):
    return lambda *args, **kwargs: getattr(torch.nn.functional, name)(*args, **kwargs)


case("batch_norm", lambda x, w, b: _nnf("batch_norm")(x, None, None, w, b, training=True), In((4, 3, 2), layout="t"),
     In((3,)), In((3,)))
case("batch_norm", lambda x, w, b: _nnf("batch_norm")(x, torch.zeros(3, dtype=F64), torch.ones(3, dtype=F64), w, b),
     In((4, 3), layout="s"), In((3,)), In((3,)))
case("layer_norm", lambda x, w, b: _nnf("layer_norm")(x, (4,), w, b), In((3, 4), layout="t"), In((4,)), In((4,)))
case("group_norm", lambda x, w, b: _nnf("group_norm")(x, 2, w, b), In((2, 4, 3), layout="s"), In((4,)), In((4,)))
case("softmax", lambda x: _nnf("softmax")(x, 1), In((3, 4), layout="t"))
case("log_softmax", lambda x: _nnf("log_softmax")(x, 0), In((3, 4), layout="s"))
case("prelu", lambda x, w: _nnf("prelu")(x, w), In((2, 3, 4), 0.2, 2, "t", True), In((3,)))
case("glu", lambda x: _nnf("glu")(x, 1), In((2, 4, 3), layout="t"))
for _name, _fn in [("leaky_relu", lambda x: _nnf("leaky_relu")(x, 0.2)), ("elu", lambda x: _nnf("elu")(x, 1.3)),
                   ("selu", _nnf("selu")), ("celu", lambda x: _nnf("celu")(x, 0.6)), ("gelu", _nnf("gelu")),
                   ("gelu", lambda x: _nnf("gelu")(x, approximate="tanh")), ("silu", _nnf("silu")),
                   ("mish", _nnf("mish")), ("hardswish", _nnf("hardswish")), ("hardsigmoid", _nnf("hardsigmoid")),
                   ("hardtanh", lambda x: _nnf("hardtanh")(x, -0.9, 0.9)),
                   ("softplus", lambda x: _nnf("softplus")(x, 2.0, 1.5)), ("logsigmoid", _nnf("logsigmoid"))]:
    case(_name, _fn, In((3, 4), 0.2, 0.8, "t", True))
    case(_name, _fn, In((5,), 1.2, 2.5, "s", True))

# diagonals: diagonal (a view), diag of a vector and of a matrix, diag_embed, trace
case("diagonal", lambda x: x.diagonal(1), In((3, 4), layout="t"))
case("diagonal", lambda x: torch.diagonal(x, -1, 2, 0), In((2, 3, 4), layout="s"))
case("diag", lambda x: torch.diag(x, -1), In((4,), layout="s"))
case("diag", lambda x: x.diag(1), In((3, 4), layout="t"))
case("diag_embed", lambda x: torch.diag_embed(x, 1, 0, 2), In((2, 3), layout="t"))
case("trace", lambda x: x.trace(), In((3, 4), layout="s"))

# recurrent layers (nn_rnn): torch.rnn_tanh / rnn_relu / lstm / gru over padded (T, B, I) or packed rows with
# batch_sizes, and the cells; inputs: x, the states, then w_ih, w_hh, b_ih, b_hh (w_hr: a projecting LSTM)
_RW = lambda *shape: In(shape, -0.8, 0.8)  # noqa: E731
_BS = lambda: torch.tensor([3, 2, 1])  # noqa: E731
case("rnn_tanh", lambda x, h, *w: torch.rnn_tanh(x, h, list(w), True, 1, 0.0, False, False, True),
     In((2, 3, 2), -0.8, 0.8, "t"), _RW(1, 2, 3), _RW(3, 2), _RW(3, 3), _RW(3), _RW(3))
case("rnn_relu", lambda x, h, *w: torch.rnn_relu(x, _BS(), h, list(w), False, 1, 0.0, False, True),
     _RW(6, 2), _RW(2, 3, 3), _RW(3, 2), _RW(3, 3), _RW(3, 2), _RW(3, 3))
case("lstm", lambda x, h, c, *w: torch.lstm(x, (h, c), list(w), True, 1, 0.0, False, False, False),
     In((3, 2, 2), -0.8, 0.8, "s"), _RW(1, 2, 2), _RW(1, 2, 3), _RW(12, 2), _RW(12, 2), _RW(12), _RW(12), _RW(2, 3))
case("gru", lambda x, h, *w: torch.gru(x, _BS(), h, list(w), True, 1, 0.0, False, False),
     _RW(6, 2), _RW(1, 3, 3), _RW(9, 2), _RW(9, 3), _RW(9), _RW(9))
case("rnn_tanh_cell", lambda x, h, *w: torch.rnn_tanh_cell(x, h, *w), _RW(2, 2), _RW(2, 3), _RW(3, 2), _RW(3, 3),
     _RW(3), _RW(3))
case("rnn_relu_cell", lambda x, h, *w: torch.rnn_relu_cell(x, h, *w), _RW(2, 2), _RW(2, 3), _RW(3, 2), _RW(3, 3))
case("lstm_cell", lambda x, h, c, *w: torch.lstm_cell(x, (h, c), *w), _RW(2, 2), _RW(2, 3), _RW(2, 3), _RW(12, 2),
     _RW(12, 3), _RW(12), _RW(12))
case("gru_cell", lambda x, h, *w: torch.gru_cell(x, h, *w), In((2, 2), -0.8, 0.8, "t"), _RW(2, 3), _RW(9, 2),
     _RW(9, 3), _RW(9), _RW(9))
# attention: the fused scaled_dot_product_attention (a bool mask, causal, broadcast batch dims)
_MASK = np.array([[True, False, True, True, False], [False, False, True, True, True], [True] * 5])
case("scaled_dot_product_attention", lambda q, k, v: _nnf("scaled_dot_product_attention")(
    q, k, v, attn_mask=torch.tensor(_MASK)), In((2, 3, 4), layout="t"), In((2, 5, 4)), In((1, 5, 2), layout="s"))
case("scaled_dot_product_attention", lambda q, k, v: _nnf("scaled_dot_product_attention")(q, k, v, is_causal=True),
     In((2, 2, 3, 4)), In((2, 1, 3, 4), layout="t"), In((3, 2)))

CASE_IDS = [c.id for c in CASES]


def build(c):
    rng = np.random.default_rng(seed("autograd", c.id))
    return tuple(make_input(rng, spec) for spec in c.ins)


def skip_noref(c):
    if REFERENCE and c.noref:
        pytest.skip(c.noref)


@ctorch_only
def test_every_table_entry_has_a_case():
    exported = list(torch._C._differentiable_ops())
    assert len(exported) == len(set(exported)), "duplicate names in _differentiable_ops()"
    covered = {c.name for c in CASES}
    missing = sorted(set(exported) - covered)
    assert not missing, f"derivative table entries without a gradcheck case: {missing}"
    stale = sorted(covered - set(exported))
    assert not stale, f"cases for names the table no longer exports: {stale}"


@pytest.mark.parametrize("c", CASES, ids=CASE_IDS)
def test_gradcheck(c):
    skip_noref(c)
    inputs = build(c)
    assert torch.autograd.gradcheck(c.fn, inputs, **c.kw)


@pytest.mark.parametrize("c", [c for c in CASES if c.zero], ids=[c.id for c in CASES if c.zero])
def test_zero_gradient_ops(c):
    skip_noref(c)
    inputs = build(c)
    out = c.fn(*inputs)
    assert out.requires_grad
    for x, g in zip(inputs, torch.autograd.grad(out.sum(), inputs)):
        assert tuple(g.shape) == tuple(x.shape)
        assert np.all(to_numpy(g) == 0)


GRADGRAD = ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "reciprocal", "square", "mul-1", "div-1", "pow", "pow-3",
            "atan2", "hypot", "addcmul", "addcdiv", "lerp", "where", "sum-1", "mean-1", "prod", "prod-1", "amax",
            "cumsum", "view-1", "transpose-1", "permute", "expand-1", "select", "slice-1", "squeeze",
            "mm", "bmm", "matmul-1", "matmul-3", "addmm-1", "cat-1", "stack", "split-1", "unbind-1", "flip-1", "roll-1",
            "repeat", "tril-1"]


@pytest.mark.parametrize("cid", GRADGRAD)
def test_gradgradcheck(cid):
    c = CASES[CASE_IDS.index(cid)]
    assert torch.autograd.gradgradcheck(c.fn, build(c))


def test_double_backward_matches_numpy():
    """A gradient penalty: d/dx sum((d/dx sum(x^3 * w))^2) = 36 x^3 w^2 (and 18 x^4 w for w)."""
    xv, wv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, -2.0])
    x, w = leaf(xv), leaf(wv)
    g, = torch.autograd.grad((x ** 3 * w).sum(), x, create_graph=True)
    close(to_numpy(g.detach()), 3 * xv ** 2 * wv)
    assert g.requires_grad
    (g * g).sum().backward()
    close(grad_np(x), 36 * xv ** 3 * wv ** 2)
    close(grad_np(w), 18 * xv ** 4 * wv)


# =============================================================================
# 2. the engine and the Python API
# =============================================================================
XV = np.array([0.5, -1.25, 2.0])


# ---- gradients of composite functions (and PyTorch's conventions at kinks)
def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


ZV = np.array([[0.2, -1.0, 0.7, 1.5], [2.0, 0.1, -0.3, 0.4], [-1.2, 0.0, 0.9, 0.3]])
ONEHOT = np.eye(4)[[2, 0, 3]]
COMPOSITE = [  # (id, function of a leaf, its values, NumPy gradient of the function's sum)
    ("square-by-mul", lambda x: x * x, XV, 2 * XV),
    ("cube", lambda x: x * x * x, XV, 3 * XV ** 2),
    ("reuse", lambda x: x + x.exp() * x, XV, 1 + np.exp(XV) * (1 + XV)),
    ("leaf-plus-itself", lambda x: x + x, XV, np.full(3, 2.0)),
    ("leaf-through-add-and-mul", lambda x: x + x * 2, XV, np.full(3, 3.0)),
    ("diamond", lambda x: (lambda a: a * a + a.sin())(x * 2), XV, 8 * XV + 2 * np.cos(2 * XV)),
    ("outer-reuse", lambda x: x.unsqueeze(0) * x.unsqueeze(1), XV, np.full(3, 2 * XV.sum())),
    ("std", lambda x: x.std(), XV, (XV - XV.mean()) / (2 * XV.std(ddof=1))),
    ("var-dim", lambda x: x.var(1), ZV, 2 * (ZV - ZV.mean(1, keepdims=True)) / 3),
    ("norm", lambda x: x.norm(), XV, XV / np.linalg.norm(XV)),
    ("logsumexp", lambda x: x.logsumexp(1), ZV, _softmax(ZV)),
    ("cross-entropy", lambda z: -(torch.tensor(ONEHOT) * (z - z.logsumexp(1, keepdim=True))).sum() / 3, ZV,
     (_softmax(ZV) - ONEHOT) / 3),
    ("cumprod", lambda x: x.cumprod(0), XV, np.array([1 + XV[1] + XV[1] * XV[2], XV[0] + XV[0] * XV[2],
                                                       XV[0] * XV[1]])),
    ("mse", lambda x: ((x - 1.0) ** 2).mean(), ZV, 2 * (ZV - 1.0) / ZV.size),
    # PyTorch's values at kinks and edges
    ("prod-one-zero", lambda x: x.prod(), np.array([2.0, 0.0, 3.0]), np.array([0.0, 6.0, 0.0])),
    ("prod-two-zeros", lambda x: x.prod(), np.array([2.0, 0.0, 0.0]), np.zeros(3)),
    ("prod-dim-zero", lambda x: x.prod(1), np.array([[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]]),
     np.array([[0.0, 6.0, 0.0], [8.0, 4.0, 2.0]])),
    ("norm-at-zero", lambda x: x.norm(), np.zeros(3), np.zeros(3)),
    ("amax-ties-split", lambda x: x.max(), np.array([1.0, 3.0, 3.0]), np.array([0.0, 0.5, 0.5])),
    ("max-dim-tie-one", lambda x: x.max(0)[0], np.array([1.0, 3.0, 3.0]), np.array([0.0, 1.0, 0.0])),
    ("maximum-tie-half", lambda x: torch.maximum(x, torch.tensor([3.0, 3.0, 1.0], dtype=F64)),
     np.array([1.0, 3.0, 3.0]), np.array([0.0, 0.5, 1.0])),
    ("abs-at-zero", torch.abs, np.array([-1.0, 0.0, 3.0]), np.array([-1.0, 0.0, 1.0])),
    ("relu-at-zero", torch.relu, np.array([-1.0, 0.0, 3.0]), np.array([0.0, 0.0, 1.0])),
    ("clamp-at-bounds", lambda x: x.clamp(-1, 1), np.array([-1.0, 0.0, 1.0]), np.ones(3)),
    ("pow-at-zero", lambda x: x ** 2, np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 2.0])),
    ("pow-exponent-at-zero-base", lambda y: torch.pow(torch.tensor([0.0, 2.0], dtype=F64), y),
     np.array([2.0, 3.0]), np.array([0.0, 8.0 * np.log(2.0)])),
]


def _composite_param(c):
    if hasattr(c, "values"):   # a pytest.param carrying marks
        return pytest.param(*c.values[1:], marks=c.marks, id=c.values[0])
    return pytest.param(*c[1:], id=c[0])


@pytest.mark.parametrize("fn,xv,expected", [_composite_param(c) for c in COMPOSITE])
def test_composite_gradients(fn, xv, expected):
    x = leaf(xv)
    fn(x).sum().backward()
    close(grad_np(x), expected)


def test_mlp_gradients_match_numpy():
    rng = np.random.default_rng(seed("mlp"))
    xv, w1v, b1v, w2v, tv = (rng.standard_normal(s) for s in [(5, 4), (4, 6), (6,), (6, 2), (5, 2)])
    x, t = leaf(xv, False), leaf(tv, False)
    w1, b1, w2 = leaf(w1v), leaf(b1v), leaf(w2v)
    h = torch.relu(x @ w1 + b1)
    loss = ((h @ w2 - t) ** 2).mean()
    loss.backward()
    pre = xv @ w1v + b1v
    hv = np.maximum(pre, 0)
    dout = 2 * (hv @ w2v - tv) / tv.size
    dpre = (dout @ w2v.T) * (pre > 0)
    close(grad_np(w2), hv.T @ dout)
    close(grad_np(w1), xv.T @ dpre)
    close(grad_np(b1), dpre.sum(0))
    assert x.grad is None and t.grad is None


# ---- accumulation, retain_graph, gradient argument
def test_grad_accumulates_across_backward_calls():
    x = leaf(XV)
    (x * x).sum().backward()
    close(grad_np(x), 2 * XV)
    (x.exp()).sum().backward()
    close(grad_np(x), 2 * XV + np.exp(XV))
    x.grad = None
    (x * 3).sum().backward()
    close(grad_np(x), np.full(3, 3.0))


@pytest.mark.parametrize("fn", [lambda x: x.sum(), lambda x: x.mean(), lambda x: (x + 1).sum(),
                                lambda x: x.expand(2, 3).sum(), lambda x: (x * 2).sum()],
                         ids=["sum", "mean", "add-sum", "expand-sum", "mul-sum"])
def test_grad_is_a_dense_tensor_of_its_own(fn):
    """.grad may be changed in place (optimizers do): no stride-0 or shared memory."""
    x = leaf(XV)
    fn(x).backward()
    expected = grad_np(x)
    assert x.grad.is_contiguous() and x.grad.stride() == (1,)
    x.grad.add_(1.0)
    close(grad_np(x), expected + 1)
    fn(x).backward()
    close(grad_np(x), 2 * expected + 1)


def test_retain_graph_allows_a_second_backward():
    x = leaf(XV)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(grad_np(x), 4 * XV)


@pytest.mark.parametrize("second", ["backward", "autograd.grad"])
def test_second_backward_without_retain_graph_raises(second):
    x = leaf(XV)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward() if second == "backward" else torch.autograd.grad(y, x)


def test_autograd_grad_frees_the_graph_too():
    x = leaf(XV)
    y = (x * x).sum()
    torch.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_implicit_gradient_only_for_scalars():
    x = leaf(XV)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    # a one-element tensor of any shape is fine
    (x.sum().reshape(1, 1) * 2).backward()
    close(grad_np(x), np.full(3, 2.0))


@pytest.mark.parametrize("how", ["method", "autograd.backward"])
def test_backward_with_gradient(how):
    x = leaf(XV)
    gv = np.array([1.0, -2.0, 0.5])
    y = x * x
    if how == "method":
        y.backward(gradient=leaf(gv, False))
    else:
        torch.autograd.backward(y, grad_tensors=leaf(gv, False))
    close(grad_np(x), 2 * XV * gv)


def test_backward_gradient_of_the_wrong_shape():
    x = leaf(XV)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(leaf([1.0, 1.0], False))


def test_backward_of_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        leaf(XV, False).sum().backward()


def test_backward_of_several_roots_sums():
    x = leaf(XV)
    torch.autograd.backward([(x * x).sum(), x * 3], [None, leaf([1.0, 0.0, 2.0], False)])
    close(grad_np(x), 2 * XV + np.array([3.0, 0.0, 6.0]))


def test_backward_of_a_leaf_itself():
    x = leaf([2.0])
    x.backward()
    close(grad_np(x), [1.0])


# ---- autograd.grad
def test_autograd_grad_returns_a_tuple_and_leaves_grad_alone():
    x, w = leaf(XV), leaf([1.0, 2.0, 3.0])
    y = (x * x * w).sum()
    gx, gw = res = torch.autograd.grad(y, [x, w])
    assert isinstance(res, tuple) and len(res) == 2
    close(to_numpy(gx), 2 * XV * np.array([1.0, 2.0, 3.0]))
    close(to_numpy(gw), XV ** 2)
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_autograd_grad_of_an_intermediate_with_grad_outputs():
    x = leaf(XV)
    h = x * 2
    y = h.exp()
    go = np.array([1.0, 0.5, -1.0])
    gh, = torch.autograd.grad(y, h, grad_outputs=leaf(go, False))
    close(to_numpy(gh), np.exp(2 * XV) * go)
    assert x.grad is None


def test_autograd_grad_unused_inputs():
    x, unused = leaf(XV), leaf([1.0])
    # PyTorch 2.13 says "The differentiated Tensor at index 1 appears...", earlier ones "One of the ..."
    with pytest.raises(RuntimeError, match=r"(One of the differentiated Tensors|The differentiated Tensor at index 1) "
                                           r"appears to not have been used in the graph"):
        torch.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = torch.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    close(to_numpy(gx), np.full(3, 2.0))
    assert gu is None


def test_autograd_grad_with_create_graph_records_history():
    x = leaf(XV)
    g, = torch.autograd.grad((x.sin()).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    g2, = torch.autograd.grad(g.sum(), x)
    close(to_numpy(g2), -np.sin(XV))


# ---- backward(inputs=...)
@pytest.mark.parametrize("inputs", ["list", "tensor", "function"])
def test_backward_inputs_accumulates_only_into_those(inputs):
    x, w = leaf(XV), leaf([1.0, 2.0, 3.0])
    loss = (x * w).sum()
    if inputs == "list":
        loss.backward(inputs=[w])
    elif inputs == "tensor":
        loss.backward(inputs=w)
    else:
        torch.autograd.backward(loss, inputs=[w])
    close(grad_np(w), XV)
    assert x.grad is None
    (x * w).sum().backward(inputs=[w])   # accumulates
    close(grad_np(w), 2 * XV)
    assert x.grad is None


# ---- requires_grad
FACTORIES = {
    "tensor": lambda: torch.tensor([1.0, 2.0], requires_grad=True),
    "zeros": lambda: torch.zeros(2, 3, requires_grad=True),
    "ones": lambda: torch.ones(2, requires_grad=True, dtype=F64),
    "full": lambda: torch.full((2,), 1.5, requires_grad=True),
    "empty": lambda: torch.empty(2, requires_grad=True),
    "arange": lambda: torch.arange(3.0, requires_grad=True),
    "linspace": lambda: torch.linspace(0, 1, 3, requires_grad=True),
    "eye": lambda: torch.eye(2, requires_grad=True),
    "zeros_like": lambda: torch.zeros_like(torch.ones(2), requires_grad=True),
    "ones_like": lambda: torch.ones_like(torch.ones(2), requires_grad=True),
    "full_like": lambda: torch.full_like(torch.ones(2), 3.0, requires_grad=True),
}


@pytest.mark.parametrize("factory", FACTORIES)
def test_factory_requires_grad(factory):
    t = FACTORIES[factory]()
    assert t.requires_grad and t.is_leaf and t.grad_fn is None and t.grad is None


INT_REQUIRES_GRAD = {
    "tensor": lambda: torch.tensor([1, 2], requires_grad=True),
    "zeros": lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True),
    "setter": lambda: setattr(torch.tensor([1, 2]), "requires_grad", True),
    "requires_grad_": lambda: torch.tensor([1, 2]).requires_grad_(),
}


@pytest.mark.parametrize("how", INT_REQUIRES_GRAD)
def test_integer_tensors_cannot_require_grad(how):
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        INT_REQUIRES_GRAD[how]()


def test_requires_grad_defaults_and_propagation():
    a, b = leaf(XV, False), leaf(XV)
    assert not a.requires_grad and a.is_leaf
    assert not (a * 2).requires_grad and (a * 2).is_leaf and (a * 2).grad_fn is None
    assert (a * b).requires_grad and not (a * b).is_leaf
    assert torch.zeros_like(b).requires_grad is False


def test_requires_grad_setter_on_leaves():
    x = leaf(XV, False)
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    x.requires_grad = False
    assert not x.requires_grad and not (x * 2).requires_grad


@pytest.mark.parametrize("value", [True, False])
def test_requires_grad_setter_on_a_non_leaf_raises(value):
    y = leaf(XV) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = value


def test_requires_grad_method():
    x = leaf(XV, False)
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    y = leaf(XV) * 2
    assert y.requires_grad_() is y and y.requires_grad   # a no-op on a non-leaf that requires grad
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


# ---- grad_fn names (each checked against PyTorch 2.13), is_leaf, next_functions
def _nodes():
    rng = np.random.default_rng(seed("nodes"))
    a = leaf(rng.uniform(0.5, 2, (3, 4)))
    b = leaf(rng.uniform(0.5, 2, (4, 3)))
    c = leaf(rng.uniform(0.5, 2, (2, 3, 4)))
    return a, b, c


GRAD_FN_NAMES = [
    ("AddBackward0", lambda a, b, c: a + a), ("AddBackward0", lambda a, b, c: a + 1),
    ("SubBackward0", lambda a, b, c: a - a), ("RsubBackward1", lambda a, b, c: 1 - a),
    ("MulBackward0", lambda a, b, c: a * a), ("MulBackward0", lambda a, b, c: a * 2),
    ("DivBackward0", lambda a, b, c: a / a), ("DivBackward0", lambda a, b, c: a / 2),
    ("NegBackward0", lambda a, b, c: -a), ("PowBackward0", lambda a, b, c: a ** 2),
    ("PowBackward0", lambda a, b, c: a.square()), ("PowBackward1", lambda a, b, c: a ** a),
    ("PowBackward2", lambda a, b, c: 2 ** a),
    ("MmBackward0", lambda a, b, c: a.mm(b)), ("MmBackward0", lambda a, b, c: a @ b),
    ("BmmBackward0", lambda a, b, c: c.bmm(c.transpose(1, 2))), ("MvBackward0", lambda a, b, c: a.mv(b[:, 0].detach())),
    ("DotBackward0", lambda a, b, c: a[0].dot(a[1])),
    ("AddmmBackward0", lambda a, b, c: torch.addmm(a, a, torch.eye(4, dtype=F64))),
    ("SumBackward0", lambda a, b, c: a.sum()), ("SumBackward1", lambda a, b, c: a.sum(1)),
    ("MeanBackward0", lambda a, b, c: a.mean()), ("MeanBackward1", lambda a, b, c: a.mean(0)),
    ("ProdBackward0", lambda a, b, c: a.prod()), ("CumsumBackward0", lambda a, b, c: a.cumsum(0)),
    ("CumprodBackward0", lambda a, b, c: a.cumprod(0)),
    ("MaxBackward1", lambda a, b, c: a.max()), ("MinBackward1", lambda a, b, c: a.min()),
    ("MaxBackward0", lambda a, b, c: a.max(dim=1)[0]), ("MinBackward0", lambda a, b, c: a.min(1)[0]),
    ("AmaxBackward0", lambda a, b, c: a.amax(1)), ("AminBackward0", lambda a, b, c: a.amin(0)),
    ("StdBackward0", lambda a, b, c: a.std()), ("VarBackward0", lambda a, b, c: a.var()),
    ("LogsumexpBackward0", lambda a, b, c: a.logsumexp(1)),
    ("ViewBackward0", lambda a, b, c: a.view(12)), ("ViewBackward0", lambda a, b, c: a.reshape(12)),
    ("ViewBackward0", lambda a, b, c: c.flatten()), ("ExpandBackward0", lambda a, b, c: a[0:1].expand(3, 4)),
    ("TransposeBackward0", lambda a, b, c: a.transpose(0, 1)), ("TBackward0", lambda a, b, c: a.t()),
    ("PermuteBackward0", lambda a, b, c: c.permute(2, 0, 1)), ("UnsqueezeBackward0", lambda a, b, c: a.unsqueeze(0)),
    ("SqueezeBackward1", lambda a, b, c: a.unsqueeze(0).squeeze(0)),
    ("SqueezeBackward0", lambda a, b, c: a.unsqueeze(0).squeeze()),
    ("SelectBackward0", lambda a, b, c: a[1]), ("SliceBackward0", lambda a, b, c: a[1:3]),
    ("SliceBackward0", lambda a, b, c: a.narrow(0, 1, 2)),
    ("ExpBackward0", lambda a, b, c: a.exp()), ("LogBackward0", lambda a, b, c: a.log()),
    ("Log1PBackward0", lambda a, b, c: a.log1p()), ("SqrtBackward0", lambda a, b, c: a.sqrt()),
    ("AbsBackward0", lambda a, b, c: a.abs()), ("ReluBackward0", lambda a, b, c: a.relu()),
    ("SigmoidBackward0", lambda a, b, c: a.sigmoid()), ("TanhBackward0", lambda a, b, c: a.tanh()),
    ("FloorBackward0", lambda a, b, c: a.floor()), ("SignBackward0", lambda a, b, c: a.sign()),
    ("RoundBackward1", lambda a, b, c: a.round(decimals=1)),
    ("ClampBackward1", lambda a, b, c: a.clamp(-1, 1)), ("ClampBackward1", lambda a, b, c: a.clamp(min=0)),
    ("ClampBackward1", lambda a, b, c: a.clamp(max=0)), ("ClampMinBackward0", lambda a, b, c: torch.clamp_min(a, 0)),
    ("MaximumBackward0", lambda a, b, c: torch.maximum(a, a)),
    ("MinimumBackward0", lambda a, b, c: torch.minimum(a, a)),
    ("Atan2Backward0", lambda a, b, c: torch.atan2(a, a)), ("RemainderBackward0", lambda a, b, c: a % 2),
    ("FmodBackward0", lambda a, b, c: a.fmod(2)),
    ("DivBackward2", lambda a, b, c: torch.div(a, 2, rounding_mode="trunc")),
    ("WhereBackward0", lambda a, b, c: torch.where(a > 1, a, a)),
    ("LerpBackward0", lambda a, b, c: torch.lerp(a, a, 0.3)),
    ("LerpBackward1", lambda a, b, c: torch.lerp(a, a, a)),
    ("AddcmulBackward0", lambda a, b, c: torch.addcmul(a, a, a)),
    ("AddcdivBackward0", lambda a, b, c: torch.addcdiv(a, a, a)),
    ("ToCopyBackward0", lambda a, b, c: a.to(torch.float32)), ("ToCopyBackward0", lambda a, b, c: a.float()),
    ("CloneBackward0", lambda a, b, c: a.clone()), ("CloneBackward0", lambda a, b, c: a.t().contiguous()),
]


@pytest.mark.parametrize("expected,fn", GRAD_FN_NAMES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(GRAD_FN_NAMES)])
def test_grad_fn_names(expected, fn):
    y = fn(*_nodes())
    assert y.grad_fn is not None, "no history recorded"
    assert node_name(y.grad_fn) == expected
    assert y.grad_fn.name() == expected
    assert f"grad_fn=<{expected}>" in repr(y)


def test_grad_fn_type_is_named_after_the_node():
    """type(t.grad_fn).__name__ is how user code usually inspects graphs."""
    x = leaf(XV)
    assert type((x * 2).grad_fn).__name__ == "MulBackward0"
    assert type((x * 2).grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"


def test_is_leaf():
    x, c = leaf(XV), leaf(XV, False)
    assert x.is_leaf and c.is_leaf and (c * 2).is_leaf
    assert not (x * 2).is_leaf and not x[0].is_leaf
    assert (x * 2).detach().is_leaf
    with torch.no_grad():
        assert (x * 2).is_leaf


def test_next_functions():
    a, b, c = leaf(XV), leaf(XV), leaf(XV, False)
    y = a * b + c
    add = y.grad_fn
    assert node_name(add) == "AddBackward0"
    (mul, i0), (none, i1) = add.next_functions
    assert node_name(mul) == "MulBackward0" and none is None and (i0, i1) == (0, 0)
    (acc_a, j0), (acc_b, j1) = mul.next_functions
    assert node_name(acc_a) == "AccumulateGrad" == node_name(acc_b) and (j0, j1) == (0, 0)
    assert acc_a.variable is a and acc_b.variable is b
    assert acc_a.next_functions == ()
    # a leaf used twice: both edges end at AccumulateGrad nodes for that leaf
    sq = (a * a).grad_fn
    assert [n.variable is a for n, _ in sq.next_functions] == [True, True]
    # the edge of a non-leaf leads to its grad_fn
    z = (a.exp()) * 2
    assert node_name(z.grad_fn.next_functions[0][0]) == "ExpBackward0"
    assert z.grad_fn.next_functions[1] == (None, 0)


# ---- detach, detach_, retain_grad, .data
def test_detach_shares_storage_and_stops_gradients():
    x = leaf(XV)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 10.0
    assert x[0].item() == 10.0
    x2 = leaf(XV)
    (x2 * x2.detach()).sum().backward()
    close(grad_np(x2), XV)


def test_detach_inplace_is_seen_by_the_version_counter():
    x = leaf(XV)
    y = (x * x).sum()
    x.detach().mul_(2)
    with pytest.raises(RuntimeError, match=INPLACE_MSG):
        y.backward()


def test_detach_():
    x = leaf(XV)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    close(to_numpy(y), 2 * XV)


def test_retain_grad():
    x = leaf(XV)
    y = x * 2
    z = x * 3
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad and not x.retains_grad
    (y * y + z).sum().backward()
    close(grad_np(y), 4 * XV)
    assert z.grad is None
    close(grad_np(x), 8 * XV + 3)


def test_retain_grad_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        leaf(XV, False).retain_grad()


def test_data_is_a_detached_alias():
    x = leaf(XV)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(2)   # no leaf error: .data is outside autograd
    close(to_numpy(x.detach()), 2 * XV)
    assert x.requires_grad and x.is_leaf


def test_sgd_update_through_data():
    w = leaf(XV)
    (w * w).sum().backward()
    w.data -= 0.1 * w.grad
    close(to_numpy(w.detach()), XV - 0.1 * 2 * XV)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


@pytest.mark.xfail(not REFERENCE, strict=True,
                   reason="ctorch keeps one version counter per storage, so .data shares it (PyTorch's does not)")
def test_data_inplace_is_invisible_to_the_version_counter():
    """PyTorch gives .data its own version counter: the backward uses the new values silently."""
    x = leaf(XV)
    y = (x * x).sum()
    x.data.mul_(2)
    y.backward()
    close(grad_np(x), 4 * XV)


def test_data_setter_keeps_requires_grad():
    x = leaf(XV)
    x.data = torch.zeros(3, dtype=F64)
    assert x.requires_grad and x.is_leaf
    close(to_numpy(x.detach()), np.zeros(3))


# ---- grad modes
def _no_grad():
    return torch.no_grad()


def _set_false():
    return torch.set_grad_enabled(False)


def _inference():
    return torch.inference_mode()


DISABLING = {"no_grad": _no_grad, "set_grad_enabled(False)": _set_false, "inference_mode": _inference}


@pytest.mark.parametrize("mode", DISABLING)
def test_disabling_contexts(mode):
    x = leaf(XV)
    assert torch.is_grad_enabled()
    with DISABLING[mode]():
        assert not torch.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert torch.is_grad_enabled() and (x * 2).requires_grad


@pytest.mark.parametrize("mode", ["no_grad", "set_grad_enabled(False)"])
def test_enabling_inside_a_disabled_block(mode):
    x = leaf(XV)
    with DISABLING[mode]():
        with torch.enable_grad():
            assert torch.is_grad_enabled() and (x * 2).requires_grad
        assert not torch.is_grad_enabled()
        with torch.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ValueError):
        with torch.no_grad():
            raise ValueError
    assert torch.is_grad_enabled()


def test_set_grad_enabled_as_a_call():
    try:
        torch.set_grad_enabled(False)
        assert not torch.is_grad_enabled() and not (leaf(XV) * 2).requires_grad
        torch.set_grad_enabled(True)
        assert torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)


DECORATORS = {  # how to get the decorator, and the grad mode inside the decorated function
    "no_grad": (lambda: torch.no_grad, False), "no_grad()": (lambda: torch.no_grad(), False),
    "enable_grad": (lambda: torch.enable_grad, True), "enable_grad()": (lambda: torch.enable_grad(), True),
    "set_grad_enabled(False)": (lambda: torch.set_grad_enabled(False), False),
    "set_grad_enabled(True)": (lambda: torch.set_grad_enabled(True), True),
    "inference_mode": (lambda: torch.inference_mode, False),
    "inference_mode()": (lambda: torch.inference_mode(), False),
}


@pytest.mark.parametrize("kind", DECORATORS)
def test_grad_mode_decorators(kind):
    get, on = DECORATORS[kind]
    try:
        @get()
        def probe(x):
            return torch.is_grad_enabled(), (x * 2).requires_grad

        assert torch.is_grad_enabled(), "decorating changed the grad mode"
        assert probe.__name__ == "probe"
        x = leaf(XV)
        assert probe(x) == (on, on)
        with torch.no_grad():
            assert probe(x) == (on, on)
            assert not torch.is_grad_enabled()
        assert torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)


def test_grad_mode_is_thread_local():
    x = leaf(XV)
    seen = {}

    def worker():
        seen["enabled"] = torch.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad

    with torch.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not torch.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}


def test_no_grad_in_a_thread_leaves_others_alone():
    inside, release = threading.Event(), threading.Event()

    def worker():
        with torch.no_grad():
            inside.set()
            release.wait(10)

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert inside.wait(10)
        assert torch.is_grad_enabled() and (leaf(XV) * 2).requires_grad
    finally:
        release.set()
        th.join()


# ---- in-place ops
INPLACE = {
    "add_": lambda t: t.add_(1), "mul_": lambda t: t.mul_(2), "exp_": lambda t: t.exp_(),
    "zero_": lambda t: t.zero_(), "fill_": lambda t: t.fill_(1.5), "clamp_": lambda t: t.clamp_(0, 1),
    "copy_": lambda t: t.copy_(torch.ones(3, dtype=F64)), "setitem": lambda t: t.__setitem__(0, 7.0),
    "view-mul_": lambda t: t[1:].mul_(2), "iadd": lambda t: t.__iadd__(1.0),
}
INPLACE_NP = {
    "add_": lambda v: v + 1, "mul_": lambda v: v * 2, "exp_": np.exp, "zero_": np.zeros_like,
    "fill_": lambda v: np.full_like(v, 1.5), "clamp_": lambda v: np.clip(v, 0, 1), "copy_": np.ones_like,
    "setitem": lambda v: np.r_[7.0, v[1:]], "view-mul_": lambda v: np.r_[v[:1], 2 * v[1:]],
    "iadd": lambda v: v + 1,
}


@pytest.mark.parametrize("op", INPLACE)
def test_inplace_on_a_leaf_that_requires_grad_raises(op):
    x = leaf(XV)
    with pytest.raises(RuntimeError, match=LEAF_MSG):
        INPLACE[op](x)


@pytest.mark.parametrize("op", INPLACE)
def test_inplace_on_a_leaf_inside_no_grad(op):
    x = leaf(XV)
    with torch.no_grad():
        INPLACE[op](x)
    close(to_numpy(x.detach()), INPLACE_NP[op](XV))
    assert x.requires_grad and x.is_leaf and x.grad_fn is None
    (x * x).sum().backward()
    close(grad_np(x), 2 * INPLACE_NP[op](XV))


SAVED_MODIFIED = {  # builds a loss whose backward needs a tensor that was then changed in place
    "input-of-mul": lambda x: (lambda a: ((a * a).sum(), a.add_(1)))(x * 2)[0],
    "output-of-exp": lambda x: (lambda y: (y.sum(), y.add_(1)))(x.exp())[0],
    "output-of-sigmoid": lambda x: (lambda y: ((y * 1).sum(), y.mul_(2)))(x.sigmoid())[0],
    "input-of-mm": lambda x: (lambda a: (a.unsqueeze(0).mm(a.unsqueeze(1)).sum(), a.zero_()))(x * 1)[0],
}


@pytest.mark.parametrize("how", SAVED_MODIFIED)
def test_backward_after_a_saved_tensor_changed_in_place(how):
    x = leaf(XV)
    loss = SAVED_MODIFIED[how](x)
    with pytest.raises(RuntimeError, match=INPLACE_MSG):
        loss.backward()


def test_saved_leaf_changed_under_no_grad():
    x = leaf(XV)
    y = (x * x).sum()
    with torch.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match=INPLACE_MSG):
        y.backward()


def test_inplace_of_an_unsaved_tensor_is_fine():
    x = leaf(XV)
    a = x * 2
    y = (a + 1).sum()   # add saves nothing
    a.mul_(5)
    y.backward()
    close(grad_np(x), np.full(3, 2.0))


def _chain_add_exp(x, w):
    y = x * 2
    y.add_(1)
    y.exp_()
    return y


def _chain_mul_by_w(x, w):
    y = x * 1
    y.mul_(w)
    return y


def _chain_clamp(x, w):
    y = x + 0
    y.clamp_(min=0.0)
    return y * w


def _chain_sin(x, w):   # the in-place op needs its own input: PyTorch keeps the original
    y = x * 1
    y.sin_()
    return y


def _chain_setitem(x, w):
    y = x * 1
    y[1] = 0.0
    return y * y


def _chain_view_mul(x, w):   # through a view of a non-leaf: the base's history is rewritten
    y = x * 1
    y[1:].mul_(3)
    return y * y


def _chain_setitem_tensor(x, w):   # a value with history written into a non-leaf
    y = x * 1
    y[0] = w[2] * 4
    return y


WV = np.array([1.5, -0.5, 2.0])
INPLACE_CHAINS = [  # (function of leaves x and w, NumPy grad of x, NumPy grad of w or None)
    (_chain_add_exp, 2 * np.exp(2 * XV + 1), None),
    (_chain_mul_by_w, WV, XV),
    (_chain_clamp, WV * (XV > 0), np.maximum(XV, 0)),
    (_chain_sin, np.cos(XV), None),
    (_chain_setitem, np.array([2 * XV[0], 0.0, 2 * XV[2]]), None),
    (_chain_view_mul, np.array([2 * XV[0], 18 * XV[1], 18 * XV[2]]), None),
    (_chain_setitem_tensor, np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.0, 4.0])),
]


@pytest.mark.parametrize("fn,gx,gw", INPLACE_CHAINS, ids=[c[0].__name__[7:] for c in INPLACE_CHAINS])
def test_inplace_on_non_leaves_keeps_gradients_right(fn, gx, gw):
    x, w = leaf(XV), leaf(WV)
    y = fn(x, w)
    assert not y.is_leaf
    y.sum().backward()
    close(grad_np(x), gx)
    if gw is None:
        assert w.grad is None
    else:
        close(grad_np(w), gw)


def test_inplace_rewrites_grad_fn():
    x = leaf(XV)
    y = x * 2
    y.add_(1)
    assert node_name(y.grad_fn) == "AddBackward0"
    y.exp_()
    assert node_name(y.grad_fn) == "ExpBackward0"
    assert not y.is_leaf


# ---- numpy() and repr
def test_numpy_of_a_tensor_that_requires_grad():
    x = leaf(XV)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        x.numpy()
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        (x * 2).numpy()
    close(x.detach().numpy(), XV)


REPRS = [  # (expression over x = [1., 2.] (float32, requires grad), PyTorch's repr)
    (lambda x: x, "tensor([1., 2.], requires_grad=True)"),
    (lambda x: x * 2, "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda x: x.sum(), "tensor(3., grad_fn=<SumBackward0>)"),
    (lambda x: x.double() * 2, "tensor([2., 4.], dtype=torch.float64, grad_fn=<MulBackward0>)"),
    (lambda x: (x * 2).detach(), "tensor([2., 4.])"),
    (lambda x: torch.tensor(3.0, requires_grad=True), "tensor(3., requires_grad=True)"),
]


@pytest.mark.parametrize("fn,expected", REPRS, ids=[r[1] for r in REPRS])
def test_repr_shows_autograd_state(fn, expected):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(fn(x)) == expected


def test_repr_inside_no_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        assert repr(x * 2) == "tensor([2., 4.])"


# =============================================================================
# 3. memory: graphs are freed by reference counting
# =============================================================================
def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _mlp_step(x, w1, w2, refs=None):
    h = torch.relu(x @ w1)
    out = h @ w2
    loss = (out * out).sum()
    loss.backward()
    if refs is not None:
        refs.extend(weakref.ref(t) for t in (h, out, loss, w1.grad, w2.grad))
    w1.grad = None
    w2.grad = None


def _mlp_leaves():
    rng = np.random.default_rng(seed("memory"))
    x = torch.tensor(rng.standard_normal((16, 32)), dtype=torch.float32)
    w1 = torch.tensor(rng.standard_normal((32, 64)) * 0.1, dtype=torch.float32, requires_grad=True)
    w2 = torch.tensor(rng.standard_normal((64, 8)) * 0.1, dtype=torch.float32, requires_grad=True)
    return x, w1, w2


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="under ASan, freed memory stays resident in its quarantine")
def test_training_loop_keeps_memory_flat():
    x, w1, w2 = _mlp_leaves()
    was_enabled = gc.isenabled()
    gc.disable()   # reference counting alone must free every graph
    try:
        for _ in range(300):
            _mlp_step(x, w1, w2)
        before = _rss_bytes()
        for _ in range(10000):
            _mlp_step(x, w1, w2)
        grown = _rss_bytes() - before
    finally:
        if was_enabled:
            gc.enable()
    # one leaked 16x64 float32 hidden tensor per step alone would be 8 MiB
    assert grown < 1 << 20, f"RSS grew by {grown / 2 ** 20:.1f} MiB over 10000 steps"


def test_no_tensor_of_a_step_outlives_it():
    x, w1, w2 = _mlp_leaves()
    refs = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(50):
            _mlp_step(x, w1, w2, refs)
        alive = sum(r() is not None for r in refs)
    finally:
        if was_enabled:
            gc.enable()
    assert alive == 0, f"{alive} of {len(refs)} tensors of the loop are still alive"


@pytest.mark.parametrize("fn", [lambda x: x.exp(), lambda x: x.sigmoid(), lambda x: x.sqrt(), lambda x: x.tanh()],
                         ids=["exp", "sigmoid", "sqrt", "tanh"])
def test_an_output_saved_by_its_own_node_is_freed(fn):
    """exp & co. save their output: the tensor <-> grad_fn cycle must not keep it alive."""
    x = leaf([1.0, 2.0])
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        y = fn(x)
        yref = weakref.ref(y)
        retained = fn(x)
        retained.retain_grad()
        retained.sum().backward(retain_graph=True)
        rref = weakref.ref(retained)
        del y, retained
        assert yref() is None and rref() is None
    finally:
        if was_enabled:
            gc.enable()


def test_freeing_a_very_deep_graph():
    """A 300000-op chain is freed without overflowing the C stack (run in a child process)."""
    code = ("import ctorch as torch\n" if not REFERENCE else "import torch\n") + (
        "x = torch.ones(2, requires_grad=True)\n"
        "y = x\n"
        "for _ in range(300000):\n"
        "    y = y * 1.0\n"
        "del y\n"
        "print('freed')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                         env.get("PYTHONPATH", "")])
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0 and "freed" in res.stdout, (res.returncode, res.stderr[-500:])


# ------------------------------------------------ parity with real PyTorch
PARITY_FUNCTIONS = {
    "mlp": lambda t, x, w1, w2: ((x @ w1).relu() @ w2).sigmoid().mean(),
    "softmax-ce": lambda t, x, w1, w2: -((x @ w1) - (x @ w1).logsumexp(1, keepdim=True))[:, 0].mean(),
    "norms": lambda t, x, w1, w2: (x.norm(dim=1) + w1.std(0).sum() + w2.var()).sum(),
    "broadcast": lambda t, x, w1, w2: ((x.unsqueeze(2) * w1) ** 2).sum((0, 1)).max() / w2.abs().sum(),
    "views-inplace": lambda t, x, w1, w2: _views_inplace(t, x, w1),
    "cumulative": lambda t, x, w1, w2: (x.cumsum(1) * x.t().cumprod(0).t()).sum() + w2.clamp(-0.5, 0.5).prod(),
}


def _views_inplace(t, x, w1):
    y = x * 1
    y[:, 1:] = y[:, :-1] * 2
    y.t()[0].mul_(3)
    return (y @ w1).tanh().sum()


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
@pytest.mark.parametrize("name", sorted(PARITY_FUNCTIONS))
def test_gradients_match_pytorch(name):
    rng = np.random.default_rng(seed("parity", name))
    arrays = [rng.standard_normal(s) for s in ((4, 3), (3, 5), (5, 2))]
    grads = {}
    for lib in (torch, real_torch):
        leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        out = PARITY_FUNCTIONS[name](lib, *leaves)
        out.backward()
        grads[lib] = [None if l.grad is None else np.array(l.grad.tolist()) for l in leaves]
    for ours, theirs in zip(grads[torch], grads[real_torch]):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
