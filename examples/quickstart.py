"""The main job (for now): NumPy in, tensor math in ctorch, NumPy out.

Standardizes a feature matrix, fits least squares by the normal equations,
and computes pairwise distances the way the snippet collection does, checking
each result against NumPy and printing how long ctorch and NumPy took.
Run: python examples/quickstart.py
"""
import time

import numpy as np

import ctorch as torch


def timed(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best * 1e3


def main():
    rng = np.random.default_rng(0)
    n, d = 4096, 64
    features = rng.standard_normal((n, d)).astype(np.float32) * 3 + 1
    true_w = rng.standard_normal((d, 1)).astype(np.float32)
    target = features @ true_w + 0.01 * rng.standard_normal((n, 1)).astype(np.float32)

    x = torch.from_numpy(features)           # shares memory with the array
    y = torch.from_numpy(target)

    # standardize columns
    def standardize():
        return (x - x.mean(dim=0, keepdim=True)) / x.std(dim=0, keepdim=True)

    z, t_ct = timed(standardize)
    z_np, t_np = timed(lambda: (features - features.mean(0)) / features.std(0, ddof=1))
    np.testing.assert_allclose(z.numpy(), z_np, rtol=1e-4, atol=1e-4)
    print(f"standardize {n}x{d}: ctorch {t_ct:.2f} ms, numpy {t_np:.2f} ms")

    # least squares: the normal equations, solved by gradient-free refinement in NumPy
    gram, t_ct = timed(lambda: x.t() @ x)
    gram_np, t_np = timed(lambda: features.T @ features)
    np.testing.assert_allclose(gram.numpy(), gram_np, rtol=1e-4, atol=1e-1)
    w = np.linalg.solve(gram.double().numpy(), (x.t() @ y).double().numpy())
    err = float(np.abs(w - true_w).max())
    print(f"gram {d}x{d}: ctorch {t_ct:.2f} ms, numpy {t_np:.2f} ms; recovered weights, max error {err:.2e}")
    assert err < 1e-2

    # pairwise Euclidean distances, as in the snippet collection
    a, b = x[:256], x[256:768]
    def pairwise():
        a3 = torch.unsqueeze(a, dim=1).expand(256, 512, d)
        b3 = torch.unsqueeze(b, dim=0).expand(256, 512, d)
        return torch.sqrt(torch.sum((a3 - b3) ** 2, dim=2))

    dist, t_ct = timed(pairwise)
    fa, fb = features[:256], features[256:768]
    dist_np, t_np = timed(lambda: np.sqrt(((fa[:, None, :] - fb[None, :, :]) ** 2).sum(2)))
    np.testing.assert_allclose(dist.numpy(), dist_np, rtol=1e-4)
    nearest = dist.argmin(dim=1)
    print(f"pairwise distances 256x512: ctorch {t_ct:.2f} ms, numpy {t_np:.2f} ms; "
          f"nearest of row 0: {nearest[0].item()}")
    print("all results match NumPy")


if __name__ == "__main__":
    main()
