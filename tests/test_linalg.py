"""torch.linalg.qr (LAPACK) against NumPy, its modes, batches and bad inputs."""
import numpy as np
import pytest

from helpers import torch


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 6, 3), (0, 3), (2, 0, 0)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_qr_matches_numpy(shape, mode, dtype):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    q, r = torch.linalg.qr(torch.tensor(a), mode)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    m, n = shape[-2:]
    k = min(m, n)
    eq, er = (np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced") if a.size else (None, None))
    assert tuple(r.shape) == shape[:-2] + ((m if mode == "complete" else k), n)
    if a.size:   # LAPACK's signs, as NumPy's (same routines)
        np.testing.assert_allclose(np.abs(r.numpy()), np.abs(er), rtol=tol, atol=tol)
        assert np.allclose(np.tril(r.numpy(), -1), 0)
    if mode == "r":
        assert tuple(q.shape) == (0,)
        return
    assert tuple(q.shape) == shape[:-2] + (m, m if mode == "complete" else k)
    if a.size:
        np.testing.assert_allclose(q.numpy() @ r.numpy(), a, rtol=10 * tol, atol=10 * tol)
        qq = np.swapaxes(q.numpy(), -1, -2) @ q.numpy()
        np.testing.assert_allclose(qq, np.broadcast_to(np.eye(q.shape[-1]), qq.shape), atol=10 * tol)


def test_qr_non_contiguous_and_legacy_form():
    a = np.random.default_rng(1).standard_normal((4, 6))
    t = torch.tensor(a).t()
    q, r = torch.linalg.qr(t)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a.T, atol=1e-12)
    q2, r2 = torch.qr(t, some=False)
    assert tuple(q2.shape) == (6, 6)
    assert type(torch.linalg.qr(t)).__name__ == "linalg_qr" and torch.linalg.qr(t).Q.shape == q.shape


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: torch.linalg.qr(torch.ones(3)), RuntimeError, "linalg.qr: The input tensor A must have at least 2 dimensions."),
    (lambda: torch.linalg.qr(torch.ones(2, 2).long()), RuntimeError,
     "linalg.qr: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.qr(torch.ones(2, 2).half()), NotImplementedError, "\"geqrf_cpu\" not implemented for 'Half'"),
    (lambda: torch.linalg.qr(torch.ones(2, 2), "full"), RuntimeError, "qr received unrecognized mode 'full'"),
])
def test_qr_bad_inputs(call, exc, msg):
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)
