"""Shape-op benchmarks (issue 3: cat throughput at least 0.9x PyTorch's).

- shape/tiny:  per-call overhead of cat, stack, split, flip on small inputs;
- shape/large: 16M-element float32 results (rate = GB/s read + written).
"""
import numpy as np

from .bench_core import case

N = 16 * 2**20           # elements of each large result
SQUARE = (4096, 4096)    # the same 16M as a matrix
HALF = (2048, 4096)      # two of these make one SQUARE


def tiny(name, shapes, stmt, np_stmt):
    return case("shape/tiny", name, shapes, stmt=stmt, np_stmt=np_stmt)


def large(name, shapes, stmt, np_stmt, numel=N):
    return case("shape/large", name, shapes, stmt=stmt, np_stmt=np_stmt, work=numel * 8, unit="B")


BENCHMARKS = [
    tiny("cat([a, b])", [(2,), (2,)], "lib.cat([a, b])", "np.concatenate([a, b])"),
    tiny("stack([a, b])", [(2,), (2,)], "lib.stack([a, b])", "np.stack([a, b])"),
    tiny("a.split(1)", [(2,)], "a.split(1)", "np.split(a, 2)"),
    tiny("a.flip(0)", [(2,)], "a.flip(0)", "np.flip(a, 0).copy()"),
    large("cat([a, b]) dim 0", [HALF, HALF], "lib.cat([a, b])", "np.concatenate([a, b])"),
    large("cat([a, b]) dim 1", [(4096, 2048), (4096, 2048)], "lib.cat([a, b], 1)", "np.concatenate([a, b], 1)"),
    large("stack([a, b])", [HALF, HALF], "lib.stack([a, b])", "np.stack([a, b])"),
    large("a.flip(0)", [SQUARE], "a.flip(0)", "np.flip(a, 0).copy()"),
    large("a.roll(7, 1)", [SQUARE], "a.roll(7, 1)", "np.roll(a, 7, 1)"),
    large("a.repeat(2, 2)", [(2048, 2048)], "a.repeat(2, 2)", "np.tile(a, (2, 2))"),
    large("a.tril()", [SQUARE], "a.tril()", "np.tril(a)"),
]
