"""DataLoader throughput (issue 7: at least 1.0x PyTorch's with 0 and 2 workers).

Each call iterates one whole epoch of the same dataset with the same
transforms in each library, and the rate is samples per second:

- images: 1024 PIL images 40x40 RGB (a CIFAR-sized in-memory dataset) through
  RandomCrop(32, padding=4) + RandomHorizontalFlip + ToTensor + Normalize,
  batch 64, shuffled, 0 and 2 workers (persistent, so the epoch is measured,
  not the worker start-up; a separate case times a fresh 2-worker epoch);
- tensors: a TensorDataset of 8192 x 784 float32 features, batch 128, shuffled,
  0 workers (sampling + collate only).

The torch column uses torch.utils.data with torchvision's transforms (the
image cases need torchvision). Batches come out in different random orders
per library, so values are not compared; the sums of an epoch are checked by
the tests, not here.
"""
import numpy as np
from PIL import Image

from .harness import Benchmark

try:
    import torchvision
except ImportError:
    torchvision = None

MEAN, STD = [0.49, 0.48, 0.45], [0.25, 0.24, 0.26]
N_IMAGES, N_ROWS = 1024, 8192


class ImageSet:
    """In-memory PIL images with integer labels; `transform` maps an image to a tensor."""

    def __init__(self, transform):
        rng = np.random.default_rng(0)
        pixels = rng.integers(0, 256, (N_IMAGES, 40, 40, 3), dtype=np.uint8)
        self.images = [Image.fromarray(p) for p in pixels]
        self.labels = rng.integers(0, 10, N_IMAGES).tolist()
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


def _transforms(lib):
    if lib.__name__ == "torch":
        T = torchvision.transforms
    else:
        from ctorch.vision import transforms as T
    return T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])


def _epoch(loader):
    def run():
        n = 0
        for x, _ in loader:
            n += x.shape[0]
        return n
    return run


def image_case(name, workers, persistent=True):
    def setup(lib):
        data = ImageSet(_transforms(lib))
        kwargs = dict(num_workers=workers, persistent_workers=persistent) if workers else {}
        loader = lib.utils.data.DataLoader(data, batch_size=64, shuffle=True, **kwargs)
        return _epoch(loader)
    setups = {"ctorch": setup}
    if torchvision is not None:
        setups["torch"] = setup
    return Benchmark("data", name, setups, work=N_IMAGES, unit="sample", check=False)


def tensor_case(name):
    def setup(lib):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((N_ROWS, 784)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 10, N_ROWS))
        loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=128, shuffle=True)
        return _epoch(loader)
    return Benchmark("data", name, {"ctorch": setup, "torch": setup}, work=N_ROWS, unit="sample", check=False)


BENCHMARKS = [
    image_case("images 0 workers", 0),
    image_case("images 2 workers", 2),
    image_case("images 2 workers, fresh epoch", 2, persistent=False),
    tensor_case("tensors 0 workers"),
]
