"""torch.optim: the Optimizer base (groups, state, hooks, state_dict and
load_state_dict) and SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam
RAdam. NumPy implementations of the documented update rules are the oracle
for values; parity tests run 20 steps of each optimizer and option against
real PyTorch on identical parameters and gradients, and move optimizer
state between the two libraries."""
import copy
import importlib
import math
import warnings

import numpy as np
import pytest

from helpers import REFERENCE, parity, real_torch, torch

optim = torch.optim
optimizer_module = importlib.import_module(torch.__name__ + ".optim.optimizer")

@pytest.fixture(autouse=True, scope="module")
def one_pytorch_thread():
    """Real PyTorch's thread pool and ctorch's compete for the cores (badly on a busy machine): keep
    PyTorch to one thread here; ctorch keeps its threads (the large layout runs its threaded path)."""
    if real_torch is None:
        yield
        return
    n = real_torch.get_num_threads()
    real_torch.set_num_threads(1)
    yield
    real_torch.set_num_threads(n)


# every optimizer with every option (name, keyword arguments)
CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True, weight_decay=0.1)),
    ("Adam", {}),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(weight_decay=0.1, maximize=True)),
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True, betas=(0.8, 0.99), eps=1e-6)),
    ("AdamW", {}),
    ("AdamW", dict(amsgrad=True, maximize=True, weight_decay=0.05, betas=(0.3, 0.9))),
    ("RMSprop", {}),
    ("RMSprop", dict(alpha=0.9, centered=True)),
    ("RMSprop", dict(momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(centered=True, momentum=0.5, maximize=True, eps=1e-4)),
    ("Adagrad", {}),
    ("Adagrad", dict(lr_decay=0.05, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(maximize=True, eps=1e-6)),
    ("Adadelta", {}),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", {}),
    ("Adamax", dict(weight_decay=0.1, maximize=True, betas=(0.5, 0.9))),
    ("NAdam", {}),
    ("NAdam", dict(weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}),
    ("RAdam", dict(weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
CONFIG_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw in CONFIGS]

# parameter layouts: (shape, layout); "t" is a transposed (non-contiguous) parameter, "tg" also has a transposed
# gradient (the same layout as the parameter), "big" crosses the size above which the update runs on threads
LAYOUTS = [((6, 5), "c"), ((4, 3), "t"), ((3, 4), "tg"), ((7,), "c"), ((), "c"), ((0, 3), "c"), ((40000,), "c")]


def make_tensor(lib, a, layout, dtype):
    """a as a tensor of `lib` in `dtype` (a name), transposed in memory for layouts "t" / "tg"."""
    if layout in ("t", "tg") and a.ndim == 2:
        return lib.tensor(np.ascontiguousarray(a.T)).to(getattr(lib, dtype)).t()
    return lib.tensor(a).to(getattr(lib, dtype))


def run_steps(lib, name, kw, steps=20, dtype="float32", seed=0):
    """`steps` steps of optimizer `name` on the LAYOUTS' parameters with the same random gradients in any
    library; the parameters, the optimizer and the gradients of the last step (as NumPy arrays)."""
    rng = np.random.default_rng(seed)
    params = [make_tensor(lib, rng.standard_normal(s).astype(np.float32), lay, dtype).requires_grad_()
              for s, lay in LAYOUTS]
    opt = getattr(lib.optim, name)(params, **kw)
    for _ in range(steps):
        for p, (s, lay) in zip(params, LAYOUTS):
            p.grad = make_tensor(lib, rng.standard_normal(s).astype(np.float32), "t" if lay == "tg" else "c", dtype)
        opt.step()
    return params, opt


def values(t):
    """A tensor of either library as a float64 NumPy array."""
    return np.array(t.detach().double().tolist(), dtype=np.float64).reshape(tuple(t.shape))


def assert_rel(a, b, rtol):
    """|a - b| <= rtol * max|a| (the parameters' scale): what "agree to rtol relative" means when an update
    lands near zero"""
    a, b = values(a), values(b)
    assert a.shape == b.shape
    scale = max(np.max(np.abs(a), initial=0.0), 1e-30)
    assert np.max(np.abs(a - b), initial=0.0) <= rtol * scale, (np.max(np.abs(a - b)), scale)


# ---- parity with PyTorch: 20 steps of every optimizer and option ----

@pytest.mark.parity
@parity
@pytest.mark.parametrize("name,kw", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-6), ("float64", 1e-13)])
def test_twenty_steps_match_pytorch(name, kw, dtype, rtol):
    ours, ours_opt = run_steps(torch, name, kw, dtype=dtype)
    theirs, theirs_opt = run_steps(real_torch, name, kw, dtype=dtype)
    for p, q in zip(ours, theirs):
        assert_rel(q, p, rtol)
        s, t = ours_opt.state[p], theirs_opt.state[q]
        assert list(s) == list(t)
        for key in t:
            assert s[key].dtype == getattr(torch, str(t[key].dtype).replace("torch.", ""))
            assert tuple(s[key].shape) == tuple(t[key].shape)
            assert s[key].stride() == t[key].stride() or p.numel() == 0   # (empty tensors: any strides)
            assert_rel(t[key], s[key], rtol)


@pytest.mark.parity
@parity
@pytest.mark.parametrize("name,kw", [c for c in CONFIGS if not c[1]] + [CONFIGS[3], CONFIGS[5], CONFIGS[13]])
@pytest.mark.parametrize("dtype,ulp", [("float16", 2.0 ** -10), ("bfloat16", 2.0 ** -7)])
def test_half_precision_as_accurate_as_pytorch(name, kw, dtype, ulp):
    # PyTorch's single-tensor step rounds after every op, ctorch's fused step once per update: measured
    # against the float32 run, ctorch's error is at most PyTorch's plus one rounding
    ours, _ = run_steps(torch, name, kw, dtype=dtype)
    theirs, _ = run_steps(real_torch, name, kw, dtype=dtype)
    full, _ = run_steps(torch, name, kw, dtype="float32")
    for p, q, f in zip(ours, theirs, full):
        assert str(p.dtype) == str(q.dtype)
        a, b, c = values(p), values(q), values(f)
        if c.size:
            scale = np.max(np.abs(c))
            assert np.max(np.abs(a - c)) <= np.max(np.abs(b - c)) + ulp * scale


@pytest.mark.parity
@parity
def test_param_groups_skipped_params_and_group_options_match_pytorch():
    def run(lib):
        rng = np.random.default_rng(3)
        a, b, c = (lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in [(3, 2), (4,), (2,)])
        opt = lib.optim.Adam([{"params": [a, c]}, {"params": [b], "lr": 0.1, "amsgrad": True}], lr=0.01)
        for _ in range(5):
            a.grad, b.grad = (lib.tensor(rng.standard_normal(s).astype(np.float32)) for s in [(3, 2), (4,)])
            opt.step()   # c has no gradient: skipped, no state
        return (a, b, c), opt

    ours, ours_opt = run(torch)
    theirs, theirs_opt = run(real_torch)
    for p, q in zip(ours, theirs):
        assert_rel(q, p, 1e-6)
    assert len(ours_opt.state) == len(theirs_opt.state) == 2
    assert repr(ours_opt) == repr(theirs_opt)


# ---- NumPy's values for the documented update rules (float64, three steps) ----

def numpy_steps(name, kw, p, grads):
    """The update rules of PyTorch's documentation, in NumPy float64; returns the parameter after the steps."""
    lr = kw.get("lr", {"SGD": 1e-3, "RMSprop": 1e-2, "Adagrad": 1e-2, "Adadelta": 1.0, "Adamax": 2e-3,
                       "NAdam": 2e-3}.get(name, 1e-3))
    wd = kw.get("weight_decay", 1e-2 if name == "AdamW" else 0.0)
    b1, b2 = kw.get("betas", (0.9, 0.999))
    eps = kw.get("eps", {"Adagrad": 1e-10, "Adadelta": 1e-6}.get(name, 1e-8))
    decoupled = name == "AdamW" or kw.get("decoupled_weight_decay", False)
    p = p.copy()
    m = v = vmax = buf = gavg = acc = np.zeros_like(p)
    s = np.full_like(p, kw.get("initial_accumulator_value", 0.0))
    mu_prod = 1.0
    for t, g in enumerate(grads, 1):
        g = -g if kw.get("maximize") else g
        if wd and decoupled and name in ("Adam", "AdamW", "NAdam", "RAdam"):
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        if name == "SGD":
            mom = kw.get("momentum", 0)
            if mom:
                buf = g if t == 1 else mom * buf + (1 - kw.get("dampening", 0)) * g
                g = g + mom * buf if kw.get("nesterov") else buf
            p = p - lr * g
        elif name in ("Adam", "AdamW"):
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            vmax = np.maximum(vmax, v) if kw.get("amsgrad") else v
            p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(vmax / (1 - b2 ** t)) + eps)
        elif name == "RMSprop":
            alpha, mom = kw.get("alpha", 0.99), kw.get("momentum", 0)
            v = alpha * v + (1 - alpha) * g * g
            vt = v
            if kw.get("centered"):
                gavg = alpha * gavg + (1 - alpha) * g
                vt = v - gavg * gavg
            if mom:
                buf = mom * buf + g / (np.sqrt(vt) + eps)
                p = p - lr * buf
            else:
                p = p - lr * g / (np.sqrt(vt) + eps)
        elif name == "Adagrad":
            clr = lr / (1 + (t - 1) * kw.get("lr_decay", 0))
            s = s + g * g
            p = p - clr * g / (np.sqrt(s) + eps)
        elif name == "Adadelta":
            rho = kw.get("rho", 0.9)
            v = rho * v + (1 - rho) * g * g
            delta = np.sqrt(acc + eps) / np.sqrt(v + eps) * g
            acc = rho * acc + (1 - rho) * delta * delta
            p = p - lr * delta
        elif name == "Adamax":
            m = b1 * m + (1 - b1) * g
            s = np.maximum(b2 * s, np.abs(g) + eps)
            p = p - lr / (1 - b1 ** t) * m / s
        elif name == "NAdam":
            psi = kw.get("momentum_decay", 4e-3)
            mu, mu_next = b1 * (1 - 0.5 * 0.96 ** (t * psi)), b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
            mu_prod = float(np.float32(mu_prod) * np.float32(mu))   # kept in a float32 tensor
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            den = np.sqrt(v / (1 - b2 ** t)) + eps
            p = p - lr * (1 - mu) / (1 - mu_prod) * g / den - lr * mu_next / (1 - mu_prod * mu_next) * m / den
        elif name == "RAdam":
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            mhat = m / (1 - b1 ** t)
            rho_inf = 2 / (1 - b2) - 1
            rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
            if rho_t > 5:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                p = p - lr * mhat * rect * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
            else:
                p = p - lr * mhat
    return p


@pytest.mark.parametrize("name,kw", CONFIGS, ids=CONFIG_IDS)
def test_update_rules_match_numpy(name, kw):
    rng = np.random.default_rng(5)
    steps = 8 if name == "RAdam" else 3   # RAdam rectifies from step 6 on
    p0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(steps)]
    p = torch.tensor(p0, requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(values(p), numpy_steps(name, kw, p0, grads), rtol=1e-11, atol=1e-13)
    if name != "SGD":
        assert opt.state[p]["step"].item() == steps


@pytest.mark.skipif(REFERENCE, reason="ctorch's fused step rounds once per update (PyTorch's after every op)")
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "NAdam"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_steps_close_to_float32(name, dtype):
    kw = dict(lr=0.1, momentum=0.9) if name == "SGD" else {}
    half, _ = run_steps(torch, name, kw, steps=5, dtype=dtype)
    full, _ = run_steps(torch, name, kw, steps=5, dtype="float32")
    for h, f in zip(half, full):
        assert h.dtype == getattr(torch, dtype)
        assert_rel(f, h, 2e-2 if dtype == "bfloat16" else 3e-3)


@pytest.mark.parametrize("name,kw", CONFIGS[::3], ids=CONFIG_IDS[::3])
def test_layouts_do_not_change_values(name, kw):
    # transposed parameters (with contiguous or transposed gradients) and the threaded size give the
    # values of contiguous tensors with the same elements
    params, _ = run_steps(torch, name, kw, steps=3, dtype="float64")
    rng = np.random.default_rng(0)
    flat = [torch.tensor(rng.standard_normal(s).astype(np.float32)).double().requires_grad_() for s, _ in LAYOUTS]
    opt = getattr(optim, name)(flat, **kw)
    for _ in range(3):
        for p, (s, _) in zip(flat, LAYOUTS):
            p.grad = torch.tensor(rng.standard_normal(s).astype(np.float32)).double()
        opt.step()
    for p, q in zip(params, flat):
        np.testing.assert_array_equal(values(p), values(q))
    assert not params[1].is_contiguous() and params[1].stride() == (1, 4)


def test_empty_and_zero_dim_parameters():
    e, z = torch.zeros(0, 3, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    opt = optim.Adam([e, z], lr=0.5)
    e.grad, z.grad = torch.zeros(0, 3), torch.tensor(1.0)
    opt.step()
    assert tuple(e.shape) == (0, 3) and opt.state[e]["exp_avg"].shape == (0, 3)
    assert abs(z.item() - 1.5) < 1e-6
    assert opt.state[z]["exp_avg"].dim() == 0


def test_parameters_without_grad_are_skipped():
    a, b = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = torch.ones(2)
    opt.step()
    assert values(b).tolist() == [1.0, 1.0] and b not in opt.state
    assert list(opt.state[a]) == ["momentum_buffer"]
    assert optim.SGD([b], lr=0.1).step() is None


def test_step_updates_state_in_place_and_leaves_gradients():
    a = torch.ones(3, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)   # one group may mix dtypes
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True)
    a.grad, b.grad = torch.full((3,), 2.0), torch.full((2,), 4.0, dtype=torch.float64)
    opt.step()
    buf = opt.state[a]["momentum_buffer"]
    assert buf is not a.grad and values(buf).tolist() == [-1.5] * 3   # -g + wd * p
    opt.step()
    assert opt.state[a]["momentum_buffer"] is buf and values(buf).tolist()[0] == pytest.approx(-1.5 * 0.9 - 1.425)
    assert values(a.grad).tolist() == [2.0] * 3 and values(b.grad).tolist() == [4.0, 4.0]
    assert opt.state[b]["momentum_buffer"].dtype == torch.float64
    adam = optim.Adam([a])
    adam.step()
    exp_avg = adam.state[a]["exp_avg"]
    adam.step()
    assert adam.state[a]["exp_avg"] is exp_avg


def test_sgd_without_momentum_keeps_no_state():
    p = torch.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    p.grad = torch.full((3,), 2.0)
    opt.step()
    assert values(p).tolist() == [0.0, 0.0, 0.0]
    assert opt.state_dict()["state"] == {}


def test_steps_are_float32_tensors_and_state_order():
    p = torch.ones(3, requires_grad=True)
    p.grad = torch.ones(3)
    expected = {"Adam": ["step", "exp_avg", "exp_avg_sq"], "RMSprop": ["step", "square_avg", "momentum_buffer",
                "grad_avg"], "Adagrad": ["step", "sum"], "Adadelta": ["step", "square_avg", "acc_delta"],
                "Adamax": ["step", "exp_avg", "exp_inf"], "NAdam": ["step", "mu_product", "exp_avg", "exp_avg_sq"],
                "RAdam": ["step", "exp_avg", "exp_avg_sq"]}
    for name, keys in expected.items():
        opt = getattr(optim, name)([p], **(dict(momentum=0.5, centered=True) if name == "RMSprop" else {}))
        opt.step()
        opt.step()
        assert list(opt.state[p]) == keys
        step = opt.state[p]["step"]
        assert step.dim() == 0 and step.dtype == torch.float32 and step.item() == 2.0
    opt = optim.NAdam([p])   # the product of NAdam's momentum coefficients
    opt.step()
    mu = opt.state[p]["mu_product"]
    assert mu.dtype == torch.float32 and abs(mu.item() - 0.9 * (1 - 0.5 * 0.96 ** 0.004)) < 1e-7


def test_step_dtype_follows_default_float64():
    torch.set_default_dtype(torch.float64)
    try:
        p = torch.ones(2, requires_grad=True)
        p.grad = torch.ones(2)
        opt = optim.Adam([p])
        opt.step()
        assert opt.state[p]["step"].dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)


def test_adagrad_state_exists_before_the_first_step():
    p = torch.zeros(2, 2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert values(opt.state[p]["sum"]).tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert opt.state[p]["step"].item() == 0.0


def test_closure_loss_and_grad_mode():
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with torch.no_grad():   # the closure still computes gradients
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert values(p).tolist() == [0.5, -1.0]


def test_zero_grad():
    p = torch.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert values(p.grad).tolist() == [0.0, 0.0] and p.grad.requires_grad is False
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_defaults_add_param_group_and_names():
    a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    opt = optim.SGD([{"params": a}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["params"] == [a]
    assert sorted(opt.param_groups[0]) == sorted(["params", "lr", "momentum", "dampening", "weight_decay",
                                                  "nesterov", "maximize", "foreach", "differentiable", "fused"])
    c = torch.ones(1, requires_grad=True)
    opt.add_param_group({"params": [c], "weight_decay": 0.2})
    assert opt.param_groups[2]["weight_decay"] == 0.2 and opt.param_groups[2]["lr"] == 0.1
    named = optim.Adam([("w", a), ("b", b)])
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_seed_snippets_fine_tune_groups():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    finetuned_parameters = list(map(id, model[1].parameters()))
    conv_parameters = (p for p in model.parameters() if id(p) not in finetuned_parameters)
    parameters = [{'params': conv_parameters, 'lr': 1e-3}, {'params': model[1].parameters()}]
    optimizer = torch.optim.SGD(parameters, lr=1e-2, momentum=0.9, weight_decay=1e-4)
    lr = next(iter(optimizer.param_groups))['lr']
    all_lr = [param_group['lr'] for param_group in optimizer.param_groups]
    assert lr == 1e-3 and all_lr == [1e-3, 1e-2]
    model(torch.ones(5, 4)).sum().backward()
    optimizer.step()
    assert list(optimizer.state_dict()["state"]) == [0, 1, 2, 3]
    # the snippet that names its groups 'parameters' fails in PyTorch too
    bias_list = (param for name, param in model.named_parameters() if name[-4:] == 'bias')
    with pytest.raises(KeyError, match="params"):
        torch.optim.SGD([{'parameters': bias_list, 'weight_decay': 0}], lr=1e-2, momentum=0.9, weight_decay=1e-4)


def test_state_dict_structure():
    a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], amsgrad=True)
    a.grad, b.grad = torch.ones(2), torch.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert list(sd["state"]) == [0, 1]
    assert list(sd["state"][1]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert sd["state"][0]["exp_avg"] is opt.state[a]["exp_avg"]   # live tensors, as PyTorch
    assert sd["param_groups"][1] == {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                                     "amsgrad": True, "maximize": False, "foreach": None, "capturable": False,
                                     "differentiable": False, "fused": None, "decoupled_weight_decay": False,
                                     "params": [1]}


def test_load_state_dict_continues_identically():
    def make():
        rng = np.random.default_rng(8)
        p = torch.tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
        return p, optim.RMSprop([p], momentum=0.5, centered=True), rng

    p, opt, rng = make()
    for _ in range(3):
        p.grad = torch.tensor(rng.standard_normal((3, 3)).astype(np.float32))
        opt.step()
    q = torch.tensor(values(p).astype(np.float32), requires_grad=True)
    opt2 = optim.RMSprop([q], lr=0.5)
    opt2.load_state_dict(opt.state_dict())   # shares the state tensors (as PyTorch's does)
    assert opt2.state[q]["square_avg"] is opt.state[p]["square_avg"]
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["params"] == [q]
    for _ in range(3):
        g = rng.standard_normal((3, 3)).astype(np.float32)
        p.grad, q.grad = torch.tensor(g), torch.tensor(g)
        opt.step()
        opt2.step()
    np.testing.assert_array_equal(values(p), values(q))


def test_load_state_dict_casts_state_to_the_parameter_dtype_but_not_step():
    p = torch.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = torch.ones(2)
    opt.step()
    sd = opt.state_dict()
    q = torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt2 = optim.Adam([q])
    opt2.load_state_dict(sd)
    assert opt2.state[q]["exp_avg"].dtype == torch.float64
    assert opt2.state[q]["step"].dtype == torch.float32


def test_old_checkpoints_with_number_steps_and_missing_options():
    p = torch.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    sd = {"state": {0: {"step": 3, "exp_avg": torch.zeros(2), "exp_avg_sq": torch.zeros(2)}},
          "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                            "params": [0]}]}
    opt.load_state_dict(sd)
    step = opt.state[p]["step"]
    assert torch.is_tensor(step) and step.item() == 3.0 and step.dtype == torch.float32
    assert opt.param_groups[0]["maximize"] is False and opt.param_groups[0]["decoupled_weight_decay"] is False


def test_hooks():
    p = torch.ones(2, requires_grad=True)
    p.grad = torch.ones(2)
    opt = optim.SGD([p], lr=1.0)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", float(p.detach()[0]))))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", float(p.detach()[0]))))
    g = optimizer_module.register_optimizer_step_post_hook(lambda o, args, kwargs: seen.append(("global", 0)))
    opt.step()
    assert seen == [("pre", 1.0), ("post", 0.0), ("global", 0)]
    h1.remove()
    g.remove()
    opt.step()
    assert seen[3:] == [("post", -1.0)]
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    calls = []
    opt.register_load_state_dict_post_hook(lambda o: calls.append(o))
    opt.load_state_dict({"state": {}, "param_groups": opt.state_dict()["param_groups"]})
    assert calls == [opt]


def test_repr():
    opt = optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                         "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
                         "    weight_decay: 0\n)")


def test_duplicate_parameters_warn():
    p = torch.ones(1, requires_grad=True)
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_custom_optimizer_subclass_gets_hooks():
    class Half(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": optimizer_module.required})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data.mul_(group["lr"])

    p = torch.ones(2, requires_grad=True)
    opt = Half([{"params": [p], "lr": 0.5}])
    seen = []
    opt.register_step_post_hook(lambda *a: seen.append(1))
    opt.step()
    assert seen == [1] and values(p).tolist() == [0.5, 0.5]


# ---- optimizer state moves between ctorch and PyTorch ----

def convert(obj, to_lib):
    """A state_dict with its tensors re-created in to_lib (dtype and shape kept)."""
    if hasattr(obj, "dtype") and hasattr(obj, "shape"):
        dtype = getattr(to_lib, str(obj.dtype).replace("torch.", ""))
        return to_lib.tensor(np.array(obj.double().tolist()), dtype=dtype).reshape(tuple(obj.shape))
    if isinstance(obj, dict):
        return {k: convert(v, to_lib) for k, v in obj.items()}
    if isinstance(obj, list):
        return [convert(v, to_lib) for v in obj]
    return obj


@pytest.mark.parity
@parity
@pytest.mark.parametrize("name,kw", [CONFIGS[i] for i in (2, 5, 9, 13, 15, 18, 20, 23, 26)],
                         ids=[CONFIG_IDS[i] for i in (2, 5, 9, 13, 15, 18, 20, 23, 26)])
def test_state_dict_round_trip_ctorch_pytorch_ctorch(name, kw):
    rng = np.random.default_rng(11)
    p0 = rng.standard_normal((4, 3)).astype(np.float32)
    grads = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(9)]

    def steps(lib, p, opt, gs):
        for g in gs:
            p.grad = lib.tensor(g)
            opt.step()

    # the uninterrupted run, in ctorch
    ref = torch.tensor(p0, requires_grad=True)
    ref_opt = getattr(optim, name)([ref], **kw)
    steps(torch, ref, ref_opt, grads)
    # 3 steps in ctorch, 3 in PyTorch, 3 in ctorch again
    p = torch.tensor(p0, requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    steps(torch, p, opt, grads[:3])
    sd = opt.state_dict()
    q = real_torch.tensor(values(p).astype(np.float32), requires_grad=True)
    theirs = getattr(real_torch.optim, name)([q], **kw)
    theirs.load_state_dict(convert(sd, real_torch))
    assert theirs.state_dict()["param_groups"] == sd["param_groups"]
    steps(real_torch, q, theirs, grads[3:6])
    r = torch.tensor(values(q).astype(np.float32), requires_grad=True)
    back = getattr(optim, name)([r], lr=0.123)
    back.load_state_dict(convert(theirs.state_dict(), torch))
    assert back.param_groups[0]["lr"] == theirs.param_groups[0]["lr"] != 0.123
    assert back.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    steps(torch, r, back, grads[6:])
    assert_rel(ref, r, 1e-6)
    for key, value in ref_opt.state[ref].items():
        assert_rel(value, back.state[r][key], 1e-6)


@pytest.mark.parity
@parity
def test_state_dict_matches_pytorch_key_for_key():
    for name, kw in CONFIGS:
        ours, ours_opt = run_steps(torch, name, kw, steps=2)
        theirs, theirs_opt = run_steps(real_torch, name, kw, steps=2)
        a, b = ours_opt.state_dict(), theirs_opt.state_dict()
        assert a["param_groups"] == b["param_groups"], name
        assert list(a["state"]) == list(b["state"])
        for k in b["state"]:
            assert list(a["state"][k]) == list(b["state"][k])


# ---- bad inputs: PyTorch's exception classes and messages ----

def _p():
    return torch.ones(2, requires_grad=True)


def _int_param_step(name):
    p = torch.zeros(3, dtype=torch.int64)
    p.grad = torch.ones(3, dtype=torch.int64)
    getattr(optim, name)([p]).step()


def _expanded_param_step(name):
    p = torch.zeros(1).expand(3).requires_grad_()
    p.grad = torch.ones(3)
    getattr(optim, name)([p], lr=0.1).step()


def _load(sd):
    optim.SGD([_p()], lr=0.1).load_state_dict(sd)


BAD = [
    ("lr", lambda: optim.SGD([_p()], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    ("momentum", lambda: optim.SGD([_p()], lr=0.1, momentum=-1), ValueError, "Invalid momentum value: -1"),
    ("sgd weight_decay", lambda: optim.SGD([_p()], weight_decay=-0.5), ValueError, "Invalid weight_decay value: -0.5"),
    ("nesterov", lambda: optim.SGD([_p()], lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    ("adam eps", lambda: optim.Adam([_p()], eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    ("adam beta0", lambda: optim.Adam([_p()], betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("adam beta1", lambda: optim.AdamW([_p()], betas=(0.9, -0.1)), ValueError,
     "Invalid beta parameter at index 1: -0.1"),
    ("adam betas types", lambda: optim.Adam([_p()], betas=(0, 0.9)), ValueError,
     "betas must be either both floats or both Tensors"),
    ("adam tensor lr", lambda: optim.Adam([_p()], lr=torch.tensor([0.1, 0.2])), ValueError,
     "Tensor lr must be 1-element"),
    ("rmsprop alpha", lambda: optim.RMSprop([_p()], alpha=-0.5), ValueError, "Invalid alpha value: -0.5"),
    ("adagrad lr_decay", lambda: optim.Adagrad([_p()], lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
    ("adagrad accumulator", lambda: optim.Adagrad([_p()], initial_accumulator_value=-1), ValueError,
     "Invalid initial_accumulator_value value: -1"),
    ("adadelta rho", lambda: optim.Adadelta([_p()], rho=1.5), ValueError, "Invalid rho value: 1.5"),
    ("nadam momentum_decay", lambda: optim.NAdam([_p()], momentum_decay=-0.1), ValueError,
     "Invalid momentum_decay value: -0.1"),
    ("fused and foreach", lambda: optim.Adam([_p()], fused=True, foreach=True), RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
    ("empty", lambda: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    ("tensor params", lambda: optim.SGD(torch.ones(2), lr=0.1), TypeError,
     "params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor"),
    ("set params", lambda: optim.SGD([{"params": {_p()}}], lr=0.1), TypeError,
     "optimizer parameters need to be organized in ordered collections"),
    ("not a tensor", lambda: optim.SGD([_p(), 3.0], lr=0.1), TypeError,
     "optimizer can only optimize Tensors, but one of the params is float"),
    ("non-leaf", lambda: optim.SGD([_p() * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    ("two groups", lambda: (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1))(_p()), ValueError,
     "some parameters appear in more than one parameter group"),
    ("required lr", lambda: optim.Optimizer([_p()], {"lr": optimizer_module.required}), ValueError,
     "parameter group didn't specify a value of required optimization parameter lr"),
    ("group not dict", lambda: optim.SGD([_p()], lr=0.1).add_param_group([_p()]), TypeError,
     "param_group must be a dict, but got <class 'list'>"),
    ("names mixed", lambda: optim.SGD([("a", _p()), _p()], lr=0.1), ValueError,
     "all optimizer params should be with/without names. Some param names are missing"),
    ("load groups", lambda: _load({"state": {}, "param_groups": []}), ValueError,
     "loaded state dict has a different number of parameter groups"),
    ("load sizes", lambda: _load({"state": {}, "param_groups": [{"params": [0, 1]}]}), ValueError,
     "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"),
    ("int sgd", lambda: _int_param_step("SGD"), RuntimeError,
     "For integral input tensors, argument alpha must not be a floating point number."),
    ("int adam", lambda: _int_param_step("Adam"), NotImplementedError,
     "\"lerp_kernel_scalar\" not implemented for 'Long'"),
    ("int adagrad", lambda: _int_param_step("Adagrad"), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    ("expanded sgd", lambda: _expanded_param_step("SGD"), RuntimeError,
     "unsupported operation: more than one element of the written-to tensor refers to a single memory location."),
    ("expanded adam", lambda: _expanded_param_step("Adam"), RuntimeError,
     "unsupported operation: more than one element of the written-to tensor refers to a single memory location."),
    ("step abstract", lambda: optim.Optimizer([_p()], {}).step(), NotImplementedError, ""),
]


@pytest.mark.parametrize("call,exc,msg", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(call, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            call()
    assert msg in str(info.value)


@pytest.mark.skipif(REFERENCE, reason="ctorch's own checks of the C step's operands")
def test_c_step_checks_its_operands():
    p = torch.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"the gradient of parameter 0 \(float32 of shape \[3, 2\]\) does not "
                                           r"match the parameter \(float32 of shape \[2, 3\]\)"):
        torch._C._sgd_step([p], [torch.ones(3, 2)], [], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(RuntimeError, match="the exp_avg_sq list is missing"):
        torch._C._adam_step([p], [p], [p.clone()], None, None, [torch.tensor(0.0)], 1e-3, 0.9, 0.999, 1e-8, 0.0,
                            False, False, False)
    with pytest.raises(RuntimeError, match="the exp_avg of parameter 1 is missing"):
        torch._C._adam_step([p, p], [p, p], [p.clone(), None], [p.clone(), p.clone()], None,
                            [torch.tensor(0.0), torch.tensor(0.0)], 1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match="`step` must be a 1-element floating point CPU tensor"):
        torch._C._adagrad_step([p], [p], [p.clone()], [torch.zeros(2)], 0.1, 0.0, 0.0, 1e-10, False)
    with pytest.raises(ValueError, match="grads has 2 entries, params has 1"):
        torch._C._sgd_step([p], [p, p], [], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match="missing required argument 'maximize'"):
        torch._C._sgd_step([p], [p], [], 0.1, 0.0, 0.0, 0.0, False)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.Adam([torch.ones(1, requires_grad=True)], differentiable=True)
