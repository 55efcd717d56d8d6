"""DataParallel on one device: wraps a module, forwards to it, and keeps
PyTorch's `module.` prefix on state_dict keys, so checkpoints written from a
DataParallel model load the same way as PyTorch's. ctorch runs on one device
(CPU or one GPU), so there is nothing to scatter: inputs go straight through."""
from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device if output_device is not None else (
            self.device_ids[0] if self.device_ids else None)
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
