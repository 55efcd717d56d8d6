"""Legacy tensor types (FloatTensor, ...) and default-type setters."""
from . import _C
from ._tensor import Tensor, _dtype_from_type_arg
from ._warn_once import warn_once


class _LegacyTensorMeta(type):
    """isinstance(t, FloatTensor) is true for CPU float32 tensors, as in PyTorch."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and not obj.is_cuda

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_type(name, dt):
    def __new__(cls, *args, device=None):
        if len(args) == 1 and not isinstance(args[0], (int, _C.Size)):
            if isinstance(args[0], Tensor):
                return args[0].to(dt)
            return _C.tensor(args[0], dtype=dt, device=device)
        if len(args) == 1 and isinstance(args[0], _C.Size):
            args = tuple(args[0])
        return _C.empty(*args, dtype=dt, device=device) if args else _C.empty(0, dtype=dt, device=device)

    return _LegacyTensorMeta(name, (), {"dtype": dt, "__new__": __new__, "__module__": "ctorch"})


FloatTensor = _legacy_type("FloatTensor", _C.float32)
DoubleTensor = _legacy_type("DoubleTensor", _C.float64)
HalfTensor = _legacy_type("HalfTensor", _C.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", _C.bfloat16)
LongTensor = _legacy_type("LongTensor", _C.int64)
IntTensor = _legacy_type("IntTensor", _C.int32)
ShortTensor = _legacy_type("ShortTensor", _C.int16)
CharTensor = _legacy_type("CharTensor", _C.int8)
ByteTensor = _legacy_type("ByteTensor", _C.uint8)
BoolTensor = _legacy_type("BoolTensor", _C.bool)


def set_default_dtype(d):
    """Set the dtype of Python floats and of factories without dtype= (floating dtypes only)."""
    _C.set_default_dtype(d)


def set_default_tensor_type(t):
    """The legacy way to set the default dtype: set_default_tensor_type(torch.DoubleTensor)."""
    warn_once("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
              "torch.set_default_dtype() and torch.set_default_device() as alternatives.")
    dt = _dtype_from_type_arg(t)
    if not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _C.set_default_dtype(dt)
