"""Counting, bucketing and diagonal benchmarks (targets: at least 0.9x
PyTorch's throughput on large inputs, better on small ones).

- count/large: searchsorted of 1M float32 queries into 10k sorted boundaries,
  bincount of 1M int64 in [0, 1000), histc/histogram of 1M float32
  (rate = GB/s of input read);
- count/tiny: the same ops on 100 elements, and diag/diagonal/trace calls on
  small matrices (per-call overhead).

Each case is one statement over `a` (the data) and `b` (boundaries), built
once per library from the same NumPy arrays."""
import numpy as np

from .harness import Benchmark

M = 1_000_000


def _inputs(kind, n):
    """(a, b) as NumPy arrays: the data and, for searches, sorted boundaries."""
    rng = np.random.default_rng(11)
    if kind == "search":
        return rng.random(n, dtype=np.float32), np.sort(rng.random(10_000 if n == M else 100, dtype=np.float32))
    if kind == "ints":
        return rng.integers(0, 1000 if n == M else 10, size=n).astype(np.int64), None
    if kind == "vector":
        return rng.standard_normal(n, dtype=np.float32), None
    return rng.standard_normal((n, n), dtype=np.float32), None   # "matrix"


def counting_case(group, name, kind, n, stmt, np_stmt, work=None):
    def make(text):
        def setup(lib):
            a, b = _inputs(kind, n)
            if lib is not np:
                a = lib.from_numpy(a).clone()
                b = None if b is None else lib.from_numpy(b).clone()
            return eval(f"lambda: {text}", {"lib": lib, "np": np, "a": a, "b": b})
        return setup
    setups = {"ctorch": make(stmt), "torch": make(stmt)}
    if np_stmt:
        setups["numpy"] = make(np_stmt)
    return Benchmark(group, name, setups, work=work, unit="B" if work else None)


def large(name, kind, stmt, np_stmt):
    return counting_case("count/large", name, kind, M, stmt, np_stmt, work=M * (4 if kind != "ints" else 8))


def tiny(name, kind, n, stmt, np_stmt):
    return counting_case("count/tiny", name, kind, n, stmt, np_stmt)


BENCHMARKS = [
    large("searchsorted 1M in 10k", "search", "lib.searchsorted(b, a)", "np.searchsorted(b, a)"),
    large("bincount 1M int64", "ints", "lib.bincount(a)", "np.bincount(a)"),
    large("histc 1M (data range)", "vector", "lib.histc(a, 100)", "np.histogram(a, 100)[0]"),
    large("histc 1M (given range)", "vector", "lib.histc(a, 100, -3, 3)", "np.histogram(a, 100, (-3, 3))[0]"),
    large("histogram 1M", "vector", "lib.histogram(a, 100)[0]", "np.histogram(a, 100)[0]"),
    tiny("searchsorted 100 in 100", "search", 100, "lib.searchsorted(b, a)", "np.searchsorted(b, a)"),
    tiny("bincount 100", "ints", 100, "lib.bincount(a)", "np.bincount(a)"),
    tiny("histc 100", "vector", 100, "lib.histc(a, 10)", "np.histogram(a, 10)[0]"),
    tiny("diag(vector 16)", "vector", 16, "lib.diag(a)", "np.diag(a)"),
    tiny("diag(16x16)", "matrix", 16, "lib.diag(a)", "np.diag(a).copy()"),
    tiny("a.diagonal() 16x16", "matrix", 16, "a.diagonal()", "a.diagonal()"),
    tiny("a.trace() 16x16", "matrix", 16, "a.trace()", "a.trace()"),
    tiny("diag_embed(16)", "vector", 16, "lib.diag_embed(a)", None),
]
