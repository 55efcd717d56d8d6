"""clip_grad_norm_ and clip_grad_value_: one C call over all gradients."""
from ... import _C

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, _C._TensorBase):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so their total norm is at most max_norm; returns the total norm before clipping."""
    grads = _grads(parameters)
    if not grads:
        return _C.tensor(0.0)
    return _C._clip_grad_norm_(grads, float(max_norm), float(norm_type), bool(error_if_nonfinite))


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of tensors (no clipping)."""
    tensors = [tensors] if isinstance(tensors, _C._TensorBase) else list(tensors)
    if not tensors:
        return _C.tensor(0.0)
    norms = _C.stack([t.detach().norm(norm_type) for t in tensors])
    total = norms.norm(norm_type)
    if error_if_nonfinite and not bool(total.isfinite().item()):
        raise RuntimeError(f"The total norm of order {float(norm_type)} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient to [-clip_value, clip_value] in place."""
    grads = _grads(parameters)
    if grads:
        _C._clip_grad_value_(grads, float(clip_value))
