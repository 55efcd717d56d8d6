"""Random-number benchmarks (issue 3: randn and randperm throughput at
least 0.9x PyTorch's).

ctorch and PyTorch draw the same streams with the same algorithms, so the
work per call is the same; NumPy's Generator (other algorithms) is shown for
scale. Values are not compared (the libraries are not seeded alike here),
and the rate column is GB/s written.

- random/tiny:  per-call overhead on 2 elements;
- random/large: 16M float32 (or int64) fills, 1M-element permutations.
"""
import numpy as np

from .harness import Benchmark

N = 16 * 2**20     # 16M elements
PERM = 2**20       # randperm length


def rand_case(group, name, stmt, np_stmt, written=0):
    """A Benchmark evaluating `stmt` with `lib` (ctorch or torch) and `np_stmt`
    with `np` and a seeded NumPy Generator `rng`. Both see `a` (N float32,
    written in place) and `p` (N probabilities of 0.5)."""
    def setup_for(text, numpy):
        def setup(lib):
            if numpy:
                env = {"np": np, "N": N, "rng": np.random.default_rng(0), "a": np.empty(N, np.float32),
                       "p": np.full(N, 0.5, np.float32)}
            else:
                env = {"lib": lib, "N": N, "a": lib.empty(N), "p": lib.full((N,), 0.5)}
            return eval("lambda: " + text, env)  # noqa: S307 - a fixed statement of this file
        return setup
    torchlike = setup_for(stmt, False)
    setups = {"ctorch": torchlike, "torch": torchlike}
    if np_stmt:
        setups["numpy"] = setup_for(np_stmt, True)
    return Benchmark(group, name, setups, work=written or None, unit="B" if written else None, check=False)


BENCHMARKS = [
    rand_case("random/tiny", "rand(2)", "lib.rand(2)", "rng.random(2, np.float32)"),
    rand_case("random/tiny", "randn(2)", "lib.randn(2)", "rng.standard_normal(2, np.float32)"),
    rand_case("random/tiny", "randint(0, 10, (2,))", "lib.randint(0, 10, (2,))", "rng.integers(0, 10, 2)"),
    rand_case("random/large", "rand(16M)", "lib.rand(N)", "rng.random(N, np.float32)", written=4 * N),
    rand_case("random/large", "randn(16M)", "lib.randn(N)", "rng.standard_normal(N, np.float32)", written=4 * N),
    rand_case("random/large", "randn(16M) float64", "lib.randn(N, dtype=lib.float64)", "rng.standard_normal(N)",
              written=8 * N),
    rand_case("random/large", "a.normal_()", "a.normal_()", "rng.standard_normal(N, np.float32, out=a)",
              written=4 * N),
    rand_case("random/large", "a.uniform_(-1, 1)", "a.uniform_(-1, 1)", None, written=4 * N),
    rand_case("random/large", "randint(0, 100, (16M,))", "lib.randint(0, 100, (N,))", "rng.integers(0, 100, N)",
              written=8 * N),
    rand_case("random/large", "bernoulli(p)", "lib.bernoulli(p)", "rng.random(N, np.float32) < p", written=4 * N),
    rand_case("random/large", "randperm(1M)", "lib.randperm(2**20)", "rng.permutation(2**20)", written=8 * PERM),
]
