"""Sorting benchmarks (the sorting family's targets: at least 0.9x PyTorch's
throughput on large inputs, better on small ones).

- sort/large: sort, argsort, topk(k=10) and unique of 1M elements (float32
  randn; unique: int64 with 1000 distinct values), and sort/argsort of a
  (1000, 1000) float32 matrix along its last dim (rate = GB/s of input);
- sort/small: the same calls on 100 elements (per-call overhead).

NumPy's columns are np.sort / np.argsort / np.partition / np.unique. Index
results are not compared (equal keys may come out in another order there)."""
import numpy as np

from .bench_core import _array, _to_lib
from .harness import Benchmark

M = 2**20          # elements of the large 1-D cases
SQUARE = (1000, 1000)
SMALL = 100


def _input(shape, dtype):
    if dtype == np.int64:   # 1000 distinct values
        return np.random.default_rng(3).integers(0, 1000, size=shape).astype(np.int64)
    return _array(shape, dtype, 0)


def sort_case(group, name, shape, stmt, np_stmt, dtype=np.float32, check=True):
    def make(text):
        def setup(lib):
            a = _to_lib(lib, _input(shape, dtype))
            return eval(f"lambda: {text}", {"lib": lib, "np": np, "a": a})
        return setup
    numel = int(np.prod(shape))
    setups = {"ctorch": make(stmt), "torch": make(stmt), "numpy": make(np_stmt)}
    return Benchmark(group, name, setups, work=numel * np.dtype(dtype).itemsize, unit="B", check=check)


def cases(group, shape, square=None):
    n = int(np.prod(shape))
    out = [
        sort_case(group, f"sort {n}", shape, "lib.sort(a)[0]", "np.sort(a)"),
        sort_case(group, f"argsort {n}", shape, "lib.argsort(a)", "np.argsort(a)", check=False),
        sort_case(group, f"topk(10) {n}", shape, "lib.topk(a, 10)[0]", "np.sort(np.partition(a, -10)[-10:])[::-1]"),
        sort_case(group, f"unique {n} int64", shape, "lib.unique(a)", "np.unique(a)", dtype=np.int64),
    ]
    if square:
        out += [
            sort_case(group, "sort 1000x1000 dim -1", square, "lib.sort(a)[0]", "np.sort(a, axis=-1)"),
            sort_case(group, "argsort 1000x1000 dim -1", square, "lib.argsort(a)", "np.argsort(a, axis=-1)",
                      check=False),
        ]
    return out


BENCHMARKS = cases("sort/large", (M,), SQUARE) + cases("sort/small", (SMALL,))
