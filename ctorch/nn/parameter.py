"""nn.Parameter and nn.Buffer: tensors a Module registers when assigned as attributes."""
from .. import _C
from .._tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a module parameter: it shares data's memory and
    requires grad by default; assigning it to a Module attribute registers it."""

    __module__ = "ctorch.nn.parameter"

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        if not isinstance(data, _C._TensorBase):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        p = _C._make_subclass(cls, data.detach())
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.data.clone(), self.requires_grad)
        return memo[id(self)]

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return _rebuild_parameter, (self.data, self.requires_grad)


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor as a buffer when assigned to a Module attribute
    (nn.Buffer(t, persistent=True)); the module stores a plain tensor."""

    __module__ = "ctorch.nn.parameter"

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _C.empty(0)
        b = _C._make_subclass(cls, data.detach())
        b.requires_grad_(data.requires_grad)
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent=True):
        pass
