"""Logging and LBFGS benchmarks (issue 9, part 4): at least 0.9x PyTorch's
throughput on large inputs, better on small ones.

- logs/lbfgs: one LBFGS step (a fresh optimizer from the same start, up to
  20 iterations) on a tiny least-squares model (per-op overhead dominates)
  and, with the strong-Wolfe line search, on a 1M-variable ill-conditioned
  quadratic whose closure sets the gradient itself (no autograd: the
  optimizer's own vector math, bandwidth-bound, dominates); rate = steps/s;
- logs/tensorboard: SummaryWriter.add_scalar (100 per call) and
  add_histogram of 1M float32 values with TensorBoard's default buckets,
  against torch.utils.tensorboard (NumPy's column: np.histogram on the same
  edges, the bucketing alone);
- logs/crc32c: CRC-32C of 16 MiB (ctorch only: neither PyTorch nor NumPy has
  one), GB/s.
"""
import os
import tempfile

import numpy as np

from .harness import Benchmark


def _least_squares(lib):
    """(parameter, closure(opt)): 40 samples, 5 features, autograd."""
    rng = np.random.default_rng(0)
    a, b = lib.tensor(rng.standard_normal((40, 5))), lib.tensor(rng.standard_normal((40, 1)))
    w = lib.zeros(5, 1, dtype=lib.float64, requires_grad=True)

    def closure(opt):
        opt.zero_grad()
        loss = ((a @ w - b) ** 2).mean()
        loss.backward()
        return loss
    return w, closure


def _quadratic(lib, n=1 << 20):
    """(parameter, closure(opt)): 0.5 * sum(scale * w**2), scale in [1, 100]; the gradient set directly."""
    scale = lib.linspace(1.0, 100.0, n)
    w = lib.full((n,), 0.5, requires_grad=True)

    def closure(opt):
        w.grad = scale * w
        return 0.5 * w.dot(w.grad)
    return w, closure


def _lbfgs_case(name, problem, line_search_fn):
    def setup(lib):
        w, closure = problem(lib)
        start = w.detach().clone()

        def step():
            with lib.no_grad():
                w.copy_(start)
            opt = lib.optim.LBFGS([w], line_search_fn=line_search_fn)
            opt.step(lambda: closure(opt))
            return w.detach()
        return step
    return Benchmark("logs", name, {"ctorch": setup, "torch": setup}, work=1, unit="step", check=False)


def _writer(lib):
    if lib.__name__ == "torch":
        from torch.utils.tensorboard import SummaryWriter
    else:
        from ctorch.utils.tensorboard import SummaryWriter
    return SummaryWriter(tempfile.mkdtemp(prefix="bench_logs_"), max_queue=1000)


def _scalars(lib):
    w = _writer(lib)
    steps = iter(range(1 << 40))

    def add():
        for _ in range(100):
            w.add_scalar("loss", 0.5, next(steps))
    return add


def _histogram(lib):
    values = np.random.default_rng(1).standard_normal(1 << 20).astype(np.float32)
    if lib is np:
        edges = np.array(_writer_default_bins())
        return lambda: np.histogram(values, bins=edges)
    w = _writer(lib)
    t = lib.from_numpy(values)
    steps = iter(range(1 << 40))
    return lambda: w.add_histogram("h", t, next(steps))


def _writer_default_bins():
    """TensorBoard's default edges, for NumPy's column."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0] + pos


def _crc(lib):
    data = os.urandom(16 << 20)
    return lambda: lib._C._crc32c(data)


BENCHMARKS = [
    _lbfgs_case("lbfgs tiny least squares", _least_squares, None),
    _lbfgs_case("lbfgs large quadratic 1M strong_wolfe", _quadratic, "strong_wolfe"),
    Benchmark("logs", "tensorboard tiny add_scalar x100", {"ctorch": _scalars, "torch": _scalars}, work=100,
              unit="step", check=False),
    Benchmark("logs", "tensorboard large add_histogram 1M", {"ctorch": _histogram, "torch": _histogram,
                                                               "numpy": _histogram}, work=(1 << 20) * 4, unit="B",
              check=False),
    Benchmark("logs", "crc32c large 16MiB", {"ctorch": _crc}, work=16 << 20, unit="B", check=False),
]
