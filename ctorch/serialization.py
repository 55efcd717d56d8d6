"""ctorch.save and ctorch.load: checkpoints in PyTorch's formats (docs/interop-formats.md section 1).

Files move both ways: torch.load reads what ctorch.save writes (with
weights_only=True too) and ctorch.load reads PyTorch's zip checkpoints and its
legacy pre-1.6 format. A pickle names PyTorch's globals ('torch._utils
_rebuild_tensor_v2', 'torch FloatStorage', 'torch float32', ...); one table
maps each to its ctorch object, for writing and for reading. Loading is
restricted by default (weights_only): only that table's globals and those
allowed with add_safe_globals can be loaded, so a file cannot run code.
Storage bytes move with one C-level copy: the file is read straight into a
new tensor's memory, and a tensor's memory is written as it is.
"""
import _codecs
import _compat_pickle
import collections
import contextlib
import io
import os
import pickle
import pickletools
import re
import stat
import struct
import sys
import types
import warnings

from . import _C, storage as _storage
from ._checkpoint_zip import ZipReader, ZipWriter, _read_fully
from ._tensor import _LEGACY_NAMES, Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "default_restore_location", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C     # the legacy format's first pickle
PROTOCOL_VERSION = 1001
UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from `False` to "
    "`True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can result in "
    "arbitrary code execution. Do it only if you got the file from a trusted source.")
_DOCS_MESSAGE = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
                 "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
# where PyTorch's dtypes, storages and tensor rebuilds live: a name there ctorch lacks is a data type
# it cannot hold (complex, uint16, sparse, quantized, ...)
_TORCH_DATA_MODULES = ("torch", "torch._utils", "torch._tensor", "torch.storage")


# ---------------------------------------------------------------- rebuilding tensors (PyTorch's torch._utils)

def _rebuild_tensor(storage, storage_offset, size, stride):
    untyped = storage._untyped_storage
    return _C._tensor_on_bytes(untyped._bytes, storage.dtype, storage_offset, tuple(size), tuple(stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    if metadata:
        raise RuntimeError(f"ctorch cannot load tensors with the conjugate or negative bit set ({metadata})")
    return _rebuild_tensor(storage, storage_offset, size, stride).requires_grad_(bool(requires_grad))


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    typed = _storage.TypedStorage(dtype=dtype, wrap_storage=getattr(storage, "_untyped_storage", storage))
    return _rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, backward_hooks, metadata)


def _set_obj_state(obj, state):
    """Set the attributes a tensor was pickled with: {name: value}, or (that, slot values)."""
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for values in (dict_state, slots_state):
        for k, v in (values or {}).items():
            setattr(obj, k, v)
    return obj


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn import Parameter

    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """A tensor subclass, or a tensor with Python attributes."""
    ret = func(*args)
    if type(ret) is not new_type:
        if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
            raise pickle.UnpicklingError(f"expected a Tensor subclass, got {new_type!r}")
        ret = _C._make_subclass(new_type, ret)
    return _set_obj_state(ret, state)


# ---------------------------------------------------------------- the two-way table of global names

def _torch_globals():
    """{(module, name) in PyTorch: ctorch object}; the first name of an object is the one saved."""
    from . import _legacy, nn

    table = {("torch._utils", f.__name__): f for f in (
        _rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter, _rebuild_parameter_with_state)}
    table[("torch._tensor", "_rebuild_from_type_v2")] = _rebuild_from_type_v2
    table.update({("torch", str(d)[len("torch."):]): d for d in _LEGACY_NAMES})
    table.update({("torch", cls.__name__): cls for cls in _storage.LEGACY_CLASSES.values()})
    table.update({("torch", name + "Tensor"): getattr(_legacy, name + "Tensor") for name in _LEGACY_NAMES.values()})
    table.update({("torch.storage", "UntypedStorage"): _storage.UntypedStorage,
                  ("torch.storage", "TypedStorage"): _storage.TypedStorage,
                  ("torch", "UntypedStorage"): _storage.UntypedStorage,
                  ("torch", "TypedStorage"): _storage.TypedStorage,
                  ("torch", "Size"): _C.Size, ("torch", "device"): _C.device, ("torch", "Tensor"): Tensor,
                  ("torch.nn.parameter", "Parameter"): nn.Parameter, ("torch.nn.parameter", "Buffer"): nn.Buffer})
    return table


# what else weights_only accepts (PyTorch's _get_allowed_globals beyond torch's own)
_PLAIN_GLOBALS = {("collections", "OrderedDict"): collections.OrderedDict,
                  ("collections", "Counter"): collections.Counter, ("_codecs", "encode"): _codecs.encode,
                  ("builtins", "bytearray"): bytearray, ("builtins", "set"): set, ("builtins", "complex"): complex}
_TABLE = None


def _table():
    """(torch name -> ctorch object, id(ctorch object) -> torch name), built on first use (nn imports late)."""
    global _TABLE
    if _TABLE is None:
        to_ctorch = _torch_globals()
        to_torch = {}
        for key, obj in to_ctorch.items():
            to_torch.setdefault(id(obj), key)
        _TABLE = to_ctorch, to_torch
    return _TABLE


# ---------------------------------------------------------------- safe globals (weights_only allowlist)

_safe_globals = []


def add_safe_globals(safe_globals):
    """Allow these globals (objects, or (object, "module.name") pairs) in weights_only loads."""
    _safe_globals.extend(safe_globals)


def get_safe_globals():
    return list(_safe_globals)


def clear_safe_globals():
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow these globals in weights_only loads inside the with block."""
    saved = list(_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = saved


def _user_globals():
    out = {}
    for g in _safe_globals:
        if isinstance(g, tuple):
            out[g[1]] = g[0]
        else:
            out[f"{g.__module__}.{g.__qualname__}"] = g
    return out


# ---------------------------------------------------------------- saving

_STORAGE_CLASSES = frozenset((_storage.TypedStorage, _storage.UntypedStorage, *_storage.LEGACY_CLASSES.values()))


class _Reductions:
    """PyTorch's reductions, for both picklers: a tensor becomes a torch._utils rebuild call, a
    device torch.device(type, index) (not 'cuda:1'); a storage becomes a persistent id."""

    def __init__(self, file, protocol, persistent_id):
        super().__init__(file, protocol)
        self._persistent_id = persistent_id

    def persistent_id(self, obj):
        return self._persistent_id(obj) if type(obj) in _STORAGE_CLASSES else None

    def reducer_override(self, obj):
        if isinstance(obj, _C._TensorBase):
            return _reduce_tensor(obj)
        if type(obj) is _C.device:
            return _C.device, (obj.type,) if obj.index is None else (obj.type, obj.index)
        return NotImplemented


class _CPickler(_Reductions, pickle.Pickler):
    """The C pickler: fast, but it names ctorch's globals by their ctorch names (see _pickle)."""


class _PurePickler(_Reductions, pickle._Pickler):
    """The pure-Python pickler, writing PyTorch's names for ctorch's globals itself."""

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[types.FunctionType] = lambda self, obj: self.save_global(obj)

    def save_global(self, obj, name=None):
        torch_name = _table()[1].get(id(obj)) or _compat_name(obj)
        if torch_name is None:
            return super().save_global(obj, name)
        module, qualname = torch_name
        if self.proto >= 4:
            self.save(module)
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode())
        self.memoize(obj)


def _compat_installed():
    compat = sys.modules.get("ctorch.compat")
    return compat is not None and compat.installed()


def _compat_name(obj):
    """Under ctorch.compat, PyTorch's (module, qualname) of a ctorch global the table lacks (a whole
    model's classes: ctorch.nn.modules.linear -> torch.nn.modules.linear), so that PyTorch loads it."""
    if not _compat_installed():
        return None
    from .compat import ALIASES
    module = getattr(obj, "__module__", None) or ""
    for theirs, ours in sorted(ALIASES.items(), key=lambda alias: -len(alias[1])):   # ctorch.vision first
        if module == ours or module.startswith(ours + "."):
            return theirs + module[len(ours):], obj.__qualname__
    return None


_RENAMES = None


def _renames():
    """{id(ctorch object): (its GLOBAL as the C pickler writes it, PyTorch's GLOBAL)}."""
    global _RENAMES
    if _RENAMES is None:
        _RENAMES = {}
        to_ctorch, to_torch = _table()
        for obj in to_ctorch.values():
            ours = next(arg for op, arg, _ in pickletools.genops(pickle.dumps(obj, 2)) if op.name == "GLOBAL")
            theirs = " ".join(to_torch[id(obj)])
            _RENAMES[id(obj)] = tuple(b"c" + name.replace(" ", "\n").encode() + b"\n" for name in (ours, theirs))
    return _RENAMES


def _pickle(obj, protocol, persistent_id):
    """obj's pickle, naming PyTorch's globals (all of ctorch's under ctorch.compat, see _compat_name).
    Protocols up to 3 write each global once, as
    GLOBAL 'module\\nname\\n', and memoize it: the C pickler's output is used with the ctorch names
    of the globals in its memo replaced, when each occurs once (else a string holds one by chance).
    Otherwise the pure-Python pickler writes the pickle."""
    if protocol <= 3 and not _compat_installed():
        buf = io.BytesIO()
        pickler = _CPickler(buf, protocol, persistent_id)
        pickler.dump(obj)
        data = buf.getvalue()
        renames = _renames()
        swap = dict(renames[key] for key in {id(o) for _, o in pickler.memo.copy().values()} & renames.keys())
        if all(data.count(ours) == 1 for ours in swap):
            return re.sub(b"|".join(map(re.escape, swap)), lambda m: swap[m.group(0)], data) if swap else data
    buf = io.BytesIO()
    _PurePickler(buf, protocol, persistent_id).dump(obj)
    return buf.getvalue()


def _obj_state(obj):
    return dict(obj.__dict__) or None


def _reduce_tensor(t):
    """PyTorch's Tensor.__reduce_ex__ / Parameter.__reduce_ex__ (torch/_tensor.py, nn/parameter.py)."""
    from .nn import Parameter

    state = _obj_state(t)
    if isinstance(t, Parameter):
        hooks = collections.OrderedDict()
        if state is None:
            return _rebuild_parameter, (t.data, t.requires_grad, hooks)
        return _rebuild_parameter_with_state, (t.data, t.requires_grad, hooks, state)
    typed = _storage.TypedStorage(dtype=t.dtype, wrap_storage=_storage.UntypedStorage._of(t))
    args = (typed, t.storage_offset(), tuple(t.size()), t.stride(), t.requires_grad, collections.OrderedDict())
    if type(t) is Tensor and state is None:
        return _rebuild_tensor_v2, args
    return _rebuild_from_type_v2, (_rebuild_tensor_v2, type(t), args, state)


class _StorageTable:
    """The storages a pickle refers to, keyed as PyTorch keys them ("0", "1", ... in first-seen order;
    legacy: the storage's address), with PyTorch's check that a storage is read as one dtype."""

    def __init__(self, legacy):
        self.legacy = legacy
        self.storages = {}   # key -> (UntypedStorage, dtype)
        self._keys, self._dtypes = {}, {}

    def persistent_id(self, obj):
        if isinstance(obj, _storage.TypedStorage):
            untyped, dtype = obj._untyped_storage, obj.dtype
            storage_type, numel = _storage.LEGACY_CLASSES[dtype], untyped.nbytes() // dtype.itemsize
        else:
            untyped, dtype, storage_type, numel = obj, _C.uint8, _storage.UntypedStorage, obj.nbytes()
        ident = untyped._key if untyped._key is not None else id(untyped)
        if untyped.nbytes() and self._dtypes.setdefault(ident, dtype) != dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        key = self._keys.setdefault(ident, str(ident) if self.legacy else str(len(self._keys)))
        self.storages.setdefault(key, (untyped, dtype))
        device = untyped.device
        location = "cpu" if device.type == "cpu" else f"{device.type}:{device.index or 0}"
        if self.legacy:
            return "storage", storage_type, key, location, numel, None
        return "storage", storage_type, key, location, numel


def _cpu_bytes(untyped):
    """The storage's bytes as a CPU buffer (no copy for CPU storages)."""
    return memoryview(untyped._bytes.cpu())


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _archive_name(path):
    """PyTorch's record folder for a path: the basename without its last extension ('archive' for a
    non-ASCII path, which PyTorch writes through a Python file)."""
    if not path.isascii():
        return "archive"
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    name = base.rsplit(".", 1)[0] if "." in base else base
    if not name:
        raise RuntimeError(f"invalid file name: {path}")
    return name


def _serialization_id_prefix():
    """The first 20 digits of .data/serialization_id: PyTorch derives them from its RNG seed; this is a
    splitmix64 of ctorch's seed, so the same seed and contents give the same bytes."""
    z = (_C.initial_seed() + 0x9E3779B97F4A7C15) & ((1 << 64) - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & ((1 << 64) - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & ((1 << 64) - 1)
    return z ^ (z >> 31)


def _save_zip(obj, f, archive, pickle_protocol, byteorder_record):
    table = _StorageTable(legacy=False)
    data = _pickle(obj, pickle_protocol, table.persistent_id)
    writer = ZipWriter(f, archive)
    writer.write_record("data.pkl", data)
    writer.write_record(".format_version", b"1")
    writer.write_record(".storage_alignment", b"64")
    if byteorder_record:
        writer.write_record("byteorder", sys.byteorder.encode())
    for key, (untyped, _) in table.storages.items():
        writer.write_record(f"data/{key}", _cpu_bytes(untyped))
    writer.finish(_serialization_id_prefix())


def _save_legacy(obj, f, pickle_protocol):
    """The pre-1.6 format: magic number, protocol version, sys info, the object, its storage keys,
    then each storage as an int64 element count and its bytes."""
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": struct.calcsize("=h"), "int": struct.calcsize("=i"),
                               "long": struct.calcsize("=l")}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(header, f, protocol=pickle_protocol)
    table = _StorageTable(legacy=True)
    f.write(_pickle(obj, pickle_protocol, table.persistent_id))
    keys = sorted(table.storages)
    pickle.dump(keys, f, protocol=pickle_protocol)
    for key in keys:
        untyped, dtype = table.storages[key]
        f.write(struct.pack("<q", untyped.nbytes() // dtype.itemsize))
        f.write(_cpu_bytes(untyped))


@contextlib.contextmanager
def _atomic_file(path):
    """A new file beside path (beside a symlink's target) that replaces it only once completely
    written and synced to disk, so a failed save leaves the previous checkpoint intact."""
    target = os.path.realpath(path)
    folder, base = os.path.split(target)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or folder} does not exist.")
    for attempt in range(100):
        tmp = os.path.join(folder, f".{base}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"could not create a temporary file beside {path}")
    try:
        if os.path.exists(target):   # keep the old file's permissions, as writing it in place would
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        with open(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save obj (tensors, Parameters, dicts, OrderedDicts, lists, tuples, numbers, strings, ...) to f,
    a path or a writable binary file object, in PyTorch's checkpoint format. A path is written
    atomically. pickle_module is accepted for compatibility: ctorch's own pickler writes the pickle."""
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    if _is_path(f):
        path = os.fspath(f)
        archive = _archive_name(path) if _use_new_zipfile_serialization else None
        with _atomic_file(path) as out:
            _save_to(obj, out, archive, pickle_protocol, not _disable_byteorder_record)
    else:
        if not callable(f.write):
            raise TypeError(f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'")
        archive = "archive" if _use_new_zipfile_serialization else None
        _save_to(obj, f, archive, pickle_protocol, not _disable_byteorder_record)
        f.flush()


def _save_to(obj, f, archive, pickle_protocol, byteorder_record):
    """The zip format into folder `archive`, or the legacy format when archive is None."""
    if archive is None:
        _save_legacy(obj, f, pickle_protocol)
    else:
        _save_zip(obj, f, archive, pickle_protocol, byteorder_record)


# ---------------------------------------------------------------- map_location

def default_restore_location(storage, location):
    """The storage moved to the device a location tag names ('cpu', 'cuda', 'cuda:1')."""
    if location == "cpu":
        return storage
    if location == "cuda" or re.match("cuda(:|[0-9]+)", location):
        from . import cuda

        device = _C.device(location)
        if not cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is "
                               "False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        index = device.index if device.index is not None else cuda.current_device()
        if index >= cuda.device_count():
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but "
                               f"torch.cuda.device_count() is {cuda.device_count()}. Please use torch.load with "
                               "map_location to map your storages to an existing device.")
        return storage.to(_C.device("cuda", index))
    raise RuntimeError(f"don't know how to restore data location of torch.storage.UntypedStorage (tagged with "
                       f"{location})")


def _restore_location(map_location):
    """restore(storage, location) for a map_location: None, a dict of tags, a str or device, or a callable."""
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):
        return lambda storage, location: default_restore_location(storage, map_location.get(location, location))
    if isinstance(map_location, (str, bytes, _C.device)):
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
        return lambda storage, location: default_restore_location(storage, target)

    def restore(storage, location):
        result = map_location(storage, location)
        if result is None:
            return default_restore_location(storage, location)
        result = getattr(result, "_untyped_storage", result)
        if not isinstance(result, _storage.UntypedStorage):
            raise TypeError(f"map_location should return a storage or None, not {type(result).__name__}")
        return result

    return restore


# ---------------------------------------------------------------- loading

def _decode_ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _storage_dtype(storage_type):
    if storage_type is _storage.UntypedStorage:
        return _C.uint8
    dtype = getattr(storage_type, "dtype", None)
    if not isinstance(dtype, _C.dtype):
        raise pickle.UnpicklingError(f"expected a storage type in a persistent id, got {storage_type!r}")
    return dtype


def _storage_pid(saved_id, length):
    """(dtype, key, location, numel, rest) of a storage persistent id, checked."""
    if not isinstance(saved_id, tuple) or not saved_id or _decode_ascii(saved_id[0]) != "storage":
        raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got {saved_id!r:.80}")
    if len(saved_id) != length:
        raise pickle.UnpicklingError(f"a storage persistent id has {length} fields, got {len(saved_id)}")
    storage_type, key, location, numel = saved_id[1:5]
    if not isinstance(numel, int) or numel < 0:
        raise pickle.UnpicklingError(f"invalid storage size {numel!r:.80}")
    return _storage_dtype(storage_type), key, _decode_ascii(location), numel, saved_id[5:]


class _Unpickler(pickle._Unpickler):
    """The pure-Python unpickler (its memo is a dict, so a corrupted index cannot make it allocate
    gigabytes) resolving PyTorch's globals to ctorch's; with weights_only, nothing else but
    PyTorch's allowlist and add_safe_globals entries."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, persistent_load, weights_only, **kwargs):
        super().__init__(file, **kwargs)
        self.persistent_load = persistent_load
        self._weights_only = weights_only

    def load_bytearray8(self):
        """BYTEARRAY8 without allocating the length it claims before reading the bytes."""
        (n,) = struct.unpack("<Q", self.read(8))
        data = self.read(n)
        if len(data) != n:
            raise pickle.UnpicklingError("pickle data was truncated")
        self.append(bytearray(data))

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8

    def find_class(self, module, name):
        if (module, name) in _compat_pickle.NAME_MAPPING:   # Python 2 names, as PyTorch maps them
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if self._weights_only and module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        obj = _table()[0].get((module, name))
        if obj is not None:
            return obj
        if self._weights_only:
            obj = _PLAIN_GLOBALS.get((module, name)) or _user_globals().get(full)
            if obj is not None:
                return obj
        if not self._weights_only and (module == "torch" or module.startswith("torch.")):
            return _ctorch_counterpart(module, name)
        if module in _TORCH_DATA_MODULES:
            raise RuntimeError(f"ctorch cannot load {full}: it has no counterpart in ctorch")
        if self._weights_only:
            shown = full[len("builtins."):] if full.startswith("builtins.") else full
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
                f"`torch.serialization.add_safe_globals([{shown}])` or the "
                f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global if you "
                "trust this class/function.")
        return super().find_class(module, name)


def _ctorch_counterpart(module, name):
    """ctorch's object for a torch global the table lacks (a full pickle of a Module, say)."""
    import importlib

    try:
        obj = importlib.import_module("ctorch" + module[len("torch"):])
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        raise RuntimeError(f"ctorch cannot load {module}.{name}: it has no counterpart in ctorch") from None


def _record_byteorder(reader):
    """'little' or 'big': the byte order of the archive's storages (little when not recorded)."""
    byteorder = reader.get_record("byteorder") if reader.has_record("byteorder") else b"little"
    if byteorder not in (b"little", b"big"):
        raise ValueError("Unknown endianness type: " + byteorder.decode(errors="backslashreplace"))
    return byteorder.decode()


def _load_zip(reader, byteorder, restore, unpickler_args, mmap_file):
    """Unpickle data.pkl, reading each storage record the first time the pickle names it."""
    loaded = {}

    def load_storage(dtype, key, location, numel):
        name, nbytes = f"data/{key}", numel * dtype.itemsize
        size = reader.record_size(name)
        if size != nbytes:
            raise RuntimeError(f"record size ({size} bytes) does not match expected size ({nbytes} bytes = "
                               f"{nbytes} elements * 1 bytes/element) for dtype Byte")
        start = reader.data_offset(name) if mmap_file is not None else None
        if start is not None:
            u8 = _C._from_buffer(memoryview(mmap_file)[start:start + nbytes])
        else:
            u8 = _C.empty(nbytes, dtype=_C.uint8)
            if nbytes:
                reader.read_into(name, memoryview(u8))
        if byteorder != sys.byteorder and dtype.itemsize > 1:
            _byteswap(u8, dtype.itemsize)
        untyped = restore(_storage.UntypedStorage._wrap(u8), location)
        return _storage.TypedStorage(dtype=dtype, wrap_storage=untyped)

    def persistent_load(saved_id):
        dtype, key, location, numel, _ = _storage_pid(saved_id, 5)
        if key not in loaded:
            loaded[key] = load_storage(dtype, key, location, numel)
        return loaded[key]

    data = io.BytesIO(reader.get_record("data.pkl"))
    return _Unpickler(data, persistent_load, **unpickler_args).load()


def _byteswap(u8, itemsize):
    import numpy as np
    
    values = np.frombuffer(memoryview(u8), dtype=f"u{itemsize}")
    values.byteswap(inplace=True)


def _read_exactly(f, view):
    """Fill view from f (one read for a real file), or raise PyTorch's EOF error."""
    missing = view.nbytes - _read_fully(f, view)
    if missing:
        raise RuntimeError(f"unexpected EOF, expected {missing} more bytes. The file might be corrupted.")


def _load_legacy(f, restore, unpickler_args):
    """The pre-1.6 format (see _save_legacy). Storages are made empty while the object unpickles and
    filled from the bytes after it."""
    start = f.tell()
    if f.read(262)[257:262] == b"ustar":
        raise RuntimeError("ctorch cannot read the pre-0.4 tar checkpoint format; load it with PyTorch and save "
                           "it again")
    file_size = f.seek(0, 2)
    f.seek(start)
    storages = {}

    def persistent_load(saved_id):
        if isinstance(saved_id, tuple) and saved_id and _decode_ascii(saved_id[0]) == "module":
            return saved_id[1]
        dtype, key, location, numel, (view_metadata,) = _storage_pid(saved_id, 6)
        if key not in storages:
            if numel * dtype.itemsize > file_size:   # its bytes cannot be in the file: do not allocate them
                raise RuntimeError(f"unexpected EOF, expected {numel * dtype.itemsize} more bytes. The file might "
                                   "be corrupted.")
            untyped = restore(_storage.UntypedStorage(numel * dtype.itemsize), location)
            storages[key] = _storage.TypedStorage(dtype=dtype, wrap_storage=untyped)
        typed = storages[key]
        if view_metadata is None:
            return typed
        _, offset, size = view_metadata   # a view of the storage (files before PyTorch 1.0)
        part = typed._untyped_storage[offset * dtype.itemsize:(offset + size) * dtype.itemsize]
        return _storage.TypedStorage(dtype=dtype, wrap_storage=part)

    bounded = _BoundedReader(f, file_size)

    def unpickle(persistent=persistent_load):
        return _Unpickler(bounded, persistent, **unpickler_args).load()

    if unpickle() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol_version = unpickle()
    if protocol_version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol_version}")
    unpickle()   # sys info
    result = unpickle()
    for key in unpickle():
        if key not in storages:
            raise RuntimeError(f"storage key {key!r} not found in deserialized_objects")
        _fill_legacy_storage(f, storages[key])
    return result


class _BoundedReader:
    """A file's read and readline that never ask for more than is left in it: a corrupted length in
    a pickle must not make a buffered read allocate that length."""

    def __init__(self, f, size):
        self._f, self._size = f, size

    def read(self, n=-1):
        left = self._size - self._f.tell()
        return self._f.read(left if n is None or n < 0 else min(n, left))

    def readline(self):
        return self._f.readline()

    def readinto(self, b):
        return self._f.readinto(b)


def _fill_legacy_storage(f, typed):
    head = bytearray(8)
    _read_exactly(f, memoryview(head))
    (numel,) = struct.unpack("<q", head)
    if numel != typed.size():
        raise RuntimeError(f"storage has wrong byte size: expected {typed.size()} got {numel}")
    target = typed._untyped_storage._bytes
    staging = target if target.is_cpu and target.is_contiguous() else _C.empty(target.numel(), dtype=_C.uint8)
    _read_exactly(f, memoryview(staging))
    if staging is not target:
        target.copy_(staging)


def _weights_only_message(message):
    """PyTorch's wording around a weights_only unpickling error (torch/serialization.py load)."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check the "
                "recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message + _DOCS_MESSAGE)
    text = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        text += ("Please file an issue with the following so that we can make `weights_only=True` compatible "
                 "with your use case: WeightsUnpickler error: ")
    return text + "\n\n" + message + _DOCS_MESSAGE


@contextlib.contextmanager
def _weights_only_errors(weights_only):
    """Under weights_only, a malformed pickle's error (whatever the unpickler raised) becomes
    pickle.UnpicklingError with PyTorch's wording; ctorch's own RuntimeErrors pass through."""
    if not weights_only:
        yield
        return
    try:
        yield
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
    except (RuntimeError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - anything else came from malformed pickle data
        message = f"{type(e).__name__}: {e}"
        raise pickle.UnpicklingError(_weights_only_message(message)) from e


def _resolve_weights_only(weights_only, pickle_module):
    force_on = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true")
    force_off = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true")
    if force_on and force_off:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    if force_on:
        return True
    if weights_only is None:
        return False if force_off else pickle_module is None
    return bool(weights_only)


@contextlib.contextmanager
def _open_for_read(f):
    if _is_path(f):
        with open(f, "rb") as opened:
            yield opened
        return
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(f"{e}. You can only torch.load from a file that is seekable. Please pre-load the data "
                          "into a buffer like io.BytesIO and try to load from it instead.") from None
        raise
    yield f


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved by ctorch.save or torch.save from f (a path or a readable, seekable binary
    file object). weights_only (the default unless pickle_module is given) loads only tensors,
    containers and plain values; map_location moves storages ('cpu', a device, {tag: tag}, or a
    callable (storage, location) -> storage)."""
    weights_only = _resolve_weights_only(weights_only, pickle_module)
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.")
    pickle_load_args.setdefault("encoding", "utf-8")
    unpickler_args = dict(weights_only=weights_only, **pickle_load_args)
    restore = _restore_location(map_location)
    with _open_for_read(f) as opened:
        start = opened.tell()
        is_zip = opened.read(4) == b"PK\x03\x04"
        opened.seek(start)
        if is_zip:
            reader = ZipReader(opened)
            if reader.has_record("constants.pkl"):
                if weights_only:
                    raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives passed to "
                                       "``torch.load``. " + UNSAFE_MESSAGE)
                raise NotImplementedError("ctorch cannot load TorchScript archives")
            byteorder = _record_byteorder(reader)
            with _mapped(f, mmap) as mapped, _weights_only_errors(weights_only):
                return _load_zip(reader, byteorder, restore, unpickler_args, mapped)
        if mmap:
            name = f"{f}, " if isinstance(f, str) else ""
            raise RuntimeError("mmap can only be used with files saved with "
                               f"`torch.save({name}_use_new_zipfile_serialization=True), please torch.save your "
                               "checkpoint with this option in order to use mmap.")
        if not opened.read(1):
            raise EOFError("Ran out of input")
        opened.seek(start)
        with _weights_only_errors(weights_only):
            return _load_legacy(opened, restore, unpickler_args)


@contextlib.contextmanager
def _mapped(f, mmap):
    """A private (copy-on-write) memory map of the file at path f when mmap is set, else None."""
    if not mmap:
        yield None
        return
    if not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    import mmap as _mmap

    with open(f, "rb") as opened:
        yield _mmap.mmap(opened.fileno(), 0, access=_mmap.ACCESS_COPY)
