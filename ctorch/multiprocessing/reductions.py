"""Pickling of tensors and storages between processes (ForkingPickler): the
storage moves to shared memory and a handle travels instead of the bytes.

A handle is (fd, nbytes) under 'file_descriptor', the fd sent with
multiprocessing's DupFd (passed to a spawned child, or served by the sender's
resource sharer), or (file name, nbytes) under 'file_system', where the handle
in flight holds one count of the file until the receiver has opened it; an
empty storage under 'file_descriptor' travels as (None, 0), a new empty one.
A storage that this process already holds is not mapped again: the received
tensor shares it, as in PyTorch."""
import os
import weakref
from multiprocessing.reduction import DupFd, ForkingPickler

from .. import _C

__all__ = ["init_reductions", "reduce_tensor", "rebuild_tensor", "reduce_storage", "rebuild_storage"]

_NON_LEAF_MESSAGE = (
    "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support crossing "
    "process boundaries.  If you just want to transfer the data, call detach() on the tensor before serializing "
    "(e.g., putting it on the queue).")


# a tensor over each shared storage this process holds, by file ((st_dev, st_ino) of an fd, or the
# file name): tensors of one storage received here share one storage again, as in PyTorch
_shared_cache = weakref.WeakValueDictionary()


def _fd_key(fd):
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _share_bytes(t):
    """The handle of t's whole storage, moved into shared memory first when it is not there."""
    from . import get_sharing_strategy
    strategy = get_sharing_strategy()
    nbytes = _C._storage_bytes(t)[1].numel()
    if nbytes == 0 and strategy == "file_descriptor":
        return None, 0   # as PyTorch: an empty storage travels as a new empty one
    _C._share_memory(t, strategy)
    handle = _C._shm_handle(t)
    if isinstance(handle, str):
        _shared_cache.setdefault(handle, t)
        _C._shm_count(t, 1)
        return handle, nbytes
    _shared_cache.setdefault(_fd_key(handle), t)
    return DupFd(handle), nbytes


def _receive(handle, nbytes):
    """(the file's cache key or None, a 1-D uint8 tensor over the whole storage a handle names): the
    storage this process already holds for that file, else a new mapping of it."""
    if handle is None:
        return None, _C.empty(0, dtype=_C.uint8)
    fd = None if isinstance(handle, str) else handle.detach()
    try:
        key = handle if fd is None else _fd_key(fd)
        held = _shared_cache.get(key)
        if held is not None:
            u8 = _C._storage_bytes(held)[1]
        else:
            u8 = _C._storage_from_shm(handle if fd is None else fd, nbytes)
    finally:
        if fd is not None:
            os.close(fd)
    if fd is None:
        _C._shm_count(u8, -1)   # the count the handle held: this process holds its own
    return key, u8


def _check_cpu(device):
    if device.type != "cpu":
        raise NotImplementedError(f"ctorch.multiprocessing shares CPU tensors only, not {device.type} tensors")


def reduce_tensor(t):
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError(_NON_LEAF_MESSAGE)
    _check_cpu(t.device)
    dtype = str(t.dtype).split(".")[-1]
    return rebuild_tensor, (type(t), _share_bytes(t), dtype, t.storage_offset(), tuple(t.shape), t.stride(),
                            t.requires_grad)


def rebuild_tensor(cls, handle, dtype, offset, size, stride, requires_grad):
    from ..nn.parameter import Parameter
    key, u8 = _receive(*handle)
    t = _C._tensor_on_bytes(u8, getattr(_C, dtype), offset, size, stride)
    t = cls(t, requires_grad) if issubclass(cls, Parameter) else t.requires_grad_(requires_grad)
    if key is not None:
        _shared_cache.setdefault(key, t)
    return t


def reduce_storage(storage):
    _check_cpu(storage.device)
    u8 = storage._bytes
    return rebuild_storage, (type(storage), _share_bytes(u8), u8.storage_offset(), u8.numel())


def rebuild_storage(cls, handle, offset, nbytes):
    key, u8 = _receive(*handle)
    u8 = u8[offset:offset + nbytes]
    if key is not None:
        _shared_cache.setdefault(key, u8)
    return cls._wrap(u8)


def init_reductions():
    from .. import Tensor
    from ..nn.parameter import Parameter
    from ..storage import UntypedStorage
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)
    ForkingPickler.register(UntypedStorage, reduce_storage)
