"""Indexing benchmarks (issue 3's speed targets: at least 0.9x PyTorch's
throughput): gather, scatter, index_select and advanced-index reads and
writes on a 1024x1024 float32 tensor (rate = GB/s of the result moved).

Each case is one statement over `a` (the data) and `i` (an int64 index built
once per library from the same NumPy array)."""
import numpy as np

from .bench_core import _array, _to_lib
from .harness import Benchmark

N = 1024


def _index(kind):
    rng = np.random.default_rng(7)
    if kind == "perm":
        return rng.permutation(N).astype(np.int64)
    if kind == "rev":
        return np.arange(N - 1, -1, -1, dtype=np.int64)
    return rng.integers(0, N, size=(N, N)).astype(np.int64)   # "full": one index per element


def index_case(name, stmt, np_stmt, kind, check=True):
    def make(text):
        def setup(lib):
            a = _to_lib(lib, _array((N, N), np.float32, 0))
            i = _index(kind) if lib is np else lib.from_numpy(_index(kind)).clone()
            return eval(f"lambda: {text}", {"lib": lib, "np": np, "a": a, "i": i})
        return setup
    setups = {"ctorch": make(stmt), "torch": make(stmt)}
    if np_stmt:
        setups["numpy"] = make(np_stmt)
    return Benchmark("index", name, setups, work=N * N * 4 * 2, unit="B", check=check)


BENCHMARKS = [
    index_case("gather dim 1", "a.gather(1, i)", "np.take_along_axis(a, i, 1)", "full"),
    index_case("index_select dim 0", "a.index_select(0, i)", "np.take(a, i, axis=0)", "perm"),
    index_case("a[perm]", "a[i]", "a[i]", "perm"),
    index_case("a[:, reversed]", "a[:, i]", "a[:, i]", "rev"),
    index_case("scatter_ dim 1 (value)", "a.scatter_(1, i, 1.0)", None, "full", check=False),
    index_case("a[perm] = 1.0", "a.__setitem__(i, 1.0)", "a.__setitem__(i, 1.0)", "perm", check=False),
]
