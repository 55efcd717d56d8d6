"""Random numbers: generators, seeding, state, factories and in-place distributions.

Parity tests (marker `parity`) seed real PyTorch and ctorch alike and require
the same values bit for bit, and the same generator state afterwards. The
statistical and reproducibility tests run everywhere.
"""
import math
import os

import numpy as np
import pytest

from helpers import real_torch, torch



def parity(test):
    """Marker `parity`; skipped without real PyTorch, and in reference runs (nothing to compare)."""
    skip = pytest.mark.skipif(real_torch is None or real_torch is torch,
                              reason="needs real PyTorch beside ctorch")
    return pytest.mark.parity(skip(test))


SEEDS = [0, 1, 42, 2**32 + 5, 2**63 + 11]
# around PyTorch's thresholds: normal_ batches 16 at a time from 16 elements up,
# and redraws the last 16 when the size is not a multiple of 16
SIZES = [1, 2, 7, 15, 16, 17, 31, 32, 33, 100, 1001, 4099]


def values(t):
    """A tensor's values as NumPy (bfloat16 widened to float32), or a Python value."""
    if isinstance(t, (np.ndarray, list, tuple)) or not hasattr(t, "dtype"):
        return np.asarray(t)
    if "bfloat16" in str(t.dtype):
        t = t.float()
    return t.numpy().copy() if t.dim() else np.asarray(t.item())


def assert_same_stream(fn, seeds=SEEDS):
    """fn(lib) gives bitwise the same values on PyTorch and ctorch, and leaves the same state."""
    for s in seeds:
        real_torch.manual_seed(s)
        torch.manual_seed(s)
        expected, got = values(fn(real_torch)), values(fn(torch))
        assert expected.shape == got.shape, (s, expected.shape, got.shape)
        assert expected.dtype == got.dtype, (s, expected.dtype, got.dtype)
        np.testing.assert_array_equal(got, expected, err_msg=f"seed {s}")
        assert bytes(torch.get_rng_state().numpy()) == bytes(real_torch.get_rng_state().numpy()), f"state, seed {s}"


# ----------------------------------------------------------------------------- parity: factories

@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("op", ["rand", "randn"])
@parity
def test_parity_rand_randn(op, dtype, n):
    assert_same_stream(lambda t: getattr(t, op)(n, dtype=getattr(t, dtype)))


@parity
@pytest.mark.parametrize("shape", [(), (3, 5), (4, 4, 2), (2, 0, 3), (50, 33)])
def test_parity_shapes(shape):
    assert_same_stream(lambda t: t.rand(*shape) if shape else t.rand(shape))
    assert_same_stream(lambda t: t.randn(shape))
    assert_same_stream(lambda t: t.randint(0, 10, shape))


@parity
def test_parity_normal_cache_across_calls():
    # below 16 elements normal draws in pairs and keeps the second sample for the next call
    assert_same_stream(lambda t: np.concatenate([values(t.randn(3)), values(t.randn(5)), values(t.randn(1)),
                                                 values(t.randn(2, dtype=t.float64)), values(t.randn(40)),
                                                 values(t.randn(1))]))


@parity
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("low,high", [(0, 10), (-5, 5), (3, 2**28 + 3), (-2**40, 2**40), (0, 2)])
def test_parity_randint(low, high, n):
    assert_same_stream(lambda t: t.randint(low, high, (n,)))


@parity
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "float32", "float64", "bool"])
def test_parity_randint_dtypes(dtype):
    high = 2 if dtype == "bool" else 100
    assert_same_stream(lambda t: t.randint(high, (300,), dtype=getattr(t, dtype)))
    assert_same_stream(lambda t: t.randint(high, (3, 4), dtype=getattr(t, dtype)))


@parity
@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 100, 1000, 100003])
def test_parity_randperm(n):
    assert_same_stream(lambda t: t.randperm(n))
    assert_same_stream(lambda t: t.randperm(n, dtype=t.float64))


@parity
@pytest.mark.parametrize("dtype", ["int32", "int16", "float32", "float16", "bfloat16"])
def test_parity_randperm_dtypes(dtype):
    assert_same_stream(lambda t: t.randperm(200, dtype=getattr(t, dtype)))


@pytest.mark.slow
@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or os.environ.get("CTORCH_SLOW_TESTS") != "1",
                    reason="needs real PyTorch and CTORCH_SLOW_TESTS=1 (2 GB, ~10 s)")
def test_parity_randperm_large_n():
    # from n = 2^32 / 20 PyTorch switches to the inside-out shuffle on 64-bit draws
    n = 2**32 // 20 + 3
    real_torch.manual_seed(7)
    torch.manual_seed(7)
    a = real_torch.randperm(n, dtype=real_torch.int32).numpy()
    b = torch.randperm(n, dtype=torch.int32).numpy()
    assert np.array_equal(a, b)


@parity
def test_parity_like_factories():
    assert_same_stream(lambda t: t.rand_like(t.zeros(5, 7)))
    assert_same_stream(lambda t: t.randn_like(t.zeros(40, dtype=t.float64)))
    assert_same_stream(lambda t: t.randint_like(t.zeros(30), 7))
    assert_same_stream(lambda t: t.randint_like(t.zeros(30, dtype=t.int64), -3, 9))
    # the like factories keep a transposed input's layout, and draw in memory order
    assert_same_stream(lambda t: t.rand_like(t.zeros(6, 9).t()))


@parity
@pytest.mark.parametrize("n", [5, 16, 100])
def test_parity_normal_overloads(n):
    assert_same_stream(lambda t: t.normal(2.0, 3.0, size=(n,)))
    assert_same_stream(lambda t: t.normal(-1, 0.5, (n, 2), dtype=t.float64))
    assert_same_stream(lambda t: t.normal(t.arange(float(n)), 2.0))
    assert_same_stream(lambda t: t.normal(t.arange(float(n))))
    assert_same_stream(lambda t: t.normal(1.5, t.arange(float(n)) / n))
    assert_same_stream(lambda t: t.normal(t.arange(float(n)), t.arange(float(n)) / n))
    assert_same_stream(lambda t: t.normal(t.zeros(n, 1), t.ones(3)))


# ----------------------------------------------------------------------------- parity: in place

@parity
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parity_uniform_normal_inplace(dtype, n):
    def mk(t):
        return t.empty(n, dtype=getattr(t, dtype))
    assert_same_stream(lambda t: mk(t).uniform_(-2, 3))
    assert_same_stream(lambda t: mk(t).uniform_(0.25, 0.5))
    assert_same_stream(lambda t: mk(t).normal_(3, 2))
    assert_same_stream(lambda t: mk(t).normal_(mean=-1, std=0.1))


@parity
def test_parity_non_contiguous():
    # a transposed tensor is filled in memory order; normal_ takes its scalar path
    assert_same_stream(lambda t: t.empty(20, 30).t().normal_())
    assert_same_stream(lambda t: t.empty(20, 30).t().uniform_(1, 2))
    assert_same_stream(lambda t: t.empty(40)[::2].normal_())
    assert_same_stream(lambda t: t.empty(40, dtype=t.int64)[::3].random_(0, 7))


@parity
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                                   "uint8", "bool"])
def test_parity_random_(dtype):
    def mk(t):
        return t.empty(257, dtype=getattr(t, dtype))
    assert_same_stream(lambda t: mk(t).random_())
    assert_same_stream(lambda t: mk(t).random_(2))
    assert_same_stream(lambda t: mk(t).random_(0, 2))
    if dtype != "bool":
        assert_same_stream(lambda t: mk(t).random_(3, 100))
        assert_same_stream(lambda t: mk(t).random_(5, None))
    if dtype in ("int64", "float32", "float64", "bfloat16"):
        assert_same_stream(lambda t: mk(t).random_(-2**63, None))


@parity
@pytest.mark.parametrize("pdtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("n", [1, 17, 1000])
def test_parity_bernoulli(pdtype, n):
    p = np.linspace(0, 1, n)

    def probs(t):
        return t.tensor(p, dtype=getattr(t, pdtype))
    assert_same_stream(lambda t: t.bernoulli(probs(t)))
    assert_same_stream(lambda t: t.empty(n, dtype=t.int64).bernoulli_(probs(t)))
    assert_same_stream(lambda t: t.empty(n, 3).bernoulli_(t.full((3,), 0.3, dtype=getattr(t, pdtype))))


@parity
def test_parity_bernoulli_scalar_p():
    assert_same_stream(lambda t: t.empty(500).bernoulli_(0.3))
    assert_same_stream(lambda t: t.empty(500, dtype=t.bool).bernoulli_())
    assert_same_stream(lambda t: t.bernoulli(t.zeros(7, 9), 0.8))
    assert_same_stream(lambda t: t.empty(9).bernoulli_(t.tensor(0.25)))   # a 0-dim p is the tensor overload
    assert_same_stream(lambda t: t.zeros(9).bernoulli(0.5))


@parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parity_other_distributions(dtype):
    def mk(t, n=333):
        return t.empty(n, dtype=getattr(t, dtype))
    assert_same_stream(lambda t: mk(t).exponential_())
    assert_same_stream(lambda t: mk(t).exponential_(3.5))
    assert_same_stream(lambda t: mk(t).geometric_(0.2))
    assert_same_stream(lambda t: mk(t).log_normal_())
    assert_same_stream(lambda t: mk(t).log_normal_(0.1, 0.3))
    assert_same_stream(lambda t: mk(t).cauchy_())
    assert_same_stream(lambda t: mk(t).cauchy_(-1, 0.5))
    assert_same_stream(lambda t: mk(t).cauchy_(1.3, 2.7))   # median + sigma * x: fused on AVX2 CPUs
    assert_same_stream(lambda t: mk(t, 15).normal_(1.3, 2.7))
    assert_same_stream(lambda t: mk(t).log_normal_(1.3, 2.7))
    assert_same_stream(lambda t: t.empty(50, dtype=t.int64).geometric_(0.5))


@parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parity_poisson(dtype):
    # rates below 10 multiply uniforms, from 10 up a rejection sampler runs
    assert_same_stream(lambda t: t.poisson(t.linspace(0, 30, 500, dtype=getattr(t, dtype))))
    assert_same_stream(lambda t: t.poisson(t.full((4, 5), 1000.0, dtype=getattr(t, dtype))))


@parity
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_parity_multinomial(dtype):
    probs = np.random.default_rng(3).random((6, 40))
    probs[probs < 0.2] = 0

    def p(t):
        return t.tensor(probs, dtype=getattr(t, dtype))
    assert_same_stream(lambda t: t.multinomial(p(t), 50, replacement=True))
    assert_same_stream(lambda t: t.multinomial(p(t)[0], 7, True))
    assert_same_stream(lambda t: p(t).multinomial(1))
    if dtype == "float64":   # float keys can tie; PyTorch's topk orders ties its own way
        assert_same_stream(lambda t: t.multinomial(p(t), 20))


# ----------------------------------------------------------------------------- parity: generators and state

@parity
def test_parity_generator_objects():
    def draws(t):
        g = t.Generator().manual_seed(123)
        g2 = t.Generator()   # PyTorch's default seed of a new generator
        return np.concatenate([values(t.rand(20, generator=g)), values(t.randn(20, generator=g2)),
                               values(t.randint(0, 9, (5,), generator=g)), values(t.randperm(9, generator=g2)),
                               values(t.empty(30).normal_(generator=g)), values(t.empty(8).uniform_(generator=g2)),
                               values(t.empty(8).random_(0, 4, generator=g)), values(t.normal(0., 1., (3,), generator=g)),
                               values(t.bernoulli(t.full((9,), 0.5), generator=g)),
                               values(t.multinomial(t.ones(6), 3, generator=g2)),
                               values(t.poisson(t.ones(4) * 3, generator=g)), values(t.rand_like(t.zeros(3), generator=g))])
    assert_same_stream(draws)   # the default generator stays untouched: equal states afterwards


@parity
def test_parity_state_bytes_move_between_libraries():
    for seed in SEEDS:
        real_torch.manual_seed(seed)
        torch.manual_seed(seed)
        assert bytes(torch.get_rng_state().numpy()) == bytes(real_torch.get_rng_state().numpy())
        # a cached normal sample travels in the state too
        real_torch.randn(3)
        state = real_torch.get_rng_state()
        torch.set_rng_state(torch.from_numpy(state.numpy().copy()))
        np.testing.assert_array_equal(values(torch.randn(5)), values(real_torch.randn(5)))
        g = torch.Generator().manual_seed(seed + 1)
        torch.rand(7, generator=g)
        rg = real_torch.Generator().set_state(real_torch.from_numpy(g.get_state().numpy().copy()))
        np.testing.assert_array_equal(values(torch.rand(100, generator=g)), values(real_torch.rand(100, generator=rg)))


@parity
def test_parity_seed_values():
    for s in [0, 5, -1, -2**63, 2**64 - 1, True]:
        assert torch.manual_seed(s).initial_seed() == real_torch.manual_seed(s).initial_seed()
        assert torch.initial_seed() == real_torch.initial_seed()
        assert_same_stream(lambda t: t.rand(3), seeds=[s])
    assert torch.Generator().initial_seed() == real_torch.Generator().initial_seed()


# ----------------------------------------------------------------------------- generators, always

def test_generator_api():
    g = torch.Generator()
    assert g.device == torch.device("cpu")
    assert torch.Generator(device="cpu").device.type == "cpu"
    assert g.manual_seed(5) is g
    assert g.initial_seed() == 5
    state = g.get_state()
    assert state.dtype == torch.uint8 and tuple(state.shape) == (5056,)
    a = torch.rand(10, generator=g)
    assert g.set_state(state) is g
    np.testing.assert_array_equal(values(torch.rand(10, generator=g)), values(a))
    s = g.seed()
    assert isinstance(s, int) and 0 <= s < 2**64 and g.initial_seed() == s
    assert isinstance(torch.default_generator, torch.Generator)
    assert torch.manual_seed(3) is torch.default_generator


def test_default_generator_functions():
    torch.manual_seed(11)
    assert torch.initial_seed() == 11
    state = torch.get_rng_state()
    a = torch.randn(25)
    torch.set_rng_state(state)
    np.testing.assert_array_equal(values(torch.randn(25)), values(a))
    s = torch.seed()
    assert isinstance(s, int) and torch.initial_seed() == s
    assert torch.manual_seed(-1).initial_seed() == 2**64 - 1


def test_reproducible_and_seed_dependent():
    def draw():
        return np.concatenate([values(torch.rand(50)), values(torch.randn(50)), values(torch.randint(0, 9, (50,))),
                               values(torch.randperm(50)), values(torch.bernoulli(torch.full((50,), 0.5)))])
    torch.manual_seed(1)
    a = draw()
    torch.manual_seed(1)
    np.testing.assert_array_equal(draw(), a)
    torch.manual_seed(2)
    assert not np.array_equal(draw(), a)


def test_generators_are_independent():
    g1, g2 = torch.Generator().manual_seed(9), torch.Generator().manual_seed(9)
    torch.manual_seed(0)
    x = values(torch.rand(5, generator=g1))
    torch.rand(100)   # the default generator moves, g2 does not
    np.testing.assert_array_equal(values(torch.rand(5, generator=g2)), x)


def test_torch_random_module():
    torch.random.manual_seed(4)
    assert torch.random.initial_seed() == 4
    with torch.random.fork_rng():
        torch.rand(10)
    after = values(torch.rand(3))
    torch.random.manual_seed(4)
    np.testing.assert_array_equal(values(torch.rand(3)), after)


# ----------------------------------------------------------------------------- statistics, always

N = 200_000


def close(x, expected, tol):
    assert abs(float(x) - expected) < tol, (float(x), expected)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_stats_rand_randn(dtype):
    torch.manual_seed(0)
    u = values(torch.rand(N, dtype=getattr(torch, dtype))).astype(np.float64)
    assert u.min() >= 0 and u.max() < 1
    close(u.mean(), 0.5, 0.01)
    close(u.std(), 1 / math.sqrt(12), 0.01)
    z = values(torch.randn(N, dtype=getattr(torch, dtype))).astype(np.float64)
    close(z.mean(), 0, 0.01)
    close(z.std(), 1, 0.01)
    close(np.mean(np.abs(z) < 1), 0.6827, 0.01)


def test_stats_uniform_normal_inplace():
    torch.manual_seed(1)
    u = values(torch.empty(N).uniform_(-2, 3))
    assert u.min() >= -2 and u.max() < 3
    close(u.mean(), 0.5, 0.03)
    z = values(torch.empty(N, dtype=torch.float64).normal_(3, 2))
    close(z.mean(), 3, 0.02)
    close(z.std(), 2, 0.02)
    z = values(torch.empty(1000, 7).t().normal_(-1, 0.5))   # the element-wise path
    close(z.mean(), -1, 0.02)
    close(z.std(), 0.5, 0.02)
    z = values(torch.normal(torch.full((N,), 5.0), torch.full((N,), 0.1)))
    close(z.mean(), 5, 0.002)
    close(z.std(), 0.1, 0.002)


def test_stats_integers():
    torch.manual_seed(2)
    r = values(torch.randint(-3, 4, (N,)))
    assert r.min() == -3 and r.max() == 3
    np.testing.assert_allclose(np.bincount(r + 3) / N, np.full(7, 1 / 7), atol=0.005)
    big = values(torch.randint(0, 2**40, (N,)))
    close(big.mean() / 2**40, 0.5, 0.01)
    p = values(torch.randperm(1000))
    np.testing.assert_array_equal(np.sort(p), np.arange(1000))
    assert not np.array_equal(p, np.arange(1000))
    f = values(torch.randperm(300, dtype=torch.float16))
    np.testing.assert_array_equal(np.sort(f), np.arange(300))
    b = values(torch.empty(N, dtype=torch.uint8).random_())
    assert b.max() >= 250
    close(b.mean(), 127.5, 1)
    assert set(np.unique(values(torch.empty(100, dtype=torch.bool).random_()))) == {False, True}


def test_stats_other_distributions():
    torch.manual_seed(3)
    b = values(torch.bernoulli(torch.full((N,), 0.3)))
    assert set(np.unique(b)) == {0.0, 1.0}
    close(b.mean(), 0.3, 0.01)
    close(values(torch.empty(N).bernoulli_(0.8)).mean(), 0.8, 0.01)
    close(values(torch.empty(N).exponential_(4)).mean(), 0.25, 0.005)
    g = values(torch.empty(N).geometric_(0.25))
    assert g.min() >= 1
    close(g.mean(), 4, 0.1)
    ln = values(torch.empty(N, dtype=torch.float64).log_normal_(0.5, 0.25))
    close(np.median(ln), math.exp(0.5), 0.02)
    close(np.log(ln).std(), 0.25, 0.01)
    c = values(torch.empty(N).cauchy_(2, 3))
    close(np.median(c), 2, 0.1)
    close(np.median(np.abs(c - 2)), 3, 0.1)
    for rate in [0.5, 4.0, 25.0, 400.0]:
        x = values(torch.poisson(torch.full((N,), rate)))
        close(x.mean(), rate, 0.02 * rate + 0.02)
        close(x.var(), rate, 0.05 * rate + 0.05)


def test_stats_multinomial():
    torch.manual_seed(4)
    probs = torch.tensor([0.1, 0.0, 0.6, 0.3])
    s = values(torch.multinomial(probs, N, replacement=True))
    np.testing.assert_allclose(np.bincount(s, minlength=4) / N, [0.1, 0.0, 0.6, 0.3], atol=0.01)
    rows = values(torch.multinomial(torch.ones(2000, 10), 10))   # without replacement: permutations
    np.testing.assert_array_equal(np.sort(rows, axis=1), np.tile(np.arange(10), (2000, 1)))
    first = values(torch.multinomial(torch.tensor([1.0, 2.0, 7.0]).expand(20000, 3).contiguous(), 1))[:, 0]
    np.testing.assert_allclose(np.bincount(first, minlength=3) / 20000, [0.1, 0.2, 0.7], atol=0.015)
    assert tuple(torch.multinomial(torch.ones(3, 5), 2).shape) == (3, 2)
    assert torch.multinomial(torch.ones(5), 2).dtype == torch.int64


def test_factory_arguments():
    assert tuple(torch.rand(2, 3).shape) == (2, 3)
    assert tuple(torch.rand((2, 3)).shape) == (2, 3)
    assert tuple(torch.randn(size=[4]).shape) == (4,)
    assert tuple(torch.rand(()).shape) == ()
    assert torch.rand(3, dtype=torch.float64).dtype == torch.float64
    assert torch.randn(3).dtype == torch.get_default_dtype()
    assert torch.randint(5, (3,)).dtype == torch.int64
    assert torch.randint(low=1, high=3, size=(2,)).dtype == torch.int64
    assert torch.randint(2, [3], dtype=torch.float32).dtype == torch.float32
    assert torch.randperm(4).dtype == torch.int64
    assert torch.randperm(4, dtype=torch.float32).dtype == torch.float32
    assert torch.rand_like(torch.zeros(2, dtype=torch.float64)).dtype == torch.float64
    assert torch.randint_like(torch.zeros(2, dtype=torch.int32), 5).dtype == torch.int32
    out = torch.empty(6)
    assert torch.rand(6, out=out) is out
    out = torch.empty(3, dtype=torch.int64)
    assert torch.randint(0, 5, (3,), out=out) is out
    t = torch.empty(5)
    for r in [t.uniform_(), t.normal_(), t.random_(0, 3), t.bernoulli_(), t.exponential_(), t.geometric_(0.5),
              t.log_normal_(), t.cauchy_()]:
        assert r is t
    assert len(torch.randperm(0)) == 0 and tuple(torch.rand(0, 3).shape) == (0, 3)


# ----------------------------------------------------------------------------- bad input

BAD = [
    ("torch.randint(5, 3, (2,))", RuntimeError, "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    ("torch.empty(2, dtype=torch.long).random_(5, 3)", RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    ("torch.empty(2).random_(-2**63)", RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=0 >= to=-9223372036854775808"),
    ("torch.randint(0, 3, (-1,))", RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    ("torch.rand(-1)", RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    ("torch.randn(2, -3)", RuntimeError, "Trying to create tensor with negative dimension -3: [2, -3]"),
    ("torch.randperm(-1)", RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    ("torch.randperm(3000, dtype=torch.float16)", RuntimeError, "n cannot be greater than 2049 for Half type."),
    ("torch.randperm(2**25, dtype=torch.float32)", RuntimeError, "n cannot be greater than 2^24+1 for Float type."),
    ("torch.randperm(257, dtype=torch.uint8)", RuntimeError, "value cannot be converted to type uint8_t without overflow"),
    ("torch.randperm(5, dtype=torch.bool)", NotImplementedError, "\"randperm\" not implemented for 'Bool'"),
    ("torch.bernoulli(torch.tensor([0.5, 1.5]))", RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false."),
    ("torch.bernoulli(torch.tensor([float('nan')]))", RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true"),
    ("torch.empty(3).bernoulli_(1.5)", RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=1.5"),
    ("torch.empty(3).bernoulli_(-0.1)", RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=-0.1"),
    ("torch.bernoulli(torch.zeros(2, dtype=torch.long))", NotImplementedError,
     "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"),
    ("torch.bernoulli(torch.ones(2), torch.ones(1))", TypeError,
     "bernoulli() received an invalid combination of arguments - got (Tensor, Tensor), but expected one of:"),
    ("torch.multinomial(torch.tensor([0.5, 0.5]), 3)", RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ("torch.multinomial(torch.tensor([0.5, 0.5]), 0)", RuntimeError, "cannot sample n_sample <= 0 samples"),
    ("torch.multinomial(torch.tensor([[[0.5]]]), 1)", RuntimeError, "prob_dist must be 1 or 2 dim"),
    ("torch.multinomial(torch.tensor([1, 2]), 1)", RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    ("torch.multinomial(torch.tensor([-1., 2]), 1, True)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("torch.multinomial(torch.tensor([float('inf'), 0]), 1)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("torch.multinomial(torch.tensor([0., 0]), 1, True)", RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("torch.multinomial(torch.tensor([[1., 1], [0, 0]]), 1)",
     RuntimeError, "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("torch.poisson(torch.tensor([-1.]))", RuntimeError, "invalid Poisson rate, expected rate to be non-negative"),
    ("torch.poisson(torch.tensor([1, 2]))", NotImplementedError, "\"poisson_cpu\" not implemented for 'Long'"),
    ("torch.empty(3).uniform_(3, 2)", RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=3 > to=2"),
    ("torch.empty(3).uniform_(0, 1e40)", RuntimeError, "to is out of bounds for float"),
    ("torch.empty(3, dtype=torch.float16).uniform_(-7e4, 0)", RuntimeError, "from is out of bounds for c10::Half"),
    ("torch.empty(3, dtype=torch.float16).uniform_(-6e4, 6e4)", RuntimeError,
     "uniform_ expects to-from <= std::numeric_limits<Half>::max(), but found to=60000 and from=-60000"),
    ("torch.empty(3, dtype=torch.long).uniform_()", NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("torch.rand(3, dtype=torch.long)", NotImplementedError, "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("torch.randn(3, dtype=torch.int32)", NotImplementedError, "\"normal_kernel_cpu\" not implemented for 'Int'"),
    ("torch.empty(3).normal_(0, -1)", RuntimeError, "normal expects std >= 0.0, but found std -1"),
    ("torch.normal(0., -0.5, (2,))", RuntimeError, "normal expects std >= 0.0, but found std -0.5"),
    ("torch.normal(torch.zeros(2), torch.tensor([-1., 1]))", RuntimeError, "normal expects all elements of std >= 0.0"),
    ("torch.normal(torch.zeros(2), float('nan'))", RuntimeError, "normal expects std >= 0.0, but found std nan"),
    ("torch.normal(torch.zeros(2, dtype=torch.long), torch.ones(2))", NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    ("torch.normal(torch.zeros(3), torch.ones(2))", RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ("torch.normal(2, 3)", TypeError,
     "normal() received an invalid combination of arguments - got (int, int), but expected one of:"),
    ("torch.normal(torch.zeros(2), 2.0, size=(2,))", TypeError,
     "normal() received an invalid combination of arguments - got (Tensor, float, size=tuple), but expected one of:"),
    ("torch.empty(3).exponential_(0)", RuntimeError, "exponential_ expects lambda > 0.0, but found lambda=0"),
    ("torch.empty(3, dtype=torch.long).exponential_()", RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a floating point but you "
     "specified Long"),
    ("torch.empty(3).geometric_(1)", RuntimeError, "geometric_ expects p to be in (0, 1), but got p=1"),
    ("torch.empty(3, dtype=torch.bool).geometric_(0.5)", NotImplementedError, "\"geometric_cpu\" not implemented for 'Bool'"),
    ("torch.empty(3).geometric_()", TypeError, "geometric_() missing 1 required positional arguments: \"p\""),
    ("torch.empty(3).log_normal_(1, 0)", RuntimeError, "log_normal_ expects std > 0.0, but found std=0"),
    ("torch.empty(3, dtype=torch.long).log_normal_()", NotImplementedError, "\"log_normal_cpu\" not implemented for 'Long'"),
    ("torch.empty(3).cauchy_(0, 0)", RuntimeError, "cauchy_ expects sigma > 0.0, but found sigma=0"),
    ("torch.empty(3, dtype=torch.int8).cauchy_()", RuntimeError,
     "Cauchy distribution is a continuous probability distribution. dtype must be a floating point but you specified "
     "signed char"),
    ("torch.empty(3, dtype=torch.uint8).random_(0, 300)", RuntimeError, "to - 1 is out of bounds for unsigned char"),
    ("torch.empty(3, dtype=torch.uint8).random_(-1, 3)", RuntimeError, "from is out of bounds for unsigned char"),
    ("torch.empty(3, dtype=torch.bool).random_(0, 3)", RuntimeError, "to - 1 is out of bounds for bool"),
    ("torch.empty(3, dtype=torch.float16).random_(0, 70000)", RuntimeError, "to - 1 is out of bounds for c10::Half"),
    ("torch.randint(0, 2**40, (2,), dtype=torch.int32)", RuntimeError, "to - 1 is out of bounds for int"),
    ("torch.randint(-5, 5, (3,), dtype=torch.uint8)", RuntimeError, "from is out of bounds for unsigned char"),
    ("torch.empty(3, dtype=torch.float32).random_(2**30, 2**30 + 100)", RuntimeError,
     "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=1073741824 >= "
     "to=1073741824"),
    ("torch.empty(3, dtype=torch.int16).random_(-2**63, None)", RuntimeError,
     "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16"),
    ("torch.empty(2).random_(1.5)", TypeError,
     "random_() received an invalid combination of arguments - got (float), but expected one of:"),
    ("torch.empty(3, dtype=torch.float16).random_(-2**63, None)", NotImplementedError,
     "\"random_full_64_bits_range_kernel_cpu\" not implemented for 'Half'"),
    ("torch.empty(2).random_(**{'from': 2})", TypeError,
     "random_() received an invalid combination of arguments - got (from=int, ), but expected one of:"),
    ("torch.randperm(5, 3)", TypeError,
     "randperm() received an invalid combination of arguments - got (int, int), but expected one of:"),
    ("torch.rand(2, 3, size=(2,))", TypeError,
     "rand() received an invalid combination of arguments - got (int, int, size=tuple), but expected one of:"),
    ("torch.randint_like(torch.ones(3))", TypeError,
     "randint_like() received an invalid combination of arguments - got (Tensor), but expected one of:"),
    ("torch.randint(3)", TypeError, "randint() received an invalid combination of arguments - got (int), but expected one of:"),
    ("torch.randint(1, 2, 3)", TypeError,
     "randint() received an invalid combination of arguments - got (int, int, int), but expected one of:"),
    ("torch.randint(2, 5)", TypeError, "randint(): argument 'size' (position 2) must be tuple of ints, not int"),
    ("torch.randint(3.5, (2,))", TypeError, "randint(): argument 'high' (position 1) must be int, not float"),
    ("torch.randperm(2.5)", TypeError, "randperm(): argument 'n' (position 1) must be int, not float"),
    ("torch.rand()", TypeError, "rand() received an invalid combination of arguments - got (), but expected one of:"),
    ("torch.rand(2, generator=3)", TypeError,
     "rand() received an invalid combination of arguments - got (int, generator=int), but expected one of:"),
    ("torch.rand_like(torch.ones(2), generator=5)", TypeError,
     "rand_like() received an invalid combination of arguments - got (Tensor, generator=int), but expected one of:"),
    ("torch.empty(2).uniform_(generator=5)", TypeError, "uniform_(): argument 'generator' must be torch.Generator, not int"),
    ("torch.empty(3).bernoulli_(torch.tensor([0.5, 0.5]))", RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0"),
    ("torch.manual_seed(2**64)", ValueError, "Overflow when unpacking long long"),
    ("torch.manual_seed(-2**63 - 1)", ValueError, "Overflow when unpacking long long"),
    ("torch.Generator().manual_seed(1.5)", RuntimeError, "manual_seed expected a long, but got float"),
    ("torch.Generator().set_state(torch.zeros(5056, dtype=torch.uint8))", RuntimeError, "Invalid mt19937 state"),
    ("torch.Generator().set_state(torch.zeros(10, dtype=torch.uint8))", RuntimeError,
     "Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be 10"),
    ("torch.Generator().set_state(torch.zeros(5056))", TypeError, "RNG state must be a torch.ByteTensor"),
    ("torch.set_rng_state([1, 2])", TypeError, "expected a torch.ByteTensor, but got list"),
    ("torch.empty(4).expand(2, 4).normal_()", RuntimeError,
     "unsupported operation: more than one element of the written-to tensor refers to a single memory location"),
]


@pytest.mark.parametrize("expr,exc,msg", BAD, ids=[b[0][:60] for b in BAD])
def test_bad_input(expr, exc, msg):
    with pytest.raises(exc) as info:
        eval(expr)
    assert msg in str(info.value)


@parity
@pytest.mark.parametrize("expr,exc,msg", BAD, ids=[b[0][:60] for b in BAD])
def test_bad_input_is_pytorchs(expr, exc, msg):
    """The expectations above are what PyTorch raises."""
    with pytest.raises(exc) as info:
        eval(expr, {"torch": real_torch})
    assert msg in str(info.value)


# ---------------------------------------------------------------- randint's keyword forms (the seed's TSN sampler)

@pytest.mark.parametrize("call,expected", [
    # (low, high) positional with size= keyword, low positional with high=, and every keyword;
    # the values are PyTorch's for manual_seed(0)
    ("torch.randint(0, 10, size=(3,))", [4, 9, 3]),
    ("torch.randint(2, high=9, size=(3,))", [6, 5, 2]),
    ("torch.randint(high=10, size=(3,), dtype=torch.long)", [4, 9, 3]),
    ("torch.randint(low=2, high=10, size=(3,))", [6, 9, 7]),
])
def test_randint_keyword_forms(call, expected):
    torch.manual_seed(0)
    t = eval(call)
    assert t.dtype == torch.int64 and t.tolist() == expected


@pytest.mark.parametrize("call", ["torch.randint(10, low=2, size=(3,))", "torch.randint(1, 2, (3,), size=(3,))"])
def test_randint_keyword_clashes(call):
    with pytest.raises(TypeError, match="randint"):
        eval(call)
