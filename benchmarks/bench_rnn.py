"""Recurrent layer benchmarks (issue 9's speed target: at least 1.0x
PyTorch's throughput, which runs oneDNN's fused RNN kernels on the CPU):

- nn/rnn: a 2-layer LSTM and a 2-layer GRU (input 200, hidden 200, sequence
  35, batch 20: the word-language-model example's shape), forward and
  forward+backward (rate = steps/s). Both libraries build the module from
  the same seed, so the weights and the outputs checked are the same.
  NumPy has no recurrent layer: no column.
"""
import numpy as np

from .harness import Benchmark

T, B, I, H, L = 35, 20, 200, 200, 2


def rnn_case(cls, backward):
    def setup(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(I, H, L)
        x = lib.from_numpy(np.random.default_rng(1).standard_normal((T, B, I)).astype(np.float32))
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
    name = f"{cls} {L}x{H} T={T} B={B} {'fwd+bwd' if backward else 'fwd'}"
    return Benchmark("nn/rnn", name, {"ctorch": setup, "torch": setup}, work=1, unit="step")


BENCHMARKS = [rnn_case(cls, bwd) for cls in ("LSTM", "GRU") for bwd in (False, True)]
