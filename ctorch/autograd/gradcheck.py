"""gradcheck / gradgradcheck: analytical gradients against float64 central
differences, as PyTorch's (a testing tool: it loops over elements on purpose)."""

from .. import _C


def _as_tuple(x):
    return (x,) if isinstance(x, _C._TensorBase) else tuple(x)


def _flat(t):
    import numpy as np
    return np.asarray(t.detach().double().numpy(), dtype=np.float64).ravel()


def _numerical(func, inputs, k, eps):
    """The Jacobian of every output with respect to inputs[k], by central differences."""
    import numpy as np
    from .grad_mode import no_grad

    x = inputs[k]
    cols = []

    def outputs_at(value, idx):
        with no_grad():   # writing into a leaf that requires grad
            x[idx] = value
        return np.concatenate([_flat(o) for o in _as_tuple(func(*inputs))])

    for idx in np.ndindex(*x.shape):
        orig = x[idx].item()
        plus, minus = outputs_at(orig + eps, idx), outputs_at(orig - eps, idx)
        outputs_at(orig, idx)
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _analytical(func, inputs, k):
    """The Jacobian of every output with respect to inputs[k], row by row through autograd.grad."""
    import numpy as np
    from . import grad

    outputs = [o for o in _as_tuple(func(*inputs))]
    rows = []
    for o in outputs:
        for idx in np.ndindex(*o.shape):
            onehot = _C.zeros_like(o)
            onehot[idx] = 1.0
            g, = grad(o, inputs[k], grad_outputs=onehot, retain_graph=True, allow_unused=True)
            rows.append(np.zeros(inputs[k].numel()) if g is None else _flat(g))
    return np.stack(rows, axis=0) if rows else np.zeros((0, 0))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """True when autograd's gradients of func at inputs match finite differences."""
    import numpy as np
    inputs = _as_tuple(inputs)
    for k, x in enumerate(inputs):
        if not (isinstance(x, _C._TensorBase) and x.requires_grad):
            continue
        if x.dtype != _C.float64:
            raise ValueError("gradcheck expects float64 inputs (finite differences need the precision)")
        num = _numerical(func, inputs, k, eps)
        ana = _analytical(func, inputs, k)
        if num.shape != ana.shape or not np.allclose(ana, num, rtol=rtol, atol=atol):
            if raise_exception:
                raise RuntimeError(f"Jacobian mismatch for output 0 with respect to input {k},\n"
                                   f"numerical:{num}\nanalytical:{ana}\n")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **unused):
    """gradcheck of the gradients themselves (create_graph=True backward)."""
    import numpy as np
    from . import grad

    inputs = _as_tuple(inputs)
    outputs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_C.tensor(rng.standard_normal(tuple(o.shape)), dtype=_C.float64).requires_grad_()
                             for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, _C._TensorBase) and x.requires_grad]
    n = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n], args[n:]
        gs = grad(_as_tuple(func(*ins)), [ins[i] for i in diff], grad_outputs=gos, create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
