"""ctorch.vision.datasets and utils: folders, FakeData, MNIST/FashionMNIST and
CIFAR10 on small files written here in their standard formats; make_grid and
save_image against NumPy; missing files raise errors naming them."""
import gzip
import os
import pickle
import struct

import numpy as np
import pytest
from PIL import Image

from helpers import REFERENCE, assert_close, torch, to_numpy

if REFERENCE:
    tv = pytest.importorskip("torchvision")
else:
    import ctorch.vision as tv

D = tv.datasets
T = tv.transforms


def write_idx(path, arr, gz=False):
    """arr (uint8) in the idx format: magic 0x0000 08 ndim, big-endian sizes, data"""
    data = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}i", *arr.shape) + arr.tobytes()
    if gz:
        with gzip.open(path + ".gz", "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def make_mnist(root, name="MNIST", gz=False, n_train=5, n_test=3):
    raw = os.path.join(root, name, "raw")
    os.makedirs(raw, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), imgs, gz)
        write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), labels, gz)
        arrays[prefix] = (imgs, labels)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_mnist_reads_idx_files(tmp_path, name, gz):
    if gz and REFERENCE:
        pytest.skip("torchvision reads only the extracted files")
    arrays = make_mnist(str(tmp_path), name, gz)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = getattr(D, name)(str(tmp_path), train=train)
        imgs, labels = arrays[prefix]
        assert len(ds) == len(imgs)
        assert ds.data.dtype == torch.uint8 and ds.targets.dtype == torch.int64
        assert_close(ds.data, imgs)
        img, target = ds[1]
        assert isinstance(img, Image.Image) and img.mode == "L"
        np.testing.assert_array_equal(np.asarray(img), imgs[1])
        assert target == int(labels[1]) and type(target) is int
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[3]] == 3


def test_mnist_transforms_and_repr(tmp_path):
    make_mnist(str(tmp_path))
    ds = D.MNIST(str(tmp_path), train=False, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == torch.float32 and y >= 100
    text = repr(ds)
    assert text.startswith("Dataset MNIST\n    Number of datapoints: 3\n    Root location: ")
    assert "    Split: Test\n    StandardTransform\nTransform: ToTensor()" in text


def test_mnist_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        D.MNIST(str(tmp_path))


@pytest.mark.skipif(REFERENCE, reason="torchvision would try the network")
def test_mnist_download_names_missing_files_and_folder(tmp_path):
    raw = os.path.join(str(tmp_path), "MNIST", "raw")
    os.makedirs(raw)
    write_idx(os.path.join(raw, "train-images-idx3-ubyte"), np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(RuntimeError) as info:
        D.MNIST(str(tmp_path), download=True)
    msg = str(info.value)
    assert raw in msg and "t10k-images-idx3-ubyte" in msg and "train-labels-idx1-ubyte" in msg
    assert "train-images-idx3-ubyte," not in msg


@pytest.mark.skipif(REFERENCE, reason="ctorch's own checks of a damaged file")
def test_mnist_corrupt_file(tmp_path):
    make_mnist(str(tmp_path))
    path = os.path.join(str(tmp_path), "MNIST", "raw", "train-images-idx3-ubyte")
    with open(path, "r+b") as f:
        f.truncate(100)
    with pytest.raises(RuntimeError, match="expected 3920 values"):
        D.MNIST(str(tmp_path))


def make_cifar(root, per_batch=4):
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        entry = {"batch_label": name, "data": rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8),
                 "labels": rng.integers(0, 10, per_batch).tolist()}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(entry, f)
        batches[name] = entry
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)], "num_vis": 3072}, f)
    return batches


@pytest.mark.skipif(REFERENCE, reason="torchvision checks the real files' md5 sums")
def test_cifar10_reads_pickles(tmp_path):
    batches = make_cifar(str(tmp_path))
    ds = D.CIFAR10(str(tmp_path), train=True)
    assert len(ds) == 20 and ds.classes[2] == "class2" and ds.class_to_idx["class9"] == 9
    img, target = ds[5]                      # the second batch's second row
    row = batches["data_batch_2"]["data"][1]
    np.testing.assert_array_equal(np.asarray(img), row.reshape(3, 32, 32).transpose(1, 2, 0))
    assert target == batches["data_batch_2"]["labels"][1]
    test = D.CIFAR10(str(tmp_path), train=False, transform=T.PILToTensor())
    x, _ = test[3]
    assert_close(x, batches["test_batch"]["data"][3].reshape(3, 32, 32))


def test_cifar10_missing(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        D.CIFAR10(str(tmp_path))


@pytest.mark.skipif(REFERENCE, reason="torchvision would try the network")
def test_cifar10_download_names_missing_files(tmp_path):
    with pytest.raises(RuntimeError) as info:
        D.CIFAR10(str(tmp_path), download=True)
    msg = str(info.value)
    assert os.path.join(str(tmp_path), "cifar-10-batches-py") in msg and "data_batch_1" in msg
    assert "batches.meta" in msg


def make_folder(root):
    rng = np.random.default_rng(2)
    for cls, n in (("cat", 2), ("dog", 3)):
        os.makedirs(os.path.join(root, cls, "sub"))
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (6, 5, 3)).astype(np.uint8)).save(
                os.path.join(root, cls, f"{i}.png"))
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(os.path.join(root, cls, "sub", "z.bmp"))
        open(os.path.join(root, cls, "notes.txt"), "w").close()


def test_image_folder(tmp_path):
    make_folder(str(tmp_path))
    ds = D.ImageFolder(str(tmp_path), transform=T.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [os.path.relpath(p, str(tmp_path)) for p, _ in ds.samples]
    assert names == ["cat/0.png", "cat/1.png", "cat/sub/z.bmp", "dog/0.png", "dog/1.png", "dog/2.png",
                     "dog/sub/z.bmp"]
    assert ds.targets == [0, 0, 0, 1, 1, 1, 1] and ds.imgs == ds.samples
    x, y = ds[2]
    assert tuple(x.shape) == (3, 4, 4) and y == 0          # a grayscale file, loaded as RGB
    expected = np.asarray(Image.open(os.path.join(str(tmp_path), "dog", "1.png"))).transpose(2, 0, 1)
    assert_close(ds[4][0], expected.astype(np.float32) / np.float32(255))


def test_dataset_folder_custom_loader_and_errors(tmp_path):
    make_folder(str(tmp_path))
    ds = D.DatasetFolder(str(tmp_path), loader=lambda p: os.path.basename(p), extensions=(".txt",))
    assert [ds[i] for i in range(len(ds))] == [("notes.txt", 0), ("notes.txt", 1)]
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat, dog"):
        D.DatasetFolder(str(tmp_path), loader=open, extensions=(".jpg",))
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        D.DatasetFolder(str(tmp_path), loader=open)
    os.makedirs(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        D.ImageFolder(str(tmp_path / "empty"))
    assert len(D.ImageFolder(str(tmp_path), allow_empty=True)) == 7


def test_fake_data_is_seeded_per_index_and_keeps_global_rng():
    ds = D.FakeData(size=4, image_size=(3, 8, 6), num_classes=5, transform=T.PILToTensor())
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    x1, y1 = ds[2]
    after = torch.rand(3)
    assert_close(after, to_numpy(before))                   # the global generator is untouched
    x2, y2 = ds[2]
    assert_close(x1, to_numpy(x2)) and y1 == y2 and 0 <= y1 < 5 and type(y1) is int
    torch.manual_seed(2)
    img = torch.randn(3, 8, 6)
    target = torch.randint(0, 5, (1,), dtype=torch.long)[0].item()
    expected = (to_numpy(img).transpose(1, 2, 0) * 255).astype(np.uint8).transpose(2, 0, 1)
    assert_close(x1, expected) and y1 == target
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[4]
    assert len(ds) == 4


# ---------------------------------------------------------------- utils

U = tv.utils


def np_grid(batch, nrow, padding, pad_value):
    b, c, h, w = batch.shape
    xmaps = min(nrow, b)
    ymaps = -(-b // xmaps)
    grid = np.full((c, (h + padding) * ymaps + padding, (w + padding) * xmaps + padding), pad_value, batch.dtype)
    for k in range(b):
        y, x = divmod(k, xmaps)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = batch[k]
    return grid


@pytest.mark.parametrize("b,nrow,padding", [(5, 2, 2), (8, 8, 0), (3, 5, 1)])
def test_make_grid_layout(b, nrow, padding):
    batch = np.random.default_rng(b).random((b, 3, 4, 6)).astype(np.float32)
    out = U.make_grid(torch.from_numpy(batch), nrow=nrow, padding=padding, pad_value=0.5)
    assert_close(out, np_grid(batch, nrow, padding, np.float32(0.5)))


def test_make_grid_gray_list_and_single():
    imgs = [torch.from_numpy(np.full((1, 2, 2), i, np.float32)) for i in range(3)]
    out = U.make_grid(imgs, nrow=3, padding=1)
    assert tuple(out.shape) == (3, 4, 10)
    assert_close(out[:, 1:3, 4:6], np.ones((3, 2, 2), np.float32))
    one = U.make_grid(torch.ones(1, 3, 5, 5))
    assert tuple(one.shape) == (3, 5, 5)


def test_make_grid_normalize():
    batch = np.random.default_rng(0).normal(size=(2, 3, 3, 3)).astype(np.float32)
    out = to_numpy(U.make_grid(torch.from_numpy(batch.copy()), normalize=True, padding=0))
    lo, hi = batch.min(), batch.max()
    np.testing.assert_allclose(out[:, :, :3], (batch[0] - lo) / (hi - lo), rtol=1e-5, atol=1e-6)
    each = to_numpy(U.make_grid(torch.from_numpy(batch.copy()), normalize=True, scale_each=True, padding=0))
    b1 = batch[1]
    np.testing.assert_allclose(each[:, :, 3:], (b1 - b1.min()) / (b1.max() - b1.min()), rtol=1e-5, atol=1e-6)
    ranged = to_numpy(U.make_grid(torch.from_numpy(batch.copy()), normalize=True, value_range=(-1, 1), padding=0))
    np.testing.assert_allclose(ranged[:, :, :3], (np.clip(batch[0], -1, 1) + 1) / 2, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        U.make_grid(torch.from_numpy(batch), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        U.make_grid("x")


def test_save_image_writes_png(tmp_path):
    batch = np.random.default_rng(4).random((4, 3, 5, 5)).astype(np.float32)
    path = str(tmp_path / "grid.png")
    U.save_image(torch.from_numpy(batch), path, nrow=2, padding=1)
    got = np.asarray(Image.open(path))
    grid = np_grid(batch, 2, 1, np.float32(0))
    expected = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(got, expected)
