"""default_collate and default_convert: PyTorch's rules for turning a list of
samples into a batch (tensors stacked, NumPy arrays and numbers made tensors,
mappings, named tuples and sequences collated field by field)."""
import collections.abc
import re

from ... import _C

__all__ = ["default_collate", "default_convert"]

_NP_STR = re.compile(r"[SaUO]")
_ELEM_TYPE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _is_tensor(x):
    return isinstance(x, _C._TensorBase)


def default_convert(data):
    """Samples as tensors (NumPy arrays converted), structure kept; for batch_size=None."""
    t = type(data)
    if _is_tensor(data):
        return data
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_"):
        if t.__name__ == "ndarray" and _NP_STR.search(data.dtype.str) is not None:
            return data
        return _C.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return t({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return t([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """A batch from a list of samples of one structure."""
    elem = batch[0]
    t = type(elem)
    if _is_tensor(elem):
        return _C.stack(batch, 0)
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_"):
        if t.__name__ in ("ndarray", "memmap"):
            if _NP_STR.search(elem.dtype.str) is not None:
                raise TypeError(_ELEM_TYPE_ERR.format(elem.dtype))
            return default_collate([_C.as_tensor(b) for b in batch])
        if elem.shape == ():   # NumPy scalars
            return _C.as_tensor(batch)
    if isinstance(elem, bool):
        return _C.tensor(batch)
    if isinstance(elem, float):
        return _C.tensor(batch, dtype=_C.float64)
    if isinstance(elem, int):
        return _C.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return t({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return t(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return t([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ELEM_TYPE_ERR.format(t))
