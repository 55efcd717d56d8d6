"""ctorch.cuda: the CUDA backend, loaded on first use.

The backend lives in the separate extension ctorch._C_cuda (built when the
CUDA toolkit is found); nothing CUDA loads at `import ctorch`.
"""
_backend = None        # the ctorch._C_cuda module once loaded
_load_error = None     # why it could not be loaded
_seed = None           # the seed asked for before the CUDA generator exists


def _module():
    global _backend, _load_error
    if _backend is None and _load_error is None:
        try:
            from .. import _C_cuda
            _backend = _C_cuda
        except ImportError as e:  # no backend built, or no CUDA runtime on this machine
            _load_error = e
    return _backend


def _lazy_init():
    """Load the backend and check for a device; the error PyTorch gives when there is none."""
    m = _module()
    if m is None:
        raise AssertionError("Torch not compiled with CUDA enabled")
    if m.device_count() == 0:
        raise RuntimeError("Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and "
                           "installed a driver from http://www.nvidia.com/Download/index.aspx")


def is_available():
    m = _module()
    return m is not None and m.device_count() > 0


def device_count():
    m = _module()
    return m.device_count() if m is not None else 0


def current_device():
    _lazy_init()
    return 0


def set_device(device):
    _lazy_init()
    index = device if isinstance(device, int) else getattr(device, "index", None) or 0
    if index != 0:
        raise RuntimeError("ctorch uses one CUDA device (cuda:0) for now")


def get_device_name(device=None):
    _lazy_init()
    return _backend.get_device_name(_index(device))


def synchronize(device=None):
    if is_available():
        _backend.synchronize(_index(device))


def empty_cache():
    """Return cached device memory (a no-op until the backend is in use)."""


def memory_allocated(device=None):
    return _backend.memory_allocated(_index(device)) if is_available() else 0


def max_memory_allocated(device=None):
    return _backend.max_memory_allocated(_index(device)) if is_available() else 0


def reset_peak_memory_stats(device=None):
    if is_available():
        _backend.reset_peak_memory_stats(_index(device))


def manual_seed(seed):
    """Seed the CUDA generator (kept until the CUDA backend's generator is created)."""
    global _seed
    _seed = int(seed)


def manual_seed_all(seed):
    manual_seed(seed)


def _index(device):
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        return int(device.split(":")[1]) if ":" in device else 0
    return device.index or 0
