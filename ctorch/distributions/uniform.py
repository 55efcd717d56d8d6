"""torch.distributions.uniform: where PyTorch code imports Uniform from (torch.distributions.uniform.Uniform)."""
from .continuous import Uniform  # noqa: F401

__all__ = ["Uniform"]
