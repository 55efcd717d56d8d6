"""Memory shared with NumPy and DLPack producers."""
from . import _C


def from_numpy(ndarray):
    """A tensor sharing ndarray's memory (negative strides are refused, as in PyTorch)."""
    import numpy as np

    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.byteorder == ">":
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion between "
                         "byte orders is currently not supported.")
    return _C._from_buffer(ndarray)


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of a DLPack producer (an object with __dlpack__, or a capsule)."""
    return _C._from_dlpack(ext_tensor)
