"""torch.distributions.beta: where PyTorch code imports Beta from (torch.distributions.beta.Beta)."""
from .gamma import Beta  # noqa: F401

__all__ = ["Beta"]
