"""torch.linalg: what ctorch has so far (qr through LAPACK, norms through the reductions)."""
from .. import _C

__all__ = ["qr", "vector_norm", "norm"]


def qr(A, mode="reduced", *, out=None):
    """Q, R with A = Q R (LAPACK geqrf/orgqr); mode 'reduced', 'complete' or 'r'."""
    if out is not None:
        raise TypeError("linalg.qr(): out= is not supported by ctorch")
    return _C.linalg_qr(A, mode)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ord-norm of x over dim (all dims when None)."""
    if dtype is not None:
        x = x.to(dtype)
    return x.norm(ord, dim, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """The 2-norm of the flattened input (ord=None), or the vector norm for a vector ord over dim."""
    if ord is not None and isinstance(ord, str):
        if ord != "fro":
            raise NotImplementedError(f"linalg.norm: ord='{ord}' is not supported by ctorch")
        ord = 2
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
