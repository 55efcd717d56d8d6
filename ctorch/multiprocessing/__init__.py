"""ctorch.multiprocessing: the standard library's multiprocessing (every name
it exports), with tensors that travel between processes through shared memory.

Importing it registers pickling reductions (ForkingPickler) for ctorch.Tensor,
nn.Parameter and UntypedStorage: a tensor put on a Queue or passed to a
Process is sent as a handle to its storage in a /dev/shm file, moved there
first when it is not shared yet, so sender and receiver see the same memory.
spawn / start_processes run a function in several processes and carry a
child's exception, with its traceback, to the parent.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .reductions import init_reductions
from .spawn import (  # noqa: F401
    ProcessContext, ProcessExitedException, ProcessRaisedException, spawn, start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"]
__all__ += multiprocessing.__all__  # type: ignore[attr-defined]

# file_descriptor: the file is unlinked at once and an fd travels (PyTorch's default on Linux);
# file_system: the file name travels, the file is unlinked when its last storage is freed
_sharing_strategy = "file_descriptor"
_all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """Set how CPU tensors are shared from now on: 'file_descriptor' or 'file_system'."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    return _sharing_strategy


def get_all_sharing_strategies():
    return _all_sharing_strategies


init_reductions()
