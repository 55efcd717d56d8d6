"""InstanceNorm1d/2d/3d: per-sample normalization, inputs with or without the batch dim."""
import warnings

from .. import functional as F
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    _no_batch_dim = None   # the input's dims without a batch dim

    def _apply_instance_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                               self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False")
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


def _instance_dims(cls_dims):
    """_check_input_dim of an InstanceNorm whose input has cls_dims (without batch) or cls_dims + 1 dims."""
    def check(self, input):
        if input.dim() not in (cls_dims, cls_dims + 1):
            raise ValueError(f"expected {cls_dims}D or {cls_dims + 1}D input (got {input.dim()}D input)")
    return check


class InstanceNorm1d(_InstanceNorm):
    _no_batch_dim = 2
    _check_input_dim = _instance_dims(2)


class InstanceNorm2d(_InstanceNorm):
    _no_batch_dim = 3
    _check_input_dim = _instance_dims(3)


class InstanceNorm3d(_InstanceNorm):
    _no_batch_dim = 4
    _check_input_dim = _instance_dims(4)
