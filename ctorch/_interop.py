"""Memory shared with NumPy and DLPack producers."""
from . import _C
from ._warn_once import warn_once


def from_numpy(ndarray):
    """A tensor sharing ndarray's memory (negative strides are refused, as in PyTorch)."""
    import numpy as np

    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.byteorder == ">":
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion between "
                         "byte orders is currently not supported.")
    if not ndarray.flags.writeable:
        warn_once("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. This "
                  "means writing to this tensor will result in undefined behavior. You may want to copy the array "
                  "to protect its data or make it writable before converting it to a tensor. This type of warning "
                  "will be suppressed for the rest of this program.")
    return _C._from_buffer(ndarray)


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of a DLPack producer (an object with __dlpack__, or a capsule)."""
    return _C._from_dlpack(ext_tensor)
