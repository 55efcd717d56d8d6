"""nn.Module and friends: registration, iteration, modes, hooks, state_dict
and load_state_dict (keys, _metadata, strict errors), repr, containers,
init, clip_grad and Linear/Bilinear. Written against `torch` (ctorch, or
real PyTorch with CTORCH_TEST_REFERENCE=torch), plus side-by-side parity."""
import copy
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

from helpers import REFERENCE, assert_close, real_torch, torch

nn = torch.nn
F = torch.nn.functional


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Linear(4, 3)
        self.head = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2, bias=False))
        self.register_buffer("running", torch.zeros(3))
        self.register_buffer("scratch", torch.ones(2), persistent=False)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.head(self.conv(x) + self.running) * self.scale


def test_registration_and_iteration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "conv.weight", "conv.bias", "head.0.weight", "head.0.bias", "head.1.weight"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_children()] == ["conv", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "conv", "head", "head.0", "head.1"]
    assert len(list(net.parameters())) == 6 and len(list(net.parameters(recurse=False))) == 1
    assert list(net.state_dict().keys()) == [
        "scale", "running", "conv.weight", "conv.bias", "head.0.weight", "head.0.bias", "head.1.weight"]
    assert isinstance(net.conv.weight, nn.Parameter) and net.conv.weight.requires_grad
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("head.0.bias") is net.head[0].bias
    assert net.get_buffer("running") is net.running


def test_shared_parameters_are_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_modules())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


def test_attribute_assignment_rules():
    net = Net()
    net.conv = nn.Linear(4, 3, bias=False)           # replacing a module
    assert net.conv.bias is None and "conv.bias" not in net.state_dict()
    net.running = torch.full((3,), 2.0)              # a buffer stays a buffer
    assert "running" in dict(net.named_buffers())
    net.conv = None
    assert net.conv is None and "conv" in net._modules
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'scale' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        net.scale = torch.ones(1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'head'"):
        net.head = 3
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        net.register_buffer("training", torch.ones(1))
    with pytest.raises(KeyError) as e:
        net.register_buffer("a.b", torch.ones(1))
    assert e.value.args[0] == 'buffer name can\'t contain "."'
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' object to parameter 'p'"):
        net.register_parameter("p", torch.ones(1))
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        net.register_parameter("q", _non_leaf_parameter())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        net.missing
    del net.scale
    assert "scale" not in dict(net.named_parameters())


def _non_leaf_parameter():
    p = nn.Parameter(torch.ones(2))
    q = p * 2
    q.__class__ = nn.Parameter
    return q


def test_assignment_before_init_raises():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(1))
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__\\(\\) call"):
        Early()


def test_train_eval_requires_grad_zero_grad_apply():
    net = Net()
    assert net.training and net.head[0].training
    net.eval()
    assert not net.training and not net.head[1].training
    net.train()
    assert net.head[1].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    net(torch.ones(2, 4)).sum().backward()
    assert net.conv.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert float(net.conv.weight.grad.abs().sum()) == 0.0
    net.zero_grad()
    assert net.conv.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "Linear", "Sequential", "Net"]


def test_conversions():
    net = Net().double()
    assert net.conv.weight.dtype == torch.float64 and net.running.dtype == torch.float64
    w = net.conv.weight
    net.float()
    assert net.conv.weight is w and w.dtype == torch.float32   # the same Parameter object, new data
    net.to(torch.float64)
    assert net.scale.dtype == torch.float64
    net.to("cpu", torch.float32)
    assert net.scale.dtype == torch.float32
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        net.to(torch.int64)


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(torch.ones(3, 2))
    assert calls == [(3, 2)]
    assert_close(out.detach(), (lin.bias.detach() + 1).expand(3, 2).numpy())
    h1.remove()
    h2.remove()
    assert_close(lin(torch.zeros(1, 2)).detach(), lin.bias.detach().reshape(1, 2).numpy())
    kw = []
    lin.register_forward_hook(lambda m, args, kwargs, out: kw.append(sorted(kwargs)), with_kwargs=True)
    lin(input=torch.ones(1, 2))
    assert kw == [["input"]]


def test_state_dict_round_trip_and_metadata():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert sd._metadata[""] == {"version": 1} and sd._metadata["head.0"] == {"version": 1}
    assert "scratch" not in sd
    assert not sd["conv.weight"].requires_grad
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for k, v in b.state_dict().items():
        assert_close(v, sd[k].numpy())
    kept = a.state_dict(keep_vars=True)
    assert kept["conv.weight"] is a.conv.weight


def test_load_state_dict_strict_errors_match_pytorch():
    net = Net()
    sd = net.state_dict()
    sd["extra.weight"] = torch.ones(1)
    del sd["conv.bias"]
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "conv.bias". \n\t'
                            'Unexpected key(s) in state_dict: "extra.weight". ')
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["conv.bias"] and result.unexpected_keys == ["extra.weight"]
    bad = net.state_dict()
    bad["conv.weight"] = torch.ones(5, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for conv.weight: copying a param with shape "
                                           r"torch.Size\(\[5, 5\]\) from checkpoint, the shape in current model is "
                                           r"torch.Size\(\[3, 4\]\)."):
        net.load_state_dict(bad)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1, 2])


def test_repr_matches_pytorch_layout():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (conv): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (head): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=3, bias=True)\n"
        "    (1): Linear(in_features=3, out_features=2, bias=False)\n"
        "  )\n"
        ")")
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Identity()])
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (3): Identity()\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"
    pl = nn.ParameterList([nn.Parameter(torch.ones(2, 3)), torch.zeros(1)])
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [torch.float32 of size 1]\n)")
    assert repr(nn.Parameter(torch.ones(2))) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert repr(nn.Bilinear(2, 3, 4)) == "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"


def test_sequential_indexing_slicing_and_ordered_dict():
    layers = OrderedDict([("fc1", nn.Linear(4, 3)), ("act", nn.Identity()), ("fc2", nn.Linear(3, 2))])
    seq = nn.Sequential(layers)
    assert list(seq.state_dict().keys()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert seq[0] is layers["fc1"] and seq[-1] is layers["fc2"]
    head = seq[:-1]
    assert isinstance(head, nn.Sequential) and list(head._modules.keys()) == ["fc1", "act"]
    assert len(seq) == 3
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    seq.append(nn.Identity())
    assert len(seq) == 4 and list(seq._modules.keys())[-1] == "3"
    plain = nn.Sequential(nn.Linear(2, 2), nn.Identity(), nn.Linear(2, 1))
    del plain[1]
    assert list(plain._modules.keys()) == ["0", "1"]
    x = torch.ones(5, 4)
    assert tuple(seq(x).shape) == (5, 2)


def test_module_list_and_dict_and_parameter_containers():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Identity())
    ml.extend([nn.Identity()])
    ml.insert(0, nn.Linear(2, 2))
    assert len(ml) == 4 and isinstance(ml[0], nn.Linear) and ml[0].in_features == 2
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.Identity()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    md.update([("c", nn.Identity())])
    assert list(md) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        md.update([("d", nn.Identity(), 1)])
    pd = nn.ParameterDict({"w": nn.Parameter(torch.ones(2)), "v": torch.zeros(3)})
    assert isinstance(pd["v"], nn.Parameter) and list(pd.keys()) == ["v", "w"]   # a plain dict: sorted
    holder = nn.Module()
    holder.pl = nn.ParameterList([torch.ones(1), torch.ones(2)])
    holder.pd = pd
    assert [n for n, _ in holder.named_parameters()] == ["pl.0", "pl.1", "pd.v", "pd.w"]


def test_linear_forward_matches_numpy_and_default_init_bounds():
    lin = nn.Linear(5, 3)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    bound = 1 / math.sqrt(5)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    x = np.random.default_rng(0).standard_normal((2, 4, 5)).astype(np.float32)
    assert_close(lin(torch.tensor(x)).detach(), x @ w.T + b, rtol=1e-5, atol=1e-6)
    assert tuple(nn.Linear(5, 3, bias=False)(torch.ones(5)).shape) == (3,)
    bil = nn.Bilinear(3, 4, 2).double()
    x1 = np.random.default_rng(1).standard_normal((6, 3))
    x2 = np.random.default_rng(2).standard_normal((6, 4))
    expect = np.einsum("bn,onm,bm->bo", x1, bil.weight.detach().numpy(), x2) + bil.bias.detach().numpy()
    assert_close(bil(torch.tensor(x1), torch.tensor(x2)).detach(), expect, rtol=1e-10)


def test_linear_and_bilinear_gradients():
    x = torch.tensor(np.random.default_rng(3).standard_normal((2, 3, 4))).requires_grad_()
    w = torch.tensor(np.random.default_rng(4).standard_normal((5, 4))).requires_grad_()
    b = torch.tensor(np.random.default_rng(5).standard_normal(5)).requires_grad_()
    assert torch.autograd.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    assert torch.autograd.gradcheck(lambda x, w: F.linear(x, w), (x[0], w))
    x1 = torch.tensor(np.random.default_rng(6).standard_normal((3, 2))).requires_grad_()
    x2 = torch.tensor(np.random.default_rng(7).standard_normal((3, 4))).requires_grad_()
    wb = torch.tensor(np.random.default_rng(8).standard_normal((5, 2, 4))).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, c, w, b: F.bilinear(a, c, w, b), (x1, x2, wb, b))


def test_init_functions():
    t = torch.empty(64, 32)
    nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(float(t.std()) - math.sqrt(2.0 / 64)) < 0.03
    nn.init.xavier_uniform_(t)
    a = math.sqrt(6.0 / (64 + 32))
    assert float(t.abs().max()) <= a
    nn.init.constant_(t, 0.5)
    assert float(t.min()) == 0.5 == float(t.max())
    nn.init.trunc_normal_(t, std=0.02, a=-0.04, b=0.04)
    assert float(t.abs().max()) <= 0.04 and abs(float(t.mean())) < 0.005
    nn.init.eye_(t)
    assert_close(t, np.eye(64, 32, dtype=np.float32))
    c = torch.empty(4, 2, 3, 3)
    nn.init.dirac_(c, groups=2)
    expect = np.zeros((4, 2, 3, 3), np.float32)
    expect[[0, 1, 2, 3], [0, 1, 0, 1], 1, 1] = 1
    assert_close(c, expect)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert nn.init.calculate_gain("tanh") == 5.0 / 3
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        nn.init.xavier_uniform_(torch.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        nn.init.kaiming_uniform_(t, mode="fan_avg")


def test_clip_grad_norm_and_value():
    ps = [nn.Parameter(torch.tensor(np.array(v, np.float32))) for v in ([3.0, 4.0], [[12.0]])]
    for p in ps:
        p.grad = p.detach().clone()
    total = nn.utils.clip_grad_norm_(ps, max_norm=1.3)
    assert abs(float(total) - 13.0) < 1e-5
    coef = 1.3 / (13.0 + 1e-6)
    assert_close(ps[0].grad, np.array([3.0, 4.0], np.float32) * coef, rtol=1e-6)
    inf_total = nn.utils.clip_grad_norm_(ps, 100.0, norm_type=float("inf"))
    assert abs(float(inf_total) - 12.0 * coef) < 1e-5
    ps[1].grad = torch.tensor([[float("nan")]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    ps[1].grad = torch.tensor([[-7.0]])
    nn.utils.clip_grad_value_(ps, 0.5)
    assert float(ps[1].grad) == -0.5
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(torch.ones(1))], 1.0)) == 0.0
    vec = nn.utils.parameters_to_vector(ps)
    assert tuple(vec.shape) == (3,)
    nn.utils.vector_to_parameters(torch.arange(3.0), ps)
    assert float(ps[1]) == 2.0


def test_deepcopy_and_pickle_keep_parameters():
    net = Net()
    twin = copy.deepcopy(net)
    assert isinstance(twin.conv.weight, nn.Parameter) and twin.conv.weight.requires_grad
    assert twin.conv.weight is not net.conv.weight and twin.conv.weight.grad_fn is None
    assert_close(twin.conv.weight.detach(), net.conv.weight.detach().numpy())
    back = pickle.loads(pickle.dumps(net))
    assert_close(back(torch.ones(1, 4)).detach(), net(torch.ones(1, 4)).detach().numpy())
    assert isinstance(back.scale, nn.Parameter)


def test_data_parallel_prefixes_state_dict_keys():
    dp = nn.DataParallel(nn.Linear(2, 3))
    assert list(dp.state_dict().keys()) == ["module.weight", "module.bias"]
    assert tuple(dp(torch.ones(4, 2)).shape) == (4, 3)


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward" function'):
        nn.Module()(1)


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
def test_default_init_matches_pytorch_for_the_same_seed():
    torch.manual_seed(7)
    real_torch.manual_seed(7)
    ours = [nn.Linear(20, 7), nn.Bilinear(3, 4, 5)]
    theirs = [real_torch.nn.Linear(20, 7), real_torch.nn.Bilinear(3, 4, 5)]
    for a, b in zip(ours, theirs):
        for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
            assert na == nb
            np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    ta, tb = torch.empty(30, 40), real_torch.empty(30, 40)
    for fn, kw in [("kaiming_normal_", {}), ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
                   ("xavier_uniform_", {}), ("xavier_normal_", dict(gain=2.0)), ("normal_", {}), ("uniform_", {}),
                   ("trunc_normal_", {}), ("trunc_normal_", dict(std=0.02, a=-0.04, b=0.04)),
                   ("trunc_normal_", dict(a=2.0, b=3.0)), ("sparse_", dict(sparsity=0.3))]:
        torch.manual_seed(3)
        real_torch.manual_seed(3)
        getattr(nn.init, fn)(ta, **kw)
        getattr(real_torch.nn.init, fn)(tb, **kw)
        np.testing.assert_array_equal(ta.numpy(), tb.numpy())
    for shape in ((30, 40), (50, 20), (8, 3, 2, 2)):   # QR through LAPACK: equal to rounding
        ta, tb = torch.empty(*shape), real_torch.empty(*shape)
        torch.manual_seed(1)
        real_torch.manual_seed(1)
        nn.init.orthogonal_(ta, gain=2.0)
        real_torch.nn.init.orthogonal_(tb, gain=2.0)
        np.testing.assert_allclose(ta.numpy(), tb.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
def test_state_dicts_move_between_ctorch_and_pytorch():
    ours = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    theirs = real_torch.nn.Sequential(real_torch.nn.Linear(4, 3), real_torch.nn.Linear(3, 2))
    theirs.load_state_dict({k: real_torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(torch.tensor(x)).detach().numpy(), theirs(real_torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()._metadata.items()) == list(theirs.state_dict()._metadata.items())
