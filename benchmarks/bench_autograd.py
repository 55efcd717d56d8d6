"""Autograd benchmarks (issue 4's speed targets).

- autograd/tiny: a whole forward + backward on 2-element tensors, the
  overhead of recording and running the graph (target: at most half of
  PyTorch's time);
- autograd/mm:   forward + backward of a chain of 1024x1024 products
  (target: at least 0.9x PyTorch's throughput).

Each statement returns a gradient, so the first results are compared with
PyTorch's (gradients accumulate over calls in both libraries alike).
"""
from .bench_core import case


def step(group, name, shapes, stmt, flops=None):
    return case(group, name, shapes, stmt=stmt, np_stmt=None, requires_grad=True,
                work=flops, unit="FLOP" if flops else None)


N = 1024
BENCHMARKS = [
    step("autograd/tiny", "(a*b + a).sum().backward()", [(2,), (2,)],
         "((a * b + a).sum().backward(), a.grad)[1]"),
    step("autograd/tiny", "(a*b).exp().mean().backward()", [(2,), (2,)],
         "((a * b).exp().mean().backward(), a.grad)[1]"),
    # 3 products forward, 6 backward
    step("autograd/mm", "mm chain 1024 fwd+bwd", [(N, N), (N, N)],
         "(lib.mm(lib.mm(lib.mm(a, b), b), b).sum().backward(), a.grad)[1]", flops=9 * 2 * N ** 3),
]
