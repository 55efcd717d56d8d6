"""autograd.Function: an op whose forward and backward are written in Python
(with ctorch ops); the engine calls the backward through a C node."""
from .. import _C
from .grad_mode import no_grad


class FunctionCtx:
    """The `ctx` of forward/backward: saved tensors and flags."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self._non_differentiable = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass   # in-place outputs keep working: their new history comes from this node

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class Function:
    """Subclass with static forward(ctx, *args) and backward(ctx, *grads); call Cls.apply(*args)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, _C._TensorBase) and a.requires_grad for a in args)
        with no_grad():
            output = cls.forward(ctx, *args)
        if isinstance(output, tuple):
            raise NotImplementedError("autograd.Function with several outputs is not supported yet")
        positions = [i for i, a in enumerate(args) if isinstance(a, _C._TensorBase)]
        if not isinstance(output, _C._TensorBase) or id(output) in ctx._non_differentiable:
            return output
        if output.requires_grad:   # forward returned an input (or a view of one): give the output its own node
            output = output.detach()

        def backward(grad):
            grads = cls.backward(ctx, grad)
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(args):
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                                   f"(expected {len(args)}, got {len(grads)})")
            return tuple(grads[i] for i in positions)

        _C._record_function(output, [args[i] for i in positions], backward, cls.__name__ + "Backward")
        return output
