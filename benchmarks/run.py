"""Command line: run the benchmark modules and print one table.

    python -m benchmarks [--only SUBSTR[,SUBSTR]] [--quick] [--json FILE] [--list]
    python benchmarks/run.py ...          (the same)

To add an area, write benchmarks/bench_<area>.py exposing BENCHMARKS (a
list of harness.Benchmark or harness.Measurement) and add it to MODULES.

Testing aid only: CTORCH_BENCH_STANDIN=torch puts real PyTorch in the
ctorch column (an A/A run: ratios should come out near 1.00x).
"""
import argparse
import gc
import importlib
import os
import sys

if __package__ in (None, ""):      # run as a script: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"     # noqa: A001

from benchmarks import harness  # noqa: E402

# the areas, in table order (timed cases first, process-level measurements last)
MODULES = ["bench_core", "bench_autograd", "bench_random", "bench_shape", "bench_index", "bench_counting", "bench_sort", "bench_einsum",
           "bench_serialization", "bench_nn_loss", "bench_nn_norm", "bench_vision", "bench_optim", "bench_train", "bench_data", "bench_nn_conv", "bench_logs",
           "bench_rnn", "bench_mp", "bench_attention", "bench_seed",
           "bench_import"]


def all_cases():
    cases = []
    for name in MODULES:
        cases += importlib.import_module(f"benchmarks.{name}").BENCHMARKS
    return cases


def load_libraries():
    """({library: module or None}, {library: module name}, {library: label},
    {library: why it is missing})."""
    modules, names, labels, missing = {}, {}, {}, {}
    standin = os.environ.get("CTORCH_BENCH_STANDIN")
    for lib in harness.LIBS:
        name = standin if (lib == "ctorch" and standin) else lib
        try:
            mod = importlib.import_module(name)
            # an unbuilt checkout imports as an empty namespace package
            if lib != "numpy" and not hasattr(mod, "tensor"):
                raise ImportError(f"{name} imported from {list(mod.__path__)} "
                                  "but has no `tensor` (not built?)")
        except Exception as e:  # noqa: BLE001 - report any failure
            modules[lib], missing[lib] = None, f"{type(e).__name__}: {e}"
            continue
        modules[lib], names[lib] = mod, name
        labels[lib] = f"{lib} (stand-in: {name})" if name != lib else lib
    return modules, names, labels, missing


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="ctorch vs PyTorch vs NumPy, interleaved in one process. "
                    "Ratios > 1 mean ctorch is faster. Never fails on speed.")
    p.add_argument("--only", metavar="SUBSTR[,SUBSTR]",
                   help="run the cases whose name contains one of these "
                        "(e.g. tiny, large, mm, import, size)")
    p.add_argument("--quick", action="store_true", help="fewer, shorter trials")
    p.add_argument("--json", metavar="FILE", help="also write all results to FILE")
    p.add_argument("--list", action="store_true", help="list the case names and exit")
    p.add_argument("--allow-missing-ctorch", action="store_true",
                   help="run even if ctorch does not import (its columns show '-')")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cases = harness.select(all_cases(), args.only)
    if args.list:
        for c in cases:
            print(c.key)
        return 0
    if not cases:
        print(f"no benchmark matches --only {args.only!r} (see --list)", file=sys.stderr)
        return 2

    modules, names, labels, missing = load_libraries()
    if "ctorch" in missing and not args.allow_missing_ctorch:
        print(f"cannot import ctorch: {missing['ctorch']}\n"
              "(build it with `pip install -e .`, or pass --allow-missing-ctorch)",
              file=sys.stderr)
        return 1

    cfg = harness.Config.quick() if args.quick else harness.Config()
    info = harness.machine_info(modules)
    harness.print_header(info, modules, labels, cfg, args.quick)
    for lib, why in missing.items():
        print(f"{lib} is missing: {why}\n")

    table = harness.Table()
    table.header()
    results = []
    for case in cases:
        if isinstance(case, harness.Measurement):
            res = harness.run_measurement(case, names, cfg)
        else:
            res = harness.time_benchmark(case, modules, cfg)
        gc.collect()                   # free the case's (large) inputs now
        table.row(res)
        results.append(res)
    table.finish()

    if args.json:
        harness.write_json(args.json, info, cfg, results)
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
