"""DataLoader worker processes: the loop each worker runs, how a batch's
tensors travel back (large ones through shared memory: the worker writes them
into a /dev/shm file once, the main process maps it and wraps the mapping as
a tensor, no copy), exceptions carried with their traceback, get_worker_info."""
import os
import queue
import random
import sys
import traceback


from ... import _C

__all__ = ["get_worker_info", "WorkerInfo"]

# tensors at least this big travel through shared memory; smaller ones are pickled
SHM_MIN_BYTES = 1 << 16
_HAS_SHM = os.path.isdir("/dev/shm")

_worker_info = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
        self.__keys = tuple(kwargs)

    def __setattr__(self, key, val):
        if getattr(self, "_WorkerInfo__keys", None) is not None:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


def get_worker_info():
    """The WorkerInfo of the current DataLoader worker, or None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, re-raised in the main process with the worker's traceback."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:   # KeyError quotes its message: keep it readable
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except TypeError:   # an exception whose constructor wants more: say so plainly
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterableDatasetStopIteration:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _SharedTensor:
    """A tensor copied into a new named shared-memory file (a 'file_system' storage of the C core,
    as ctorch.multiprocessing shares tensors): the file's name, nbytes, dtype and shape. The handle
    holds one count of the file while in flight, so the file lives until the main process opens it
    (or discards it); the last storage over it unlinks it."""

    def __init__(self, t):
        t = t.detach()
        self.dtype = str(t.dtype).split(".")[-1]
        self.shape = tuple(t.shape)
        self.nbytes = t.numel() * t.element_size()
        u8 = _C._new_shared(self.nbytes, "file_system")
        self._typed(u8).copy_(t)
        self.name = _C._shm_handle(u8)
        _C._shm_count(u8, 1)

    def _typed(self, u8):
        dtype = getattr(_C, self.dtype)
        return _C._tensor_on_bytes(u8, dtype, 0, (self.nbytes // dtype.itemsize,), (1,)).view(self.shape)

    def _take(self):
        """The bytes, mapped here; the count the handle held passes to them."""
        u8 = _C._storage_from_shm(self.name, self.nbytes)
        _C._shm_count(u8, -1)
        return u8

    def open(self):
        """The tensor over the mapped file (no copy)."""
        return self._typed(self._take())

    def discard(self):
        """Drop a handle that will never be opened: the file goes with its last count."""
        self._take()


def _to_shared(obj):
    """The batch with its large tensors replaced by _SharedTensor handles."""
    if isinstance(obj, _C._TensorBase):
        if _HAS_SHM and obj.device.type == "cpu" and obj.numel() * obj.element_size() >= SHM_MIN_BYTES:
            return _SharedTensor(obj)
        return obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to_shared(o) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_shared(o) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to_shared(v)) for k, v in obj.items())
    return obj


def from_shared(obj):
    """The inverse of _to_shared, in the main process."""
    if isinstance(obj, _SharedTensor):
        return obj.open()
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(from_shared(o) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_shared(o) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, from_shared(v)) for k, v in obj.items())
    return obj


def discard_shared(obj):
    """Unlink the files of a batch that will never be read (shutdown with results in flight)."""
    if isinstance(obj, _SharedTensor):
        try:
            obj.discard()
        except RuntimeError:   # already gone
            pass
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            discard_shared(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            discard_shared(o)


def _seed_worker(base_seed, worker_id):
    import numpy as np
    seed = base_seed + worker_id
    random.seed(seed)
    _C.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


def _numpy_seed(base_seed, worker_id):
    """A 32-bit NumPy seed per worker (NumPy wants < 2**32)."""
    return (base_seed + worker_id * 0x9E3779B97F4A7C15) % (2 ** 32)


def worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers):
    """Fetch the index lists of index_queue, put (task id, batch or ExceptionWrapper) on data_queue, until a
    None task or done_event."""
    global _worker_info
    # one thread, as PyTorch's workers: GNU OpenMP's thread pool does not survive fork(), and the first
    # parallel region of a worker whose parent had used it would wait forever
    _C.set_num_threads(1)
    parent = os.getppid()
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:  # noqa: BLE001 - reported with the first batch
            init_exception = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            try:
                task = index_queue.get(timeout=5.0)
            except queue.Empty:
                # the main process asked us to stop, or it is gone (killed, os._exit): no orphan workers
                if done_event.is_set() or os.getppid() != parent:
                    break
                continue
            if task is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = task
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = _to_shared(fetcher.fetch(index))
                except StopIteration:
                    iteration_end = True
                    data = _IterableDatasetStopIteration(worker_id)
                except Exception:  # noqa: BLE001 - carried to the main process
                    data = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.iterator))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.iterator)
        return self.collate_fn(data)


def make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _MapFetcher if kind == "map" else _IterableFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
