"""Bernoulli and Categorical (parameterized by probs or logits)."""
from .. import _C
from .._broadcast import broadcast_tensors
from ..autograd import no_grad
from .distribution import Distribution, broadcast_all

__all__ = ["Bernoulli", "Categorical"]


def _probs_to_logits(probs, is_binary=False):
    eps = _finfo_eps(probs.dtype)
    ps = probs.clamp(min=eps, max=1 - eps)
    return ps.log() - (-ps).log1p() if is_binary else ps.log()


def _finfo_eps(dtype):
    return {_C.float64: 2.220446049250313e-16, _C.float16: 0.0009765625, _C.bfloat16: 0.0078125}.get(
        dtype, 1.1920928955078125e-07)


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class Bernoulli(Distribution):
    arg_constraints = {"probs": "unit_interval", "logits": "real"}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self.logits = _probs_to_logits(self.probs, is_binary=True)
        else:
            (self.logits,) = broadcast_all(logits)
            self.probs = self.logits.sigmoid()
        super().__init__(self.probs.size(), validate_args=validate_args)
        if probs is not None:
            self._check((self.probs >= 0) & (self.probs <= 1), "parameter probs")

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return _C.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        logits, value = broadcast_tensors(self.logits, value)
        # -BCE with logits: v * l - softplus(l), in its stable form
        return value * logits - logits.clamp(min=0) - (-logits.abs()).exp().log1p()

    def entropy(self):
        l, p = self.logits, self.probs
        return l.clamp(min=0) - p * l + (-l.abs()).exp().log1p()


class Categorical(Distribution):
    arg_constraints = {"probs": "simplex", "logits": "real_vector"}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = _probs_to_logits(self.probs)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self.probs = self.logits.softmax(-1) if hasattr(self.logits, "softmax") else self.logits.exp()
        self._num_events = self.probs.size()[-1]
        super().__init__(self.probs.size()[:-1], validate_args=validate_args)

    @property
    def mean(self):
        return _C.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def variance(self):
        return _C.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        sample_shape = _C.Size(sample_shape)
        n = 1
        for s in sample_shape:
            n *= s
        probs_2d = self.probs.reshape(-1, self._num_events)
        with no_grad():
            samples_2d = _C.multinomial(probs_2d, n, True).t()
        return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = {_C.float64: -1.7976931348623157e308}.get(self.logits.dtype, -3.4028234663852886e38)
        return -(self.logits.clamp(min=min_real) * self.probs).sum(-1)
