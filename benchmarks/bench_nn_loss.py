"""Loss family benchmarks (issue 5's losses: at least 0.9x PyTorch's
throughput on large inputs, better on small ones):

- cross_entropy forward and forward+backward on (256, 1000) and (4096, 10)
  float32 logits with int64 class targets;
- mse_loss on 1M float32 elements, forward and forward+backward;
- embedding of 4096 indices into a 50k x 256 float32 table, forward and
  forward+backward (the dense gradient of the whole table);
- interpolate bilinear (16, 3, 224, 224) -> (448, 448), forward and
  forward+backward.

Each statement sees x (the input, a leaf requiring grad where a gradient is
taken), y (a second input or the table), t (int64 targets or indices), and
F (the library's nn.functional); backward statements clear x.grad first so
every call does the same work, sum the output when it is not a scalar (one
more pass, in both libraries), and return the gradient (compared with
PyTorch's). NumPy columns compute the same forward where NumPy can."""
import numpy as np

from .bench_core import _array
from .harness import Benchmark


def _np_cross_entropy(x, t):
    m = x.max(1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(x - m).sum(1))
    return (lse - x[np.arange(len(t)), t]).mean()


def _inputs(kind, shape):
    """x, y, t as NumPy arrays for a case kind"""
    rng = np.random.default_rng(11)
    if kind == "ce":
        return _array(shape, np.float32, 1), None, rng.integers(0, shape[1], shape[0]).astype(np.int64)
    if kind == "mse":
        return _array(shape, np.float32, 1), _array(shape, np.float32, 2), None
    if kind == "embedding":
        table, n = shape
        return _array(table, np.float32, 3), None, rng.integers(0, table[0], n).astype(np.int64)
    return _array(shape, np.float32, 4), None, None


def loss_case(group, name, kind, shape, stmt, np_stmt, work, grad):
    def make(text):
        def setup(lib):
            xa, ya, ta = _inputs(kind, shape)
            if lib is np:
                env = {"np": np, "x": xa, "y": ya, "t": ta, "ce": _np_cross_entropy}
            else:
                x = lib.from_numpy(xa).clone().requires_grad_(grad)
                env = {"lib": lib, "F": lib.nn.functional, "x": x,
                       "y": None if ya is None else lib.from_numpy(ya).clone(),
                       "t": None if ta is None else lib.from_numpy(ta).clone()}
            return eval(f"lambda: {text}", env)
        return setup
    setups = {"ctorch": make(stmt), "torch": make(stmt)}
    if np_stmt:
        setups["numpy"] = make(np_stmt)
    return Benchmark(group, name, setups, work=work, unit="B")


def _bwd(stmt):
    """clear x.grad, run the backward of stmt (summed when not a scalar), return the gradient"""
    return f"(setattr(x, 'grad', None), ({stmt}).sum().backward(), x.grad)[2]"


def _pair(group, label, kind, shape, fwd, np_fwd, work_fwd, work_bwd):
    return [loss_case(group, f"{label} fwd", kind, shape, fwd, np_fwd, work_fwd, False),
            loss_case(group, f"{label} fwd+bwd", kind, shape, _bwd(fwd), None, work_bwd, True)]


CE = "F.cross_entropy(x, t)"
MSE = "F.mse_loss(x, y)"
EMB = "F.embedding(t, x)"
BILINEAR = "F.interpolate(x, size=(448, 448), mode='bilinear')"

BENCHMARKS = (
    _pair("loss/ce", "cross_entropy (256, 1000)", "ce", (256, 1000), CE, "ce(x, t)", 256 * 1000 * 4,
          256 * 1000 * 4 * 3)
    + _pair("loss/ce", "cross_entropy (4096, 10)", "ce", (4096, 10), CE, "ce(x, t)", 4096 * 10 * 4, 4096 * 10 * 4 * 3)
    + _pair("loss/mse", "mse_loss 1M", "mse", (1 << 20,), MSE, "((x - y) ** 2).mean()", 2 * 4 << 20, 5 * 4 << 20)
    + _pair("loss/embedding", "embedding 50k x 256, 4096 indices", "embedding", ((50000, 256), 4096), EMB,
            "x[t]", 2 * 4096 * 256 * 4, 50000 * 256 * 4 + 2 * 4096 * 256 * 4)
    + _pair("loss/interpolate", "bilinear (16, 3, 224, 224) -> 448", "interp", (16, 3, 224, 224), BILINEAR, None,
            16 * 3 * (224 * 224 + 448 * 448) * 4, 2 * 16 * 3 * (224 * 224 + 448 * 448) * 4)
)
