"""The seed collection's tensor snippets (tests/test_seed_snippets.py) at everyday sizes: one-hot
by scatter_, pairwise distances by expand, bilinear pooling, a flip by index, nonzero, the
label-smoothing loss and the softmax accuracy. Each case is the snippet's own code; NumPy runs
the same computation with its own functions."""
import numpy as np

from .bench_core import _array, _to_lib
from .harness import Benchmark


def _labels(n, classes, seed=3):
    return np.random.default_rng(seed).integers(0, classes, size=n).astype(np.int64)


def _np_bilinear(x):
    f = x.reshape(8, 256, 196)
    b = (f @ f.transpose(0, 2, 1) / 196).reshape(8, -1)
    b = np.sign(b) * np.sqrt(np.abs(b) + 1e-5)
    return b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)


def _np_smoothed_loss(score, labels):
    shifted = score - score.max(axis=1, keepdims=True)
    log_prob = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    smoothed = np.full(score.shape, 0.1 / (score.shape[1] - 1), np.float32)
    np.put_along_axis(smoothed, labels[:, None], 0.9, axis=1)
    return -np.sum(log_prob * smoothed) / score.shape[0]


def _case(name, inputs, torch_stmt, np_stmt, work=None, unit=None):
    """inputs: name -> a function making a NumPy array (each library gets its own copy); the
    statements see them, `lib`, `np` and the NumPy helpers above."""
    def make(text):
        def setup(lib):
            env = {k: _to_lib(lib, v()) for k, v in inputs.items()}
            env.update(lib=lib, np=np, np_bilinear=_np_bilinear, np_smoothed_loss=_np_smoothed_loss)
            return eval(f"lambda: {text}", env)
        return setup
    return Benchmark("seed", name, {"ctorch": make(torch_stmt), "torch": make(torch_stmt), "numpy": make(np_stmt)},
                     work=work, unit=unit)


N, C = 4096, 1000
M, D = 512, 64
BN, BD, BHW = 8, 256, 14 * 14

BENCHMARKS = [
    _case("one-hot scatter_ 4096x1000", {"t": lambda: _labels(N, C)},
          "lib.zeros(4096, 1000).long().scatter_(dim=1, index=lib.unsqueeze(t, dim=1), "
          "src=lib.ones(4096, 1000).long())",
          "np.eye(1000, dtype=np.int64)[t]", work=N * C * 8 * 2, unit="B"),
    _case("pairwise distance 512x512x64", {"a": lambda: _array((M, D), np.float32, 1),
                                           "b": lambda: _array((M, D), np.float32, 2)},
          "lib.sqrt(lib.sum((lib.unsqueeze(a, dim=1).expand(512, 512, 64) - "
          "lib.unsqueeze(b, dim=0).expand(512, 512, 64)) ** 2, dim=2))",
          "np.sqrt(np.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=2))", work=M * M * D * 4, unit="B"),
    _case("bilinear pooling 8x256x14x14", {"x": lambda: _array((BN, BD, 14, 14), np.float32, 4)},
          "(lambda X: lib.nn.functional.normalize(lib.sign(X) * lib.sqrt(lib.abs(X) + 1e-5)))("
          "lib.reshape(lib.bmm(lib.reshape(x, (8, 256, 196)), lib.transpose(lib.reshape(x, (8, 256, 196)), 1, 2)) "
          "/ 196, (8, 256 * 256)))",
          "np_bilinear(x)", work=2 * BN * BD * BD * BHW, unit="FLOP"),
    _case("flip by index 32x3x64x64", {"x": lambda: _array((32, 3, 64, 64), np.float32, 5),
                                       "i": lambda: np.arange(63, -1, -1, dtype=np.int64)},
          "x[:, :, :, i]", "x[:, :, :, i]", work=32 * 3 * 64 * 64 * 4 * 2, unit="B"),
    _case("nonzero 1024x1024", {"x": lambda: np.maximum(_array((1024, 1024), np.float32, 6), 0)},
          "lib.nonzero(x)", "np.argwhere(x)", work=1024 * 1024 * 4, unit="B"),
    _case("label smoothing loss 256x1000", {"score": lambda: _array((256, C), np.float32, 7),
                                            "labels": lambda: _labels(256, C)},
          "-lib.sum(lib.nn.functional.log_softmax(score, dim=1) * lib.full(size=(256, 1000), "
          "fill_value=0.1 / 999).scatter_(dim=1, index=lib.unsqueeze(labels, dim=1), value=0.9)) / 256",
          "np_smoothed_loss(score, labels)"),
    _case("accuracy argmax 4096x1000", {"score": lambda: _array((N, C), np.float32, 8),
                                        "labels": lambda: _labels(N, C)},
          "lib.sum(lib.argmax(score, dim=1) == labels).item() / labels.size(0)",
          "np.sum(np.argmax(score, axis=1) == labels).item() / labels.shape[0]", work=N * C * 4, unit="B"),
]
