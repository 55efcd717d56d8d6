"""utils.data: datasets, samplers, collation and the DataLoader, in the main
process and with worker processes (values, order, exceptions with the
worker's traceback, clean shutdown, shared-memory transfer), with PyTorch's
orders for the same seed side by side."""
import collections
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, real_torch, torch

data = torch.utils.data


class Squares(data.Dataset):
    """Sample i: a 32x32 tensor full of i (big enough for shared memory), i, and the worker's id."""

    def __init__(self, n=12, bad=None):
        self.n, self.bad = n, bad

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            raise ValueError(f"bad item {i}")
        info = data.get_worker_info()
        return {"x": torch.full((32, 32), float(i)), "i": i, "w": -1 if info is None else info.id}


class Stream(data.IterableDataset):
    """0..n-1, split between workers by get_worker_info()."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = data.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _child_pids():
    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _shm_files():
    return [f for f in os.listdir("/dev/shm") if f.startswith("ctorch_")] if os.path.isdir("/dev/shm") else []


@pytest.mark.parametrize("workers", [0, 2])
def test_batches_in_order_with_and_without_workers(workers):
    dl = data.DataLoader(Squares(11), batch_size=3, num_workers=workers)
    assert len(dl) == 4
    seen = []
    for b in dl:
        assert tuple(b["x"].shape) == (len(b["i"]), 32, 32)
        assert_close(b["x"][:, 0, 0], b["i"].numpy().astype(np.float32))
        seen += b["i"].tolist()
        assert all((w == -1) == (workers == 0) for w in b["w"].tolist())
    assert seen == list(range(11))
    assert _shm_files() == []


def test_worker_ids_and_seeds():
    def init(worker_id):
        info = data.get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        assert info.seed == torch.initial_seed()

    dl = data.DataLoader(Squares(8), batch_size=2, num_workers=2, worker_init_fn=init)
    ids = [b["w"].tolist()[0] for b in dl]
    assert ids == [0, 1, 0, 1]   # tasks go round-robin
    assert data.get_worker_info() is None


def test_worker_exception_carries_its_traceback():
    dl = data.DataLoader(Squares(9, bad=4), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as e:
        list(dl)
    assert "Caught ValueError in DataLoader worker process" in str(e.value)
    assert "bad item 4" in str(e.value) and "Traceback" in str(e.value)
    with pytest.raises(ValueError, match="bad item 4"):
        list(data.DataLoader(Squares(9, bad=4), batch_size=2))


def test_early_break_leaves_no_processes_or_shared_memory():
    before = set(_child_pids())
    dl = data.DataLoader(Squares(40), batch_size=2, num_workers=2)
    for k, _ in enumerate(dl):
        if k == 2:
            break
    del _
    import gc
    gc.collect()
    deadline = time.time() + 10
    while set(_child_pids()) - before and time.time() < deadline:
        time.sleep(0.05)
    assert set(_child_pids()) - before == set()
    assert _shm_files() == []


def test_persistent_workers_and_epochs():
    dl = data.DataLoader(Squares(6), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b["i"].tolist() for b in dl]
    second = [b["i"].tolist() for b in dl]
    assert first == second == [[0, 1], [2, 3], [4, 5]]


@pytest.mark.parametrize("workers", [0, 2])
def test_iterable_dataset(workers):
    dl = data.DataLoader(Stream(10), batch_size=3, num_workers=workers)
    got = sorted(v for b in dl for v in b.tolist())
    assert got == list(range(10))
    assert [b.tolist() for b in data.DataLoader(Stream(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]


def test_collate_rules():
    Point = collections.namedtuple("Point", "x y")
    batch = [{"a": np.ones(2), "b": 1.5, "c": 3, "d": "s", "p": Point(1, 2.0), "t": (torch.ones(1), 7)}
             for _ in range(3)]
    out = data.default_collate(batch)
    assert out["a"].dtype == torch.float64 and tuple(out["a"].shape) == (3, 2)
    assert out["b"].dtype == torch.float64 and out["c"].dtype == torch.int64
    assert out["d"] == ["s", "s", "s"]
    assert isinstance(out["p"], Point) and out["p"].x.tolist() == [1, 1, 1]
    assert isinstance(out["t"], list) and tuple(out["t"][0].shape) == (3, 1)
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        data.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        data.default_collate([object()])
    assert isinstance(data.default_convert(np.zeros(3)), type(torch.zeros(1)))


def test_datasets_and_samplers():
    x, y = torch.arange(10.0).reshape(5, 2), torch.arange(5)
    ds = data.TensorDataset(x, y)
    assert len(ds) == 5 and ds[2][1].item() == 2
    cat = data.ConcatDataset([ds, ds])
    assert len(cat) == 10 and cat[7][1].item() == 2 and cat[-1][1].item() == 4
    sub = data.Subset(ds, [4, 0])
    assert sub[0][1].item() == 4 and len(sub) == 2
    assert list(data.BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(data.BatchSampler(range(7), 3, drop_last=True)) == 2
    g = torch.Generator()
    g.manual_seed(0)
    idx = list(data.WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g))
    assert idx == [1] * 5
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        data.RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        data.random_split(range(5), [2, 2])


BAD_LOADERS = [
    (lambda: data.DataLoader(range(3), num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (lambda: data.DataLoader(range(3), sampler=[0, 1], shuffle=True), ValueError,
     "sampler option is mutually exclusive with shuffle"),
    (lambda: data.DataLoader(range(3), batch_sampler=[[0]], batch_size=2), ValueError,
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (lambda: data.DataLoader(range(3), batch_size=None, drop_last=True), ValueError,
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    (lambda: data.DataLoader(Stream(3), shuffle=True), ValueError,
     "DataLoader with IterableDataset: expected unspecified shuffle option"),
    (lambda: data.DataLoader(range(3), persistent_workers=True), ValueError,
     "persistent_workers option needs num_workers > 0"),
    (lambda: data.DataLoader(range(3), prefetch_factor=2), ValueError,
     "prefetch_factor option could only be specified in multiprocessing"),
    (lambda: data.DataLoader(range(3), batch_size=0), ValueError, "batch_size should be a positive integer value"),
]


@pytest.mark.parametrize("k", range(len(BAD_LOADERS)))
def test_bad_loader_arguments(k):
    call, exc, msg = BAD_LOADERS[k]
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)


def test_timeout_raises():
    class Slow(data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            time.sleep(3)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(data.DataLoader(Slow(), num_workers=1, timeout=0.5))


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
def test_shuffle_and_splits_follow_pytorchs_random_stream():
    for lib in (torch, real_torch):
        lib.manual_seed(5)
    orders = []
    for lib in (torch, real_torch):
        ds = lib.utils.data.TensorDataset(lib.arange(23))
        dl = lib.utils.data.DataLoader(ds, batch_size=4, shuffle=True)
        epochs = [[b[0].tolist() for b in dl] for _ in range(2)]
        g = lib.Generator()
        g.manual_seed(1)
        split = [list(s) for s in lib.utils.data.random_split(range(10), [0.5, 0.3, 0.2], generator=g)]
        rs = list(lib.utils.data.RandomSampler(range(7), replacement=True, num_samples=40))
        sub = list(lib.utils.data.SubsetRandomSampler([10, 20, 30, 40]))
        orders.append((epochs, split, rs, sub, float(lib.rand(1))))
    assert orders[0] == orders[1]


def test_persistent_workers_of_a_live_loader_end_at_exit():
    # a persistent loader kept alive by a global, its epoch left half-read: the
    # interpreter must still exit (its __del__ used to hang at finalization)
    out = _run_script("ds = torch.utils.data.TensorDataset(torch.randn(64, 300).bfloat16(), torch.arange(64))\n"
                      "dl = torch.utils.data.DataLoader(ds, batch_size=16, num_workers=2, persistent_workers=True)\n"
                      "it = iter(dl); next(it); del it\n"
                      "print('end')\n")
    assert out.returncode == 0 and out.stdout.strip() == "end", out.stderr


def _run_script(body, timeout=60):
    lib = "torch" if REFERENCE else "ctorch"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", f"import {lib} as torch\nimport os\n" + body],
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_workers_run_after_the_parent_used_its_thread_pool():
    # OpenMP's pool does not survive fork(): a worker entering a parallel region (collating a large batch)
    # after the parent had used the pool waited forever, unless workers run on one thread as PyTorch's do
    out = _run_script("x = torch.randn(1_000_000); (x * 2 + 1).sum()\n"
                      "ds = torch.utils.data.TensorDataset(torch.randn(256, 3, 32, 32), torch.arange(256))\n"
                      "dl = torch.utils.data.DataLoader(ds, batch_size=64, num_workers=2)\n"
                      "print(sum(b[0].shape[0] for b in dl))\n")
    assert out.returncode == 0 and out.stdout.strip() == "256", out.stderr


def test_workers_end_when_the_main_process_dies():
    out = _run_script("ds = torch.utils.data.TensorDataset(torch.randn(64, 8), torch.arange(64))\n"
                      "it = iter(torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2, persistent_workers=True))\n"
                      "next(it)\n"
                      "print(' '.join(str(w.pid) for w in it._workers), flush=True)\n"
                      "os._exit(0)\n")
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    deadline = time.time() + 20
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)
    # batches in flight when the main process died stay in /dev/shm (named files, as PyTorch's file_system
    # strategy): remove them so later tests see a clean folder
    for name in _shm_files():
        if any(name.startswith(f"ctorch_{p}_") for p in pids):
            os.unlink(os.path.join("/dev/shm", name))
