"""Recurrent layers: nn.RNN / LSTM / GRU, the cells, torch.rnn_tanh / rnn_relu
/ lstm / gru and their cells, and nn.utils.rnn (PackedSequence, packing and
padding).

Values against NumPy float64 implementations of the recurrences written here
from PyTorch's documented formulas; gradients by float64 finite differences
(gradcheck); with real PyTorch beside (marker parity), the same seed gives
the same weights, and outputs, final states and every gradient equal
PyTorch's over the combinations of layers, directions, batch_first, bias,
proj_size, packed (unsorted) input, unbatched input and initial states.
Run with CTORCH_TEST_REFERENCE=torch to check the expectations on PyTorch.
"""
import itertools
import warnings

import numpy as np
import pytest

from helpers import REFERENCE, real_torch, seed, to_numpy, torch

needs_torch = pytest.mark.skipif(real_torch is None, reason="needs real PyTorch")
rnn_utils = torch.nn.utils.rnn
F64 = torch.float64
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


# =============================================================================
# NumPy references (float64), one step per formula of PyTorch's documentation
# =============================================================================
def _sig(x):
    return 1 / (1 + np.exp(-x))


def np_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One step of a layer for a batch: x (B, I), h (B, R), c (B, H) -> (h', c')."""
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    if mode in ("tanh", "relu"):
        v = gi + gh
        return (np.tanh(v) if mode == "tanh" else np.maximum(v, 0)), None
    if mode == "GRU":
        H = w_hh.shape[1]
        r, z = _sig(gi[:, :H] + gh[:, :H]), _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(gi + gh, 4, axis=1)
    c = _sig(f) * c + _sig(i) * np.tanh(g)
    h = _sig(o) * np.tanh(c)
    return (h if w_hr is None else h @ w_hr.T), c


def np_layers(mode, x, lengths, h0, c0, params, num_layers, bidirectional):
    """All layers over x (T, B, I) whose sequence b has lengths[b] steps: (out (T, B, D*R) zero-padded, h_n, c_n)."""
    D = 2 if bidirectional else 1
    per = len(params) // (num_layers * D)
    T, B = x.shape[:2]
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            p = params[k * per:(k + 1) * per]
            w_ih, w_hh = p[0], p[1]
            b_ih, b_hh = (p[2], p[3]) if per in (4, 5) else (None, None)
            w_hr = p[-1] if mode == "LSTM" and per in (3, 5) else None
            h, c = h0[k].copy(), None if c0 is None else c0[k].copy()
            out = np.zeros((T, B, h.shape[1]))
            for b in range(B):
                hb, cb = h[b:b + 1], None if c is None else c[b:b + 1]
                steps = range(lengths[b]) if d == 0 else reversed(range(lengths[b]))
                for t in steps:
                    hb, cb = np_step(mode, x[t, b:b + 1], hb, cb, w_ih, w_hh, b_ih, b_hh, w_hr)
                    out[t, b] = hb[0]
                h[b] = hb[0]
                if c is not None:
                    c[b] = cb[0]
            outs.append(out)
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, axis=2)
    return x, np.stack(hs), None if c0 is None else np.stack(cs)


def module_params(m):
    return [to_numpy(p.detach()) for p in m._flat_weights]


def make_module(cls, seed_value, dtype=F64, **kw):
    torch.manual_seed(seed_value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(torch.nn, cls)(dtype=dtype, **kw)


# =============================================================================
# values against NumPy
# =============================================================================
VALUE_CASES = [
    ("RNN", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", bias=False)),
    ("LSTM", dict(num_layers=2)),
    ("LSTM", dict(bidirectional=True, proj_size=3)),
    ("LSTM", dict(num_layers=2, bias=False, proj_size=2, bidirectional=True)),
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bias=False)),
]


@pytest.mark.parametrize("cls,kw", VALUE_CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(VALUE_CASES)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_values_against_numpy(cls, kw, batch_first):
    m = make_module(cls, seed(cls, kw), input_size=4, hidden_size=5, batch_first=batch_first, **kw)
    rng = np.random.default_rng(seed("values", cls, str(kw), batch_first))
    T, B, L = 5, 3, kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    R = kw.get("proj_size", 0) or 5
    x = rng.standard_normal((T, B, 4))
    h0, c0 = rng.standard_normal((L, B, R)), rng.standard_normal((L, B, 5))
    xin = torch.tensor(x.transpose(1, 0, 2) if batch_first else x)
    hx = (torch.tensor(h0), torch.tensor(c0)) if cls == "LSTM" else torch.tensor(h0)
    out, hid = m(xin, hx)
    mode = "relu" if kw.get("nonlinearity") == "relu" else "tanh" if cls == "RNN" else cls
    e_out, e_h, e_c = np_layers(mode, x, [T] * B, h0, c0 if cls == "LSTM" else None, module_params(m),
                                kw.get("num_layers", 1), kw.get("bidirectional", False))
    got = to_numpy(out.detach())
    np.testing.assert_allclose(got.transpose(1, 0, 2) if batch_first else got, e_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy((hid[0] if cls == "LSTM" else hid).detach()), e_h, rtol=1e-10, atol=1e-12)
    if cls == "LSTM":
        np.testing.assert_allclose(to_numpy(hid[1].detach()), e_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_unsorted_against_numpy(cls):
    m = make_module(cls, 7, input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(seed("packed", cls))
    lengths = [3, 6, 1, 4]
    x = rng.standard_normal((6, 4, 3))
    packed = rnn_utils.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    out, hid = m(packed)
    assert isinstance(out, rnn_utils.PackedSequence)
    padded, got_lengths = rnn_utils.pad_packed_sequence(out)
    assert to_numpy(got_lengths).tolist() == lengths
    zeros = np.zeros((4, 4, 4))
    e_out, e_h, e_c = np_layers(cls if cls != "RNN" else "tanh", x, lengths, zeros, zeros if cls == "LSTM" else None,
                                module_params(m), 2, True)
    np.testing.assert_allclose(to_numpy(padded.detach()), e_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy((hid[0] if cls == "LSTM" else hid).detach()), e_h, rtol=1e-10, atol=1e-12)
    if cls == "LSTM":
        np.testing.assert_allclose(to_numpy(hid[1].detach()), e_c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_against_numpy(cls, batched):
    m = make_module(cls, 3, input_size=4, hidden_size=5)
    rng = np.random.default_rng(seed("cell", cls, batched))
    shape = (3,) if batched else ()
    x, h, c = rng.standard_normal(shape + (4,)), rng.standard_normal(shape + (5,)), rng.standard_normal(shape + (5,))
    p = [to_numpy(t.detach()) for t in (m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh)]
    mode = {"RNNCell": "tanh", "LSTMCell": "LSTM", "GRUCell": "GRU"}[cls]
    e_h, e_c = np_step(mode, np.atleast_2d(x), np.atleast_2d(h), np.atleast_2d(c), *p)
    if cls == "LSTMCell":
        got_h, got_c = m(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        np.testing.assert_allclose(to_numpy(got_c.detach()), e_c.reshape(shape + (5,)), rtol=1e-10, atol=1e-12)
    else:
        got_h = m(torch.tensor(x), torch.tensor(h))
    assert tuple(got_h.shape) == shape + (5,)
    np.testing.assert_allclose(to_numpy(got_h.detach()), e_h.reshape(shape + (5,)), rtol=1e-10, atol=1e-12)
    # no state: zeros
    ret = m(torch.tensor(x))
    e0, _ = np_step(mode, np.atleast_2d(x), np.zeros((len(np.atleast_2d(x)), 5)), np.zeros((len(np.atleast_2d(x)), 5)),
                    *p)
    np.testing.assert_allclose(to_numpy((ret[0] if cls == "LSTMCell" else ret).detach()), e0.reshape(shape + (5,)),
                               rtol=1e-10, atol=1e-12)


def test_relu_cell_and_unbatched_module():
    m = make_module("RNNCell", 1, input_size=2, hidden_size=3, nonlinearity="relu")
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    p = [to_numpy(t.detach()) for t in (m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh)]
    e, _ = np_step("relu", x, np.zeros((2, 3)), None, *p)
    np.testing.assert_allclose(to_numpy(m(torch.tensor(x)).detach()), e, rtol=1e-12)
    g = make_module("GRU", 2, input_size=2, hidden_size=3, batch_first=True)
    seq = torch.tensor(np.linspace(-1, 1, 8).reshape(4, 2))
    out, h = g(seq)
    out_b, h_b = g(seq.unsqueeze(0))
    assert tuple(out.shape) == (4, 3) and tuple(h.shape) == (1, 3)
    np.testing.assert_allclose(to_numpy(out.detach()), to_numpy(out_b[0].detach()), rtol=1e-14)
    np.testing.assert_allclose(to_numpy(h.detach()), to_numpy(h_b[:, 0].detach()), rtol=1e-14)


# =============================================================================
# layouts, dtypes, empty inputs
# =============================================================================
def test_noncontiguous_inputs_and_states():
    m = make_module("LSTM", 4, input_size=3, hidden_size=4, num_layers=2)
    rng = np.random.default_rng(5)
    wide = torch.tensor(rng.standard_normal((3, 5, 6)))            # (B, T, 2I): stepped and transposed
    x = wide[:, :, ::2].transpose(0, 1)
    h = torch.tensor(rng.standard_normal((3, 2, 4))).transpose(0, 1)
    c = torch.tensor(rng.standard_normal((2, 3, 8)))[:, :, ::2]
    assert not x.is_contiguous() and not h.is_contiguous() and not c.is_contiguous()
    out, (hn, cn) = m(x, (h, c))
    out2, (hn2, cn2) = m(x.contiguous(), (h.contiguous(), c.contiguous()))
    for a, b in [(out, out2), (hn, hn2), (cn, cn2)]:
        np.testing.assert_array_equal(to_numpy(a.detach()), to_numpy(b.detach()))


def test_float32_module_and_low_precision():
    m = make_module("GRU", 9, dtype=F64, input_size=3, hidden_size=4)
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    out64, _ = m(torch.tensor(x))
    out32, _ = m.float()(torch.tensor(x, dtype=torch.float32))
    assert out32.dtype == torch.float32
    np.testing.assert_allclose(to_numpy(out32.detach()), to_numpy(out64.detach()), rtol=1e-5, atol=1e-6)
    m16 = make_module("LSTM", 9, dtype=torch.bfloat16, input_size=3, hidden_size=4)
    out16, (h16, c16) = m16(torch.tensor(x, dtype=torch.bfloat16))
    assert out16.dtype == h16.dtype == c16.dtype == torch.bfloat16


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(proj_size=40)), ("GRU", {}), ("RNN", {})])
def test_threads_split_large_steps(cls, kw):
    """Steps above a few MFLOP run on several threads: the same values and gradients as on one."""
    m = make_module(cls, 8, input_size=16, hidden_size=128, bidirectional=True, **kw)
    x = np.random.default_rng(8).standard_normal((4, 64, 16)) * 0.5
    results, before = [], torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            m.zero_grad()
            X = torch.tensor(x, requires_grad=True)
            out, _ = m(X)
            (out * out).sum().backward()
            results.append([to_numpy(out.detach()), to_numpy(X.grad)] + [to_numpy(p.grad) for p in m.parameters()])
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_empty_batch():
    m = make_module("LSTM", 1, input_size=3, hidden_size=4)
    out, (h, c) = m(torch.zeros(5, 0, 3, dtype=F64))
    assert tuple(out.shape) == (5, 0, 4) and tuple(h.shape) == (1, 0, 4) and tuple(c.shape) == (1, 0, 4)


def test_dropout_between_layers_in_training_only():
    m = make_module("GRU", 2, input_size=3, hidden_size=8, num_layers=2, dropout=0.5)
    x = torch.tensor(np.random.default_rng(2).standard_normal((4, 2, 3)))
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(to_numpy(a.detach()), to_numpy(b.detach()))
    m.train()
    torch.manual_seed(0)
    c = m(x)[0]
    assert not np.allclose(to_numpy(c.detach()), to_numpy(a.detach()))


# =============================================================================
# gradients
# =============================================================================
def _leaf(rng, *shape):
    return torch.tensor(rng.uniform(-0.8, 0.8, shape), dtype=F64, requires_grad=True)


GRAD_CASES = [("rnn_tanh", 1, 0), ("rnn_relu", 1, 0), ("lstm", 4, 0), ("lstm", 4, 2), ("gru", 3, 0)]


@pytest.mark.parametrize("fn,G,proj", GRAD_CASES, ids=[f"{f}-{p}" for f, _, p in GRAD_CASES])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradcheck_full_sequence(fn, G, proj, bidirectional):
    rng = np.random.default_rng(seed("grad", fn, proj, bidirectional))
    H, I, D = 3, 2, 2 if bidirectional else 1
    R = proj or H
    params = []
    for d in range(D):
        params += [_leaf(rng, G * H, I), _leaf(rng, G * H, R), _leaf(rng, G * H), _leaf(rng, G * H)]
        if proj:
            params.append(_leaf(rng, R, H))
    x, h0, c0 = _leaf(rng, 4, 2, I), _leaf(rng, D, 2, R), _leaf(rng, D, 2, H)

    def f(x, h0, c0, *ps):
        hx = (h0, c0) if fn == "lstm" else h0
        return getattr(torch, fn)(x, hx, list(ps), True, 1, 0.0, False, bidirectional, False)

    assert torch.autograd.gradcheck(f, (x, h0, c0, *params))


@pytest.mark.parametrize("fn,G", [("rnn_tanh", 1), ("lstm", 4), ("gru", 3)])
def test_gradcheck_packed(fn, G):
    """A bidirectional layer over 3 sequences of lengths 3, 2, 1 (packed rows: batch sizes 3, 2, 1)."""
    rng = np.random.default_rng(seed("grad-packed", fn))
    H, I = 3, 2
    params = [_leaf(rng, *shape) for _ in range(2) for shape in ((G * H, I), (G * H, H), (G * H,), (G * H,))]
    data, h0, c0 = _leaf(rng, 6, I), _leaf(rng, 2, 3, H), _leaf(rng, 2, 3, H)
    batch_sizes = torch.tensor([3, 2, 1])

    def f(data, h0, c0, *ps):
        hx = (h0, c0) if fn == "lstm" else h0
        return getattr(torch, fn)(data, batch_sizes, hx, list(ps), True, 1, 0.0, False, True)

    assert torch.autograd.gradcheck(f, (data, h0, c0, *params))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_gradcheck_cells(cls):
    m = make_module(cls, 4, input_size=2, hidden_size=3)
    rng = np.random.default_rng(seed("grad-cell", cls))
    x, h, c = _leaf(rng, 2, 2), _leaf(rng, 2, 3), _leaf(rng, 2, 3)
    fn = {"RNNCell": torch.rnn_tanh_cell, "LSTMCell": torch.lstm_cell, "GRUCell": torch.gru_cell}[cls]
    ps = [p.detach().requires_grad_() for p in (m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh)]
    if cls == "LSTMCell":
        assert torch.autograd.gradcheck(lambda x, h, c, *p: fn(x, (h, c), *p), (x, h, c, *ps))
    else:
        assert torch.autograd.gradcheck(lambda x, h, *p: fn(x, h, *p), (x, h, *ps))


@pytest.mark.skipif(REFERENCE, reason="PyTorch differentiates its RNN backward again; ctorch's fused node does not")
def test_double_backward_raises():
    m = make_module("LSTM", 1, input_size=2, hidden_size=3)
    x = torch.tensor(np.ones((3, 1, 2)), requires_grad=True)
    g, = torch.autograd.grad(m(x)[0].sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="RnnLayerBackwardBackward0"):
        g.sum().backward()


# =============================================================================
# parity with PyTorch: same seed, same weights, outputs and gradients
# =============================================================================
def _run_lib(lib, cls, kw, x, hx, lengths, dtype, seed_value):
    lib.manual_seed(seed_value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = getattr(lib.nn, cls)(dtype=getattr(lib, dtype), **kw)
    X = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    inp = X
    if lengths is not None:
        inp = lib.nn.utils.rnn.pack_padded_sequence(X, lengths, batch_first=kw["batch_first"], enforce_sorted=False)
    states = None if hx is None else [lib.tensor(h, dtype=getattr(lib, dtype), requires_grad=True) for h in hx]
    out, hid = m(inp, None if hx is None else tuple(states) if cls == "LSTM" else states[0])
    if lengths is not None:
        out, _ = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=kw["batch_first"])
    hs = list(hid) if cls == "LSTM" else [hid]
    weights = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)), dtype=out.dtype)
    ((out * weights).sum() + sum((h * h).sum() for h in hs)).backward()
    grads = [X.grad] + ([] if states is None else [s.grad for s in states[:len(hs)]]) + [p.grad for p in m.parameters()]
    return ([p.detach() for p in m.parameters()], [out.detach()] + [h.detach() for h in hs], grads,
            [n for n, _ in m.named_parameters()])


PARITY = [(cls, L, bi, bf, bias, proj)
          for cls in ("RNN", "LSTM", "GRU") for L in (1, 2) for bi in (False, True) for bf in (False, True)
          for bias in (True, False) for proj in ((0, 2) if cls == "LSTM" else (0,))]


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("cls,L,bi,bf,bias,proj", PARITY,
                         ids=["-".join(map(str, p)) for p in PARITY])
def test_parity_with_pytorch(cls, L, bi, bf, bias, proj):
    rng = np.random.default_rng(seed("parity", cls, L, bi, bf, bias, proj))
    kw = dict(input_size=3, hidden_size=4, num_layers=L, bidirectional=bi, batch_first=bf, bias=bias)
    if proj:
        kw["proj_size"] = proj
    if cls == "RNN" and not bias:
        kw["nonlinearity"] = "relu"
    T, B, D = 5, 3, 2 if bi else 1
    for packed, given, dtype in itertools.product((False, True), (False, True), ("float32", "float64")):
        x = rng.standard_normal((B, T, 3) if bf else (T, B, 3))
        hx = [rng.standard_normal((L * D, B, proj or 4)), rng.standard_normal((L * D, B, 4))] if given else None
        lengths = [2, 5, 4] if packed else None
        ours = _run_lib(torch, cls, kw, x, hx, lengths, dtype, 11)
        ref = _run_lib(real_torch, cls, kw, x, hx, lengths, dtype, 11)
        assert ours[3] == ref[3]
        for a, b in zip(ours[0], ref[0]):   # weights: bit for bit
            np.testing.assert_array_equal(to_numpy(a), b.numpy())
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
        for a, b in zip(ours[1] + ours[2], ref[1] + ref[2]):
            assert tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(to_numpy(a), b.numpy(), **tol)


@pytest.mark.parity
@needs_torch
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_parity_unbatched_and_cells(cls):
    rng = np.random.default_rng(seed("parity-unbatched", cls))
    x = rng.standard_normal((5, 3)) if "Cell" not in cls else rng.standard_normal(3)
    results = []
    for lib in (torch, real_torch):
        lib.manual_seed(3)
        m = getattr(lib.nn, cls)(3, 4, dtype=lib.float64)
        X = lib.tensor(x, requires_grad=True)
        out = m(X)
        flat = [out] if lib.is_tensor(out) else [out[0]] + (list(out[1]) if isinstance(out[1], tuple) else [out[1]])
        sum((t * t).sum() for t in flat).backward()
        results.append([t.detach() for t in flat] + [X.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*results):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-11, atol=1e-12)


@pytest.mark.parity
@needs_torch
def test_parity_module_surface():
    for lib in (torch, real_torch):
        m = lib.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
        assert list(m.state_dict().keys())[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                   "weight_hr_l0"]
        assert "weight_hr_l1_reverse" in m.state_dict()
        assert len(m._flat_weights) == 20 and len(m.all_weights) == 4 and len(m.all_weights[0]) == 5
        assert m.all_weights[1][0] is m.weight_ih_l0_reverse
        assert m.flatten_parameters() is None
    for make in [lambda nn: nn.LSTM(10, 20, 2, proj_size=5, bidirectional=True),
                 lambda nn: nn.RNN(10, 20, nonlinearity="relu", bias=False, batch_first=True, dropout=0.5,
                                   num_layers=2),
                 lambda nn: nn.GRU(3, 4), lambda nn: nn.LSTMCell(10, 20),
                 lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"), lambda nn: nn.GRUCell(3, 4, bias=False)]:
        assert repr(make(torch.nn)) == repr(make(real_torch.nn))


# =============================================================================
# nn.utils.rnn
# =============================================================================
def test_pad_sequence_against_numpy():
    rng = np.random.default_rng(4)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    ts = [torch.tensor(s) for s in seqs]
    right = np.full((3, 4, 2), -1.0)
    left = np.full((3, 4, 2), -1.0)
    for b, s in enumerate(seqs):
        right[b, :len(s)] = s
        left[b, 4 - len(s):] = s
    got = rnn_utils.pad_sequence(ts, batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(to_numpy(got), right)
    got = rnn_utils.pad_sequence(ts, padding_value=-1.0, padding_side="left")
    np.testing.assert_array_equal(to_numpy(got), left.transpose(1, 0, 2))
    back = rnn_utils.unpad_sequence(rnn_utils.pad_sequence(ts), torch.tensor([3, 1, 4]))
    for a, s in zip(back, seqs):
        np.testing.assert_array_equal(to_numpy(a), s)


def test_pack_and_pad_roundtrip():
    rng = np.random.default_rng(6)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 5, 3)]
    packed = rnn_utils.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert to_numpy(packed.batch_sizes).tolist() == [3, 3, 2, 1, 1]
    assert to_numpy(packed.sorted_indices).tolist() == [1, 2, 0]
    assert to_numpy(packed.unsorted_indices).tolist() == [2, 0, 1]
    order = sorted(range(3), key=lambda b: -len(seqs[b]))
    expected = np.concatenate([np.stack([seqs[b][t] for b in order if len(seqs[b]) > t]) for t in range(5)])
    np.testing.assert_array_equal(to_numpy(packed.data), expected)
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=7.0, total_length=6)
    assert tuple(padded.shape) == (3, 6, 3) and to_numpy(lengths).tolist() == [2, 5, 3]
    for b, s in enumerate(seqs):
        np.testing.assert_array_equal(to_numpy(padded[b, :len(s)]), s)
        assert np.all(to_numpy(padded[b, len(s):]) == 7.0)
    for a, s in zip(rnn_utils.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(to_numpy(a), s)
    sorted_packed = rnn_utils.pack_padded_sequence(torch.zeros(4, 2, 1), [4, 2])
    assert sorted_packed.sorted_indices is None and sorted_packed.unsorted_indices is None
    assert to_numpy(sorted_packed.batch_sizes).tolist() == [2, 2, 1, 1]
    assert sorted_packed.double().data.dtype == F64 and isinstance(sorted_packed, tuple)


def test_packing_gradients():
    x = torch.tensor(np.arange(12.0).reshape(4, 3, 1), requires_grad=True)
    packed = rnn_utils.pack_padded_sequence(x, [4, 2, 1])
    padded, _ = rnn_utils.pad_packed_sequence(packed)
    padded.sum().backward()
    mask = (np.arange(4)[:, None] < np.array([4, 2, 1])[None, :]).astype(float)[..., None]
    np.testing.assert_array_equal(to_numpy(x.grad), mask)


# =============================================================================
# bad inputs: PyTorch's exception classes and messages
# =============================================================================
def _lstm():
    return torch.nn.LSTM(10, 20)


BAD = [
    (lambda: _lstm()(torch.randn(5, 3, 7)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 10, got 7"),
    (lambda: _lstm()(torch.randn(5, 3, 10), (torch.randn(2, 3, 20), torch.randn(1, 3, 20))), RuntimeError,
     r"Expected hidden[0] size (1, 3, 20), got [2, 3, 20]"),
    (lambda: _lstm()(torch.randn(5, 3, 10), (torch.randn(1, 3, 20), torch.randn(1, 3, 21))), RuntimeError,
     r"Expected hidden[1] size (1, 3, 20), got [1, 3, 21]"),
    (lambda: _lstm()(torch.randn(5, 3, 10, 1)), ValueError, "LSTM: Expected input to be 2D or 3D, got 4D instead"),
    (lambda: torch.nn.GRU(10, 20)(torch.randn(10)), ValueError, "GRU: Expected input to be 2D or 3D, got 1D"),
    (lambda: torch.nn.RNN(10, 20)(torch.randn(10)), ValueError, "RNN: Expected input to be 2D or 3D, got 1D tensor"),
    (lambda: _lstm()(torch.randn(5, 10), (torch.randn(1, 3, 20), torch.randn(1, 3, 20))), RuntimeError,
     "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
    (lambda: torch.nn.GRU(10, 20)(torch.randn(5, 3, 10), torch.randn(3, 20)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda: _lstm()(torch.randn(5, 3, 10).double()), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"),
    (lambda: torch.nn.GRU(10, 20)(torch.randn(5, 3, 10), torch.randn(2, 3, 20)), RuntimeError,
     "Expected hidden size (1, 3, 20), got [2, 3, 20]"),
    (lambda: _lstm()(torch.randn(0, 3, 10)), RuntimeError, "Expected sequence length to be larger than 0 in RNN"),
    (lambda: torch.nn.RNN(10, 20, nonlinearity="sigmoid"), ValueError,
     "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."),
    (lambda: torch.nn.RNN(10, 20, dropout=1.5), ValueError, "dropout should be a number in range [0, 1]"),
    (lambda: torch.nn.LSTM(10, 20, proj_size=20), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: torch.nn.LSTM(10, 20, proj_size=-1), ValueError, "proj_size should be a positive integer or zero"),
    (lambda: torch.nn.GRU(10, 20, proj_size=5), ValueError, "proj_size argument is only supported for LSTM"),
    (lambda: torch.nn.RNN(10, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: torch.nn.RNN(10, 20, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: torch.nn.RNN(10.5, 20), TypeError, "input_size should be of type int, got: float"),
    (lambda: torch.nn.LSTM(10, 20, bias=1), TypeError, "bias should be of type bool, got: int"),
    (lambda: rnn_utils.pack_padded_sequence(torch.randn(5, 3, 2), [3, 5, 2]), RuntimeError,
     "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"),
    (lambda: rnn_utils.pack_padded_sequence(torch.randn(5, 3, 2), [5, 3]), RuntimeError,
     "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)"),
    (lambda: rnn_utils.pack_padded_sequence(torch.randn(5, 3, 2), [5, 3, 0]), RuntimeError,
     "Length of all samples has to be greater than 0"),
    (lambda: rnn_utils.pad_sequence([torch.randn(3, 2)], padding_side="middle"), RuntimeError,
     "Expected padding_side to be one of left or right, but got middle."),
    (lambda: rnn_utils.pad_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda: rnn_utils.pad_sequence([torch.randn(3, 2), torch.randn(2, 3)]), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"),
    (lambda: rnn_utils.pad_packed_sequence(rnn_utils.pack_sequence([torch.randn(3, 2), torch.randn(2, 2)]),
                                           total_length=2), ValueError,
     "Expected total_length to be at least the length of the longest sequence in input, but got total_length=2 "
     "and max sequence length being 3"),
    (lambda: torch.nn.LSTMCell(10, 20)(torch.randn(3, 7)), RuntimeError,
     "input has inconsistent input_size: got 7 expected 10"),
    (lambda: torch.nn.LSTMCell(10, 20)(torch.randn(3, 10), (torch.randn(2, 20), torch.randn(3, 20))), RuntimeError,
     "Input batch size 3 doesn't match hidden0 batch size 2"),
    (lambda: torch.nn.LSTMCell(10, 20)(torch.randn(3, 10, 1)), ValueError,
     "LSTMCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda: torch.nn.GRUCell(10, 20)(torch.randn(3, 10), torch.randn(3, 4)), RuntimeError,
     "hidden0 has inconsistent hidden_size: got 4, expected 20"),
    (lambda: torch.nn.RNNCell(10, 20, nonlinearity="foo")(torch.randn(3, 10)), RuntimeError,
     "Unknown nonlinearity: foo"),
    (lambda: torch.nn.RNNCell(10, 20)(torch.randn(3, 10).long()), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Long and Float"),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_bad_inputs(i):
    fn, exc, msg = BAD[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            fn()
    assert msg in str(info.value)


def test_dropout_warning():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        torch.nn.RNN(10, 20, dropout=0.5)
