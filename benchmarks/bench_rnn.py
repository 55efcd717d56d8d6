"""Recurrent layer benchmarks (issue 9's speed target: at least 1.0x
PyTorch's throughput, which runs oneDNN's fused RNN kernels on the CPU):

- nn/rnn: a 2-layer LSTM and a 2-layer GRU (input 200, hidden 200, sequence
  35, batch 20: the word-language-model example's shape), forward+backward
  (the target) and forward alone under no_grad; and a small 1-layer LSTM
  (input and hidden 32, sequence 10, batch 4), where per-call overhead
  counts. Rate = steps/s. Both libraries build the module from the same
  seed, so the weights and the outputs checked are the same. NumPy has no
  recurrent layer: no column.
"""
import numpy as np

from .harness import Benchmark


def rnn_case(cls, layers, size, T, B, backward):
    def setup(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(size, size, layers)
        x = lib.from_numpy(np.random.default_rng(1).standard_normal((T, B, size)).astype(np.float32))
        if not backward:
            def forward():
                with lib.no_grad():
                    return m(x)[0]
            return forward

        def step():
            m.zero_grad()
            out = m(x)[0]
            out.sum().backward()
            return out.detach()
        return step
    name = f"{cls} {layers}x{size} T={T} B={B} {'fwd+bwd' if backward else 'fwd'}"
    return Benchmark("nn/rnn", name, {"ctorch": setup, "torch": setup}, work=1, unit="step")


BENCHMARKS = [rnn_case(cls, 2, 200, 35, 20, bwd) for cls in ("LSTM", "GRU") for bwd in (True, False)] + [
    rnn_case("LSTM", 1, 32, 10, 4, bwd) for bwd in (True, False)]
