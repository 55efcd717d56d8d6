"""Issue 6: training interrupted by a checkpoint (model, optimizer, scheduler
and random state through save/load of a file) and resumed continues exactly
as the uninterrupted run, for several optimizers; and a ctorch checkpoint
resumes in real PyTorch the same way."""
import numpy as np
import pytest

from helpers import REFERENCE, real_torch, torch

nn = torch.nn


def _setup(lib, opt_name):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.Tanh(), lib.nn.Linear(8, 3))
    opts = {"sgd": lambda p: lib.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
            "adamw": lambda p: lib.optim.AdamW(p, lr=0.01, amsgrad=True),
            "rmsprop": lambda p: lib.optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5)}
    opt = opts[opt_name](model.parameters())
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return model, opt, sched


def _steps(lib, model, opt, sched, n):
    for _ in range(n):
        x = lib.randn(16, 6)   # the data comes from the random stream, so it must resume too
        y = lib.randint(0, 3, (16,))
        loss = lib.nn.functional.cross_entropy(model(lib.nn.functional.dropout(x, 0.1)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def _params(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("opt_name", ["sgd", "adamw", "rmsprop"])
def test_resumed_training_continues_identically(opt_name, tmp_path):
    model, opt, sched = _setup(torch, opt_name)
    _steps(torch, model, opt, sched, 10)
    uninterrupted = _params(model)

    model, opt, sched = _setup(torch, opt_name)
    _steps(torch, model, opt, sched, 4)
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "rng": torch.get_rng_state()}, path)
    del model, opt, sched
    torch.manual_seed(123)   # a different process state before resuming
    model, opt, sched = _setup(torch, opt_name)
    ckpt = torch.load(path)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"])
    _steps(torch, model, opt, sched, 6)
    for a, b in zip(_params(model), uninterrupted):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
def test_a_ctorch_checkpoint_resumes_in_pytorch(tmp_path):
    model, opt, sched = _setup(torch, "adamw")
    _steps(torch, model, opt, sched, 4)
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "rng": torch.get_rng_state()}, path)
    _steps(torch, model, opt, sched, 3)
    ours = _params(model)
    tmodel, topt, tsched = _setup(real_torch, "adamw")
    ckpt = real_torch.load(path, weights_only=True)
    tmodel.load_state_dict(ckpt["model"])
    topt.load_state_dict(ckpt["optimizer"])
    tsched.load_state_dict(ckpt["scheduler"])
    real_torch.set_rng_state(ckpt["rng"])
    _steps(real_torch, tmodel, topt, tsched, 3)
    for a, b in zip(ours, _params(tmodel)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
