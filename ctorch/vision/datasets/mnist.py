"""MNIST and FashionMNIST from their idx files under root/<ClassName>/raw (plain or .gz)."""
import gzip
import os

import numpy as np
from PIL import Image

import ctorch as torch

from .vision import VisionDataset, missing_files_error

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path):
    """the idx file at path, or its .gz beside it"""
    return open(path, "rb") if os.path.exists(path) else gzip.open(path + ".gz", "rb")


def read_idx(path):
    """An idx file (big-endian header: 0, 0, type, ndim, then ndim int32 sizes) as a NumPy array."""
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an idx file (bad magic number)")
    ndim = raw[3]
    sizes = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4).tolist()
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count, offset = int(np.prod(sizes)), 4 + 4 * ndim
    if len(raw) - offset != count * dtype.itemsize:
        raise RuntimeError(f"{path}: expected {count} values of shape {tuple(sizes)}, the file holds "
                           f"{(len(raw) - offset) // dtype.itemsize}")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).astype(dtype.newbyteorder("=")).reshape(sizes)


def read_image_file(path):
    arr = read_idx(path)
    if arr.dtype != np.uint8 or arr.ndim != 3:
        raise RuntimeError(f"{path}: expected uint8 images (N, H, W), got {arr.dtype} {arr.shape}")
    return torch.from_numpy(arr.copy())


def read_label_file(path):
    arr = read_idx(path)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise RuntimeError(f"{path}: expected uint8 labels (N,), got {arr.dtype} {arr.shape}")
    return torch.from_numpy(arr.astype(np.int64))


class MNIST(VisionDataset):
    resources = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        missing = self._missing()
        if missing:
            if download:
                raise missing_files_error(self.raw_folder, missing, f"{self.__class__.__name__} files")
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        prefix = "train" if train else "t10k"
        self.data = read_image_file(os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte"))
        self.targets = read_label_file(os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte"))
        if len(self.data) != len(self.targets):
            raise RuntimeError(f"{self.raw_folder}: {len(self.data)} images but {len(self.targets)} labels")

    def _missing(self):
        return [name for name in self.resources
                if not any(os.path.isfile(os.path.join(self.raw_folder, name + ext)) for ext in ("", ".gz"))]

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    @property
    def train_labels(self):
        return self.targets

    @property
    def test_labels(self):
        return self.targets

    @property
    def train_data(self):
        return self.data

    @property
    def test_data(self):
        return self.data

    def __getitem__(self, index):
        img = Image.fromarray(self.data[index].numpy())      # (H, W) uint8: mode "L"
        return self._apply(img, int(self.targets[index]))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
