"""python -m ctorch.utils.bottleneck script.py [args]: a cProfile summary and the op profiler's table."""
