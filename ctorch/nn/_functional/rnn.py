"""torch.rnn_tanh, rnn_relu, lstm, gru and their cells (PyTorch's _VF forms,
which nn.RNN / LSTM / GRU and the cells call).

Python holds the structure only: per layer and direction, the input of every
step is projected by one GEMM (linear), then _C._rnn_layer runs the whole
recurrence in C (one node backpropagates through time). A padded input
(T, B, I) is the packed layout with T steps of B rows each.
"""
import ctorch as torch

from ... import _C
from .linear import linear
from .norm import dropout as _dropout

__all__ = ["rnn_tanh", "rnn_relu", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]

TANH, RELU, LSTM, GRU = 0, 1, 2, 3   # ct_rnn_mode


def _layers(mode, data, batch_sizes, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional):
    """All layers over packed rows data (N, I): (output (N, D*R), h_n (L*D, B, R), c_n or None)."""
    D = 2 if bidirectional else 1
    per = len(params) // (num_layers * D)
    proj = per == 3 + 2 * bool(has_biases)   # an LSTM's weight_hr
    x, hs, cs = data, [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            p = params[k * per:(k + 1) * per]
            b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
            xw = linear(x, p[0], b_ih)
            out, h, c = _C._rnn_layer(mode, xw, batch_sizes, p[1], b_hh, p[-1] if proj else None, hx[k],
                                      None if cx is None else cx[k], d == 1)
            outs.append(out)
            hs.append(h)
            cs.append(c)
        x = outs[0] if D == 1 else torch.cat(outs, 1)
        if dropout and train and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    return x, torch.stack(hs), None if cx is None else torch.stack(cs)


def _widen(dtype, tensors):
    """float16 and bfloat16 compute in float32 (as ctorch's other CPU kernels): the tensors as they compute."""
    if dtype not in (torch.float16, torch.bfloat16):
        return tensors
    return [None if t is None else t.float() for t in tensors]


def _narrow(dtype, tensors):
    return [None if t is None else t.to(dtype) for t in tensors]


def _run(mode, args):
    """Both overloads: (input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    and (data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)."""
    packed = torch.is_tensor(args[1]) and (mode == LSTM or torch.is_tensor(args[2]))
    if packed:
        data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
    else:
        x, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
        if batch_first:
            x = x.transpose(0, 1)
        T, B = x.shape[0], x.shape[1]
        if T == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        data = x.reshape(T * B, x.shape[2])
        batch_sizes = torch.full((T,), B, dtype=torch.int64)
    h0, c0 = (hx[0], hx[1]) if mode == LSTM else (hx, None)
    dtype, params = data.dtype, list(params)
    data, h0, c0, *params = _widen(dtype, [data, h0, c0] + params)
    out, h, c = _narrow(dtype, _layers(mode, data, batch_sizes, h0, c0, params, has_biases, num_layers, dropout,
                                       train, bidirectional))
    if not packed:
        out = out.view(T, B, out.shape[-1])
        if batch_first:
            out = out.transpose(0, 1)
    return (out, h, c) if mode == LSTM else (out, h)


def rnn_tanh(*args):
    return _run(TANH, args)


def rnn_relu(*args):
    return _run(RELU, args)


def lstm(*args):
    return _run(LSTM, args)


def gru(*args):
    return _run(GRU, args)


def _check_cell(input, hx, w_ih, w_hh, name):
    """ATen's checks of a cell's input and hidden state (batched, 2-D)."""
    if input.dtype != w_ih.dtype:   # the message of the input projection's GEMM
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.type()[6:-6]} and "
                           f"{w_ih.type()[6:-6]}")
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {w_ih.shape[1]}")
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match {name} batch size {hx.shape[0]}")
    if hx.shape[1] != w_hh.shape[1]:
        raise RuntimeError(f"{name} has inconsistent hidden_size: got {hx.shape[1]}, expected {w_hh.shape[1]}")


def _cell(mode, input, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step: the layer kernel over one step of B rows."""
    _check_cell(input, h, w_ih, w_hh, "hidden0")
    if c is not None:
        _check_cell(input, c, w_ih, w_hh, "hidden1")
    batch_sizes = torch.full((1,), input.shape[0], dtype=torch.int64)
    dtype = input.dtype
    input, h, c, w_ih, w_hh, b_ih, b_hh = _widen(dtype, [input, h, c, w_ih, w_hh, b_ih, b_hh])
    out, h1, c1 = _narrow(dtype, _C._rnn_layer(mode, linear(input, w_ih, b_ih), batch_sizes, w_hh, b_hh, None, h, c,
                                               False))
    return h1 if c is None else (h1, c1)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell(TANH, input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell(RELU, input, hx, None, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell(LSTM, input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell(GRU, input, hx, None, w_ih, w_hh, b_ih, b_hh)
