"""The CUDA backend (ctorch._C_cuda): devices, memory, host<->device copies,
and what ops without CUDA kernels do. Every test here needs a GPU and skips
without one (marker `cuda`); the CPU-only behaviour of torch.cuda.* is in
test_seed_snippets.py and test_serialization.py.

The backend has memory management and copies but no compute kernels yet:
an op either gives the CPU result or raises NotImplementedError naming the op
and the device (never a wrong value, never a crash).
"""
import numpy as np
import pytest

from helpers import DTYPES, to_numpy, torch

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU and the CUDA backend")]

RNG = np.random.default_rng(0)


def _values(np_dtype, shape):
    if np_dtype is np.bool_:
        return RNG.integers(0, 2, shape).astype(bool)
    if np.issubdtype(np_dtype, np.integer):
        return RNG.integers(0, 100, shape).astype(np_dtype)
    return RNG.standard_normal(shape).astype(np_dtype)


def test_device_queries():
    assert torch.cuda.device_count() >= 1
    assert torch.cuda.current_device() == 0
    name = torch.cuda.get_device_name(0)
    assert isinstance(name, str) and name
    torch.cuda.synchronize()


@pytest.mark.parametrize("name,np_dtype", [d for d in DTYPES if d[1] is not None])
def test_round_trip_every_dtype(name, np_dtype):
    a = _values(np_dtype, (3, 5))
    x = torch.tensor(a)
    g = x.cuda()
    assert g.is_cuda and g.device == torch.device("cuda", 0) and str(g.device) == "cuda:0"
    assert g.dtype == x.dtype and g.shape == x.shape
    back = g.cpu()
    assert not back.is_cuda
    np.testing.assert_array_equal(to_numpy(back), a)


def test_round_trip_bfloat16():
    x = torch.tensor([1.5, -2.25, 3.0], dtype=torch.bfloat16)
    assert torch.equal(x.to("cuda").to("cpu"), x)


def test_non_contiguous_sources_keep_their_values():
    a = RNG.standard_normal((4, 6)).astype(np.float32)
    x = torch.tensor(a)
    np.testing.assert_array_equal(x.t().cuda().cpu().numpy(), a.T)
    np.testing.assert_array_equal(x[:, ::2].cuda().cpu().numpy(), a[:, ::2])
    np.testing.assert_array_equal(x[1].expand(3, 6).cuda().cpu().numpy(), np.broadcast_to(a[1], (3, 6)))


def test_to_with_device_and_dtype_and_copy_back():
    a = RNG.standard_normal(10)
    x = torch.tensor(a)
    g = x.to(device="cuda", dtype=torch.float32)
    assert g.is_cuda and g.dtype == torch.float32
    np.testing.assert_allclose(g.cpu().numpy(), a.astype(np.float32))
    assert torch.tensor(a, device="cuda").device.type == "cuda"


def test_memory_counters_follow_allocations():
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    g = torch.tensor(np.zeros(1 << 20, dtype=np.float32)).cuda()   # 4 MiB
    assert torch.cuda.memory_allocated() >= before + (4 << 20)
    assert torch.cuda.max_memory_allocated() >= torch.cuda.memory_allocated()
    del g
    assert torch.cuda.memory_allocated() == before
    torch.cuda.reset_peak_memory_stats()
    assert torch.cuda.max_memory_allocated() == torch.cuda.memory_allocated()
    torch.cuda.empty_cache()


def test_allocation_larger_than_the_card_raises():
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        torch.empty(1 << 50, dtype=torch.uint8, device="cuda")
    # the process is still healthy: a normal allocation works
    assert torch.tensor([1.0, 2.0]).cuda().cpu().tolist() == [1.0, 2.0]


def test_repr_names_the_device():
    assert repr(torch.tensor([1.0, 2.0]).cuda()) == "tensor([1., 2.], device='cuda:0')"


def test_mixing_devices_raises_runtime_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.ones(3) + torch.ones(3).cuda()


OPS = {
    "add": lambda t: t + 1,
    "mul": lambda t: t * t,
    "exp": lambda t: t.exp(),
    "sum": lambda t: t.sum(),
    "matmul": lambda t: t @ t.t(),
    "relu": lambda t: torch.relu(t),
    "softmax": lambda t: torch.softmax(t, 1),
    "clone": lambda t: t.clone(),
    "contiguous": lambda t: t.t().contiguous(),
    "zero_": lambda t: t.clone().zero_(),
    # a CPU scalar first: the result lives on the tensor's device (a CPU kernel once got the CUDA operand)
    "rmul": lambda t: 0.3 * t,
    "rsub": lambda t: 1 - t,
    "rpow": lambda t: 2 ** t,
    "scalar_tensor_first": lambda t: torch.tensor(2.0) * t,
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_ops_give_the_cpu_result_or_name_what_is_missing(op):
    a = RNG.standard_normal((4, 4)).astype(np.float32)
    x = torch.tensor(a)
    want = OPS[op](x)
    try:
        got = OPS[op](x.cuda())
    except NotImplementedError as e:
        assert "cuda" in str(e)
        return
    assert got.is_cuda
    np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


# host code that reads one value (int(), float(), bool(), .item(), a 0-dim index, a scalar argument) must
# copy it from the device, never read the device pointer (that crashed the mixup snippet on a GPU)
def test_single_values_come_from_the_device():
    g = torch.tensor([7]).cuda()
    assert int(g) == 7 and float(g) == 7.0 and bool(g) and g.item() == 7
    assert torch.tensor(2.5).cuda().item() == 2.5
    assert [10, 11, 12][g.reshape(()).cpu() - 5] == 12          # __index__ of a CPU copy
    assert operator_index(torch.tensor(1).cuda()) == 1          # __index__ of a CUDA tensor
    x = torch.arange(10)
    assert x.narrow(0, torch.tensor(2).cuda(), 3).tolist() == [2, 3, 4]   # an int argument given as a CUDA tensor
    assert torch.full((2,), torch.tensor(1.5).cuda()).tolist() == [1.5, 1.5]  # a scalar argument


def operator_index(t):
    import operator
    return operator.index(t)


def _values_or_not_implemented(fn, want):
    try:
        got = fn()
    except NotImplementedError as e:
        assert "cuda" in str(e)
        return
    np.testing.assert_array_equal(np.asarray(got.cpu().tolist() if hasattr(got, "cpu") else got), want)


def test_indexing_cuda_tensors_never_reads_device_memory_on_the_host():
    a = np.arange(24, dtype=np.float32).reshape(6, 4)
    g, perm = torch.tensor(a).cuda(), torch.tensor([5, 0, 3]).cuda()
    _values_or_not_implemented(lambda: g[perm, :], a[[5, 0, 3], :])
    _values_or_not_implemented(lambda: g[:, perm[:2] - 3], a[:, [2, -3]])
    _values_or_not_implemented(lambda: g[torch.tensor(True).cuda()], a[None])
    _values_or_not_implemented(lambda: g[g > 10], a[a > 10])
    _values_or_not_implemented(lambda: 0.3 * g + 0.7 * g[perm[[0, 1, 2, 0, 1, 2]], :], 0.3 * a + 0.7 * a[[5, 0, 3, 5, 0, 3]])


def test_cpu_kernels_refuse_cuda_operands():
    x = torch.arange(6.0)
    idx = torch.tensor([1, 2]).cuda()
    for fn in (lambda: x.index_select(0, idx), lambda: x.gather(0, idx), lambda: x[idx],
               lambda: torch.zeros(3).scatter_(0, idx, 1.0)):
        with pytest.raises((RuntimeError, NotImplementedError), match="same device|cuda"):
            fn()
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_comparisons_and_norms_of_cuda_tensors():
    g = torch.tensor([1.0, 2.0]).cuda()
    for fn in (lambda: torch.equal(g, g), lambda: torch.allclose(g, g), lambda: g.norm().item()):
        try:
            r = fn()
        except NotImplementedError as e:
            assert "cuda" in str(e)
        else:
            assert r is True or r == pytest.approx(5 ** 0.5)
    w = torch.nn.Parameter(torch.ones(3).cuda())
    w.grad = torch.full((3,), 4.0).cuda()
    try:
        total = torch.nn.utils.clip_grad_norm_([w], 1.0)
    except NotImplementedError as e:
        assert "cuda" in str(e)
    else:
        assert float(total) == pytest.approx(48 ** 0.5)
