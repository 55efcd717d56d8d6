"""The benchmark harness: cases, interleaved timing, the table and JSON.

A `Benchmark` is a named case with one *setup* function per library
("ctorch", "torch", "numpy"). A setup takes the library's module and
returns a zero-argument callable; the harness times that callable.

Timing (see `time_benchmark`):
  1. each setup runs once and its callable is called once; the results are
     compared with NumPy's (or PyTorch's) so a wrong or lazy kernel shows up;
  2. calibration: each callable gets a batch size `n` so that one trial
     (n calls in a row) lasts about `Config.trial_ms`; this also warms up;
  3. one untimed warm-up round, then `Config.trials` rounds; each round
     times one batch per library, the libraries interleaved
     (A B C, B C A, C A B, ...: the starting library rotates so none always
     runs right after another's work);
  4. per library, the median over trials of (batch time / n).

Settling: each timed batch follows a short untimed batch of the same
library. Its thread pools wake up, and the previous library's idle workers
(which spin for a while after their last job) stop competing for the cores
before the clock starts. OpenBLAS's idle workers spin for 2^28 cycles
(~0.1 s) by default, which halves a multi-threaded PyTorch mm that follows
NumPy's on a 2-core machine; benchmarks/__init__.py therefore shortens it
with OPENBLAS_THREAD_TIMEOUT (thread counts are left at their defaults).

A `Measurement` is a one-shot per-library quantity measured outside the
timing loop (import time, memory, size on disk); its function returns
{library: value}. Both produce a `Result`; `Table` prints results as rows.
"""
import dataclasses
import gc
import itertools
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np

LIBS = ("ctorch", "torch", "numpy")
OTHERS = ("torch", "numpy")  # compared against ctorch in the ratio columns

Setup = Callable[[Any], Callable[[], Any]]


# ----------------------------------------------------------------- cases

@dataclasses.dataclass
class Benchmark:
    """One timed case.

    setups: library name -> setup(module) -> zero-argument callable.
    work:   what one call does, in `unit`s ("B" bytes moved -> GB/s,
            "FLOP" -> GFLOP/s, "step" -> steps/s,
            "sample" -> samples/s); None when a rate means nothing.
    check:  compare each library's first result with the reference's.
    """
    group: str
    name: str
    setups: Dict[str, Setup]
    work: Optional[float] = None
    unit: Optional[str] = None
    check: bool = True

    @property
    def key(self):
        return f"{self.group} {self.name}"


@dataclasses.dataclass
class Measurement:
    """One per-library quantity, lower is better (import time, bytes).

    measure(modules, cfg) gets {library: name of the module to measure} and
    the Config; it returns ({library: value, or a string saying why not},
    [note lines printed under the table]). `kind`: "time" (s) or "bytes".
    """
    group: str
    name: str
    measure: Callable[[Dict[str, str], "Config"], tuple]
    kind: str

    @property
    def key(self):
        return f"{self.group} {self.name}"


@dataclasses.dataclass
class Result:
    group: str
    name: str
    kind: str                                    # "time" or "bytes"
    values: Dict[str, float]                     # library -> median (s) / value
    stats: Dict[str, dict] = dataclasses.field(default_factory=dict)
    errors: Dict[str, str] = dataclasses.field(default_factory=dict)
    mismatches: Dict[str, str] = dataclasses.field(default_factory=dict)
    rates: Dict[str, float] = dataclasses.field(default_factory=dict)
    unit: Optional[str] = None                   # rate unit: "GB/s", "GFLOP/s"
    notes: List[str] = dataclasses.field(default_factory=list)

    @property
    def key(self):
        return f"{self.group} {self.name}"

    def ratio(self, other):
        """other's value / ctorch's: > 1 means ctorch is faster (smaller)."""
        mine, theirs = self.values.get("ctorch"), self.values.get(other)
        if mine and theirs:
            return theirs / mine
        return None

    def to_json(self):
        d = dataclasses.asdict(self)
        d["key"] = self.key
        d["ratios"] = {f"{o}/ctorch": self.ratio(o) for o in OTHERS}
        return d


@dataclasses.dataclass
class Config:
    trials: int = 21          # timed rounds per case (fewer if over budget)
    min_trials: int = 5
    trial_ms: float = 4.0     # target length of one trial (one batch of calls)
    case_budget_s: float = 4.0  # stop adding rounds once a case took this long
    import_runs: int = 5      # subprocess runs per library for import time

    @classmethod
    def quick(cls):
        return cls(trials=7, min_trials=3, trial_ms=2.0, case_budget_s=0.6,
                   import_runs=3)


def select(cases, only):
    """Cases whose key contains one of the comma-separated substrings."""
    if not only:
        return list(cases)
    words = [w.strip().lower() for w in only.split(",") if w.strip()]
    return [c for c in cases if any(w in c.key.lower() for w in words)]


# ----------------------------------------------------------------- timing

def _batch_ns(fn, n):
    """Wall time of n back-to-back calls, with the garbage collector off."""
    gc_on = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for _ in itertools.repeat(None, n):
            fn()
        return time.perf_counter_ns() - t0
    finally:
        if gc_on:
            gc.enable()


def _calibrate(fn, target_ns):
    """Batch size n so that n calls last about target_ns (at least 1).
    Each size is timed twice and the faster kept: a first call can be slow
    (page faults, a thread pool waking up) and would leave n too small."""
    n = 1
    while True:
        t = min(_batch_ns(fn, n), _batch_ns(fn, n))
        if t >= target_ns * 0.7 or n >= 10_000_000:
            return n
        # grow towards the target, at most 100x per step
        n = min(n * 100, max(n + 1, math.ceil(n * target_ns / max(t, 1))))


def call_overhead_ns():
    """Cost of the harness's loop + one call of an empty lambda (not subtracted)."""
    fn = lambda: None  # noqa: E731
    return statistics.median(_batch_ns(fn, 100_000) for _ in range(5)) / 100_000


def _to_numpy(x):
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def _compare(x, ref):
    """'' when x matches ref (shape and values, loose tolerance), else why."""
    try:
        a, b = _to_numpy(x), _to_numpy(ref)
    except Exception as e:  # noqa: BLE001 - any failure is a finding
        return f"result not convertible to NumPy ({type(e).__name__}: {e})"
    if a.shape != b.shape:
        return f"shape {a.shape} != reference {b.shape}"
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    scale = float(np.abs(b64).max()) if b64.size else 0.0
    if not np.allclose(a64, b64, rtol=1e-2, atol=1e-3 * max(1.0, scale), equal_nan=True):
        return "values differ from reference"
    return ""


def _error_text(e):
    text = f"{type(e).__name__}: {e}"
    return text if len(text) <= 160 else text[:157] + "..."


def time_benchmark(bench, modules, cfg):
    """Time one Benchmark over the available libraries; returns a Result."""
    res = Result(bench.group, bench.name, "time", {}, unit=_rate_unit(bench.unit))
    fns, firsts = {}, {}
    for lib in LIBS:
        if lib not in bench.setups or modules.get(lib) is None:
            continue
        try:
            fn = bench.setups[lib](modules[lib])
            firsts[lib] = fn()
            fns[lib] = fn
        except Exception as e:  # noqa: BLE001 - reported, never fatal
            res.errors[lib] = _error_text(e)

    ref_lib = next((lib for lib in ("numpy", "torch") if lib in firsts), None)
    if bench.check and ref_lib:
        for lib in firsts:
            if lib != ref_lib:
                why = _compare(firsts[lib], firsts[ref_lib])
                if why:
                    res.mismatches[lib] = f"{why} (reference: {ref_lib})"
    firsts.clear()
    if not fns:
        return res

    # calibration doubles as warm-up; then one untimed interleaved round
    target = cfg.trial_ms * 1e6
    sizes = {lib: _calibrate(fn, target) for lib, fn in fns.items()}
    for lib, fn in fns.items():
        _batch_ns(fn, sizes[lib])

    libs = list(fns)
    samples = {lib: [] for lib in libs}
    start = time.perf_counter()
    for r in range(cfg.trials):
        if r >= cfg.min_trials and time.perf_counter() - start > cfg.case_budget_s:
            break
        for i in range(len(libs)):                  # rotate the starting library
            lib = libs[(r + i) % len(libs)]
            fn, n = fns[lib], sizes[lib]
            _batch_ns(fn, max(1, n // 4))           # untimed settle batch (see top)
            samples[lib].append(_batch_ns(fn, n) / n / 1e9)

    for lib, ts in samples.items():
        q1, med, q3 = np.percentile(ts, [25, 50, 75])
        res.values[lib] = float(med)
        res.stats[lib] = {"median_s": float(med), "q1_s": float(q1), "q3_s": float(q3),
                          "min_s": min(ts), "calls_per_trial": sizes[lib],
                          "trials_s": ts}
        if bench.work:
            res.rates[lib] = bench.work / med / _RATE_SCALE.get(bench.unit, 1e9)
    return res


# rates per second: billions of bytes or FLOPs, plain counts of steps
_RATE_SCALE = {"B": 1e9, "FLOP": 1e9, "step": 1.0, "sample": 1.0}


def _rate_unit(unit):
    return {"B": "GB/s", "FLOP": "GFLOP/s", "step": "steps/s", "sample": "samples/s"}.get(unit) if unit else None


def run_measurement(meas, module_names, cfg):
    """Run one Measurement; a failure becomes an error on every library."""
    res = Result(meas.group, meas.name, meas.kind, {})
    try:
        values, res.notes = meas.measure(module_names, cfg)
    except Exception as e:  # noqa: BLE001
        res.errors = {lib: _error_text(e) for lib in module_names}
        return res
    for lib, v in values.items():
        if isinstance(v, str):
            res.errors[lib] = v
        elif v is not None:
            res.values[lib] = v
    return res


# ----------------------------------------------------------------- output

def fmt_time(s):
    if s is None:
        return "-"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"
    return "-"


def fmt_bytes(b):
    if b is None:
        return "-"
    for scale, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} B"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def fmt_rate(v, unit):
    return "-" if v is None else f"{v:.3g} {unit}"


def _noisy(stats, limit=0.25):
    """True when the trials' interquartile range exceeds 25% of the median."""
    return bool(stats) and stats["q3_s"] - stats["q1_s"] > limit * stats["median_s"]


class Table:
    """Prints rows as results arrive, a section line when the group changes."""
    COLS = [("benchmark", 30, "<"), ("ctorch", 10, ">"), ("torch", 10, ">"),
            ("numpy", 10, ">"), ("torch/ct", 9, ">"), ("numpy/ct", 9, ">"),
            ("ctorch rate", 15, ">"), ("torch rate", 15, ">")]

    def __init__(self, out=sys.stdout):
        self.out = out
        self.group = None
        self.footnotes = []

    def _line(self, cells):
        parts = [f"{c:{a}{w}}" for c, (_, w, a) in zip(cells, self.COLS)]
        print("  ".join(parts).rstrip(), file=self.out, flush=True)

    def header(self):
        self._line([c for c, _, _ in self.COLS])
        print("-" * (sum(w for _, w, _ in self.COLS) + 2 * (len(self.COLS) - 1)),
              file=self.out)

    def row(self, res):
        if res.group != self.group:
            self.group = res.group
            print(f"[{res.group}]", file=self.out)
        fmt = fmt_time if res.kind == "time" else fmt_bytes
        cells = [f"  {res.name}"]
        for lib in LIBS:
            cell = fmt(res.values.get(lib))
            if lib in res.errors:
                cell = "err"
                self.footnotes.append(f"{res.key} [{lib}] failed: {res.errors[lib]}")
            elif _noisy(res.stats.get(lib)):
                cell = "~" + cell
            if lib in res.mismatches:
                cell += "!"
                self.footnotes.append(f"{res.key} [{lib}] wrong result: {res.mismatches[lib]}")
            cells.append(cell)
        self.footnotes += [n for n in res.notes if n not in self.footnotes]
        cells += [fmt_ratio(res.ratio(o)) for o in OTHERS]
        cells += [fmt_rate(res.rates.get(lib), res.unit) if res.unit else ""
                  for lib in ("ctorch", "torch")]
        self._line(cells)

    def finish(self):
        if self.footnotes:
            print("\nnotes:", file=self.out)
            for f in self.footnotes:
                print(f"  {f}", file=self.out)


# ----------------------------------------------------------------- machine

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def other_load(seconds=0.5):
    """CPUs' worth of time taken by other processes (and the hypervisor)
    while this one sleeps; None where /proc/stat is missing."""
    def busy_jiffies():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return sum(v) - v[3] - v[4]          # all but idle and iowait
    try:
        before = busy_jiffies()
        time.sleep(seconds)
        return (busy_jiffies() - before) / (seconds * os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError):
        return None


def machine_info(modules):
    """Facts printed in the header and stored in the JSON."""
    info = {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_usable": (len(os.sched_getaffinity(0))
                        if hasattr(os, "sched_getaffinity") else None),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "harness_call_overhead_ns": round(call_overhead_ns(), 1),
        "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
        "other_load_cpus": other_load(),
    }
    for lib in LIBS:
        mod = modules.get(lib)
        if mod is None:
            continue
        info[f"{lib}_version"] = getattr(mod, "__version__", "?")
        get_threads = getattr(mod, "get_num_threads", None)
        if get_threads is not None:
            try:
                info[f"{lib}_threads"] = get_threads()
            except Exception:  # noqa: BLE001
                pass
    return info


def print_header(info, modules, labels, cfg, quick, out=sys.stdout):
    """labels: library -> how to name it (e.g. "ctorch (stand-in: torch)")."""
    def lib_text(lib):
        if modules.get(lib) is None:
            return f"{lib} missing"
        label = labels.get(lib, lib)
        threads = info.get(f"{lib}_threads")
        return (f"{label} {info.get(f'{lib}_version', '?')}"
                + (f" ({threads} threads)" if threads is not None else ""))

    print("ctorch benchmarks", file=out)
    print(f"machine: {info['cpu']}, {info['cpus']} CPUs ({info['cpus_usable']} usable), "
          f"Python {info['python']}", file=out)
    load = info["other_load_cpus"]
    if load is not None and load > 0.1:
        print(f"WARNING: other processes keep {load:.1f} CPUs busy; multi-threaded "
              "timings will be noisy", file=out)
    print("libraries: " + ", ".join(lib_text(l) for l in LIBS)
          + " - default thread settings", file=out)
    print(f"method: medians of up to {cfg.trials}{' (--quick)' if quick else ''} "
          f"interleaved trials of ~{cfg.trial_ms:g} ms, after warm-up; per-call times "
          f"include ~{info['harness_call_overhead_ns']:.0f} ns of harness loop/call overhead; "
          f"OPENBLAS_THREAD_TIMEOUT={info['OPENBLAS_THREAD_TIMEOUT']}", file=out)
    print("ratios: torch/ct = torch time / ctorch time, numpy/ct = numpy time / ctorch "
          "time; > 1 means ctorch is faster (or smaller)", file=out)
    print("marks: 'err' = the case raised, '!' = result differs from the reference, "
          "'~' = noisy (trials' interquartile range > 25% of the median), "
          "'-' = not applicable or library missing\n", file=out)


def write_json(path, info, cfg, results):
    doc = {"machine": info, "config": dataclasses.asdict(cfg),
           "results": [r.to_json() for r in results]}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
