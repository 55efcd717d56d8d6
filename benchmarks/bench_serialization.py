"""Checkpoint benchmarks (issue 6's speed target: save and load of a 100 MB
state_dict at least 0.9x PyTorch's throughput): a dict of 25 float32 tensors of
1M elements saved to / loaded from a BytesIO and a file in a temporary folder,
and a small state_dict (per-call overhead). NumPy's column is np.savez /
np.load of the same arrays. Rate = GB/s of tensor data.

ctorch's file saves are atomic (a temporary file, fsync, rename); PyTorch's
write the file in place without fsync, so the file rows include that cost."""
import atexit
import io
import os
import shutil
import tempfile

import numpy as np

from .bench_core import _array, _to_lib
from .harness import Benchmark

_DIR = tempfile.mkdtemp(prefix="ctorch-bench-ckpt-")
atexit.register(shutil.rmtree, _DIR, True)


def _state_dict(lib, count, numel):
    return {f"layer{i}.weight": _to_lib(lib, _array((numel,), np.float32, i)) for i in range(count)}


def _save_setup(count, numel, to_file):
    def setup(lib):
        sd = _state_dict(lib, count, numel)
        path = os.path.join(_DIR, f"save-{lib.__name__}-{count}.pt")
        if lib is np:
            return lambda: np.savez(path if to_file else io.BytesIO(), **sd)
        return lambda: lib.save(sd, path if to_file else io.BytesIO())
    return setup


def _load_setup(count, numel, from_file):
    def setup(lib):
        sd, buf = _state_dict(lib, count, numel), io.BytesIO()
        if lib is np:
            np.savez(buf, **sd)
        else:
            lib.save(sd, buf)
        data = buf.getvalue()
        path = os.path.join(_DIR, f"load-{lib.__name__}-{count}.pt")
        with open(path, "wb") as f:
            f.write(data)
        source = (lambda: path) if from_file else (lambda: io.BytesIO(data))
        if lib is np:
            return lambda: dict(np.load(source()).items())
        return lambda: lib.load(source())
    return setup


def _cases(label, count, numel):
    libs = ("ctorch", "torch", "numpy")
    cases = []
    for verb, make in (("save", _save_setup), ("load", _load_setup)):
        for to_file, where in ((False, "BytesIO"), (True, "file")):
            setups = dict.fromkeys(libs, make(count, numel, to_file))
            cases.append(Benchmark("checkpoint", f"{verb} {label} ({where})", setups, work=count * numel * 4,
                                   unit="B", check=False))
    return cases


BENCHMARKS = _cases("100MB state_dict", 25, 1 << 20) + _cases("small state_dict", 8, 256)
