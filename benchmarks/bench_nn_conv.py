"""Convolution and pooling benchmarks (issue 5's speed targets: conv2d
forward and forward+backward at least 0.7x PyTorch's throughput, which uses
oneDNN; the aim is parity):

- nn/conv2d:   N=32, 64 -> 64 channels, 56x56, 3x3, padding 1, and a small
               convolution (N=8, 3 -> 16 channels, 32x32); forward, and
               forward+backward returning the weight's gradient (it
               accumulates alike in both libraries). NumPy's column is the
               same convolution as a window view and one tensordot.
- nn/max_pool: max_pool2d 2x2 on (32, 64, 56, 56); NumPy reduces a reshape.
"""
from .bench_core import case

CONV_NP = ("np.tensordot(np.lib.stride_tricks.sliding_window_view(np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1))), "
           "(3, 3), axis=(2, 3)), b, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)")


def conv_cases(label, n, c, k, hw):
    shapes = [(n, c, hw, hw), (k, c, 3, 3)]
    flops = 2 * n * k * c * 9 * hw * hw
    return [
        case("nn/conv2d", f"conv2d {label} fwd", shapes, "lib.conv2d(a, b, padding=1)", CONV_NP,
             work=flops, unit="FLOP"),
        case("nn/conv2d", f"conv2d {label} fwd+bwd", shapes,
             "(lib.conv2d(a, b, padding=1).sum().backward(), b.grad)[1]", None, work=3 * flops, unit="FLOP",
             requires_grad=True),
    ]


BENCHMARKS = conv_cases("32x64->64 56x56 3x3", 32, 64, 64, 56) + conv_cases("8x3->16 32x32 3x3", 8, 3, 16, 32) + [
    case("nn/max_pool", "max_pool2d 2x2 (32,64,56,56)", [(32, 64, 56, 56)], "lib.max_pool2d(a, 2)",
         "a.reshape(32, 64, 28, 2, 28, 2).max(axis=(3, 5))", work=32 * 64 * 56 * 56 * 4 * 5 // 4, unit="B"),
]
