"""Attention benchmarks (issue 9, part 2: at least 1.0x PyTorch's throughput).

- attention/sdpa: F.scaled_dot_product_attention forward + backward on
  (batch 16, 8 heads, seq 128, head dim 32), plain and causal, and a tiny
  (1, 2, 4, 8) case for the per-call overhead; rate = GFLOP/s of the four
  forward and backward products counted as 2 * 16 * 8 * 128 * 128 * 32 each
  (the forward two, the backward four: six in all).
- attention/encoder: a TransformerEncoderLayer (d_model 256, 8 heads,
  feed-forward 1024, seq 128, batch 16, batch_first) forward + backward, with
  dropout 0 in train mode; same initial weights in both (copied from ctorch's).
NumPy has no attention: no NumPy column.
"""
import numpy as np

from .harness import Benchmark

F = "lib.nn.functional"


def _sdpa_case(name, shape, causal, work=None):
    def setup(lib):
        rng = np.random.default_rng(0)
        q, k, v = (lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True) for _ in range(3))
        g = lib.tensor(rng.standard_normal(shape).astype(np.float32))

        def step():
            out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
            out.backward(g)
            grads = q.grad
            q.grad = k.grad = v.grad = None
            return grads
        return step
    return Benchmark("attention/sdpa", name, {"ctorch": setup, "torch": setup}, work=work,
                     unit="FLOP" if work else None)


_WEIGHTS = {}


def _encoder_case(name, batch, seq, d_model, heads, ff):
    def build(lib):
        return lib.nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0, batch_first=True)

    def setup(lib):
        if name not in _WEIGHTS:   # ctorch's initial weights, copied into both
            import ctorch
            ref = build(ctorch)
            _WEIGHTS[name] = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
        layer = build(lib)
        layer.load_state_dict({k: lib.tensor(v) for k, v in _WEIGHTS[name].items()})
        layer.train()
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((batch, seq, d_model)).astype(np.float32), requires_grad=True)

        def step():
            out = layer(x)
            out.sum().backward()
            grads = x.grad
            x.grad = None
            layer.zero_grad()
            return grads
        return step
    return Benchmark("attention/encoder", name, {"ctorch": setup, "torch": setup}, work=1.0, unit="step")


SDPA = (16, 8, 128, 32)
SDPA_FLOP = 6 * 2.0 * 16 * 8 * 128 * 128 * 32
BENCHMARKS = [
    _sdpa_case("sdpa fwd+bwd (1,2,4,8)", (1, 2, 4, 8), False),
    _sdpa_case("sdpa fwd+bwd (16,8,128,32)", SDPA, False, SDPA_FLOP),
    _sdpa_case("sdpa causal fwd+bwd (16,8,128,32)", SDPA, True, SDPA_FLOP),
    _encoder_case("encoder layer fwd+bwd d256 h8 seq128 b16", 16, 128, 256, 8, 1024),
]
