"""ctorch's benchmark suite: ctorch vs PyTorch vs NumPy, interleaved in one
process. Run `python -m benchmarks --help`; see run.py for adding areas."""
import os

# Before NumPy or any BLAS loads: idle OpenBLAS workers (NumPy's, ctorch's)
# spin for 2^N cycles before sleeping; the default N=28 (~0.1 s) lets them
# steal a core from whichever library is timed next. 2^20 cycles is well
# under a millisecond. A value set by the user wins. (See harness.py.)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")
