"""Shape ops that copy or split: cat, stack, hstack, vstack, split, chunk,
unbind, flip, fliplr, flipud, roll, repeat, tile, tril, triu, movedim,
broadcast_to, unflatten. NumPy is the oracle; bad inputs raise PyTorch's
exceptions and messages."""
import numpy as np
import pytest

from helpers import DNAMES, assert_close, dname, dt, mk, np_of, promote, seed, torch, vals


def data(shape, name, key):
    """Values of dtype `name` (small integers: exact in every dtype)."""
    rng = np.random.default_rng(seed(key, shape, name))
    a = rng.integers(-3, 4, size=shape)
    if name == "bool":
        a = a > 0
    elif name == "uint8":
        a = np.abs(a)
    return a.astype(np_of(name))


def layouts(a, name):
    """The same values contiguous, transposed (non-contiguous) and strided."""
    c = mk(a, name)
    out = [("c", c)]
    if a.ndim >= 2:
        out.append(("t", mk(np.ascontiguousarray(np.swapaxes(a, -1, -2)), name).transpose(-1, -2)))
    if a.ndim >= 1:
        big = np.repeat(a, 2, axis=-1)
        out.append(("s", mk(big, name)[..., ::2]))
    return out


def np_vals(t):
    return vals(t)


# ---- cat, stack, hstack, vstack

@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_matches_numpy(name, dim):
    a, b = data((2, 3), name, "a"), data((2, 3), name, "b")
    for (la, ta), (lb, tb) in zip(layouts(a, name), reversed(layouts(b, name))):
        got = torch.cat([ta, tb, ta], dim)
        assert dname(got) == name
        assert_close(got, np.concatenate([np_vals(ta), np_vals(tb), np_vals(ta)], dim), check_dtype=False)


@pytest.mark.parametrize("pair", [("int32", "float32"), ("bool", "int64"), ("uint8", "int8"), ("float16", "bfloat16"),
                                  ("int64", "float64")])
def test_cat_promotes(pair):
    x, y = mk(data((2, 2), pair[0], "x"), pair[0]), mk(data((3, 2), pair[1], "y"), pair[1])
    got = torch.cat((x, y))
    assert dname(got) == promote(*pair)
    expect = np.concatenate([np_vals(x).astype(np.float64), np_vals(y).astype(np.float64)])
    assert_close(got, expect, check_dtype=False)


def test_cat_many_and_kwargs():
    parts = [torch.full((1, 2), float(i)) for i in range(10)]
    got = torch.cat(tensors=parts, dim=0)
    assert_close(got, np.repeat(np.arange(10.0, dtype=np.float32), 2).reshape(10, 2))
    assert_close(torch.concat(parts[:2], dim=1), np.array([[0, 0, 1, 1]], dtype=np.float32))


def test_cat_skips_legacy_empty():
    x = torch.ones(2, 3)
    got = torch.cat([torch.tensor([]), x, torch.tensor([])])
    assert tuple(got.shape) == (2, 3)
    assert tuple(torch.cat([torch.zeros(0, 3), x]).shape) == (2, 3)


@pytest.mark.parametrize("name", ["int64", "float32", "bool"])
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_matches_numpy(name, dim):
    a, b = data((2, 3), name, "a"), data((2, 3), name, "b")
    for (_, ta), (_, tb) in zip(layouts(a, name), layouts(b, name)):
        assert_close(torch.stack([ta, tb], dim=dim), np.stack([a, b], dim), check_dtype=False)


def test_hstack_vstack():
    a, b = np.arange(3.0, dtype=np.float32), np.arange(3.0, 6.0, dtype=np.float32)
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert_close(torch.hstack([ta, tb]), np.hstack([a, b]))
    assert_close(torch.vstack([ta, tb]), np.vstack([a, b]))
    m = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    tm = torch.tensor(m)
    assert_close(torch.hstack((tm, tm)), np.hstack([m, m]))
    assert_close(torch.vstack((tm, ta)), np.vstack([m, a]))


# ---- split, chunk, unbind

@pytest.mark.parametrize("name", ["int16", "float64", "bfloat16"])
def test_split_matches_numpy(name):
    a = data((4, 7), name, "split")
    for _, t in layouts(a, name):
        got = t.split(3, 1)
        expect = np.split(np_vals(t), [3, 6], 1)
        assert len(got) == 3
        for g, e in zip(got, expect):
            assert_close(g, e, check_dtype=False)
        got = torch.split(t, [1, 0, 3], dim=0)
        for g, e in zip(got, np.split(np_vals(t), [1, 1], 0)):
            assert_close(g, e, check_dtype=False)


def test_split_pieces_are_views():
    t = torch.zeros(4, 2)
    t.split(2)[1].fill_(1)
    assert_close(t, np.array([[0, 0], [0, 0], [1, 1], [1, 1]], dtype=np.float32))


@pytest.mark.parametrize("n,chunks", [(6, 3), (7, 3), (5, 4), (2, 5), (0, 2)])
def test_chunk_matches_pytorch_sizes(n, chunks):
    t = torch.arange(n)
    got = t.chunk(chunks)
    size = -(-n // chunks) if n else 0
    expect = [len(p) for p in np.split(np.arange(n), range(size, n, size))] if n else [0] * chunks
    assert [len(p) for p in got] == expect
    if n:
        assert_close(torch.cat(got), np.arange(n))


def test_unbind():
    a = np.arange(24).reshape(2, 3, 4)
    t = torch.tensor(a).transpose(0, 2)
    got = torch.unbind(t, dim=1)
    assert len(got) == 3
    for i, g in enumerate(got):
        assert_close(g, a.transpose(2, 1, 0)[:, i])


# ---- flip, roll

@pytest.mark.parametrize("name", DNAMES)
def test_flip_matches_numpy(name):
    a = data((2, 3, 4), name, "flip")
    for _, t in layouts(a, name):
        v = np_vals(t)
        assert_close(t.flip(0), np.flip(v, 0), check_dtype=False)
        assert_close(torch.flip(t, [0, 2]), np.flip(v, (0, 2)), check_dtype=False)
        assert_close(t.flip(-1, 1), np.flip(v, (-1, 1)), check_dtype=False)
        assert_close(torch.fliplr(t), np.fliplr(v), check_dtype=False)
        assert_close(torch.flipud(t), np.flipud(v), check_dtype=False)


@pytest.mark.parametrize("name", ["uint8", "int32", "float32", "float16"])
@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), (7, None), ((1, -3), (0, 2)), (0, 1), (5, -1)])
def test_roll_matches_numpy(name, shifts, dims):
    a = data((3, 4, 5), name, "roll")
    for _, t in layouts(a, name):
        got = torch.roll(t, shifts, dims) if dims is not None else t.roll(shifts)
        assert_close(got, np.roll(np_vals(t), shifts, dims), check_dtype=False)


# ---- repeat, tile

@pytest.mark.parametrize("name", ["bool", "int8", "float64"])
@pytest.mark.parametrize("reps", [(2, 3), (1, 1), (3, 1, 2), (0, 2)])
def test_repeat_matches_numpy_tile(name, reps):
    a = data((2, 3), name, "repeat")
    for _, t in layouts(a, name):
        assert_close(t.repeat(*reps), np.tile(np_vals(t), reps), check_dtype=False)
        assert_close(t.repeat(reps), np.tile(np_vals(t), reps), check_dtype=False)


@pytest.mark.parametrize("reps", [(2,), (2, 2), (1, 2, 3)])
def test_tile_matches_numpy(reps):
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert_close(torch.tile(torch.tensor(a), reps), np.tile(a, reps))
    assert_close(torch.tensor(a).t().tile(reps), np.tile(a.T, reps))


# ---- tril, triu

@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu_match_numpy(name, k):
    a = data((2, 3, 4), name, "tri")
    for _, t in layouts(a, name):
        v = np_vals(t)
        assert_close(torch.tril(t, k), np.tril(v, k), check_dtype=False)
        assert_close(t.triu(diagonal=k), np.triu(v, k), check_dtype=False)
        assert dname(t.tril(k)) == name


# ---- movedim, broadcast_to, unflatten

def test_movedim_broadcast_to_unflatten():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = torch.tensor(a)
    assert_close(torch.movedim(t, 0, -1), np.moveaxis(a, 0, -1))
    assert_close(t.movedim((0, 1), (2, 0)), np.moveaxis(a, (0, 1), (2, 0)))
    assert_close(torch.moveaxis(t, 2, 0), np.moveaxis(a, 2, 0))
    b = np.arange(3.0)
    assert_close(torch.broadcast_to(torch.tensor(b), (2, 3)), np.broadcast_to(b, (2, 3)))
    assert_close(t.unflatten(2, (2, 2)), a.reshape(2, 3, 2, 2))
    assert_close(torch.unflatten(t, -1, (-1, 2)), a.reshape(2, 3, 2, 2))


# ---- bad inputs: PyTorch's exception classes and messages

BAD = [
    ("cat sizes", lambda: torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)], 1 - 1), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the "
     "list."),
    ("cat sizes dim 1", lambda: torch.cat([torch.zeros(3, 2), torch.zeros(4, 2)], 1), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 3 but got size 4 for tensor number 1 in the "
     "list."),
    ("cat empty list", lambda: torch.cat([]), ValueError, "expected a non-empty list of Tensors"),
    ("cat 0-dim", lambda: torch.cat([torch.tensor(1.0)]), RuntimeError,
     "zero-dimensional tensor (at position 0) cannot be concatenated"),
    ("cat ranks", lambda: torch.cat([torch.zeros(2, 3), torch.zeros(2, 3, 1)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 3"),
    ("cat dim", lambda: torch.cat([torch.zeros(2, 3)], 2), IndexError, "Dimension out of range"),
    ("cat non-tensor", lambda: torch.cat([torch.zeros(2), 3]), TypeError, "expected Tensor as element 1"),
    ("stack sizes", lambda: torch.stack([torch.zeros(2, 3), torch.zeros(2, 4)]), RuntimeError,
     "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1"),
    ("stack empty", lambda: torch.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    ("split sum", lambda: torch.zeros(5).split([2, 2]), RuntimeError, "split_with_sizes expects split_sizes to sum "
     "exactly to 5"),
    ("chunk zero", lambda: torch.zeros(5).chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    ("unbind dim", lambda: torch.zeros(2, 3).unbind(2), IndexError, "Dimension out of range"),
    ("flip twice", lambda: torch.zeros(2, 3).flip(0, 0), RuntimeError, "dim 0 appears multiple times in the list of "
     "dims"),
    ("flip dim", lambda: torch.zeros(2, 3).flip(2), IndexError, "Dimension out of range"),
    ("fliplr 1-d", lambda: torch.fliplr(torch.zeros(3)), RuntimeError, "Input must be >= 2-d."),
    ("roll align", lambda: torch.zeros(2, 3).roll((1, 2), 0), RuntimeError, "shifts and dimensions must align"),
    ("repeat rank", lambda: torch.zeros(2, 3).repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be "
     "smaller than number of dimensions of tensor"),
    ("tril 1-d", lambda: torch.tril(torch.zeros(3)), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    ("triu 1-d", lambda: torch.zeros(3).triu(), RuntimeError, "triu: input tensor must have at least 2 dimensions"),
    ("split negative", lambda: torch.zeros(3).split(-1), RuntimeError,
     "split expects split_size be non-negative, but got split_size=-1"),
    ("split sizes negative", lambda: torch.zeros(3).split([4, -1]), RuntimeError,
     "split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=[4, -1]"),
    ("roll 0-dim dim", lambda: torch.tensor(1.0).roll(1, 0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    ("repeat negative", lambda: torch.ones(2).repeat(-1), RuntimeError,
     "Trying to create tensor with negative dimension -2: [-2]"),
    ("movedim repeated", lambda: torch.ones(2, 3).movedim((0, 0), (0, 1)), RuntimeError,
     "movedim: repeated dim in `source` ([0, 0])"),
    ("unflatten sizes", lambda: torch.ones(6).unflatten(0, (4, 2)), RuntimeError,
     "unflatten: Provided sizes [4, 2] don't multiply up to the size of dim 0 (6) in the input tensor"),
    ("broadcast_to", lambda: torch.zeros(2, 3).broadcast_to((4, 3)), RuntimeError, "The expanded size of the tensor "
     "(4) must match the existing size (2) at non-singleton dimension 0"),
]


@pytest.mark.parametrize("call,exc,msg", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_split_returns_tuple_and_grad_names():
    x = torch.zeros(4, 2, dtype=torch.float64).requires_grad_()
    parts = x.split(2)
    assert isinstance(parts, tuple)
    assert type(torch.cat([x, x]).grad_fn).__name__ == "CatBackward0"
    assert type(x.flip(0).grad_fn).__name__ == "FlipBackward0"
    assert type(x.roll(1, 0).grad_fn).__name__ == "RollBackward0"
    assert type(x.repeat(2, 1).grad_fn).__name__ == "RepeatBackward0"
    assert type(x.tril().grad_fn).__name__ == "TrilBackward0"
    (torch.cat(parts[::-1], 1) * torch.arange(4.0, dtype=torch.float64)).sum().backward()
    assert_close(x.grad, np.array([[2, 3], [2, 3], [0, 1], [0, 1]], dtype=np.float64))


EDGE = [
    ("cat with 2-d empty", lambda: torch.cat([torch.zeros(0, 3), torch.ones(2, 3)]), (2, 3)),
    ("cat of empties", lambda: torch.cat([torch.zeros(0), torch.zeros(0)]), (0,)),
    ("stack of 0-dim", lambda: torch.stack([torch.tensor(1.0), torch.tensor(2.0)]), (2,)),
    ("hstack of 0-dim", lambda: torch.hstack([torch.tensor(1.0), torch.tensor(2.0)]), (2,)),
    ("vstack of 0-dim", lambda: torch.vstack([torch.tensor(1.0), torch.tensor(2.0)]), (2, 1)),
    ("flip of empty", lambda: torch.zeros(0, 3).flip(0), (0, 3)),
    ("roll of empty", lambda: torch.zeros(0, 3).roll(1), (0, 3)),
    ("roll of 0-dim", lambda: torch.tensor(1.0).roll(1), ()),
    ("repeat of 0-dim", lambda: torch.tensor(2.0).repeat(2, 3), (2, 3)),
    ("repeat of empty", lambda: torch.zeros(0, 2).repeat(2, 2), (0, 4)),
    ("tile of 0-dim", lambda: torch.tile(torch.tensor(2.0), (2,)), (2,)),
    ("tril of empty", lambda: torch.zeros(0, 3).tril(), (0, 3)),
]


@pytest.mark.parametrize("call,shape", [e[1:] for e in EDGE], ids=[e[0] for e in EDGE])
def test_empty_and_zero_dim_inputs(call, shape):
    assert tuple(call().shape) == shape


@pytest.mark.parametrize("n,chunks,expect", [(0, 3, 3), (3, 5, 3)])
def test_chunk_and_split_counts(n, chunks, expect):
    assert len(torch.arange(n).chunk(chunks)) == expect
    assert len(torch.split(torch.arange(4), split_size_or_sections=2, dim=0)) == 2
    assert len(torch.zeros(0, 2).split(0)) == 1


# ---- repeat_interleave, dstack, column_stack, row_stack, meshgrid

@pytest.mark.parametrize("name", ["int64", "float32", "bool"])
@pytest.mark.parametrize("reps,dim", [(2, None), (3, 0), (2, 1), (0, 1), (1, -1)])
def test_repeat_interleave_matches_numpy(name, reps, dim):
    a = data((2, 3), name, "ri")
    for _, t in layouts(a, name):
        got = t.repeat_interleave(reps, dim=dim) if dim is not None else torch.repeat_interleave(t, reps)
        assert_close(got, np.repeat(np_vals(t), reps, axis=dim), check_dtype=False)
        assert got.is_contiguous()
    assert_close(torch.arange(3).repeat_interleave(torch.tensor([2])), np.repeat(np.arange(3), 2))


@pytest.mark.parametrize("name", ["int64", "float32", "bool"])
@pytest.mark.parametrize("counts,dim", [([1, 0], 0), ([2, 0, 3], 1), ([1, 2, 0, 3, 1, 1], None), ([3], 1)])
def test_repeat_interleave_counts_match_numpy(name, counts, dim):
    a = data((2, 3), name, "ri-counts")
    for _, t in layouts(a, name):
        reps = torch.tensor(counts)
        got = t.repeat_interleave(reps, dim=dim) if dim is not None else torch.repeat_interleave(t, reps)
        expect = np.repeat(np_vals(t), counts if len(counts) > 1 else counts[0], axis=dim)
        assert_close(got, expect, check_dtype=False)
    total = sum(counts)
    assert_close(torch.repeat_interleave(torch.tensor(counts)), np.repeat(np.arange(len(counts)), counts))
    assert_close(torch.repeat_interleave(torch.tensor(counts, dtype=torch.int32), output_size=total),
                 np.repeat(np.arange(len(counts), dtype=np.int32), counts))


def test_repeat_interleave_counts_gradient():
    x = torch.tensor(np.linspace(-1, 1, 6).reshape(2, 3)).requires_grad_()
    y = x.repeat_interleave(torch.tensor([2, 0, 1]), dim=1)
    assert type(y.grad_fn).__name__ == "IndexSelectBackward0"
    assert torch.autograd.gradcheck(lambda x: x.repeat_interleave(torch.tensor([2, 0, 1]), dim=1), (x,))


def test_dstack_column_stack_row_stack():
    a, b = np.arange(3), np.arange(3, 6)
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert_close(torch.dstack([ta, tb]), np.dstack([a, b]))
    m = np.arange(6).reshape(2, 3)
    assert_close(torch.dstack((torch.tensor(m), torch.tensor(m))), np.dstack([m, m]))
    assert_close(torch.column_stack([ta, tb, torch.tensor(np.ones((3, 2), dtype=np.int64))]),
                 np.column_stack([a, b, np.ones((3, 2), dtype=np.int64)]))
    assert_close(torch.row_stack([ta, tb]), np.vstack([a, b]))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_numpy(indexing):
    xs = [np.arange(2.0), np.arange(3.0) * 2, np.arange(4.0) - 1]
    for k in (1, 2, 3):
        got = torch.meshgrid(*[torch.tensor(x) for x in xs[:k]], indexing=indexing)
        expect = np.meshgrid(*xs[:k], indexing=indexing)
        assert len(got) == k
        for g, e in zip(got, expect):
            assert_close(g, e)
    got = torch.meshgrid([torch.tensor(xs[0]), torch.tensor(xs[1])], indexing=indexing)
    assert tuple(got[0].shape) == ((2, 3) if indexing == "ij" else (3, 2))


def test_composed_ops_are_differentiable():
    x = torch.tensor(np.linspace(-1, 1, 6).reshape(2, 3)).requires_grad_()
    v = torch.tensor(np.linspace(0, 1, 4)).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: x.repeat_interleave(2, dim=1), (x,))
    assert torch.autograd.gradcheck(lambda x: torch.dstack([x, x * 2]), (x,))
    assert torch.autograd.gradcheck(lambda a, b: torch.meshgrid(a, b, indexing="xy")[1] * 1.5, (v, v[:3]))
    assert torch.autograd.gradcheck(lambda x: torch.movedim(x, 0, 1).unflatten(0, (3, 1)), (x,))
    assert torch.autograd.gradcheck(lambda x: torch.broadcast_to(x, (2, 2, 3)), (x,))


BAD_MORE = [
    ("repeat_interleave negative", lambda: torch.arange(3).repeat_interleave(-1), RuntimeError,
     "Repeats must be non-negative"),
    ("repeat_interleave counts size", lambda: torch.ones(2, 2).repeat_interleave(torch.tensor([1, 2, 3]), dim=0),
     RuntimeError, "repeats must have the same size as input along dim, but got repeats.size(0) = 3 and "
     "input.size(0) = 2"),
    ("repeat_interleave counts negative", lambda: torch.ones(2, 2).repeat_interleave(torch.tensor([1, -2]), dim=0),
     RuntimeError, "repeats can not be negative"),
    ("repeat_interleave counts float", lambda: torch.ones(2).repeat_interleave(torch.tensor([1.0, 2.0])),
     NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'"),
    ("repeat_interleave counts 2-d", lambda: torch.repeat_interleave(torch.tensor([[1, 2]])), RuntimeError,
     "repeat_interleave only accept 1D vector as repeat"),
    ("repeat_interleave counts 2-d with input", lambda: torch.ones(2).repeat_interleave(torch.tensor([[1, 2]])),
     RuntimeError, "repeats must be 0-dim or 1-dim tensor"),
    ("repeat_interleave counts int16", lambda: torch.ones(2).repeat_interleave(torch.tensor([1, 2]).short()),
     NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Short'"),
    ("repeat_interleave output_size", lambda: torch.ones(2).repeat_interleave(torch.tensor([1, 2]), output_size=5),
     RuntimeError, "allocated size does not match required size"),
    ("meshgrid empty", lambda: torch.meshgrid([], indexing="ij"), RuntimeError, "meshgrid expects a non-empty "
     "TensorList"),
    ("meshgrid dtypes", lambda: torch.meshgrid(torch.ones(2), torch.arange(3), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    ("meshgrid 2-d", lambda: torch.meshgrid(torch.ones(2, 2), torch.ones(3), indexing="ij"), RuntimeError,
     "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got"),
    ("dstack empty", lambda: torch.dstack([]), RuntimeError, "dstack expects a non-empty TensorList"),
]


@pytest.mark.parametrize("call,exc,msg", [b[1:] for b in BAD_MORE], ids=[b[0] for b in BAD_MORE])
def test_bad_input_more(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_tril_triu_in_place():
    a = np.arange(12.0).reshape(3, 4)
    t = torch.tensor(a)
    assert t.tril_(1) is t
    assert_close(t, np.tril(a, 1))
    t = torch.tensor(a)
    t.t().triu_()   # through a view: the base changes
    assert_close(t, np.tril(a))
    x = torch.tensor(a).requires_grad_()
    y = x * 1.0
    y.triu_(diagonal=-1)
    y.sum().backward()
    assert_close(x.grad, np.triu(np.ones((3, 4)), -1))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.tril_()
