"""torch.optim.LBFGS: NumPy's least-squares solution as the oracle for
convergence; parity tests run the same problems (Rosenbrock, least squares,
logistic regression) through real PyTorch and require the same closure
evaluations, the same iterates (float64, to rounding) and the same state."""
import numpy as np
import pytest

from helpers import REFERENCE, real_torch, torch

parity = pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")


def rosenbrock(T, x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def run_rosenbrock(T, steps=3, **kw):
    """Iterates, closure calls and final state of LBFGS on the 4-d Rosenbrock function."""
    x = T.tensor([-1.5, 2.0, 0.5, -0.7], dtype=T.float64, requires_grad=True)
    opt = T.optim.LBFGS([x], **kw)
    calls = []

    def closure():
        opt.zero_grad()
        loss = rosenbrock(T, x)
        loss.backward()
        calls.append(loss.item())
        return loss

    iterates = []
    for _ in range(steps):
        opt.step(closure)
        iterates.append(x.detach().numpy().copy())
    return np.array(iterates), calls, opt


def least_squares_problem(seed=0, n=40, d=5):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d))
    b = a @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    return a, b


def run_model(T, kind, steps=2, **kw):
    """A float64 nn.Linear fitted by LBFGS: least squares (MSE) or logistic regression (BCE with logits)."""
    a, b = least_squares_problem()
    x, y = T.tensor(a), T.tensor(b).reshape(-1, 1)
    if kind == "logistic":
        y = (y > 0).to(T.float64)
    model = T.nn.Linear(5, 1).double()
    with T.no_grad():
        model.weight.copy_(T.tensor(np.linspace(-0.5, 0.5, 5).reshape(1, 5)))
        model.bias.fill_(0.1)
    loss_fn = T.nn.MSELoss() if kind == "lsq" else T.nn.BCEWithLogitsLoss()
    opt = T.optim.LBFGS(model.parameters(), **kw)

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return np.concatenate([model.weight.detach().numpy().ravel(), model.bias.detach().numpy()]), losses, opt


# ---- values: NumPy's solution as the oracle ----

@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_least_squares_converges_to_numpy_solution(line_search_fn):
    a, b = least_squares_problem()
    design = np.hstack([a, np.ones((len(a), 1))])
    expected = np.linalg.lstsq(design, b, rcond=None)[0]
    params, _, _ = run_model(torch, "lsq", steps=5, line_search_fn=line_search_fn, lr=1 if line_search_fn else 0.5,
                             max_iter=50, tolerance_grad=1e-12, tolerance_change=1e-14)
    np.testing.assert_allclose(params, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_2d_reaches_the_minimum(line_search_fn):
    x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], line_search_fn=line_search_fn, max_iter=200, lr=1 if line_search_fn else 0.1,
                            tolerance_grad=1e-10, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(torch, x)
        loss.backward()
        return loss

    for _ in range(10 if line_search_fn else 50):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.ones(2), atol=1e-6)


def test_defaults_and_state_counters():
    _, calls, opt = run_rosenbrock(torch, steps=1)
    group = opt.param_groups[0]
    assert (group["lr"], group["max_iter"], group["max_eval"], group["tolerance_grad"], group["tolerance_change"],
            group["history_size"], group["line_search_fn"]) == (1, 20, 25, 1e-7, 1e-9, 100, None)
    state = opt.state_dict()["state"][0]
    # the fixed-step run: one evaluation per iteration, none after the last step
    assert state["func_evals"] == len(calls) == 20
    assert state["n_iter"] == 20
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) <= 19


def test_history_size_bounds_the_memory():
    _, _, opt = run_rosenbrock(torch, steps=2, history_size=3)
    state = opt.state_dict()["state"][0]
    assert len(state["old_dirs"]) == 3
    assert len(state["al"]) == 3


def test_zero_gradient_returns_after_one_evaluation():
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x])
    calls = []

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        calls.append(1)
        return loss

    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and opt.state_dict()["state"][0]["n_iter"] == 0


def test_parameter_without_grad_counts_as_zero():
    x = torch.tensor([3.0, -2.0], dtype=torch.float64, requires_grad=True)
    unused = torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x, unused], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((x - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-6)
    np.testing.assert_array_equal(unused.detach().numpy(), [1.0, 1.0])


def test_float32_parameters():
    x = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = torch.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=100)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(torch, x)
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert x.dtype == torch.float32
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-3)


def test_state_dict_round_trip_resumes_identically():
    straight, _, _ = run_rosenbrock(torch, steps=4, line_search_fn="strong_wolfe", max_iter=3)
    first, _, opt = run_rosenbrock(torch, steps=2, line_search_fn="strong_wolfe", max_iter=3)
    x = torch.tensor(first[-1], dtype=torch.float64, requires_grad=True)
    resumed = torch.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=3)
    resumed.load_state_dict(opt.state_dict())

    def closure():
        resumed.zero_grad()
        loss = rosenbrock(torch, x)
        loss.backward()
        return loss

    for _ in range(2):
        resumed.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), straight[-1], rtol=1e-12, atol=1e-12)


# ---- bad inputs ----

def test_parameter_groups_are_rejected():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        torch.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])


@pytest.mark.parametrize("make, exc, match", [
    (lambda p: torch.optim.LBFGS([p], lr=-1.0), ValueError, "Invalid learning rate: -1.0"),
    (lambda p: torch.optim.LBFGS([p], lr=torch.tensor([0.1, 0.2])), ValueError, "Tensor lr must be 1-element"),
    (lambda p: torch.optim.LBFGS([]), ValueError, "optimizer got an empty parameter list"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(torch.zeros(2, requires_grad=True))


def test_unknown_line_search_is_rejected_at_step():
    x = torch.ones(2, requires_grad=True)
    opt = torch.optim.LBFGS([x], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_step_needs_a_closure():
    opt = torch.optim.LBFGS([torch.ones(2, requires_grad=True)])
    with pytest.raises(TypeError):
        opt.step()


# ---- parity with PyTorch ----

@pytest.mark.parity
@parity
@pytest.mark.parametrize("kw", [
    {}, {"line_search_fn": "strong_wolfe"}, {"history_size": 3, "max_iter": 7},
    {"history_size": 3, "max_iter": 7, "line_search_fn": "strong_wolfe"}, {"lr": 0.3, "max_eval": 9},
    {"line_search_fn": "strong_wolfe", "max_eval": 6},
])
def test_rosenbrock_parity(kw):
    ours, our_calls, our_opt = run_rosenbrock(torch, steps=4, **kw)
    theirs, their_calls, their_opt = run_rosenbrock(real_torch, steps=4, **kw)
    assert len(our_calls) == len(their_calls)
    np.testing.assert_allclose(our_calls, their_calls, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    compare_state(our_opt.state_dict(), their_opt.state_dict())


def compare_state(ours, theirs):
    assert ours["param_groups"] == theirs["param_groups"]
    a, b = ours["state"][0], theirs["state"][0]
    assert set(a) == set(b)
    for key in ("func_evals", "n_iter"):
        assert a[key] == b[key]
    np.testing.assert_allclose(a["prev_loss"], b["prev_loss"], rtol=1e-9)
    for key in ("d", "prev_flat_grad"):
        np.testing.assert_allclose(a[key].numpy(), b[key].numpy(), rtol=1e-8, atol=1e-10)
    # ro = 1 / (y . s): near the optimum y and s are differences of nearly equal
    # vectors, so the last-bit differences of the reductions grow there
    for key, rtol in (("old_dirs", 1e-8), ("old_stps", 1e-8), ("ro", 1e-5)):
        assert len(a[key]) == len(b[key])
        for x, y in zip(a[key], b[key]):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=1e-10)
    np.testing.assert_allclose(float(a["t"]), float(b["t"]), rtol=1e-9)
    np.testing.assert_allclose(float(a["H_diag"]), float(b["H_diag"]), rtol=1e-9)


@pytest.mark.parity
@parity
@pytest.mark.parametrize("kind", ["lsq", "logistic"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_model_parity(kind, line_search_fn):
    ours, our_losses, our_opt = run_model(torch, kind, line_search_fn=line_search_fn, history_size=4)
    theirs, their_losses, their_opt = run_model(real_torch, kind, line_search_fn=line_search_fn, history_size=4)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-9)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
    compare_state(our_opt.state_dict(), their_opt.state_dict())


@pytest.mark.parity
@parity
def test_state_dict_moves_to_pytorch():
    _, _, ours = run_rosenbrock(torch, steps=2, line_search_fn="strong_wolfe", max_iter=3)
    straight, _, _ = run_rosenbrock(real_torch, steps=4, line_search_fn="strong_wolfe", max_iter=3)
    first, _, _ = run_rosenbrock(real_torch, steps=2, line_search_fn="strong_wolfe", max_iter=3)
    x = real_torch.tensor(first[-1], requires_grad=True)
    theirs = real_torch.optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=3)
    state = ours.state_dict()
    state["state"][0] = {k: ([real_torch.tensor(v.numpy()) if hasattr(v, "numpy") else v for v in val]
                             if isinstance(val, list) else real_torch.tensor(val.numpy()) if hasattr(val, "numpy")
                             else val) for k, val in state["state"][0].items()}
    theirs.load_state_dict(state)

    def closure():
        theirs.zero_grad()
        loss = rosenbrock(real_torch, x)
        loss.backward()
        return loss

    for _ in range(2):
        theirs.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), straight[-1], rtol=1e-8, atol=1e-10)
