"""Core tensor benchmarks (issue 2's speed targets).

- core/tiny:   per-op overhead on 2-element float32 tensors
               (target: at most half of PyTorch's time);
- core/large:  elementwise ops and reductions on 16M float32 (64 MiB)
               (target: at least 0.9x PyTorch's throughput; rate = GB/s moved);
- core/matmul: float32 mm and batched matmul through BLAS (rate = GFLOP/s).

Every case is one statement evaluated on inputs a, b: `lib` names the
library's module (ctorch or torch; the same statement serves both) and `np`
is NumPy. A NumPy statement is given where NumPy spells the op differently.
"""
import functools

import numpy as np

from .harness import Benchmark

SAME = object()        # numpy statement: the same text as ctorch's / torch's

# ----------------------------------------------------------------- inputs


@functools.lru_cache(maxsize=None)
def _array(shape, dtype, seed):
    """A reproducible random NumPy array (cached: large ones take a while)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape, dtype=np.float32).astype(dtype, copy=False)


def _to_lib(lib, arr, requires_grad=False):
    """A private copy of `arr` as `lib`'s array type, allocated by `lib`."""
    if lib is np:
        return arr.copy()
    return lib.from_numpy(arr).clone().requires_grad_(requires_grad)


def _setup(stmt, shapes, dtype, requires_grad=False):
    """setup(lib) -> a zero-argument callable evaluating `stmt`.

    The inputs a, b, ... (one per shape) and `lib`, `np` are closure
    variables of the generated lambda, so a call costs the statement plus
    one Python call, the same for every library.
    """
    names = "abcd"[:len(shapes)]
    src = (f"def make({', '.join(('lib', 'np') + tuple(names))}):\n"
           f"    return lambda: {stmt}\n")
    namespace = {}
    exec(compile(src, f"<bench {stmt}>", "exec"), namespace)

    def setup(lib):
        inputs = [_to_lib(lib, _array(s, dtype, seed), requires_grad) for seed, s in enumerate(shapes)]
        return namespace["make"](lib, np, *inputs)
    return setup


def case(group, name, shapes, stmt=None, np_stmt=SAME, dtype=np.float32,
         work=None, unit=None, requires_grad=False):
    """A Benchmark running `stmt` (default: the name) on ctorch and torch,
    and `np_stmt` (default: the same text; None: no NumPy column) on NumPy.
    requires_grad: the ctorch/torch inputs are leaves requiring grad."""
    stmt = stmt or name
    torchlike = _setup(stmt, shapes, dtype, requires_grad)
    setups = {"ctorch": torchlike, "torch": torchlike}
    if np_stmt is not None:
        setups["numpy"] = torchlike if np_stmt is SAME else _setup(np_stmt, shapes, dtype)
    return Benchmark(group, name, setups, work=work, unit=unit)


# ----------------------------------------------------------------- tiny ops

TWO = [(2,)]           # one 2-element input: a
TWO_TWO = [(2,), (2,)]  # two: a, b


def tiny(name, shapes=TWO, np_stmt=SAME, stmt=None):
    return case("core/tiny", name, shapes, stmt=stmt, np_stmt=np_stmt)


TINY = [
    tiny("a + b", TWO_TWO),
    tiny("a * 2.0"),
    tiny("a.add_(b)", TWO_TWO, np_stmt="np.add(a, b, out=a)"),
    tiny("a.sum()"),
    tiny("a[0]"),
    tiny("a.view(2, 1)", np_stmt="a.reshape(2, 1)"),
    tiny("zeros(2)", [], stmt="lib.zeros(2)", np_stmt="np.zeros(2, np.float32)"),
    tiny("tensor([1.0, 2.0])", [], stmt="lib.tensor([1.0, 2.0])",
         np_stmt="np.array([1.0, 2.0], np.float32)"),
]

# ----------------------------------------------------------------- large ops

N = 16 * 2**20         # 16M elements: 64 MiB of float32
SQUARE = (4096, 4096)  # the same 16M as a matrix


def large(name, np_stmt=SAME, shape=(N,), inputs=1, read=4, written=4,
          dtype=np.float32, stmt=None):
    """A 16M-element case; `read`/`written` are bytes per element per input /
    of the output (0 for reductions), giving the GB/s column."""
    numel = int(np.prod(shape))
    return case("core/large", name, [shape] * inputs, stmt=stmt, np_stmt=np_stmt, dtype=dtype,
                work=numel * (inputs * read + written), unit="B")


LARGE = [
    large("a + b", inputs=2),
    large("a * b", inputs=2),
    large("a.exp()", np_stmt="np.exp(a)"),
    large("a.sum()", written=0),
    large("a.max()", written=0),
    large("a.sum(dim=1)", np_stmt="a.sum(axis=1)", shape=SQUARE, written=0),
    large("a.sum(dim=0)", np_stmt="a.sum(axis=0)", shape=SQUARE, written=0),
    large("a.t().contiguous()", np_stmt="np.ascontiguousarray(a.T)", shape=SQUARE),
    large("a.float() from float64", stmt="a.float()", np_stmt="a.astype(np.float32)",
          dtype=np.float64, read=8),
]

# ----------------------------------------------------------------- matmul


def matmul(name, shape_a, shape_b, stmt, np_stmt):
    *batch, m, k = shape_a
    n = shape_b[-1]
    flops = 2 * int(np.prod(batch or [1])) * m * k * n
    return case("core/matmul", name, [shape_a, shape_b], stmt=stmt, np_stmt=np_stmt,
                work=flops, unit="FLOP")


def mm(n):
    return matmul(f"mm {n}x{n}", (n, n), (n, n), "lib.mm(a, b)", "a @ b")


MATMUL = [
    mm(64),
    mm(256),
    mm(1024),
    matmul("matmul 32x128x128", (32, 128, 128), (32, 128, 128),
           "lib.matmul(a, b)", "np.matmul(a, b)"),
]

BENCHMARKS = TINY + LARGE + MATMUL
