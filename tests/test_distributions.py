"""torch.distributions: samples from PyTorch's draws (parity bit for bit for
the same seed), log_prob/entropy/mean/variance against closed forms computed
with NumPy and math, sample statistics, bad arguments; plus the lgamma,
digamma and xlogy elementwise ops they use."""
import math

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, real_torch, torch

D = torch.distributions


def test_seed_mixup_line_gives_a_lambda_in_0_1():
    torch.manual_seed(0)
    lam = D.Beta(0.4, 0.4).sample([]).item()
    assert isinstance(lam, float) and 0.0 < lam < 1.0


def test_normal_and_uniform_closed_forms():
    n = D.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
    x = np.array([0.5, -1.0])
    expect = -((x - [0, 1]) ** 2) / (2 * np.array([1.0, 4.0])) - np.log([1.0, 2.0]) - 0.5 * math.log(2 * math.pi)
    assert_close(n.log_prob(torch.tensor(x, dtype=torch.float32)), expect.astype(np.float32), rtol=1e-6)
    assert_close(n.entropy(), (0.5 + 0.5 * math.log(2 * math.pi) + np.log([1.0, 2.0])).astype(np.float32))
    assert tuple(n.sample((5, 3)).shape) == (5, 3, 2)
    u = D.Uniform(torch.tensor(-1.0), torch.tensor(3.0), validate_args=False)   # log_prob outside the support
    s = u.sample((20000,))
    assert float(s.min()) >= -1 and float(s.max()) < 3 and abs(float(s.mean()) - 1.0) < 0.05
    assert_close(u.log_prob(torch.tensor([0.0, 5.0])), np.array([-math.log(4), -np.inf], np.float32))
    assert abs(float(u.variance) - 16 / 12) < 1e-6


def test_bernoulli_categorical():
    b = D.Bernoulli(probs=torch.tensor([0.25, 0.9]))
    assert_close(b.log_prob(torch.tensor([1.0, 0.0])), np.log([0.25, 0.1]).astype(np.float32), rtol=1e-5)
    assert_close(b.entropy(), -(np.array([0.25, 0.9]) * np.log([0.25, 0.9]) + np.array([0.75, 0.1]) *
                                np.log([0.75, 0.1])).astype(np.float32), rtol=1e-5)
    c = D.Categorical(probs=torch.tensor([[0.2, 0.3, 0.5], [1.0, 1.0, 2.0]]))
    assert tuple(c.sample((7,)).shape) == (7, 2)
    assert_close(c.log_prob(torch.tensor([2, 0])), np.log([0.5, 0.25]).astype(np.float32), rtol=1e-6)
    draws = D.Categorical(logits=torch.tensor([0.0, math.log(3.0)])).sample((20000,)).double().mean()
    assert abs(float(draws) - 0.75) < 0.02
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli()


def test_gamma_dirichlet_beta_moments_and_log_prob():
    g = D.Gamma(torch.tensor([2.0, 0.5]), torch.tensor([3.0, 1.0]))
    s = g.sample((40000,))
    assert float(s.min()) > 0
    assert_close(s.mean(0), np.array([2 / 3, 0.5], np.float32), rtol=0.05)
    x, a, r = 0.7, 2.0, 3.0
    expect = a * math.log(r) + (a - 1) * math.log(x) - r * x - math.lgamma(a)
    assert abs(float(D.Gamma(torch.tensor(a), torch.tensor(r)).log_prob(torch.tensor(x))) - expect) < 1e-5
    d = D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
    ds = d.sample((5000,))
    assert_close(ds.sum(-1), np.ones(5000, np.float32), rtol=1e-5)
    assert_close(ds.mean(0), np.array([1, 2, 3], np.float32) / 6, rtol=0.05)
    beta = D.Beta(torch.tensor(2.0), torch.tensor(3.0))
    expect = math.log(0.4) + 2 * math.log(0.6) + math.lgamma(5) - math.lgamma(2) - math.lgamma(3)
    assert abs(float(beta.log_prob(torch.tensor(0.4))) - expect) < 1e-5
    assert abs(float(beta.mean) - 0.4) < 1e-7 and abs(float(beta.variance) - 6 / 150) < 1e-7


def test_special_functions_against_math():
    xs = np.array([0.1, 0.5, 1.0, 2.5, 7.0, 30.0, -0.5, -2.5])
    assert_close(torch.tensor(xs).lgamma(), np.array([math.lgamma(v) for v in xs]), rtol=1e-12)
    # digamma by the derivative of lgamma (central differences in float64)
    h = 1e-6
    num = (np.array([math.lgamma(v + h) for v in xs]) - np.array([math.lgamma(v - h) for v in xs])) / (2 * h)
    assert_close(torch.tensor(xs).digamma(), num, rtol=1e-6, atol=1e-6)
    assert float(torch.tensor(0.0).digamma()) == -math.inf
    assert math.isnan(float(torch.tensor(-2.0).digamma()))
    x, y = np.array([0.0, 2.0, 0.0, 3.0]), np.array([0.0, 3.0, np.nan, 0.5])
    with np.errstate(divide="ignore", invalid="ignore"):
        expect = np.where(x == 0, np.where(np.isnan(y), np.nan, 0.0), x * np.log(y))
    assert_close(torch.xlogy(torch.tensor(x), torch.tensor(y)), expect)


def test_bad_arguments():
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(torch.tensor(0.0), torch.tensor(-1.0))
    with pytest.raises(ValueError, match="`concentration` parameter must be at least one-dimensional."):
        D.Dirichlet(torch.tensor(1.0))
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
        D.Categorical(probs=torch.tensor(1.0))


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_samples_match_pytorch_for_the_same_seed(seed):
    def draws(lib):
        lib.manual_seed(seed)
        d = lib.distributions
        return [d.Beta(0.4, 0.4).sample([]).item(),
                d.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 2.0])).sample((3,)).tolist(),
                d.Normal(lib.tensor(0.0), lib.tensor(1.0)).rsample((4,)).tolist(),
                d.Uniform(0.0, 2.0).sample((2,)).tolist(),
                d.Bernoulli(probs=lib.tensor([0.3, 0.9])).sample((2,)).tolist(),
                d.Categorical(probs=lib.tensor([0.2, 0.3, 0.5])).sample((6,)).tolist(),
                d.Gamma(lib.tensor([2.0, 0.3]), lib.tensor([3.0, 1.0])).sample((3,)).tolist(),
                d.Dirichlet(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sample((2,)).tolist(),
                lib._standard_gamma(lib.full((40,), 0.7)).tolist()]
    assert draws(torch) == draws(real_torch)


# ---------------------------------------------------------------- PyTorch's submodules (the seed's mixup)

@pytest.mark.parametrize("module,name", [("beta", "Beta"), ("normal", "Normal"), ("uniform", "Uniform"),
                                         ("bernoulli", "Bernoulli"), ("categorical", "Categorical"),
                                         ("dirichlet", "Dirichlet"), ("gamma", "Gamma")])
def test_per_distribution_submodules(module, name):
    assert getattr(getattr(torch.distributions, module), name) is getattr(torch.distributions, name)


def test_seed_mixup_beta_draw():
    torch.manual_seed(0)
    lambda_ = torch.distributions.beta.Beta(0.2, 0.2).sample([]).item()
    assert isinstance(lambda_, float) and lambda_ == pytest.approx(1.3102197044645436e-05, rel=1e-6)   # PyTorch's
