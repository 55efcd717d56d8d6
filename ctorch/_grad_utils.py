"""zero_grads: Module.zero_grad and Optimizer.zero_grad (PyTorch's semantics) in one place."""


def zero_grads(params, set_to_none=True):
    """Each parameter's .grad to None (default), or detached and zeroed in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()
