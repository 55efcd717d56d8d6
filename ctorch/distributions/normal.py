"""torch.distributions.normal: where PyTorch code imports Normal from (torch.distributions.normal.Normal)."""
from .continuous import Normal  # noqa: F401

__all__ = ["Normal"]
