"""torch.distributions.bernoulli: where PyTorch code imports Bernoulli from (torch.distributions.bernoulli.Bernoulli)."""
from .discrete import Bernoulli  # noqa: F401

__all__ = ["Bernoulli"]
