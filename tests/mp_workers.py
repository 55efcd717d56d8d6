"""Functions the processes of tests/test_multiprocessing.py run (importable by
spawned children). `torch` is the library under test, as in helpers."""
import importlib

from helpers import torch

mp = importlib.import_module(torch.__name__ + ".multiprocessing")


def summary(t):
    """What the parent checks about a tensor a child received."""
    return str(t.dtype), tuple(t.shape), tuple(t.stride()), t.is_shared(), t.requires_grad, t.tolist()


def echo(inbox, outbox, done):
    """Summarize the tensors received, add 1 to the one named 'write' in place, then wait."""
    tensors = inbox.get()
    outbox.put({key: summary(t) for key, t in tensors.items()})
    tensors["write"].add_(1)
    outbox.put("written")
    done.wait()


def add_one(t):
    t.add_(1)


def produce(outbox, done):
    """Send tensors made here (the parent reads them while this process waits), then wait."""
    outbox.put({"a": torch.arange(6, dtype=torch.int32).view(2, 3), "b": torch.ones(3).t()})
    done.wait()


def spawned_write(i, t):
    t[i] = i + 10


def spawned_raise(i):
    if i == 1:
        raise ValueError(f"boom in process {i}")


def spawned_exit(i):
    raise SystemExit(3)


def hogwild_train(rank, model, x, y, steps):
    """The mnist_hogwild pattern: an own optimizer over the shared parameters."""
    torch.manual_seed(rank)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
