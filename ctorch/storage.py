"""Storages: the flat memory behind tensors, as PyTorch's checkpoints name it.

ctorch keeps storages inside its C core; these classes are their Python face
for checkpoints. An UntypedStorage is bytes on a device (a 1-D uint8 tensor
over one C storage, or over part of one); a map_location callable receives
one. A TypedStorage reads those bytes as a dtype. The legacy classes
(FloatStorage, ...) are what a checkpoint's persistent ids name, one per dtype.
"""
from . import _C
from ._tensor import _LEGACY_NAMES


class UntypedStorage:
    """Bytes on a device. UntypedStorage(nbytes, device=None) allocates them
    (uninitialized, as in PyTorch)."""

    def __init__(self, nbytes=0, *, device=None):
        self._bytes = _C.empty(nbytes, dtype=_C.uint8, device=device)
        self._key = None

    @classmethod
    def _wrap(cls, u8, key=None):
        """The storage holding the 1-D uint8 tensor u8 (its memory shared); key names the C storage."""
        s = cls.__new__(cls)
        s._bytes, s._key = u8, key
        return s

    @classmethod
    def _of(cls, tensor):
        """The whole storage of a tensor (what a checkpoint saves for it)."""
        key, u8 = _C._storage_bytes(tensor)
        return cls._wrap(u8, key)

    @property
    def device(self):
        return self._bytes.device

    @property
    def is_cuda(self):
        return self._bytes.is_cuda

    def nbytes(self):
        return self._bytes.numel()

    def size(self):
        return self.nbytes()

    def __len__(self):
        return self.nbytes()

    def element_size(self):
        return 1

    def data_ptr(self):
        return self._bytes.data_ptr() if self.nbytes() else 0

    def to(self, device=None, non_blocking=False):
        return self if device is None else UntypedStorage._wrap(self._bytes.to(device))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else device)

    def share_memory_(self):
        """Move these bytes (their whole C storage) into shared memory, in place; a no-op on CUDA."""
        if not self.is_cuda:
            from . import multiprocessing
            _C._share_memory(self._bytes, multiprocessing.get_sharing_strategy())
        return self

    def is_shared(self):
        return self.is_cuda or _C._is_shared(self._bytes)

    def tolist(self):
        return self._bytes.tolist()

    def __getitem__(self, index):
        """A slice is a storage over part of these bytes (shared); an int is one byte's value."""
        if isinstance(index, slice):
            return UntypedStorage._wrap(self._bytes[index], None)
        return self._bytes[index].item()

    def __repr__(self):
        return f"[torch.storage.UntypedStorage(device={self.device}) of size {self.nbytes()}]"


class TypedStorage:
    """An UntypedStorage read as elements of a dtype (what a tensor's pickle refers to).
    TypedStorage(size, dtype=None, device=None) allocates `size` elements."""

    dtype = None  # the legacy subclasses fix it

    def __init__(self, size=0, *, dtype=None, device=None, wrap_storage=None):
        if dtype is not None:
            self.dtype = dtype
        elif self.dtype is None:
            self.dtype = _C.get_default_dtype()
        if wrap_storage is None:
            wrap_storage = UntypedStorage(size * self.element_size(), device=device)
        self._untyped_storage = wrap_storage

    def untyped(self):
        return self._untyped_storage

    def element_size(self):
        return self.dtype.itemsize

    @property
    def device(self):
        return self._untyped_storage.device

    def size(self):
        return self._untyped_storage.nbytes() // self.element_size()

    def __len__(self):
        return self.size()

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def __repr__(self):
        return f"[torch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size {self.size()}]"


def _legacy_class(dtype):
    name = _LEGACY_NAMES[dtype] + "Storage"
    return type(name, (TypedStorage,), {"dtype": dtype, "__module__": "ctorch", "__qualname__": name})


# FloatStorage, DoubleStorage, ...: one class per dtype, as torch.FloatStorage
LEGACY_CLASSES = {dtype: _legacy_class(dtype) for dtype in _LEGACY_NAMES}
globals().update({cls.__name__: cls for cls in LEGACY_CLASSES.values()})
