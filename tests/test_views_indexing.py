"""Views (view reshape permute transpose t unsqueeze squeeze expand expand_as
flatten narrow select) and basic indexing / assignment (ints, slices with
steps, None, Ellipsis).

Every result is checked against NumPy doing the same thing to the same data,
and views are checked to share memory: writing through the view must change
the base exactly where writing through NumPy's view changes NumPy's base.
"""
import zlib

import numpy as np
import pytest

from helpers import torch, real_torch, assert_close, NP_DTYPES

KINDS = ["contiguous", "permuted", "stepped", "offset", "expanded"]


def make(kind, npdt=np.float32, shape=(4, 5, 6)):
    """(torch base, numpy base, torch input, numpy input): an input of `shape`
    that is a view of its base, built the same way on both sides."""
    assert shape == (4, 5, 6)
    if kind == "contiguous":
        nb = np.arange(120).reshape(4, 5, 6)
    elif kind == "permuted":
        nb = np.arange(120).reshape(6, 4, 5)
    elif kind == "stepped":
        nb = np.arange(480).reshape(8, 5, 12)
    elif kind == "offset":
        nb = np.arange(210).reshape(5, 6, 7)
    else:  # expanded
        nb = np.arange(24).reshape(4, 1, 6)
    nb = nb % 100
    nb = (nb % 3 == 0) if npdt == np.bool_ else nb.astype(npdt)
    tb = torch.tensor(nb)
    ops = {
        "contiguous": (lambda x: x, lambda x: x),
        "permuted": (lambda x: x.permute(1, 2, 0), lambda x: x.transpose(1, 2, 0)),
        "stepped": (lambda x: x[::2, :, ::2], lambda x: x[::2, :, ::2]),
        "offset": (lambda x: x[1:, 1:, 1:], lambda x: x[1:, 1:, 1:]),
        "expanded": (lambda x: x.expand(4, 5, 6), lambda x: np.broadcast_to(x, (4, 5, 6))),
    }[kind]
    ti, ni = ops[0](tb), ops[1](nb)
    assert tuple(ti.shape) == ni.shape == (4, 5, 6)
    return tb, nb, ti, ni


E = Ellipsis
KEYS = [
    1, -1, 3, slice(None), slice(1, 3), slice(None, None, 2), slice(1, None, 3), slice(10, None),
    slice(-2, None), slice(3, 1), (), (0, 0, 0), (-1, -2, -3), (3, 4, 5), (1, 2), (slice(None), 2),
    (E,), (E, 1), (1, E), (E, slice(None, None, 4)), (0, E, 2), (None,), (None, 1, None), (E, None),
    (slice(None), None, slice(None, None, 2), -1), (0, E, slice(2, None, 2), None), (None, E, None),
    (slice(-3, -1), slice(None, None, 3), slice(1, 6, 2)), (2, slice(None), slice(None, None, 5)),
    (slice(None), slice(None), slice(None), None), (1, 2, 3, None), (None, 1, 2, 3), (E, 5),
    (slice(None, None, 10),), (slice(0, 0), 1),
]
KEY_IDS = [repr(k).replace(" ", "") for k in KEYS]


@pytest.mark.parametrize("key", KEYS, ids=KEY_IDS)
@pytest.mark.parametrize("kind", KINDS)
def test_getitem_matches_numpy_and_is_view(kind, key):
    tb, nb, ti, ni = make(kind)
    r, e = ti[key], ni[key]
    assert_close(r, e)
    if r.numel():
        # a view: data inside the base's memory
        lo = tb.data_ptr()
        hi = lo + tb.numel() * tb.element_size()
        assert lo <= r.data_ptr() < hi
        assert r.data_ptr() == lo + r.storage_offset() * r.element_size()
    if kind == "expanded":
        return  # overlapping memory: read only
    r.fill_(-1)
    ni[key] = -1
    assert_close(tb, nb)


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
@pytest.mark.parametrize("key", [(1, E, slice(None, None, 2)), (slice(1, None, 2), None, -1), (2, 3, 4)],
                         ids=["a", "b", "c"])
def test_getitem_dtypes(name, npdt, key):
    tb, nb, ti, ni = make("permuted", npdt)
    assert ti.dtype == getattr(torch, name)
    assert_close(ti[key], ni[key])


def test_getitem_bfloat16():
    tb, nb, ti, ni = make("stepped")
    t16 = ti.bfloat16()
    r = t16[1, ::2, None]
    assert r.dtype == torch.bfloat16
    assert_close(r.float(), ni[1, ::2, None])


def test_getitem_zero_dim_results():
    t = torch.arange(24).reshape(2, 3, 4)
    r = t[1, 2, 3]
    assert r.shape == () and r.dim() == 0 and r.item() == 23
    assert r.storage_offset() == 23
    z = torch.tensor(5.0)
    assert z[()].shape == () and z[...].shape == () and z[None].shape == (1,)
    assert z[None, None].shape == (1, 1)
    assert z[...].data_ptr() == z.data_ptr()
    z[()] = 3
    assert z.item() == 3.0
    z[...] = 4
    assert z.item() == 4.0


@pytest.mark.parametrize("key", KEYS, ids=KEY_IDS)
@pytest.mark.parametrize("kind", ["contiguous", "permuted", "stepped", "offset"])
def test_setitem_scalar(kind, key):
    tb, nb, ti, ni = make(kind)
    ti[key] = 7.5
    ni[key] = 7.5
    assert_close(tb, nb)
    ti[key] = 3  # int into float
    ni[key] = 3
    assert_close(tb, nb)


@pytest.mark.parametrize("key", KEYS, ids=KEY_IDS)
@pytest.mark.parametrize("kind", ["contiguous", "permuted", "stepped"])
def test_setitem_tensor_broadcast(kind, key):
    tb, nb, ti, ni = make(kind)
    target = ni[key]
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    # full shape, trailing dim only (broadcast), and a 0-dim value
    shapes = [target.shape, target.shape[-1:], ()]
    if target.ndim >= 2:
        shapes.append((1,) + target.shape[1:])
    for shape in shapes:
        v = rng.integers(-50, 50, size=shape).astype(np.float32)
        ti[key] = torch.tensor(v)
        ni[key] = v
        assert_close(tb, nb)
    # a non-contiguous value of another dtype (cast on assignment)
    if target.ndim >= 2:
        v = rng.integers(-50, 50, size=target.shape[::-1])
        ti[key] = torch.tensor(v).t() if target.ndim == 2 else torch.tensor(v).permute(
            *range(target.ndim - 1, -1, -1))
        ni[key] = v.T
        assert_close(tb, nb)


@pytest.mark.parametrize("name, npdt", NP_DTYPES)
def test_setitem_dtypes(name, npdt):
    tb, nb, ti, ni = make("contiguous", npdt)
    one = True if name == "bool" else 9
    ti[1, :, ::2] = one
    ni[1, :, ::2] = one
    ti[E, 0] = torch.tensor(nb[0, 1, :4].reshape(4, 1))
    ni[E, 0] = nb[0, 1, :4].reshape(4, 1)
    assert_close(tb, nb)


def test_setitem_casts_value():
    x = torch.zeros(3, 4, dtype=torch.int32)
    x[0] = 2.7
    x[1, :2] = torch.tensor([1.9, -2.9])
    assert x.tolist() == [[2, 2, 2, 2], [1, -2, 0, 0], [0, 0, 0, 0]]
    y = torch.zeros(3)
    y[1] = torch.tensor(2.5, dtype=torch.float64)
    y[2] = True
    assert y.tolist() == [0.0, 2.5, 1.0]


def test_chained_views_write_through():
    base = torch.zeros(4, 6)
    nbase = np.zeros((4, 6), dtype=np.float32)
    base[1:][:, ::2][1][1:] = 5
    nbase[1:][:, ::2][1][1:] = 5
    base.t()[2][::3] = -1
    nbase.T[2][::3] = -1
    assert_close(base, nbase)


# ---------------------------------------------------------------------------
# indexing errors
# ---------------------------------------------------------------------------

def test_negative_step_raises():
    t = torch.zeros(3, 4)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[:, 3:0:-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1] = 1


def test_index_out_of_range():
    t = torch.zeros(3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        t[5]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        t[-4]
    u = torch.zeros(2, 3)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        u[0, 3]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
        u[0, 5] = 1
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 1 with size 2"):
        u.t()[:, 2]


def test_too_many_indices():
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 1"):
        torch.zeros(3)[1, 2]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        torch.zeros(3, 4)[1, 2, 3]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        torch.zeros(2, 3)[:, 0, 1]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        torch.tensor(1.0)[0]


def test_bad_index_type():
    with pytest.raises(IndexError, match="only integers, slices"):
        torch.zeros(3)[0.5]


def test_setitem_shape_mismatch():
    t = torch.zeros(2, 3)
    with pytest.raises(RuntimeError, match="The expanded size of the tensor"):
        t[0] = torch.zeros(2)


# ---------------------------------------------------------------------------
# view ops against NumPy, on contiguous and non-contiguous inputs
# ---------------------------------------------------------------------------

VIEW_OPS = {
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "permute_tuple": (lambda t: t.permute((1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    "permute_neg": (lambda t: t.permute(-1, 0, -2), lambda a: a.transpose(2, 0, 1)),
    "torch.permute": (lambda t: torch.permute(t, (2, 1, 0)), lambda a: a.transpose(2, 1, 0)),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: np.swapaxes(a, 0, 2)),
    "transpose_neg": (lambda t: t.transpose(-1, 1), lambda a: np.swapaxes(a, 2, 1)),
    "transpose_same": (lambda t: t.transpose(1, 1), lambda a: a),
    "torch.transpose": (lambda t: torch.transpose(t, 0, 1), lambda a: np.swapaxes(a, 0, 1)),
    "unsqueeze0": (lambda t: t.unsqueeze(0), lambda a: a[None]),
    "unsqueeze2": (lambda t: t.unsqueeze(2), lambda a: a[:, :, None]),
    "unsqueeze-1": (lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    "torch.unsqueeze": (lambda t: torch.unsqueeze(t, 1), lambda a: a[:, None]),
    "narrow": (lambda t: t.narrow(1, 1, 3), lambda a: a[:, 1:4]),
    "narrow_neg": (lambda t: t.narrow(-1, -4, 2), lambda a: a[..., 2:4]),
    "narrow_empty": (lambda t: t.narrow(0, 2, 0), lambda a: a[2:2]),
    "torch.narrow": (lambda t: torch.narrow(t, 2, 0, 5), lambda a: a[:, :, :5]),
    "select": (lambda t: t.select(1, 2), lambda a: a[:, 2]),
    "select_neg": (lambda t: t.select(-1, -1), lambda a: a[..., -1]),
    "torch.select": (lambda t: torch.select(t, 0, 3), lambda a: a[3]),
    "squeeze_none": (lambda t: t.squeeze(), lambda a: a),
    "squeeze_after_unsqueeze": (lambda t: t.unsqueeze(1).squeeze(1), lambda a: a),
    "squeeze_narrow": (lambda t: t.narrow(2, 3, 1).squeeze(), lambda a: a[:, :, 3]),
    "squeeze_dims": (lambda t: t[:1, :, 2:3].squeeze((0, 2)), lambda a: a[0, :, 2]),
    "flatten_01": (lambda t: t.flatten(0, 1), lambda a: a.reshape(20, 6)),
    "flatten_12": (lambda t: t.flatten(1), lambda a: a.reshape(4, 30)),
    "flatten_same": (lambda t: t.flatten(1, 1), lambda a: a),
    "t_of_select": (lambda t: t[0].t(), lambda a: a[0].T),
    "T_of_select": (lambda t: t[:, 1].T, lambda a: a[:, 1].T),
    "mT": (lambda t: t.mT, lambda a: np.swapaxes(a, -1, -2)),
    "chain": (lambda t: t.transpose(0, 1)[1:].unsqueeze(0).select(3, 2).narrow(2, 1, 2),
              lambda a: np.swapaxes(a, 0, 1)[1:][None][:, :, 1:3, 2]),
}


@pytest.mark.parametrize("op", sorted(VIEW_OPS))
@pytest.mark.parametrize("kind", KINDS)
def test_view_ops(op, kind):
    tb, nb, ti, ni = make(kind)
    ft, fn = VIEW_OPS[op]
    r, e = ft(ti), fn(ni)
    assert_close(r, e)
    if kind == "expanded":
        return  # overlapping memory: read only (and NumPy may view where PyTorch copies)
    # flatten copies exactly when NumPy's reshape does; every other op is a view
    shares = np.shares_memory(e, nb) or e.size == 0
    assert shares or op.startswith("flatten")
    if r.numel():
        lo = tb.data_ptr()
        assert (lo <= r.data_ptr() < lo + tb.numel() * tb.element_size()) == shares
    r.fill_(-1)
    if shares:
        e[...] = -1
    assert_close(tb, nb)


# flatten / reshape copy only when they must; NumPy's reshape decides the same way
RESHAPES = [(24, 5), (-1,), (4, 30), (20, 6), (2, 2, 5, 6), (4, 5, 2, 3), (120,), (6, 20), (1, 4, 1, 30)]


@pytest.mark.parametrize("shape", RESHAPES, ids=[str(s) for s in RESHAPES])
@pytest.mark.parametrize("kind", KINDS)
def test_reshape(kind, shape):
    tb, nb, ti, ni = make(kind)
    r = ti.reshape(shape)
    e = ni.reshape(shape)
    assert_close(r, e)
    assert_close(torch.reshape(ti, shape), e)
    assert_close(ti.reshape(*shape), e)
    shares = np.shares_memory(e, nb)
    if kind != "expanded":  # NumPy may view broadcast arrays where PyTorch copies
        assert (tb.data_ptr() <= r.data_ptr() < tb.data_ptr() + tb.numel() * tb.element_size()) == shares
        r.fill_(-1)
        if shares:
            e[...] = -1
        assert_close(tb, nb)


def test_reshape_copies_only_when_needed():
    t = torch.arange(24.0).reshape(2, 3, 4)
    assert t.reshape(6, 4).data_ptr() == t.data_ptr()
    assert t.reshape(-1).data_ptr() == t.data_ptr()
    tt = t.transpose(0, 1)
    r = tt.reshape(6, 4)
    assert r.data_ptr() != t.data_ptr() and r.is_contiguous()
    assert_close(r, np.arange(24.0, dtype=np.float32).reshape(2, 3, 4).transpose(1, 0, 2).reshape(6, 4))
    # a non-contiguous tensor whose reshape is still a view
    s = torch.arange(40).reshape(4, 10)[:, :5]
    v = s.reshape(2, 2, 5)
    assert v.data_ptr() == s.data_ptr() and v.stride() == (20, 10, 1)


def test_view():
    t = torch.arange(24.0).reshape(2, 3, 4)
    for shape in [(6, 4), (24,), (-1,), (2, -1, 2), (4, 6), (1, 24, 1)]:
        v = t.view(shape)
        assert_close(v, np.arange(24.0, dtype=np.float32).reshape(shape))
        assert v.data_ptr() == t.data_ptr() and v.is_contiguous()
        assert_close(t.view(*shape), np.arange(24.0, dtype=np.float32).reshape(shape))
    assert t.view(torch.Size([6, 4])).shape == (6, 4)
    v = t.view(4, 6)
    v[1, 2] = 100
    assert t[0, 2, 0].item() == 100
    assert torch.tensor(3.0).view(1).shape == (1,)
    assert torch.tensor([3.0]).view(()).shape == ()
    assert torch.zeros(0, 3).view(-1).shape == (0,)
    # compatible strides on a non-contiguous input
    s = torch.arange(40).reshape(4, 10)[:, :5]
    v = s.view(2, 2, 5)
    assert v.stride() == (20, 10, 1) and v.data_ptr() == s.data_ptr()
    assert_close(v, np.arange(40).reshape(4, 10)[:, :5].reshape(2, 2, 5))
    e = torch.tensor([1.0, 2.0]).expand(3, 2)
    assert e.view(3, 1, 2).stride() == (0, 2, 1)


def test_view_errors():
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        torch.zeros(3, 4).t().view(12)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        torch.arange(40).reshape(4, 10)[:, :5].view(20)
    with pytest.raises(RuntimeError, match=r"shape '\[-1, 5\]' is invalid for input of size 24"):
        torch.zeros(2, 3, 4).view(-1, 5)
    with pytest.raises(RuntimeError, match=r"shape '\[3\]' is invalid for input of size 2"):
        torch.tensor([1, 2]).view(3)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        torch.zeros(2, 3, 4).view(-1, -1)
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        torch.zeros(2, 3).reshape(4, 2)


def test_squeeze():
    t = torch.arange(6.0).reshape(1, 2, 1, 3)
    a = np.arange(6.0, dtype=np.float32).reshape(1, 2, 1, 3)
    assert_close(t.squeeze(), a.squeeze())
    assert_close(t.squeeze(0), a.squeeze(0))
    assert_close(t.squeeze(1), a)  # size != 1: unchanged
    assert_close(t.squeeze(-2), a.squeeze(-2))
    assert_close(t.squeeze((0, 2)), a.squeeze((0, 2)))
    assert_close(t.squeeze((1, 2)), a.squeeze(2))
    assert_close(torch.squeeze(t), a.squeeze())
    assert_close(torch.squeeze(t, 2), a.squeeze(2))
    assert t.squeeze().data_ptr() == t.data_ptr()
    assert torch.zeros(1, 1).squeeze().shape == ()
    assert torch.tensor(2.0).squeeze().shape == ()
    assert torch.zeros(3, 1).squeeze(0).shape == (3, 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.zeros(2).squeeze(1)


def test_unsqueeze_strides():
    assert torch.zeros(3, 4).unsqueeze(1).stride() == (4, 4, 1)
    assert torch.zeros(3, 4).unsqueeze(0).stride() == (12, 4, 1)
    assert torch.zeros(3, 4).unsqueeze(2).stride() == (4, 1, 1)
    assert torch.zeros(3).unsqueeze(-1).shape == (3, 1)
    assert torch.tensor(1.0).unsqueeze(0).shape == (1,)
    assert torch.tensor(1.0).unsqueeze(-1).shape == (1,)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)"):
        torch.zeros(3).unsqueeze(3)


def test_permute_transpose_strides_and_errors():
    t = torch.zeros(2, 3, 4)
    assert t.permute(2, 0, 1).stride() == (1, 12, 4)
    assert t.permute(2, 0, 1).shape == (4, 2, 3)
    assert t.transpose(0, 2).stride() == (1, 4, 12)
    assert t.permute(0, 1, 2).data_ptr() == t.data_ptr()
    with pytest.raises(RuntimeError, match="duplicate dims are not allowed"):
        torch.zeros(2, 3).permute(0, 0)
    with pytest.raises(RuntimeError, match="number of dimensions in the tensor input does not match"):
        torch.zeros(2, 3).permute(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.zeros(2, 3).transpose(0, 2)


def test_expand():
    v = torch.tensor([1.0, 2.0, 3.0])
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    e = v.expand(2, -1)
    assert e.shape == (2, 3) and e.stride() == (0, 1) and not e.is_contiguous()
    assert_close(e, np.broadcast_to(a, (2, 3)))
    e = v.expand(4, 2, 3)
    assert e.stride() == (0, 0, 1)
    assert_close(e, np.broadcast_to(a, (4, 2, 3)))
    assert v.expand(torch.Size([2, 3])).shape == (2, 3)
    assert v.expand((2, 3)).shape == (2, 3)
    c = torch.arange(3.0).reshape(3, 1)
    e = c.expand(3, 4)
    assert e.stride() == (1, 0)
    assert_close(e, np.broadcast_to(np.arange(3.0, dtype=np.float32).reshape(3, 1), (3, 4)))
    # shares memory with its base
    c[1, 0] = 9
    assert e[1].tolist() == [9.0] * 4
    assert e.data_ptr() == c.data_ptr()
    # expanding an expanded, non-contiguous tensor
    n = torch.arange(12.0).reshape(3, 4)[:, :1].t()  # (1, 3)
    assert_close(n.expand(2, 3), np.broadcast_to(np.arange(0.0, 12, 4, dtype=np.float32), (2, 3)))
    assert torch.tensor(5.0).expand(2, 2).stride() == (0, 0)
    assert torch.zeros(0, 1).expand(0, 4).shape == (0, 4)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(2\) "
                                           r"at non-singleton dimension 1"):
        torch.zeros(3, 2).expand(3, 4)
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3).expand(3)


def test_expand_as():
    v = torch.tensor([[1], [2]], dtype=torch.int32)
    e = v.expand_as(torch.zeros(3, 2, 4))
    assert e.shape == (3, 2, 4) and e.dtype == torch.int32
    assert e.stride() == (0, 1, 0)
    assert_close(e, np.broadcast_to(np.array([[1], [2]], dtype=np.int32), (3, 2, 4)))


def test_flatten():
    t = torch.arange(24).reshape(2, 3, 4)
    a = np.arange(24).reshape(2, 3, 4)
    assert_close(t.flatten(), a.reshape(-1))
    assert_close(t.flatten(1), a.reshape(2, 12))
    assert_close(t.flatten(0, 1), a.reshape(6, 4))
    assert_close(t.flatten(-2, -1), a.reshape(2, 12))
    assert_close(t.flatten(start_dim=1, end_dim=2), a.reshape(2, 12))
    assert_close(torch.flatten(t, 0, 1), a.reshape(6, 4))
    assert t.flatten().data_ptr() == t.data_ptr()
    assert torch.tensor(3.0).flatten().shape == (1,)
    tt = t.transpose(0, 2)
    f = tt.flatten()
    assert_close(f, a.transpose(2, 1, 0).reshape(-1))
    assert f.is_contiguous()
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        torch.zeros(2, 3).flatten(1, 0)


def test_narrow_select_errors_and_offsets():
    t = torch.zeros(2, 3, 4)
    assert t.narrow(2, 1, 2).stride() == (12, 4, 1) and t.narrow(2, 1, 2).storage_offset() == 1
    assert t.select(1, -1).storage_offset() == 8 and t.select(1, 2).shape == (2, 4)
    assert torch.zeros(2, 3).narrow(1, -2, 2).storage_offset() == 1
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        torch.zeros(2, 3).narrow(1, 2, 2)
    with pytest.raises(IndexError, match=r"select\(\): index 2 out of range for tensor of size \[2, 3\] at dimension 0"):
        torch.zeros(2, 3).select(0, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.zeros(2, 3).select(2, 0)


# ---------------------------------------------------------------------------
# parity with real PyTorch: strides and offsets of every view (NumPy's strides
# differ from PyTorch's for size-1 and empty dims, so compare with PyTorch)
# ---------------------------------------------------------------------------

def _make_in(lib, kind):
    if kind == "contiguous":
        return lib.arange(120.0).reshape(4, 5, 6)
    if kind == "permuted":
        return lib.arange(120.0).reshape(6, 4, 5).permute(1, 2, 0)
    if kind == "stepped":
        return lib.arange(480.0).reshape(8, 5, 12)[::2, :, ::2]
    if kind == "offset":
        return lib.arange(210.0).reshape(5, 6, 7)[1:, 1:, 1:]
    return lib.arange(24.0).reshape(4, 1, 6).expand(4, 5, 6)


def _layout(t):
    return tuple(t.shape), t.stride(), t.storage_offset(), t.is_contiguous()


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="needs real PyTorch")
@pytest.mark.parametrize("kind", KINDS)
def test_parity_view_layouts(kind):
    ours, theirs = _make_in(torch, kind), _make_in(real_torch, kind)
    assert _layout(ours) == _layout(theirs)
    for key in KEYS:
        assert _layout(ours[key]) == _layout(theirs[key]), key
    for op in sorted(VIEW_OPS):
        ft = VIEW_OPS[op][0]
        if "torch." in op:
            continue  # these call the module under test by name
        assert _layout(ft(ours)) == _layout(ft(theirs)), op
    for shape in RESHAPES:
        assert tuple(ours.reshape(shape).shape) == tuple(theirs.reshape(shape).shape)
        assert ours.reshape(shape).stride() == theirs.reshape(shape).stride(), shape
    for fn in (lambda t: t.clone(), lambda t: t.contiguous(), lambda t: t.unsqueeze(1),
               lambda t: t[:, :1].squeeze(1), lambda t: t[:, 2:2].unsqueeze(0), lambda t: t.flatten(),
               lambda t: t[:, 1:2].transpose(0, 1), lambda t: t[:1, :1, :1].squeeze()):
        assert _layout(fn(ours)) == _layout(fn(theirs))


# ---------------------------------------------------------------- reshape that must copy: clone + _unsafe_view

def test_reshape_copy_is_unsafe_view_of_a_clone():
    x = torch.arange(6.0, requires_grad=True)
    y = x.reshape(2, 3).t().reshape(6)   # not viewable: copied
    assert type(y.grad_fn).__name__ == "UnsafeViewBackward0"
    assert [type(f[0]).__name__ for f in y.grad_fn.next_functions] == ["CloneBackward0"]
    assert y.is_contiguous()
    (y * torch.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    assert type(x.reshape(3, 2).grad_fn).__name__ == "ViewBackward0"   # viewable: a view
