"""Multiprocessing benchmarks (issue 9, part 3): what sending a tensor to
another process costs in the sending and the receiving process, measured
in one process: ForkingPickler.dumps + loads of a shared float32 tensor
(the handle travels, the bytes stay: the receiver maps the same memory),
under both sharing strategies, small (per-call overhead) and large (4 MB);
and share_memory_ of a fresh 4 MB tensor (a /dev/shm file made, mapped and
filled). NumPy's column pickles the array (protocol 5: its bytes are
copied), what sending it through a plain multiprocessing.Queue costs.
Rate = GB/s of tensor data."""
import importlib
import pickle
from multiprocessing.reduction import ForkingPickler

import numpy as np

from .bench_core import _array, _to_lib
from .harness import Benchmark

LARGE = 1 << 20   # float32 elements: 4 MB


def _mp(lib):
    return importlib.import_module(lib.__name__ + ".multiprocessing")


def _send_setup(numel, strategy):
    def setup(lib):
        a = _to_lib(lib, _array((numel,), np.float32, 0))
        if lib is np:
            return lambda: pickle.loads(pickle.dumps(a, protocol=5))
        _mp(lib).set_sharing_strategy(strategy)
        a.share_memory_()
        return lambda: ForkingPickler.loads(ForkingPickler.dumps(a))
    return setup


def _share_setup(numel):
    def setup(lib):
        _mp(lib).set_sharing_strategy("file_descriptor")
        return lambda: lib.ones(numel).share_memory_()
    return setup


def send_case(name, numel, strategy):
    setups = {lib: _send_setup(numel, strategy) for lib in ("ctorch", "torch", "numpy")}
    return Benchmark("mp", name, setups, work=numel * 4, unit="B")


BENCHMARKS = [
    send_case("send 16 floats (file_descriptor)", 16, "file_descriptor"),
    send_case("send 16 floats (file_system)", 16, "file_system"),
    send_case("send 4 MB (file_descriptor)", LARGE, "file_descriptor"),
    send_case("send 4 MB (file_system)", LARGE, "file_system"),
    Benchmark("mp", "share_memory_ 4 MB", {lib: _share_setup(LARGE) for lib in ("ctorch", "torch")},
              work=LARGE * 4, unit="B"),
]
