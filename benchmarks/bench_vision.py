"""ctorch.vision benchmarks: a typical train transform pipeline on a PIL image
(RandomResizedCrop(224) + flip + ToTensor + Normalize, 500x375) and the
tensor transforms (Normalize, antialiased Resize, rotate), ctorch.vision vs
torchvision (the torch column; missing when torchvision is not installed)
and NumPy where it has an equivalent."""
import numpy as np
from PIL import Image

from .bench_core import _array
from .harness import Benchmark

try:
    import torchvision
except ImportError:
    torchvision = None

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def _vision(lib):
    """ctorch.vision for ctorch, torchvision for torch"""
    if lib.__name__ == "torch":
        return torchvision
    import ctorch.vision
    return ctorch.vision


def _image(h, w):
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8))


def _setups(make, numpy=None):
    s = {"ctorch": make}
    if torchvision is not None:
        s["torch"] = make
    if numpy is not None:
        s["numpy"] = numpy
    return s


def pipeline_case(name, h, w, size, check=False):
    def make(lib):
        T = _vision(lib).transforms
        pipe = T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
        img = _image(h, w)
        return lambda: pipe(img)
    return Benchmark("vision", name, _setups(make), check=check)


def to_tensor_case(name, h, w):
    def make(lib):
        F = _vision(lib).transforms.functional
        img = _image(h, w)
        return lambda: F.to_tensor(img)

    def np_make(_):
        img = _image(h, w)
        return lambda: np.asarray(img).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    return Benchmark("vision", name, _setups(make, np_make), work=h * w * 3 * 5, unit="B")


def normalize_case(name, shape):
    def make(lib):
        F = _vision(lib).transforms.functional
        x = lib.from_numpy(_array(shape, np.float32, 1)).clone()
        return lambda: F.normalize(x, MEAN, STD)

    def np_make(_):
        x = _array(shape, np.float32, 1)
        m, s = np.array(MEAN, np.float32)[:, None, None], np.array(STD, np.float32)[:, None, None]
        return lambda: (x - m) / s
    n = int(np.prod(shape))
    return Benchmark("vision", name, _setups(make, np_make), work=n * 4 * 2, unit="B")


def tensor_case(name, shape, stmt, dtype=np.float32):
    def make(lib):
        F = _vision(lib).transforms.functional
        T = _vision(lib).transforms
        x = lib.from_numpy((np.abs(_array(shape, np.float32, 2)) * 100).astype(dtype)).clone()
        return eval(f"lambda: {stmt}", {"F": F, "T": T, "x": x})
    return Benchmark("vision", name, _setups(make), work=int(np.prod(shape)) * np.dtype(dtype).itemsize, unit="B")


BENCHMARKS = [
    pipeline_case("train pipeline PIL 500x375", 375, 500, 224),
    pipeline_case("train pipeline PIL 32x32", 32, 32, 32),
    to_tensor_case("to_tensor PIL 500x375", 375, 500),
    to_tensor_case("to_tensor PIL 32x32", 32, 32),
    normalize_case("normalize 3x224x224", (3, 224, 224)),
    normalize_case("normalize 32x3x224x224", (32, 3, 224, 224)),
    normalize_case("normalize 3x32x32", (3, 32, 32)),
    tensor_case("resize 3x375x500->224 aa", (3, 375, 500), "F.resize(x, [224, 298])"),
    tensor_case("resize 3x375x500->224 uint8", (3, 375, 500), "F.resize(x, [224, 298])", np.uint8),
    tensor_case("resize 8x3x64x64->128 bilinear", (8, 3, 64, 64), "F.resize(x, [128, 128], antialias=False)"),
    tensor_case("resize 3x32x32->24 aa", (3, 32, 32), "F.resize(x, [24, 24])"),
    tensor_case("rotate 3x224x224 bilinear", (3, 224, 224),
                "F.rotate(x, 17.0, interpolation=T.InterpolationMode.BILINEAR)"),
    tensor_case("adjust_hue 3x224x224", (3, 224, 224), "F.adjust_hue(x.clamp(0, 1), 0.1)"),
]
