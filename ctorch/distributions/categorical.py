"""torch.distributions.categorical: where PyTorch code imports Categorical from (torch.distributions.categorical.Categorical)."""
from .discrete import Categorical  # noqa: F401

__all__ = ["Categorical"]
