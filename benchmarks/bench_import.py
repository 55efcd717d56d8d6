"""Import cost and installed size (issue 8), measured in separate processes.

- import time:     median wall time of `python -c "import X"` minus the
                   median of `python -c pass` (runs interleaved, after one
                   untimed run each, which also warms the file cache);
- import peak RSS: VmHWM of those same children, read by the child itself
                   from /proc/self/status as its last act, the interpreter
                   included. (Not ru_maxrss: Linux carries the parent's
                   high-water mark across fork+exec into the child's, so with
                   this process holding GBs every child would report GBs.)
- size installed:  sum of file sizes under the package directories, with
                   their vendored `.libs` and big native dependencies
                   (COMPONENTS).
"""
import functools
import importlib.util
import os
import statistics
import subprocess
import sys
import time

from .harness import Measurement

# the repository root: children run there, so they import the same ctorch
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# what "installed" counts per module: top-level import names whose
# directories (and sibling NAME.libs directories) are summed
COMPONENTS = {
    "ctorch": ["ctorch", "scipy_openblas32"],                          # + its BLAS
    "torch": ["torch", "functorch", "torchgen", "triton", "nvidia"],  # + CUDA deps
    "numpy": ["numpy"],
}

# ----------------------------------------------------------------- import


# appended to each child's code: print the child's own peak RSS in kB
_PRINT_HWM = ("\nimport sys\nsys.stdout.write(next(l for l in open('/proc/self/status')"
              " if l.startswith('VmHWM')).split()[1])")


def _child(code):
    """Run `python -c code` in ROOT; returns (seconds, peak RSS in bytes)."""
    t0 = time.perf_counter_ns()
    p = subprocess.run([sys.executable, "-c", code + _PRINT_HWM], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seconds = (time.perf_counter_ns() - t0) / 1e9
    if p.returncode != 0:
        raise RuntimeError(f"`python -c {code!r}` exited with {p.returncode}")
    return seconds, int(p.stdout) * 1024


def _import_error(module):
    """Why `import module` fails in a child process, or None."""
    p = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode == 0:
        return None
    lines = p.stderr.strip().splitlines()
    return f"import {module} failed: {lines[-1] if lines else p.returncode}"


@functools.lru_cache(maxsize=None)
def _import_runs(modules, runs):
    """Runs shared by the time and RSS rows: {key: (median s, median RSS)}
    or {key: why it failed}; keys are the libraries and "pass".
    `modules` is a tuple of (library, module name) pairs."""
    codes = {"pass": "pass"}
    out = {}
    for lib, module in modules:
        why = _import_error(module)
        if why:
            out[lib] = why
        else:
            codes[lib] = f"import {module}"
    samples = {k: [] for k in codes}
    for _ in range(runs):                  # interleaved: pass A B C pass A B C ...
        for k, code in codes.items():
            samples[k].append(_child(code))
    for k, s in samples.items():
        out[k] = (statistics.median(t for t, _ in s), statistics.median(m for _, m in s))
    return out


def _import_measure(field):
    """Measurement function for `field` 0 (time) or 1 (peak RSS)."""
    def measure(module_names, cfg):
        data = _import_runs(tuple(sorted(module_names.items())), cfg.import_runs)
        base = data["pass"]
        values = {}
        for lib in module_names:
            v = data[lib]
            if isinstance(v, str):
                values[lib] = v
            else:   # time: minus the bare interpreter; RSS: the whole process
                values[lib] = max(v[0] - base[0], 0.0) if field == 0 else v[1]
        note = (f"import: median of {cfg.import_runs} runs; `python -c pass` takes "
                f"{base[0] * 1e3:.1f} ms (subtracted from import time) and "
                f"{base[1] / 2**20:.1f} MiB (included in peak RSS)")
        return values, [note]
    return measure

# ----------------------------------------------------------------- size


def _tree_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def _component_dirs(name):
    """The directories of import name `name`, plus sibling `name.libs`."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    dirs = list(spec.submodule_search_locations)
    for d in list(dirs):
        libs = os.path.join(os.path.dirname(d), f"{name}.libs")
        if os.path.isdir(libs):
            dirs.append(libs)
    return dirs


def _size_measure(module_names, cfg):
    values, notes = {}, []
    for lib, module in module_names.items():
        parts = [(d, _tree_bytes(d))
                 for name in COMPONENTS.get(module, [module])
                 for d in _component_dirs(name)]
        if not parts:
            values[lib] = f"{module} not found"
            continue
        values[lib] = sum(b for _, b in parts)
        notes.append(f"size {lib} = " + " + ".join(
            f"{os.path.basename(d)}/ {b / 2**20:.1f} MiB" for d, b in parts))
    return values, notes


BENCHMARKS = [
    Measurement("import", "time", _import_measure(0), "time"),
    Measurement("import", "peak RSS", _import_measure(1), "bytes"),
    Measurement("size", "installed", _size_measure, "bytes"),
]
