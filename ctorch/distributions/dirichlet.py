"""torch.distributions.dirichlet: where PyTorch code imports Dirichlet from (torch.distributions.dirichlet.Dirichlet)."""
from .gamma import Dirichlet  # noqa: F401

__all__ = ["Dirichlet"]
