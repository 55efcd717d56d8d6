"""ctorch.multiprocessing: shared-memory tensors (share_memory_, is_shared),
tensors through Queues and Process arguments with fork and spawn without a
copy, spawn with a child's exception, Hogwild training, and no /dev/shm file
left behind."""
import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mp_workers
from helpers import DNAMES, REFERENCE, assert_close, dt, np_of, real_torch, torch

mp = importlib.import_module(torch.__name__ + ".multiprocessing")
ForkingPickler = importlib.import_module("multiprocessing.reduction").ForkingPickler

METHODS = ["fork", "spawn"]


def values(name, shape, seed=0):
    a = np.random.default_rng(seed).integers(0, 5, size=shape)
    return a.astype(np_of(name)) if name != "bool" else a > 2


# ---- share_memory_ / is_shared ----
@pytest.mark.parametrize("name", DNAMES)
def test_share_memory_keeps_values_and_views(name):
    a = values(name, (3, 4))
    t = torch.tensor(a, dtype=dt(name)) if name != "bfloat16" else torch.tensor(a.astype(np.float32)).bfloat16()
    view = t[1:].t()
    assert not t.is_shared() and not view.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and view.is_shared()
    assert_close(t.float() if name == "bfloat16" else t, a.astype(np.float32) if name == "bfloat16" else a)
    view[0, 0] = 1   # a view still writes into the tensor's (now shared) memory
    assert t[1, 0].item() == 1


@pytest.mark.parametrize("shape", [(0,), (2, 0), ()])
def test_share_memory_empty_and_scalar(shape):
    t = torch.zeros(shape)
    t.share_memory_()
    assert t.is_shared() and tuple(t.shape) == shape


def test_share_memory_twice_is_a_noop():
    t = torch.arange(4.).share_memory_()
    ptr = t.data_ptr()
    assert t.share_memory_().data_ptr() == ptr


def test_untyped_storage_share_memory():
    s = torch.UntypedStorage(8)
    assert not s.is_shared()
    assert s.share_memory_() is s and s.is_shared()


def test_module_share_memory():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    before = [p.detach().clone() for p in model.parameters()]
    assert model.share_memory() is model
    tensors = list(model.parameters()) + list(model.buffers())
    assert len(tensors) == 7 and all(t.is_shared() for t in tensors)
    for b, p in zip(before, model.parameters()):
        assert torch.equal(b, p.detach())


# ---- sharing strategies ----
def test_sharing_strategies():
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    with pytest.raises(AssertionError, match="invalid sharing strategy 'shm'"):
        mp.set_sharing_strategy("shm")
    assert mp.get_sharing_strategy() == "file_descriptor"


def test_reexports_multiprocessing():
    import multiprocessing
    for name in ["Process", "Queue", "SimpleQueue", "Pool", "Manager", "get_context", "set_start_method",
                 "get_start_method", "cpu_count", "Event", "Lock"]:
        assert name in mp.__all__ and hasattr(mp, name)
    assert mp.cpu_count() == multiprocessing.cpu_count()
    assert {"set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"} <= set(mp.__all__)


@pytest.fixture(params=["file_descriptor", "file_system"])
def strategy(request):
    mp.set_sharing_strategy(request.param)
    yield request.param
    mp.set_sharing_strategy("file_descriptor")


# ---- tensors through a Queue ----
def sent_tensors():
    base = torch.arange(24, dtype=torch.float64).view(4, 6)
    return {
        "write": torch.zeros(5),
        "int64": torch.tensor([[1, -2], [3, 4]]),
        "uint8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
        "float16": torch.tensor([0.5, -1.25], dtype=torch.float16),
        "bfloat16": torch.tensor([1.5, 2.0]).bfloat16(),
        "view": base[1:3, 2:5],             # an offset into a bigger storage
        "transposed": base.t(),             # non-contiguous
        "stepped": base[:, ::2],
        "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),
        "empty": torch.zeros(0, 3),
        "scalar": torch.tensor(7),
        "param": torch.nn.Parameter(torch.ones(2, 2)),
    }


@pytest.mark.parametrize("method", METHODS)
def test_queue_sends_shared_tensors_without_copy(method, strategy):
    ctx = mp.get_context(method)
    inbox, outbox, done = ctx.Queue(), ctx.Queue(), ctx.Event()
    child = ctx.Process(target=mp_workers.echo, args=(inbox, outbox, done))
    child.start()
    try:
        tensors = sent_tensors()
        expected = {key: t.tolist() for key, t in tensors.items()}
        inbox.put(tensors)
        got = outbox.get(timeout=60)
        for key, t in tensors.items():
            dtype, shape, stride, shared, requires_grad, values = got[key]
            assert (dtype, shape, stride) == (str(t.dtype), tuple(t.shape), tuple(t.stride())), key
            # as PyTorch: an empty storage is not shared under 'file_descriptor' (nothing to map)
            assert shared == (key != "empty" or strategy == "file_system"), key
            assert t.is_shared() == shared, key   # the sender's storage moved to shared memory too
            assert requires_grad == t.requires_grad and values == expected[key], key
        assert outbox.get(timeout=60) == "written"
        assert tensors["write"].tolist() == [1.0] * 5   # the child's write is the parent's memory
    finally:
        done.set()
        child.join(60)
    assert child.exitcode == 0


@pytest.mark.parametrize("method", METHODS)
def test_queue_from_child_to_parent(method, strategy):
    ctx = mp.get_context(method)
    outbox, done = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=mp_workers.produce, args=(outbox, done))
    child.start()
    try:
        got = outbox.get(timeout=60)
        assert got["a"].dtype == torch.int32 and got["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
        assert got["b"].tolist() == [1.0, 1.0, 1.0] and got["b"].is_shared()
    finally:
        done.set()
        child.join(60)
    assert child.exitcode == 0


def test_process_args_spawn_share_without_copy():
    ctx = mp.get_context("spawn")
    t = torch.zeros(3)
    child = ctx.Process(target=mp_workers.add_one, args=(t,))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and t.is_shared() and t.tolist() == [1.0, 1.0, 1.0]


def test_process_args_fork_after_share_memory():
    ctx = mp.get_context("fork")
    t = torch.zeros(2, 3).share_memory_()
    child = ctx.Process(target=mp_workers.add_one, args=(t[1],))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and t.tolist() == [[0.0] * 3, [1.0] * 3]


# (call, PyTorch's exception class, a distinctive part of its message)
BAD_INPUTS = [
    (lambda: ForkingPickler.dumps(torch.ones(2, requires_grad=True) * 2), RuntimeError,
     "Cowardly refusing to serialize non-leaf tensor which requires_grad"),
    (lambda: mp.set_sharing_strategy("shm"), AssertionError, "invalid sharing strategy 'shm'"),
    (lambda: mp.get_context("threads"), ValueError, "cannot find context for 'threads'"),
    (lambda: mp.start_processes(mp_workers.add_one, start_method="threads"), ValueError, "cannot find context"),
]


@pytest.mark.parametrize("k", range(len(BAD_INPUTS)))
def test_bad_inputs_raise_pytorchs_errors(k):
    call, cls, message = BAD_INPUTS[k]
    with pytest.raises(cls, match=message):
        call()


@pytest.mark.skipif(REFERENCE, reason="ctorch's own shared-memory handles")
def test_bad_handles_raise_instead_of_crashing():
    from ctorch import _C
    t = torch.zeros(4)
    _C._share_memory(t, "file_system")
    name = _C._shm_handle(t)
    with pytest.raises(RuntimeError, match="smaller than the storage"):
        _C._storage_from_shm(name, 1 << 20)   # more bytes than the file holds: never mapped past its end
    for bad in ("/no_such_ctorch_file", "../etc/passwd", "/a/b"):
        with pytest.raises((RuntimeError, ValueError)):
            _C._storage_from_shm(bad, 4)
    with pytest.raises(RuntimeError, match="unable to duplicate"):
        _C._storage_from_shm(1 << 20, 4)   # not an open fd
    with pytest.raises(ValueError, match="unknown sharing strategy"):
        _C._share_memory(torch.zeros(1), "shm")
    with pytest.raises(RuntimeError, match="not in shared memory"):
        _C._shm_handle(torch.zeros(1))


def test_pickled_handle_round_trip_in_process(strategy):
    t = torch.arange(6.).view(2, 3).t()
    back = ForkingPickler.loads(ForkingPickler.dumps(t))
    assert back.tolist() == t.tolist() and back.stride() == t.stride()
    back[0, 0] = 42.0
    assert t[0, 0].item() == 42.0


def test_received_views_share_one_storage(strategy):
    base = torch.arange(6.)
    a, b = ForkingPickler.loads(ForkingPickler.dumps([base, base[2:]]))
    again = ForkingPickler.loads(ForkingPickler.dumps(base))
    assert a.data_ptr() + 8 == b.data_ptr() and b.storage_offset() == 2
    assert again.data_ptr() == a.data_ptr() == base.data_ptr()


def test_storage_through_pickle():
    s = torch.UntypedStorage(4)
    back = ForkingPickler.loads(ForkingPickler.dumps(s))
    assert s.is_shared() and back.is_shared() and back.nbytes() == 4


# ---- spawn ----
def test_spawn_join_and_context():
    t = torch.zeros(2).share_memory_()
    assert mp.spawn(mp_workers.spawned_write, args=(t,), nprocs=2) is None
    assert t.tolist() == [10.0, 11.0]
    context = mp.spawn(mp_workers.spawned_write, args=(t,), nprocs=1, join=False)
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 1
    while not context.join():
        pass


def test_spawn_child_exception_reaches_parent():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(mp_workers.spawned_raise, nprocs=2)
    message = str(info.value)
    assert "-- Process 1 terminated with the following error:" in message
    assert "Traceback (most recent call last)" in message and "ValueError: boom in process 1" in message
    assert info.value.error_index == 1


def test_spawn_child_exit_code():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as info:
        mp.start_processes(mp_workers.spawned_exit, nprocs=1, start_method="fork")
    assert info.value.exit_code == 3 and info.value.error_index == 0


# ---- Hogwild ----
@pytest.mark.parametrize("method", METHODS)
def test_hogwild_updates_reach_the_parent(method):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.25
    before = [p.detach().clone() for p in model.parameters()]
    loss_before = torch.nn.functional.mse_loss(model(x), y).item()
    model.share_memory()
    ctx = mp.get_context(method)
    processes = [ctx.Process(target=mp_workers.hogwild_train, args=(rank, model, x, y, 30)) for rank in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert all(p.exitcode == 0 for p in processes)
    assert all(not torch.equal(b, p.detach()) for b, p in zip(before, model.parameters()))
    assert torch.nn.functional.mse_loss(model(x), y).item() < 0.2 * loss_before


# ---- no /dev/shm file left behind ----
LEAK_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {tests!r})
    import mp_workers
    from mp_workers import mp, torch
    pids = [os.getpid()]
    for strategy in ("file_descriptor", "file_system"):
        mp.set_sharing_strategy(strategy)
        for method in ("fork", "spawn"):
            ctx = mp.get_context(method)
            inbox, outbox, done = ctx.Queue(), ctx.Queue(), ctx.Event()
            child = ctx.Process(target=mp_workers.echo, args=(inbox, outbox, done))
            child.start()
            pids.append(child.pid)
            tensors = {{"write": torch.zeros(3), "kept": torch.ones(2, 2).share_memory_()}}
            inbox.put(tensors)
            outbox.get(); outbox.get()
            done.set()
            child.join()
        model = torch.nn.Linear(2, 2).share_memory()
    print(" ".join(map(str, pids)))
""")


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs /dev/shm")
def test_no_shm_files_left_behind():
    script = LEAK_SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    pids = out.stdout.split()
    assert len(pids) == 5
    left = [f for f in os.listdir("/dev/shm") if any(f"torch_{pid}_" in f for pid in pids)]
    assert left == []


# ---- parity: the same API surface as PyTorch's ----
@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
def test_parity_api():
    import inspect
    import torch.multiprocessing as real_mp
    assert sorted(mp.__all__) == sorted(real_mp.__all__)
    assert mp.get_all_sharing_strategies() == real_mp.get_all_sharing_strategies()
    for name in ("spawn", "start_processes"):
        assert inspect.signature(getattr(mp, name)) == inspect.signature(getattr(real_mp, name))
    with pytest.raises(AssertionError) as theirs:
        real_mp.set_sharing_strategy("x")
    with pytest.raises(AssertionError) as ours:
        mp.set_sharing_strategy("x")
    assert str(ours.value).split(", expected")[0] == str(theirs.value).split(", expected")[0]
