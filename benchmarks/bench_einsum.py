"""Contraction and distance benchmarks (targets: at least 0.9x PyTorch's
throughput on large inputs, better on small ones).

- einsum: 'bij,bjk->bik' on (64,128,128) pairs (a batched GEMM), 'ij,ij->i'
  on (1000,1000) (row-wise dots), 'ii->' on 8x8 (per-call overhead); each
  twice, against np.einsum with optimize=False and optimize=True;
- cdist (1000,64) x (1000,64): p=2 takes the matrix-product form (NumPy:
  the same formula), p=1 the direct kernel (NumPy: by broadcasting).
Rates: GFLOP/s of the contraction, or of the 3*P*R*M distance terms.
"""
from .bench_core import case


def einsum_cases(eq, shapes, flops):
    args = ", ".join("ab"[:len(shapes)])
    return [case("einsum", f"'{eq}' {' x '.join(map(str, shapes))} (np optimize={opt})", shapes,
                 stmt=f"lib.einsum('{eq}', {args})", np_stmt=f"np.einsum('{eq}', {args}, optimize={opt})",
                 work=flops, unit="FLOP" if flops else None)
            for opt in (False, True)]


P, R, M = 1000, 1000, 64
NP_CDIST = {
    2: "np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T, 0))",
    1: "np.abs(a[:, None] - b[None]).sum(-1)",
}

BENCHMARKS = (
    einsum_cases("bij,bjk->bik", [(64, 128, 128), (64, 128, 128)], 2 * 64 * 128 ** 3)
    + einsum_cases("ij,ij->i", [(1000, 1000), (1000, 1000)], 2 * 1000 * 1000)
    + einsum_cases("ii->", [(8, 8)], None)
    + [case("cdist", f"cdist {(P, M)} x {(R, M)} p={p}", [(P, M), (R, M)], stmt=f"lib.cdist(a, b, p={p})",
            np_stmt=NP_CDIST[p], work=3 * P * R * M, unit="FLOP") for p in (2, 1)]
)
