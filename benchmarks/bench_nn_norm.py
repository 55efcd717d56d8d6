"""nn normalization-family benchmarks (issue 5: at least 0.9x PyTorch's
throughput on large inputs, better on small ones).

- nn_norm/tiny:  per-call overhead on small inputs (softmax, batch norm, gelu);
- nn_norm/large: batch norm training forward + backward on (32, 64, 56, 56),
  layer norm over 768 features, softmax over rows of 1000, gelu and relu on
  16M elements (rate = GB/s of the input read once and the output written).
NumPy has none of these ops: its column holds the same math written in NumPy
where it is short (softmax, relu), as a reference point.
"""
from .bench_core import case

N = 16 * 2**20
BN = (32, 64, 56, 56)
LN = (16, 512, 768)
SM = (1024, 1000)
F = "lib.nn.functional"


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def tiny(name, shapes, stmt, np_stmt=None, requires_grad=False):
    return case("nn_norm/tiny", name, shapes, stmt=stmt, np_stmt=np_stmt, requires_grad=requires_grad)


def large(name, shapes, stmt, np_stmt=None, passes=2, requires_grad=False):
    return case("nn_norm/large", name, shapes, stmt=stmt, np_stmt=np_stmt, work=numel(shapes[0]) * 4 * passes,
                unit="B", requires_grad=requires_grad)


NP_SOFTMAX = "(lambda e: e / e.sum(1, keepdims=True))(np.exp(a - a.max(1, keepdims=True)))"
BENCHMARKS = [
    tiny("softmax (8, 10)", [(8, 10)], f"{F}.softmax(a, 1)", NP_SOFTMAX),
    tiny("batch_norm train (8, 16, 4, 4)", [(8, 16, 4, 4)], f"{F}.batch_norm(a, None, None, training=True)"),
    tiny("layer_norm (4, 32)", [(4, 32)], f"{F}.layer_norm(a, (32,))"),
    tiny("gelu (64,)", [(64,)], f"{F}.gelu(a)"),
    tiny("batch_norm fwd+bwd (8, 16, 4, 4)", [(8, 16, 4, 4), (16,), (16,)],
         f"({F}.batch_norm(a, None, None, b, c, training=True).sum().backward(), a.grad)[1]", requires_grad=True),
    large("batch_norm train fwd+bwd (32,64,56,56)", [BN, (64,), (64,)],
          f"({F}.batch_norm(a, None, None, b, c, training=True).backward(a.detach()), a.grad)[1]",
          passes=5, requires_grad=True),
    large("batch_norm eval (32,64,56,56)", [BN, (64,), (64,)],
          f"{F}.batch_norm(a, b.abs(), c.abs() + 1, b, c, training=False)"),
    large("layer_norm (16,512,768)", [LN, (768,), (768,)], f"{F}.layer_norm(a, (768,), b, c)"),
    large("layer_norm fwd+bwd (16,512,768)", [LN, (768,), (768,)],
          f"({F}.layer_norm(a, (768,), b, c).backward(a.detach()), a.grad)[1]", passes=5, requires_grad=True),
    large("softmax (1024, 1000)", [SM], f"{F}.softmax(a, 1)", NP_SOFTMAX),
    large("log_softmax (1024, 1000)", [SM], f"{F}.log_softmax(a, 1)"),
    large("softmax dim 0 (1000, 1024)", [(1000, 1024)], f"{F}.softmax(a, 0)"),
    large("gelu 16M", [(N,)], f"{F}.gelu(a)"),
    large("relu 16M", [(N,)], f"{F}.relu(a)", "np.maximum(a, 0)"),
    large("silu 16M", [(N,)], f"{F}.silu(a)"),
]
