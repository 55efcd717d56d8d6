"""ctorch.autograd: reverse-mode differentiation (the engine is C)."""
from .. import _C
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401,E402
from .function import Function, FunctionCtx  # noqa: F401,E402
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: F401,E402


def _tensors(x):
    return (x,) if isinstance(x, _C._TensorBase) else tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the .grad of the leaves (or of `inputs`)."""
    tensors = _tensors(tensors)
    if grad_tensors is not None:
        grad_tensors = _tensors(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _tensors(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _C._run_backward(tensors, grad_tensors, bool(retain_graph), bool(create_graph), inputs, True, True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, as a tuple (nothing accumulates in .grad)."""
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported")
    outputs = _tensors(outputs)
    inputs = _tensors(inputs)
    if grad_outputs is not None:
        grad_outputs = _tensors(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    allow_unused = bool(allow_unused) or materialize_grads
    result = _C._run_backward(outputs, grad_outputs, bool(retain_graph), bool(create_graph), inputs,
                              allow_unused, False)
    if materialize_grads:
        result = tuple(g if g is not None else _C.zeros_like(x) for g, x in zip(result, inputs))
    return result
from . import profiler  # noqa: F401,E402
