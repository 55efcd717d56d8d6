"""Optimizer step benchmarks (issue 6's speed target: at least 1.0x PyTorch's
foreach/fused step for a ResNet-18-sized parameter set).

- optim/resnet18: one step of SGD (momentum 0.9), Adam and AdamW over
  ResNet-18's 62 parameter tensors (11.7M float32), against PyTorch's default
  (on the CPU its single-tensor for-loop), foreach=True and fused=True; rate =
  GB/s of parameters, gradients and state read and written;
- optim/mlp: the same optimizers on a small MLP's 6 tensors, where the
  per-step overhead (Python, dispatch) dominates.

NumPy's column is the same update written with in-place NumPy ufuncs, one
parameter at a time.
"""
import numpy as np

from .bench_core import _array, _to_lib
from .harness import Benchmark


def _resnet18_shapes():
    """The parameter shapes of torchvision's resnet18, in model order (62 tensors, 11,689,512 values)."""
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    cin = 64
    for stage, cout in enumerate([64, 128, 256, 512]):
        for block in range(2):
            down = stage > 0 and block == 0
            shapes += [(cout, cin if block == 0 else cout, 3, 3), (cout,), (cout,), (cout, cout, 3, 3), (cout,), (cout,)]
            if down:
                shapes += [(cout, cin, 1, 1), (cout,), (cout,)]
        cin = cout
    return shapes + [(1000, 512), (1000,)]


MODELS = {
    "resnet18": _resnet18_shapes(),
    "mlp": [(128, 64), (128,), (64, 128), (64,), (10, 64), (10,)],
}
# bytes moved per parameter value, 4 per float32 read or written: SGD reads the parameter, its gradient and
# momentum buffer and writes two; Adam reads four (the parameter, gradient, exp_avg, exp_avg_sq), writes three
TRAFFIC = {"SGD": 5 * 4, "Adam": 7 * 4, "AdamW": 7 * 4}
OPTIONS = {"SGD": dict(lr=0.01, momentum=0.9), "Adam": dict(lr=1e-3), "AdamW": dict(lr=1e-3)}


def _params(lib, shapes):
    """Parameters with gradients (the same values in every library)."""
    params = []
    for i, s in enumerate(shapes):
        p = _to_lib(lib, _array(s, np.float32, i), requires_grad=True)
        p.grad = _to_lib(lib, _array(s, np.float32, 1000 + i))
        params.append(p)
    return params


def _numpy_step(name, shapes):
    """The update with in-place NumPy ufuncs (a temporary per op), one parameter at a time."""
    ps = [_array(s, np.float32, i).copy() for i, s in enumerate(shapes)]
    gs = [_array(s, np.float32, 1000 + i) for i, s in enumerate(shapes)]
    m = [np.zeros_like(p) for p in ps]
    v = [np.zeros_like(p) for p in ps]
    lr, b1, b2, eps, t = 1e-3, 0.9, 0.999, 1e-8, [0]

    def sgd():
        for p, g, buf in zip(ps, gs, m):
            buf *= 0.9
            buf += g
            p -= 0.01 * buf

    def adam(decay):
        t[0] += 1
        step_size, bc2 = lr / (1 - b1 ** t[0]), np.sqrt(1 - b2 ** t[0])
        for p, g, ea, sq in zip(ps, gs, m, v):
            if decay:
                p *= 1 - lr * 0.01
            ea += (1 - b1) * (g - ea)
            sq *= b2
            sq += (1 - b2) * g * g
            p -= step_size * ea / (np.sqrt(sq) / bc2 + eps)

    return sgd if name == "SGD" else (lambda: adam(name == "AdamW"))


def optim_case(model, name, torch_kw, label):
    shapes = MODELS[model]

    def setup_ctorch(lib):
        return getattr(lib.optim, name)(_params(lib, shapes), **OPTIONS[name]).step

    def setup_torch(lib):
        return getattr(lib.optim, name)(_params(lib, shapes), **OPTIONS[name], **torch_kw).step

    setups = {"ctorch": setup_ctorch, "torch": setup_torch, "numpy": lambda np_: _numpy_step(name, shapes)}
    numel = sum(int(np.prod(s)) for s in shapes)
    return Benchmark("optim", f"{model} {name} vs {label}", setups, work=numel * TRAFFIC[name], unit="B",
                     check=False)


BENCHMARKS = [optim_case(model, name, kw, label)
              for model in ("resnet18", "mlp")
              for name in ("SGD", "Adam", "AdamW")
              for kw, label in [({}, "default"), (dict(foreach=True), "foreach"), (dict(fused=True), "fused")]]
