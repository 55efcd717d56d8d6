"""Whole training steps (issues 5, 7 and 8): forward, loss, backward and an
SGD step of the same model in each library, same initial weights (copied
from ctorch's through NumPy) and the same batch; the rate is steps per
second (unit "step").

- MLP 784-512-512-10, batch 128 (issue 5: at least 1.0x PyTorch's);
- small CNN (conv-bn-relu-pool twice, linear) on 1x28x28, batch 64 (issue 5: at least 1.0x);
- ResNet-18 on 3x64x64, batch 8 (issue 7: at least 0.8x).
"""
import numpy as np

from .harness import Benchmark


def _mlp(nn):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def _cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 10))


def _resnet18(lib):
    models = __import__("torchvision.models" if lib.__name__ == "torch" else "ctorch.vision.models",
                        fromlist=["resnet18"])
    return models.resnet18(num_classes=10)


_WEIGHTS = {}


def _same_weights(name, model, lib):
    """ctorch's initial weights, copied into every library's model (one draw per model kind)."""
    if name not in _WEIGHTS:
        import ctorch
        ref = {"mlp": lambda: _mlp(ctorch.nn), "cnn": lambda: _cnn(ctorch.nn),
               "resnet18": lambda: _resnet18(ctorch)}[name]()
        _WEIGHTS[name] = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
    model.load_state_dict({k: lib.tensor(v) for k, v in _WEIGHTS[name].items()})
    return model


def train_case(name, build, in_shape, batch):
    def setup(lib):
        model = _same_weights(name, build(lib), lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((batch,) + in_shape).astype(np.float32))
        y = lib.tensor(rng.integers(0, 10, batch))
        loss_fn = lib.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss.detach()
        return step
    # losses drift apart over steps (float rounding in different kernels): no value check
    return Benchmark("train", name, {"ctorch": setup, "torch": setup}, work=1.0, unit="step", check=False)


BENCHMARKS = [
    train_case("mlp", lambda lib: _mlp(lib.nn), (784,), 128),
    train_case("cnn", lambda lib: _cnn(lib.nn), (1, 28, 28), 64),
    train_case("resnet18", _resnet18, (3, 64, 64), 8),
]
