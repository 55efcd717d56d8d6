"""torch.optim.lr_scheduler: every scheduler's learning-rate sequence over
100 steps equals PyTorch's (parity, side by side), closed forms against
NumPy, the seed's snippets run unchanged, state_dict and resuming, the
warnings PyTorch gives when steps come in the wrong order, and bad
arguments with PyTorch's exception classes and messages."""
import math
import warnings

import numpy as np
import pytest

from helpers import REFERENCE, parity, real_torch, torch

sched = torch.optim.lr_scheduler


def make_optimizer(lib, kind="SGD", lrs=(0.1, 0.05)):
    """An optimizer of `lib` with one param group per learning rate."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return getattr(lib.optim, kind)(groups, lr=0.1)


def metric(t):
    """A validation metric with plateaus, rises and a long stall."""
    return [1.0, 0.9, 0.9, 0.95, 0.8][t % 5] - 0.01 * min(t, 40)


# (scheduler name, optimizer kind, keyword arguments); schedulers of schedulers are built by SCHEDULE_MAKERS
CONFIGS = [
    ("LambdaLR", "SGD", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("LambdaLR", "SGD", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: e / 10])),
    ("MultiplicativeLR", "SGD", dict(lr_lambda=lambda e: 0.97)),
    ("StepLR", "SGD", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", "Adam", dict(milestones=[10, 30, 30, 60], gamma=0.3)),
    ("ConstantLR", "SGD", dict(factor=0.4, total_iters=10)),
    ("LinearLR", "SGD", dict(start_factor=0.2, end_factor=0.9, total_iters=30)),
    ("ExponentialLR", "SGD", dict(gamma=0.97)),
    ("PolynomialLR", "SGD", dict(total_iters=60, power=2.0)),
    ("CosineAnnealingLR", "SGD", dict(T_max=25, eta_min=0.001)),
    ("CosineAnnealingLR", "AdamW", dict(T_max=80)),
    ("CosineAnnealingWarmRestarts", "SGD", dict(T_0=10, T_mult=2, eta_min=1e-4)),
    ("CosineAnnealingWarmRestarts", "SGD", dict(T_0=7)),
    ("CyclicLR", "SGD", dict(base_lr=0.01, max_lr=0.1, step_size_up=7, mode="triangular2")),
    ("CyclicLR", "SGD", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=5, step_size_down=13, mode="exp_range",
                             gamma=0.99)),
    ("CyclicLR", "Adam", dict(base_lr=0.001, max_lr=0.01, step_size_up=10, base_momentum=0.8, max_momentum=0.95)),
    ("CyclicLR", "SGD", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 0.5 ** x,
                             scale_mode="iterations", cycle_momentum=False)),
    ("OneCycleLR", "SGD", dict(max_lr=0.5, total_steps=100)),
    ("OneCycleLR", "Adam", dict(max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=10, three_phase=True,
                                anneal_strategy="linear", div_factor=10.0, pct_start=0.25)),
]
CONFIG_IDS = [f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)]

SCHEDULE_MAKERS = {
    "SequentialLR": lambda lib, opt: lib.optim.lr_scheduler.SequentialLR(
        opt, [lib.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5),
              lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
              lib.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)], milestones=[5, 40]),
    "ChainedScheduler": lambda lib, opt: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=3),
         lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)]),
    "ReduceLROnPlateau": lambda lib, opt: lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2),
    "ReduceLROnPlateau-max-abs": lambda lib, opt: lib.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2,
        min_lr=[0.01, 0.02]),
    "ReduceLROnPlateau-eps": lambda lib, opt: lib.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=0.5, patience=0, min_lr=0.0123, eps=0.01),
}


def schedule(lib, make, kind="SGD", steps=100):
    """The learning rates and momentums (or beta1s) of each step: optimizer.step() then scheduler.step()."""
    opt = make_optimizer(lib, kind)
    s = make(lib, opt)
    seq = [list(s.get_last_lr())]
    key = "betas" if kind != "SGD" else "momentum"
    moms = [[g[key] for g in opt.param_groups]]
    for t in range(steps):
        opt.step()
        if isinstance(s, lib.optim.lr_scheduler.ReduceLROnPlateau):
            s.step(metric(t))
        else:
            s.step()
        seq.append(list(s.get_last_lr()))
        moms.append([g[key] for g in opt.param_groups])
    return seq, moms, s, opt


def config_maker(name, kw):
    return lambda lib, opt: getattr(lib.optim.lr_scheduler, name)(opt, **kw)


# ---- parity with PyTorch: 100 steps ----

@pytest.mark.parity
@parity
@pytest.mark.parametrize("name,kind,kw", CONFIGS, ids=CONFIG_IDS)
def test_sequence_matches_pytorch(name, kind, kw):
    ours = schedule(torch, config_maker(name, kw), kind)
    theirs = schedule(real_torch, config_maker(name, kw), kind)
    assert ours[0] == theirs[0]   # exactly: the same floating-point expressions
    assert ours[1] == theirs[1]
    assert_same_state(ours[2].state_dict(), theirs[2].state_dict())


@pytest.mark.parity
@parity
@pytest.mark.parametrize("name", list(SCHEDULE_MAKERS))
def test_composite_and_plateau_sequences_match_pytorch(name):
    ours = schedule(torch, SCHEDULE_MAKERS[name])
    theirs = schedule(real_torch, SCHEDULE_MAKERS[name])
    assert ours[0] == theirs[0]
    assert_same_state(ours[2].state_dict(), theirs[2].state_dict())


def assert_same_state(a, b):
    """Two schedulers' state_dicts: the same keys and values (functions are not compared)."""
    assert list(a) == list(b)
    for k in b:
        if k == "_schedulers":
            for x, y in zip(a[k], b[k]):
                assert_same_state(x, y)
        else:
            assert a[k] == b[k], k


@pytest.mark.parity
@parity
def test_seed_snippets_match_pytorch():
    def seed(lib):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def train():
            model(lib.ones(4, 3)).sum().backward()
            optimizer.step()
            optimizer.zero_grad()

        lrs = []
        # Cosine annealing learning rate.
        scheduler = lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=80)
        # Reduce learning rate by 10 at given epochs.
        scheduler = lib.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[50, 70], gamma=0.1)
        for t in range(0, 80):
            scheduler.step()
            train()
            lrs.append(optimizer.param_groups[0]["lr"])
        # Learning rate warmup by 10 epochs.
        scheduler = lib.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda t: t / 10)
        for t in range(0, 10):
            scheduler.step()
            train()
            lrs.append(next(iter(optimizer.param_groups))['lr'])
        return lrs, model.weight.detach().numpy().copy()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = seed(torch), seed(real_torch)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)


# ---- the seed's snippets, unchanged ----

def test_seed_warmup_and_multistep():
    optimizer = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[50, 70], gamma=0.1)
    lrs = []
    for t in range(0, 80):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [0.1 * 0.1 ** ((t >= 49) + (t >= 69)) for t in range(80)], rtol=1e-12)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda t: t / 10)
    assert optimizer.param_groups[0]["lr"] == 0.0 and optimizer.param_groups[0]["initial_lr"] == 0.1
    for t in range(0, 10):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.1


@pytest.mark.skipif(REFERENCE, reason="PyTorch 2.13 removed `verbose`; ctorch keeps the seed's call working")
def test_seed_reduce_on_plateau_with_verbose():
    optimizer = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.warns(UserWarning, match="The verbose parameter is deprecated"):
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', patience=5, verbose=True)
    for t in range(0, 80):
        val_acc = min(t, 20) / 20
        scheduler.step(val_acc)
    assert "verbose" not in scheduler.state_dict()
    # the accuracy stops rising at t = 20: reduced after 6 bad epochs, then every 6, until a reduction would
    # change the rate by less than eps = 1e-8
    assert scheduler.get_last_lr()[0] == pytest.approx(1e-8)


# ---- values against NumPy's closed forms ----

def lrs_of(make, steps, kind="SGD"):
    return np.array(schedule(torch, make, kind, steps)[0])[:, 0]


@pytest.mark.parametrize("name,kw,formula", [
    ("StepLR", dict(step_size=7, gamma=0.5), lambda t: 0.1 * np.power(0.5, t // 7)),
    ("MultiStepLR", dict(milestones=[3, 9, 9], gamma=0.3), lambda t: 0.1 * np.power(0.3, (t >= 3) + 2 * (t >= 9))),
    ("ExponentialLR", dict(gamma=0.97), lambda t: 0.1 * np.power(0.97, t)),
    ("ConstantLR", dict(factor=0.4, total_iters=10), lambda t: 0.1 * np.where(t < 10, 0.4, 1.0)),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=30),
     lambda t: 0.1 * (0.2 + 0.7 * np.minimum(t, 30) / 30)),
    ("PolynomialLR", dict(total_iters=60, power=2.0), lambda t: 0.1 * (1 - np.minimum(t, 60) / 60) ** 2),
    ("CosineAnnealingLR", dict(T_max=25, eta_min=0.001),
     lambda t: 0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * t / 25)) / 2),
    ("CosineAnnealingWarmRestarts", dict(T_0=10, T_mult=2),   # cycles of 10, 20, 40, 80 epochs
     lambda t: 0.1 * (1 + np.cos(np.pi * (t - np.select([t < 10, t < 30, t < 70], [0, 10, 30], 70))
                                 / np.select([t < 10, t < 30, t < 70], [10, 20, 40], 80))) / 2),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7),
     lambda t: 0.01 + 0.09 * np.maximum(0, 1 - np.abs(t / 7 - 2 * np.floor(1 + t / 14) + 1))),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=100, anneal_strategy="linear"),
     lambda t: np.where(t <= 29, 0.02 + (0.5 - 0.02) * t / 29, 0.5 + (0.02 / 1e4 - 0.5) * (t - 29) / 70)),
])
def test_closed_forms_match_numpy(name, kw, formula):
    steps = 99 if name == "OneCycleLR" else 100
    got = lrs_of(config_maker(name, kw), steps)
    np.testing.assert_allclose(got, formula(np.arange(steps + 1)), rtol=1e-9, atol=1e-15)


def test_epoch_argument_uses_the_closed_form_with_a_warning():
    opt = make_optimizer(torch)
    s = sched.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        s.step(7)
    assert s.get_last_lr() == [0.1 * 0.5 ** 2, 0.05 * 0.5 ** 2]
    w = sched.CosineAnnealingWarmRestarts(make_optimizer(torch), T_0=4, T_mult=2)
    w.step(9)   # in the second cycle of length 8, at 5
    assert w.T_i == 8 and w.T_cur == 5 and w.last_epoch == 9
    assert w.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi * 5 / 8)) / 2, rel=1e-12)


def test_momentum_cycles_with_the_learning_rate():
    seq, moms, _, opt = schedule(torch, config_maker("OneCycleLR", dict(max_lr=0.5, total_steps=20)), "SGD", 19)
    assert moms[0] == [0.95, 0.95] and opt.param_groups[0]["max_momentum"] == 0.95
    peak = int(np.argmax([s[0] for s in seq]))
    assert moms[peak][0] == pytest.approx(0.85)
    _, betas, _, _ = schedule(torch, config_maker("OneCycleLR", dict(max_lr=0.5, total_steps=20)), "Adam", 19)
    beta1, beta2 = betas[peak][0]
    assert beta1 == pytest.approx(0.85) and beta2 == 0.999


def test_reduce_on_plateau_modes():
    opt = make_optimizer(torch)
    s = sched.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, cooldown=1, min_lr=0.03)
    lrs = []
    for m in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]:
        s.step(m)
        lrs.append(s.get_last_lr()[0])
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03, 0.03]
    assert s.best == 0.5 and s.last_epoch == 10
    s = sched.ReduceLROnPlateau(make_optimizer(torch), mode="max", threshold=0.1, threshold_mode="rel", patience=0)
    s.step(1.0)
    s.step(1.05)   # not 10% better: a bad epoch, reduced at once
    assert s.get_last_lr()[0] == pytest.approx(0.01)
    s.step(torch.tensor(2.0))   # a tensor metric
    assert s.best == 2.0


# ---- state_dict and resuming ----

def test_state_dict_contents():
    s = sched.StepLR(make_optimizer(torch), step_size=3)
    assert sorted(s.state_dict()) == sorted(["step_size", "gamma", "base_lrs", "last_epoch", "_step_count",
                                             "_get_lr_called_within_step", "_last_lr", "_is_initial"])
    assert s.state_dict()["_step_count"] == 1 and s.state_dict()["last_epoch"] == 0
    lam = sched.LambdaLR(make_optimizer(torch), lr_lambda=lambda e: 1.0)
    assert lam.state_dict()["lr_lambdas"] == [None, None]


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=4)), ("CosineAnnealingLR", dict(T_max=12)),
                                     ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
                                     ("OneCycleLR", dict(max_lr=0.3, total_steps=40))])
def test_resume_from_state_dicts_continues_identically(name, kw):
    full = lrs_of(config_maker(name, kw), 30)
    opt = make_optimizer(torch)
    s = getattr(sched, name)(opt, **kw)
    for _ in range(12):
        opt.step()
        s.step()
    opt_sd, s_sd = opt.state_dict(), s.state_dict()
    opt2 = make_optimizer(torch)
    s2 = getattr(sched, name)(opt2, **kw)
    s2.load_state_dict(s_sd)
    opt2.load_state_dict(opt_sd)   # after the scheduler's construction, which sets the learning rates
    rest = []
    for _ in range(18):
        opt2.step()
        s2.step()
        rest.append(s2.get_last_lr()[0])
    np.testing.assert_array_equal(rest, full[13:])


def test_composite_state_dict_round_trip():
    def make(opt):
        return sched.SequentialLR(opt, [sched.ConstantLR(opt, factor=0.5, total_iters=2),
                                        sched.ExponentialLR(opt, gamma=0.9)], milestones=[3])

    opt = make_optimizer(torch)
    s = make(opt)
    for _ in range(5):
        opt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["_milestones"] == [3] and sd["_schedulers"][1]["gamma"] == 0.9
    opt2 = make_optimizer(torch)
    s2 = make(opt2)
    s2.load_state_dict(sd)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(4):
        opt.step()
        s.step()
        opt2.step()
        s2.step()
    assert s.get_last_lr() == s2.get_last_lr() and s2.last_epoch == 9


def test_tensor_learning_rate_is_filled_in_place():
    lr = torch.tensor(0.1)
    p = torch.ones(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        p.grad = torch.ones(2)
        opt.step()
        s.step()
    assert opt.param_groups[0]["lr"] is lr and float(lr) == pytest.approx(0.025)
    assert torch.is_tensor(s.get_last_lr()[0]) and s.get_last_lr()[0] is not lr
    assert float(s.base_lrs[0]) == pytest.approx(0.1)
    np.testing.assert_allclose(p.detach().numpy(), [0.30017247796058655] * 2, rtol=1e-6)


# ---- warnings ----

def test_scheduler_step_before_optimizer_step_warns():
    opt = make_optimizer(torch)
    s = sched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        s.step()
    opt = make_optimizer(torch)
    s = sched.StepLR(opt, step_size=2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
        s.step()
    opt = make_optimizer(torch)
    s = sched.StepLR(opt, step_size=2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()   # the right order: silent


def test_get_lr_outside_step_warns():
    s = sched.ExponentialLR(make_optimizer(torch), gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()


def test_initial_lr_and_base_lrs():
    opt = make_optimizer(torch)
    s = sched.ExponentialLR(opt, gamma=0.5)
    assert s.base_lrs == [0.1, 0.05] and [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert isinstance(s, sched.LRScheduler) and s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.05]


# ---- bad arguments: PyTorch's exception classes and messages ----

def _opt():
    return make_optimizer(torch)


def _past_one_cycle():
    opt = _opt()
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(4):
        opt.step()
        s.step()


BAD = [
    ("not an optimizer", lambda: sched.StepLR(object(), step_size=1), TypeError, "object is not an Optimizer"),
    ("constant factor", lambda: sched.ConstantLR(_opt(), factor=1.5), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1."),
    ("linear start", lambda: sched.LinearLR(_opt(), start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    ("linear end", lambda: sched.LinearLR(_opt(), end_factor=2.0), ValueError,
     "Ending multiplicative factor expected to be between 0 and 1."),
    ("lambda count", lambda: sched.LambdaLR(_opt(), [lambda e: 1.0] * 3), ValueError, "Expected 2 lr_lambdas, but got 3"),
    ("multiplicative callable", lambda: sched.MultiplicativeLR(_opt(), 0.9), TypeError,
     "lr_lambda should be a function, but got float"),
    ("resume without initial_lr", lambda: sched.StepLR(_opt(), step_size=2, last_epoch=3), KeyError,
     "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0."),
    ("plateau factor", lambda: sched.ReduceLROnPlateau(_opt(), factor=1.0), ValueError, "Factor should be < 1.0."),
    ("plateau mode", lambda: sched.ReduceLROnPlateau(_opt(), mode="avg"), ValueError, "mode avg is unknown!"),
    ("plateau threshold mode", lambda: sched.ReduceLROnPlateau(_opt(), threshold_mode="x"), ValueError,
     "threshold mode x is unknown!"),
    ("plateau min_lrs", lambda: sched.ReduceLROnPlateau(_opt(), min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    ("cyclic mode", lambda: sched.CyclicLR(_opt(), 0.01, 0.1, mode="sine"), ValueError,
     "mode is invalid and scale_fn is None"),
    ("cyclic momentum", lambda: sched.CyclicLR(make_optimizer(torch, "Adagrad"), 0.01, 0.1), ValueError,
     "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
    ("cyclic base_lr", lambda: sched.CyclicLR(_opt(), [0.1, 0.2, 0.3], 0.5), ValueError,
     "base_lr must have the same length as optimizer.param_groups. base_lr has 3 values, param_groups has 2."),
    ("warm restarts T_0", lambda: sched.CosineAnnealingWarmRestarts(_opt(), T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    ("warm restarts T_mult", lambda: sched.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=0.5), ValueError,
     "Expected integer T_mult >= 1, but got 0.5"),
    ("warm restarts epoch", lambda: sched.CosineAnnealingWarmRestarts(_opt(), T_0=2).step(-1), ValueError,
     "Expected non-negative epoch, but got -1"),
    ("one cycle total", lambda: sched.OneCycleLR(_opt(), max_lr=0.1), ValueError,
     "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    ("one cycle steps", lambda: sched.OneCycleLR(_opt(), max_lr=0.1, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    ("one cycle pct", lambda: sched.OneCycleLR(_opt(), max_lr=0.1, total_steps=5, pct_start=1.5), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1.5"),
    ("one cycle anneal", lambda: sched.OneCycleLR(_opt(), max_lr=0.1, total_steps=5, anneal_strategy="exp"),
     ValueError, "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    ("one cycle past the end", _past_one_cycle, ValueError,
     "Tried to step 4 times. The specified number of total steps is 3"),
    ("sequential empty", lambda: sched.SequentialLR(_opt(), [], []), ValueError,
     "SequentialLR expects at least one scheduler, but got no scheduler."),
    ("sequential milestones", lambda: (lambda o: sched.SequentialLR(o, [sched.StepLR(o, 2)], [3]))(_opt()), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone "
     "points, but got number of schedulers 1 and the number of milestones to be equal to 1"),
    ("sequential plateau", lambda: (lambda o: sched.SequentialLR(o, [sched.ReduceLROnPlateau(o)], []))(_opt()),
     ValueError, "SequentialLR does not support `ReduceLROnPlateau` scheduler"),
    ("chained other optimizer", lambda: sched.ChainedScheduler([sched.StepLR(_opt(), 2), sched.StepLR(_opt(), 2)]),
     ValueError, "ChainedScheduler expects all schedulers to belong to the same optimizer"),
    ("chained empty", lambda: sched.ChainedScheduler([]), ValueError,
     "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler."),
]


@pytest.mark.parametrize("call,exc,msg", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(call, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            call()
    assert msg in str(info.value)
