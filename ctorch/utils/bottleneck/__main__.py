"""Run a script twice-instrumented: cProfile (Python time by function) and
ctorch's op profiler (time in the C core by op), and print both summaries."""
import cProfile
import pstats
import runpy
import sys

from ...autograd import profiler


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m ctorch.utils.bottleneck script.py [args...]")
        return 2
    sys.argv = list(argv)
    print(f"ctorch bottleneck: running {argv[0]} with cProfile and the autograd profiler\n")
    prof = cProfile.Profile()
    with profiler.profile(record_shapes=False) as ops:
        prof.enable()
        try:
            runpy.run_path(argv[0], run_name="__main__")
        finally:
            prof.disable()
    print("\n" + "-" * 80 + "\n  cProfile output (top 15 by cumulative time)\n" + "-" * 80)
    pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(15)
    print("-" * 80 + "\n  autograd profiler output (top 15 by self CPU time)\n" + "-" * 80)
    print(ops.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
    return 0


if __name__ == "__main__":
    sys.exit(main())
