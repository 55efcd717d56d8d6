"""ctorch.vision.models: torchvision's structure (parameter counts, state_dict
keys and shapes, module names, printed repr, seeded initial values against
real torchvision where installed), forward passes on small inputs, the seed's
surgery, and the weight enums' hub-cache paths and missing-file errors."""
import os
from collections import OrderedDict

import numpy as np
import pytest

from helpers import REFERENCE, torch, to_numpy

if REFERENCE:
    tv = pytest.importorskip("torchvision")
else:
    import ctorch.vision as tv

M = tv.models
nn = torch.nn

try:
    import torchvision as real_tv
    import torch as real_torch
except ImportError:
    real_tv = real_torch = None

needs_layers = pytest.mark.skipif(not all(hasattr(nn, n) for n in ("Conv2d", "BatchNorm2d", "MaxPool2d", "ReLU6",
                                                                   "AdaptiveAvgPool2d", "Dropout", "ReLU")),
                                  reason="ctorch.nn has no convolution/normalization layers yet")
parity = pytest.mark.skipif(real_tv is None or REFERENCE, reason="needs torchvision beside ctorch")

# torchvision's parameter counts (its weights' meta "num_params") and state_dict sizes
MODELS = {
    "resnet18": (11689512, 122), "resnet34": (21797672, 218), "resnet50": (25557032, 320),
    "resnet101": (44549160, 626), "resnet152": (60192808, 932),
    "vgg11": (132863336, 22), "vgg11_bn": (132868840, 62), "vgg13": (133047848, 26), "vgg13_bn": (133053736, 76),
    "vgg16": (138357544, 32), "vgg16_bn": (138365992, 97), "vgg19": (143667240, 38), "vgg19_bn": (143678248, 118),
    "alexnet": (61100840, 16), "mobilenet_v2": (3504872, 314),
}
SMALL = ["resnet18", "resnet50", "vgg11_bn", "alexnet", "mobilenet_v2"]


@needs_layers
@pytest.mark.parametrize("name", list(MODELS))
def test_parameter_count_and_state_dict_size(name):
    model = getattr(M, name)()
    n_params, n_keys = MODELS[name]
    assert sum(p.numel() for p in model.parameters()) == n_params
    assert len(model.state_dict()) == n_keys


@needs_layers
def test_resnet18_names_and_children():
    model = M.resnet18(num_classes=10)
    assert [n for n, _ in model.named_children()] == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2",
                                                      "layer3", "layer4", "avgpool", "fc"]
    keys = list(model.state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                        "bn1.num_batches_tracked"]
    assert "layer2.0.downsample.0.weight" in keys and "layer1.0.downsample.0.weight" not in keys
    assert tuple(model.fc.weight.shape) == (10, 512)


@needs_layers
@pytest.mark.parametrize("name", SMALL)
def test_forward_small_input(name):
    torch.manual_seed(0)
    model = getattr(M, name)(num_classes=7).eval()
    size = 64 if name in ("alexnet",) else 32
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert tuple(out.shape) == (2, 7) and bool(torch.isfinite(out).all())


@needs_layers
def test_default_initialisations():
    torch.manual_seed(0)
    r = M.resnet18(zero_init_residual=True)
    assert float(r.bn1.weight.min()) == 1.0 and float(r.bn1.bias.abs().max()) == 0.0
    assert float(r.layer1[0].bn2.weight.abs().max()) == 0.0
    w = to_numpy(r.conv1.weight.detach())
    assert abs(w.std() - np.sqrt(2.0 / (64 * 7 * 7))) < 0.1 * np.sqrt(2.0 / (64 * 7 * 7))   # kaiming fan_out
    v = M.vgg11()
    lin = to_numpy(v.classifier[0].weight.detach())
    assert abs(lin.std() - 0.01) < 1e-3 and float(v.classifier[0].bias.abs().max()) == 0.0
    assert float(v.features[0].bias.abs().max()) == 0.0


@needs_layers
def test_seed_surgery():
    vgg = M.vgg16()
    feats = vgg.features[:-1]
    assert isinstance(feats, nn.Sequential) and len(feats) == 30 and isinstance(vgg.features[-1], nn.MaxPool2d)
    vgg.classifier = nn.Sequential(*list(vgg.classifier.children())[:-1])
    assert len(vgg.classifier) == 6
    resnet = M.resnet18()
    trunk = nn.Sequential(OrderedDict(list(resnet.named_children())[:-1])).eval()
    with torch.no_grad():
        out = trunk(torch.randn(1, 3, 32, 32))
    assert tuple(out.shape) == (1, 512, 1, 1)
    resnet.fc = nn.Linear(512, 100)
    resnet.eval()
    with torch.no_grad():
        assert tuple(resnet(torch.randn(1, 3, 32, 32)).shape) == (1, 100)
    assert "fc.weight" in resnet.state_dict() and tuple(resnet.state_dict()["fc.weight"].shape) == (100, 512)


@needs_layers
def test_repr_of_a_block():
    text = repr(M.resnet18().layer2[0])
    assert text.startswith("BasicBlock(\n  (conv1): Conv2d(64, 128, kernel_size=(3, 3), stride=(2, 2), "
                           "padding=(1, 1), bias=False)\n")
    assert "(downsample): Sequential(\n    (0): Conv2d(64, 128, kernel_size=(1, 1), stride=(2, 2), bias=False)" in text
    mb = repr(M.mobilenet_v2().features[1])
    assert mb.startswith("InvertedResidual(\n  (conv): Sequential(\n    (0): Conv2dNormActivation(\n")


# ---------------------------------------------------------------- weights and the hub cache

def test_weight_enums():
    w = M.ResNet18_Weights.IMAGENET1K_V1
    assert w.url.endswith("/resnet18-f37072fd.pth") and repr(w) == "ResNet18_Weights.IMAGENET1K_V1"
    assert M.ResNet50_Weights.DEFAULT is M.ResNet50_Weights.IMAGENET1K_V2
    assert M.VGG16_Weights.verify("VGG16_Weights.IMAGENET1K_V1") is M.VGG16_Weights.IMAGENET1K_V1
    assert M.VGG16_Weights.verify("IMAGENET1K_FEATURES").url.endswith("vgg16_features-amdegroot-88682ab5.pth")
    assert M.AlexNet_Weights.IMAGENET1K_V1.url.endswith("alexnet-owt-7be5be79.pth")
    assert M.MobileNet_V2_Weights.IMAGENET1K_V1.url.endswith("mobilenet_v2-b0353104.pth")
    with pytest.raises(TypeError, match="Invalid Weight class provided; expected ResNet18_Weights but received "
                                        "VGG16_Weights"):
        M.ResNet18_Weights.verify(M.VGG16_Weights.IMAGENET1K_V1)


@pytest.mark.skipif(REFERENCE, reason="torchvision would download the file")
@pytest.mark.parametrize("torch_home", [True, False])
def test_missing_weights_name_the_file_and_folder(tmp_path, monkeypatch, torch_home):
    if torch_home:
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
        folder = os.path.join(str(tmp_path / "th"), "hub", "checkpoints")
    else:
        monkeypatch.delenv("TORCH_HOME", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        folder = os.path.join(str(tmp_path / "xdg"), "torch", "hub", "checkpoints")
    with pytest.raises(RuntimeError) as info:
        M.ResNet18_Weights.IMAGENET1K_V1.get_state_dict()
    assert "resnet18-f37072fd.pth" in str(info.value) and folder in str(info.value)


@pytest.mark.skipif(REFERENCE, reason="torchvision would download the file")
def test_default_hub_folder_is_under_home(monkeypatch):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    from ctorch.vision.models._api import checkpoint_path
    assert checkpoint_path(M.VGG16_Weights.IMAGENET1K_V1.url) == os.path.expanduser(
        "~/.cache/torch/hub/checkpoints/vgg16-397923af.pth")


@needs_layers
@pytest.mark.skipif(REFERENCE, reason="torchvision would download the file")
def test_pretrained_builders_look_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match="vgg16-397923af.pth"):
        # torchvision warns twice: the keyword is deprecated, and which weights= it amounts to
        with pytest.warns(UserWarning, match="'pretrained' is deprecated"), \
                pytest.warns(UserWarning, match="weights=VGG16_Weights.IMAGENET1K_V1"):
            M.vgg16(pretrained=True)
    with pytest.raises(RuntimeError, match="resnet50-11ad3fa6.pth"):
        M.resnet50(weights="DEFAULT")
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but got 10 instead."):
        M.resnet18(weights=M.ResNet18_Weights.IMAGENET1K_V1, num_classes=10)


@needs_layers
@pytest.mark.skipif(REFERENCE or not hasattr(torch, "save"), reason="needs ctorch.save/load")
def test_pretrained_loads_a_cached_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    os.makedirs(tmp_path / "hub" / "checkpoints")
    torch.manual_seed(1)
    src = M.alexnet()
    torch.save(src.state_dict(), str(tmp_path / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"))
    loaded = M.alexnet(weights=M.AlexNet_Weights.IMAGENET1K_V1)
    assert torch.equal(loaded.features[0].weight, src.features[0].weight)


# ---------------------------------------------------------------- parity with torchvision

@needs_layers
@pytest.mark.parity
@parity
@pytest.mark.parametrize("name", list(MODELS))
def test_parity_structure_and_repr(name):
    mine, theirs = getattr(M, name)(), getattr(real_tv.models, name)()
    assert [(k, tuple(v.shape)) for k, v in mine.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [n for n, _ in mine.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(mine) == repr(theirs)


@needs_layers
@pytest.mark.parity
@parity
@pytest.mark.parametrize("name", ["resnet18", "vgg11", "alexnet", "mobilenet_v2"])
def test_parity_seeded_initial_values_and_forward(name):
    torch.manual_seed(0)
    mine = getattr(M, name)().eval()
    real_torch.manual_seed(0)
    theirs = getattr(real_tv.models, name)().eval()
    for (k, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-6, atol=1e-7, err_msg=k)
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        got = to_numpy(mine(torch.from_numpy(x)))
    with real_torch.no_grad():
        ref = theirs(real_torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------- the legacy `pretrained` argument's warnings

LEGACY_WEIGHTS = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be "
                  "removed in the future. The current behavior is equivalent to passing `weights={}`.")


@needs_layers
@pytest.mark.skipif(not hasattr(torch, "save"), reason="needs save/load")
@pytest.mark.parametrize("positional", [False, True])
@pytest.mark.parametrize("pretrained", [True, False])
def test_pretrained_argument_warnings_are_torchvisions(tmp_path, monkeypatch, pretrained, positional):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    os.makedirs(tmp_path / "hub" / "checkpoints")
    fake = {k: torch.zeros(()).expand(v.shape) for k, v in M.resnet18().state_dict().items()}   # a few KB
    torch.save(fake, str(tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"))
    with pytest.warns(UserWarning) as record:
        M.resnet18(pretrained) if positional else M.resnet18(pretrained=pretrained)
    expected = ["Using 'weights' as positional parameter(s) is deprecated since 0.13 and may be removed in the "
                "future. Please use keyword parameter(s) instead." if positional else
                "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, please use "
                "'weights' instead."]
    if pretrained:
        expected.append(LEGACY_WEIGHTS.format("ResNet18_Weights.IMAGENET1K_V1")
                        + " You can also use `weights=ResNet18_Weights.DEFAULT` to get the most up-to-date weights.")
    else:
        expected.append(LEGACY_WEIGHTS.format("None"))
    assert [str(w.message) for w in record if w.category is UserWarning] == expected
