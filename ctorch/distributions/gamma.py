"""Gamma, Dirichlet and Beta, drawn by PyTorch's samplers (_standard_gamma,
_sample_dirichlet), so a seed gives PyTorch's values."""
from .. import _C
from ..autograd import no_grad
from .distribution import Distribution, broadcast_all

__all__ = ["Gamma", "Dirichlet", "Beta"]


def _tiny(dtype):
    return {_C.float64: 2.2250738585072014e-308, _C.float16: 6.103515625e-05}.get(dtype, 1.1754943508222875e-38)


def _no_grad_draws(*params):
    """The samplers have no reparameterization gradient in ctorch yet: refuse rather than return a wrong one."""
    if any(p.requires_grad for p in params) and _C.is_grad_enabled():
        raise NotImplementedError("rsample of Gamma/Beta/Dirichlet with parameters that require grad is not "
                                  "implemented in ctorch; use sample() or detach the parameters")


class Gamma(Distribution):
    has_rsample = True
    arg_constraints = {"concentration": "positive", "rate": "positive"}

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)
        self._check((self.concentration > 0) & (self.rate > 0), "parameters concentration and rate")

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        _no_grad_draws(self.concentration, self.rate)
        shape = self._extended_shape(sample_shape)
        value = _C._standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.detach().clamp_(min=_tiny(value.dtype))

    def log_prob(self, value):
        c, r = self.concentration, self.rate
        return _C.xlogy(c, r) + _C.xlogy(c - 1, value) - r * value - c.lgamma()

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + c.lgamma() + (1.0 - c) * c.digamma()


class Dirichlet(Distribution):
    has_rsample = True
    arg_constraints = {"concentration": "independent positive"}

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)
        self._check(concentration > 0, "parameter concentration")

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def rsample(self, sample_shape=()):
        _no_grad_draws(self.concentration)
        return _C._sample_dirichlet(self.concentration.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        c = self.concentration
        return ((value.log() * (c - 1.0)).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1))

    def entropy(self):
        c = self.concentration
        k = c.size(-1)
        a0 = c.sum(-1)
        return c.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma() - ((c - 1.0) * c.digamma()).sum(-1)


class Beta(Distribution):
    has_rsample = True
    arg_constraints = {"concentration1": "positive", "concentration0": "positive"}

    def __init__(self, concentration1, concentration0, validate_args=None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(_C.stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        heads_tails = _C.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()
