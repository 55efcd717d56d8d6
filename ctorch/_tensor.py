"""ctorch.Tensor: the Python face of the C tensor type.

The C base (_C._TensorBase) holds every op; this class adds what is Python
structure only: printing, NumPy and DLPack protocols, legacy type strings.
"""
from . import _C, _tensor_str

# the legacy type name of each dtype ('Float' for float32, ...)
_LEGACY_NAMES = {
    _C.float32: "Float", _C.float64: "Double", _C.float16: "Half", _C.bfloat16: "BFloat16",
    _C.int64: "Long", _C.int32: "Int", _C.int16: "Short", _C.int8: "Char", _C.uint8: "Byte", _C.bool: "Bool",
}
_DTYPE_OF_LEGACY = {name: dt for dt, name in _LEGACY_NAMES.items()}

# NumPy's typestr of each dtype, for __array_interface__
_TYPESTR = {
    _C.float32: "<f4", _C.float64: "<f8", _C.float16: "<f2", _C.int64: "<i8", _C.int32: "<i4",
    _C.int16: "<i2", _C.int8: "|i1", _C.uint8: "|u1", _C.bool: "|b1",
}


def _dtype_from_type_arg(arg):
    """The dtype named by a legacy type: a class like FloatTensor, 'torch.FloatTensor', or a dtype."""
    if isinstance(arg, _C.dtype):
        return arg
    name = arg if isinstance(arg, str) else getattr(arg, "__name__", None)
    if isinstance(arg, type) and hasattr(arg, "dtype") and isinstance(arg.dtype, _C.dtype):
        return arg.dtype
    if isinstance(name, str):
        base = name.rsplit(".", 1)[-1]
        if base.endswith("Tensor") and base[:-6] in _DTYPE_OF_LEGACY:
            return _DTYPE_OF_LEGACY[base[:-6]]
    raise ValueError(f"invalid type: '{arg}'")


class _RemovableHandle:
    """What register_hook returns: remove() takes the hook off again."""

    def __init__(self, tensor, hook_id):
        self._tensor, self.id = tensor, hook_id

    def remove(self):
        _C._remove_hook(self._tensor, self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Tensor(_C._TensorBase):
    __module__ = "ctorch"
    # make NumPy defer mixed operations (ndarray + tensor) to the tensor
    __array_priority__ = 1000

    def __repr__(self, *, tensor_contents=None):
        return _tensor_str.tensor_repr(self)

    def __format__(self, format_spec):
        if self.dim() == 0 and format_spec:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __contains__(self, element):
        return bool((self == element).any().item())

    def __deepcopy__(self, memo):
        """A new leaf with a copy of the data, requires_grad and .grad (graph leaves only, as in PyTorch)."""
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) not in memo:
            new = self.detach().clone().requires_grad_(self.requires_grad)
            if self.grad is not None:
                new.grad = self.grad.__deepcopy__(memo)
            memo[id(self)] = new
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        """Pickling (copy, multiprocessing queues): the values as a NumPy array, the dtype and requires_grad.
        Checkpoints use ctorch.save, PyTorch's zip format, instead."""
        t = self.detach().cpu()
        values = (t.float() if t.dtype == _C.bfloat16 else t).numpy().copy()
        return _rebuild_tensor, (values, str(self.dtype), self.requires_grad, str(self.device))

    def share_memory_(self):
        """Move the storage into shared memory (in place: views keep seeing it); a no-op on CUDA."""
        if not self.is_cuda:
            from . import multiprocessing
            _C._share_memory(self, multiprocessing.get_sharing_strategy())
        return self

    def is_shared(self):
        return self.is_cuda or _C._is_shared(self)

    def __reversed__(self):
        if self.dim() == 0:
            return self
        return iter([self[i] for i in range(self.shape[0] - 1, -1, -1)])

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the leaves' .grad."""
        from . import autograd

        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call hook(grad) whenever this tensor's gradient is computed; it may return a replacement."""
        return _RemovableHandle(self, _C._register_hook(self, hook))

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """The legacy type string ('torch.FloatTensor'), or a copy converted to a type."""
        if dtype is None:
            prefix = "torch.cuda." if self.is_cuda else "torch."
            return prefix + _LEGACY_NAMES[self.dtype] + "Tensor"
        return self.to(_dtype_from_type_arg(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        return self.to("cuda" if device is None else device)

    def numpy(self, *, force=False):
        """A NumPy array sharing this tensor's memory."""
        import numpy as np

        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self.dtype == _C.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        if self.is_cuda:
            if not force:
                raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
                                "tensor to host memory first.")
            return self.cpu().numpy()
        return np.asarray(self)

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        array = self.numpy()
        if dtype is not None and np.dtype(dtype) != array.dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return array.astype(dtype)
        return array.copy() if copy else array

    @property
    def __array_interface__(self):
        if self.dtype not in _TYPESTR:
            raise TypeError(f"Got unsupported ScalarType {_LEGACY_NAMES[self.dtype]}")
        if self.is_cuda:
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() first.")
        strides = None if self.is_contiguous() else tuple(s * self.element_size() for s in self.stride())
        return {
            "shape": tuple(self.shape),
            "typestr": _TYPESTR[self.dtype],
            "data": (self.data_ptr() if self.numel() else 0, False),
            "strides": strides,
            "version": 3,
        }


def _rebuild_tensor(values, dtype, requires_grad, device):
    """The inverse of Tensor.__reduce_ex__."""
    t = _C.tensor(values).to(getattr(_C, dtype.split(".")[-1]))
    if device != "cpu":
        t = t.to(device)
    return t.requires_grad_(requires_grad)
