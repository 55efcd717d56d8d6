"""The seed collection (shared/seed/pytorch-snippets.zh.txt, "PyTorch常用代码段整理合集"), every
snippet as a test, one function per snippet in the collection's order, each commented with its
section heading. `torch` is ctorch (real PyTorch under CTORCH_TEST_REFERENCE=torch) and
`torchvision` is ctorch.vision (real torchvision there). Results are checked against NumPy, PIL
or values derived by hand; models must train (the loss goes down) and checkpoints round-trip.

Translation notes. The collection was flattened from a web page that lost its '+' signs
("t 1" is t + 1, "torch.abs(X) 1e-5" is abs(X) + 1e-5, "frame_indices = num_frames // K *
torch.arange(K)" is +=, "loss = torch.sum(torch.abs(param))" is +=, "self.running_mean = momentum
* ..." is += as its own text says); those are restored. Its typos are fixed and marked where they
occur (astypde, 'model,pth', detach.clone()(), range(len(num_classes)), 'Epoch =' %, epoch(80)).
`.cuda()` moves go to DEVICE (cuda when there is one, else the CPU); what `.cuda()` does on a
machine without CUDA is tested on its own. Training loops run a few epochs on small synthetic
data, not 80 epochs of ImageNet. Pretrained weights are never downloaded: a fake checkpoint is
written into a temporary $TORCH_HOME hub cache, where torchvision looks first.

Not tests (shell commands or links):
- `conda update pytorch torchvision -c pytorch` (更新 PyTorch): a package-manager command.
- `ps aux | grep python; kill -9 [pid]` and `nvidia-smi --gpu-reset -i [gpu_id]` (清除 GPU 存储):
  process and GPU administration of the machine, nothing of the library.
- the links with no code: convolution-visualizer (卷积层), Synchronized-BatchNorm (多卡同步 BN),
  pytorch-summary (model.summary), pretrained-models (其他预训练模型), pytorchviz (计算图).
- Visdom (可视化学习曲线) needs a running visdom server: only the torch calls it makes
  (torch.Tensor([t + 1]), the options namedtuple) are tested.
- advice in prose with no code: `del` unused intermediates, fewer CPU-GPU transfers.
`CUDA_VISIBLE_DEVICES=0,1 python train.py` and `python -m torch.utils.bottleneck main.py` are
shell commands too, but what they do to the library is tested in a subprocess.
"""
import collections
import importlib.util
import math
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import PIL.Image
import pytest
import tqdm

from helpers import REFERENCE, assert_close, torch

if REFERENCE:
    torchvision = pytest.importorskip("torchvision")
else:
    import ctorch.vision as torchvision

nn = torch.nn
F = torch.nn.functional


def _cuda_computes():
    """A GPU that runs ops: ctorch's CUDA backend allocates and copies but has no kernels yet, so on a GPU
    machine ctorch runs these snippets on the CPU (PyTorch on the GPU)."""
    if not torch.cuda.is_available():
        return False
    try:
        (torch.ones(1, device="cuda") + 1).cpu()
    except NotImplementedError:
        return False
    return True


DEVICE = "cuda" if _cuda_computes() else "cpu"
# what PyTorch raises for a CUDA call on a machine without one: AssertionError from a build
# without CUDA, RuntimeError (no driver) from a CUDA build
NO_CUDA = dict(expected_exception=(AssertionError, RuntimeError),
               match="Torch not compiled with CUDA enabled|Found no NVIDIA driver on your system")
TORCH_2_14 = REFERENCE and tuple(int(v) for v in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 14)
SCRIPTS = os.path.join(os.path.dirname(__file__), "scripts")


def n(t):
    """A tensor's values as a float64 NumPy array."""
    return np.asarray(t.detach().cpu().tolist(), dtype=np.float64)


def seeded_images(num=64, size=8, seed=0):
    """Images (num, 3, size, size) whose label is the channel with the largest mean (3 classes)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num, 3, size, size)).astype(np.float32)
    x += rng.normal(scale=1.5, size=(num, 3, 1, 1)).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(x.mean(axis=(2, 3)).argmax(axis=1).astype(np.int64))


def small_cnn(num_classes=3):
    return nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=True), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(output_size=1), nn.Flatten(), nn.Linear(8, num_classes))


def loader(images, labels, batch_size=16):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels), batch_size=batch_size,
                                       shuffle=True)


def clean_loss(model, images, labels):
    with torch.no_grad():
        model.eval()
        loss = F.cross_entropy(model(images), labels).item()
        model.train()
    return loss


# ======================================================================== 基础配置 (basic configuration)

# 本文代码基于 PyTorch 1.0 版本,需要用到以下包 (the packages the snippets import)
def test_imports():
    import collections as c, os as o, shutil as s, tqdm as q, numpy as np_, PIL.Image as im  # noqa: E401,F401
    assert torch.__name__ == ("torch" if REFERENCE else "ctorch")
    assert hasattr(torchvision, "transforms") and hasattr(torchvision, "models")


# 检查 PyTorch 版本 (check the PyTorch version)
def test_check_versions():
    assert isinstance(torch.__version__, str) and torch.__version__[0].isdigit()
    assert torch.version.cuda is None or isinstance(torch.version.cuda, str)
    cudnn = torch.backends.cudnn.version()
    assert cudnn is None or isinstance(cudnn, int)
    if torch.cuda.is_available():
        assert isinstance(torch.cuda.get_device_name(0), str)
    else:
        with pytest.raises(**NO_CUDA):
            torch.cuda.get_device_name(0)


# 固定随机种子 (fix the random seed)
def test_fix_random_seed():
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)   # a no-op without CUDA, as in PyTorch
    first = torch.rand(4)
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    assert torch.equal(torch.rand(4), first)
    assert first.tolist() == pytest.approx([0.49625658988952637, 0.7682217955589294, 0.08847743272781372,
                                            0.13203048706054688])   # PyTorch's stream for seed 0


# 指定程序运行在特定 GPU 卡上 (run on given GPUs): the environment variable, from the shell and in code
@pytest.mark.parametrize("visible", ["", "0,1"])
def test_cuda_visible_devices(visible):
    lib = "torch" if REFERENCE else "ctorch"
    code = (f"import os; os.environ['CUDA_VISIBLE_DEVICES'] = {visible!r}; import {lib} as torch; "
            "print(torch.cuda.is_available(), torch.cuda.device_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    available, count = out.stdout.split()
    assert available in ("True", "False") and int(count) >= 0
    if visible == "":   # no device visible: none available, whatever the machine has
        assert (available, count) == ("False", "0")


# 判断是否有 CUDA 支持 (is CUDA supported)
def test_cuda_is_available():
    assert isinstance(torch.cuda.is_available(), bool)
    assert torch.cuda.is_available() == (torch.cuda.device_count() > 0)


# 设置为 cuDNN benchmark 模式 (cuDNN benchmark mode, and deterministic)
def test_cudnn_flags():
    cudnn = torch.backends.cudnn
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        assert saved == (False, False)   # PyTorch's defaults
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert cudnn.benchmark is True and cudnn.deterministic is True
    finally:
        cudnn.benchmark, cudnn.deterministic = saved


# 清除 GPU 存储 (free GPU memory)
def test_cuda_empty_cache():
    assert torch.cuda.empty_cache() is None   # nothing to free without CUDA: no error


# ======================================================================== 张量处理 (tensors)

# 张量基本信息 (tensor basic info)
def test_tensor_basic_info():
    tensor = torch.zeros(2, 3, 4)
    assert tensor.type() == "torch.FloatTensor"  # Data type
    assert torch.zeros(2, dtype=torch.int64).type() == "torch.LongTensor"
    size = tensor.size()  # Shape of the tensor. It is a subclass of Python tuple
    assert isinstance(size, tuple) and size == (2, 3, 4) and str(size) == "torch.Size([2, 3, 4])"
    assert tensor.dim() == 3  # Number of dimensions.


# 数据类型转换 (type conversions)
def test_type_conversions():
    old = torch.get_default_dtype()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # deprecated since PyTorch 2.1 (tested in test_interop)
            torch.set_default_tensor_type(torch.FloatTensor)
        assert torch.get_default_dtype() == torch.float32 and torch.tensor([1.5]).dtype == torch.float32
    finally:
        torch.set_default_dtype(old)
    tensor = torch.tensor([[1.7, -2.7], [0.25, 3.0]], dtype=torch.float64)
    if torch.cuda.is_available():
        assert tensor.cuda().is_cuda
    else:
        with pytest.raises(**NO_CUDA):
            tensor.cuda()
    tensor = tensor.cpu()
    assert tensor.device.type == "cpu"
    tensor = tensor.float()
    assert tensor.dtype == torch.float32
    assert_close(tensor, np.array([[1.7, -2.7], [0.25, 3.0]], dtype=np.float32))
    tensor = tensor.long()
    assert_close(tensor, np.array([[1, -2], [0, 3]]))   # truncated toward zero


# torch.Tensor 与 np.ndarray 转换 (tensor <-> ndarray)
def test_tensor_ndarray_conversion():
    tensor = torch.arange(6.0).reshape(2, 3)
    ndarray = tensor.cpu().numpy()   # torch.Tensor -> np.ndarray, sharing memory
    ndarray[0, 0] = 42.0
    assert tensor[0, 0].item() == 42.0 and ndarray.dtype == np.float32
    source = np.arange(6, dtype=np.int32).reshape(2, 3)
    tensor = torch.from_numpy(source).float()   # np.ndarray -> torch.Tensor
    assert_close(tensor, source.astype(np.float32))
    flipped = source[:, ::-1]
    with pytest.raises(ValueError, match="At least one stride in the given numpy array is negative"):
        torch.from_numpy(flipped)
    tensor = torch.from_numpy(flipped.copy()).float()  # If ndarray has negative stride
    assert_close(tensor, flipped.astype(np.float32))


# torch.Tensor 与 PIL.Image 转换 (tensor <-> PIL image)
@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
def test_tensor_pil_conversion(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.random((3, 4, 5)).astype(np.float32)
    tensor = torch.from_numpy(values)
    expected = (values * 255).astype(np.uint8).transpose(1, 2, 0)   # byte() truncates, as astype
    # torch.Tensor -> PIL.Image.
    image = PIL.Image.fromarray(torch.clamp(tensor * 255, min=0, max=255).byte().permute(1, 2, 0).cpu().numpy())
    assert image.mode == "RGB" and image.size == (5, 4)
    np.testing.assert_array_equal(np.asarray(image), expected)
    image = torchvision.transforms.functional.to_pil_image(tensor)  # Equivalently way
    np.testing.assert_array_equal(np.asarray(image), expected)
    path = str(tmp_path / "image.png")
    image.save(path)
    # PIL.Image -> torch.Tensor.
    tensor = torch.from_numpy(np.asarray(PIL.Image.open(path))).permute(2, 0, 1).float() / 255
    assert_close(tensor, expected.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    tensor = torchvision.transforms.functional.to_tensor(PIL.Image.open(path))  # Equivalently way
    assert_close(tensor, expected.transpose(2, 0, 1).astype(np.float32) / np.float32(255))


# np.ndarray 与 PIL.Image 转换 (ndarray <-> PIL image; the collection's `astypde` is astype)
def test_ndarray_pil_conversion(tmp_path):
    ndarray = np.arange(4 * 6 * 3, dtype=np.int64).reshape(4, 6, 3) * 3
    image = PIL.Image.fromarray(ndarray.astype(np.uint8))  # np.ndarray -> PIL.Image.
    path = str(tmp_path / "image.png")
    image.save(path)
    ndarray_back = np.asarray(PIL.Image.open(path))  # PIL.Image -> np.ndarray.
    assert ndarray_back.shape == (4, 6, 3) and ndarray_back.dtype == np.uint8
    np.testing.assert_array_equal(ndarray_back, ndarray.astype(np.uint8))


# 从只包含一个元素的张量中提取值 (the value of a one-element tensor)
def test_item():
    w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    running = 0.0
    for _ in range(3):
        loss = (w * w).sum()
        value = loss.item()
        running += value   # a Python float: no graph accumulates
    assert type(value) is float and value == 14.0 and running == 42.0
    assert type(torch.tensor([7]).item()) is int and type(torch.tensor(True).item()) is bool


# 张量形变 (reshape; unlike view it handles a non-contiguous input)
def test_reshape():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    tensor = torch.from_numpy(base.copy()).t()   # non-contiguous (6, 4)
    shape = (3, 8)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        tensor.view(shape)
    tensor = torch.reshape(tensor, shape)
    assert_close(tensor, base.T.reshape(shape))
    contiguous = torch.from_numpy(base.copy())
    assert torch.reshape(contiguous, shape).data_ptr() == contiguous.data_ptr()   # a view when it can be


# 打乱顺序 (shuffle the first dimension)
def test_shuffle_first_dimension():
    torch.manual_seed(0)
    base = torch.arange(20).reshape(10, 2)
    tensor = base[torch.randperm(base.size(0))]  # Shuffle the first dimension
    rows = n(tensor)
    assert sorted(map(tuple, rows.tolist())) == [tuple(r) for r in n(base).tolist()]
    assert not np.array_equal(rows, n(base))
    np.testing.assert_array_equal(rows[:, 1] - rows[:, 0], np.ones(10))   # rows move whole


# 水平翻转 (horizontal flip by index, as PyTorch has no negative step)
def test_horizontal_flip():
    values = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    tensor = torch.from_numpy(values)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        tensor[:, :, :, ::-1]
    # Assume tensor has shape N*D*H*W.
    tensor = tensor[:, :, :, torch.arange(tensor.size(3) - 1, -1, -1).long()]
    assert_close(tensor, values[:, :, :, ::-1])


# 复制张量 (copy: clone, detach, detach().clone(); the collection's `detach.clone()()` is detach().clone())
def test_copy_tensor():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tensor = x * 2
    cloned = tensor.clone()  # | New | Yes |
    assert cloned.data_ptr() != tensor.data_ptr() and cloned.requires_grad
    assert type(cloned.grad_fn).__name__ == "CloneBackward0"
    cloned.sum().backward()
    assert_close(x.grad, np.full(3, 2.0, dtype=np.float32))
    detached = tensor.detach()  # | Shared | No |
    assert detached.data_ptr() == tensor.data_ptr() and not detached.requires_grad and detached.grad_fn is None
    copied = tensor.detach().clone()  # | New | No |
    assert copied.data_ptr() != tensor.data_ptr() and not copied.requires_grad
    assert_close(copied, np.array([2.0, 4.0, 6.0], dtype=np.float32))


# 拼接张量 (cat joins along a dimension, stack adds one: 3 of 10x5 give 30x5 and 3x10x5)
def test_cat_and_stack():
    arrays = [np.arange(50, dtype=np.float32).reshape(10, 5) + 100 * i for i in range(3)]
    list_of_tensors = [torch.from_numpy(a) for a in arrays]
    tensor = torch.cat(list_of_tensors, dim=0)
    assert tensor.size() == (30, 5)
    assert_close(tensor, np.concatenate(arrays, axis=0))
    tensor = torch.stack(list_of_tensors, dim=0)
    assert tensor.size() == (3, 10, 5)
    assert_close(tensor, np.stack(arrays, axis=0))


# 将整数标记转换成独热(one-hot)编码 (integer labels to one-hot)
def test_one_hot_by_scatter():
    labels = np.array([0, 3, 1, 1, 2])
    num_classes = 4
    tensor = torch.from_numpy(labels)
    N = tensor.size(0)
    one_hot = torch.zeros(N, num_classes).long()
    one_hot.scatter_(dim=1, index=torch.unsqueeze(tensor, dim=1), src=torch.ones(N, num_classes).long())
    assert_close(one_hot, np.eye(num_classes, dtype=np.int64)[labels])
    assert torch.equal(one_hot, F.one_hot(tensor, num_classes))


# 得到非零/零元素 (non-zero / zero elements)
def test_nonzero():
    values = np.array([[0, 1, 0], [2, 0, 3], [0, 0, 4]], dtype=np.float32)
    tensor = torch.from_numpy(values)
    assert_close(torch.nonzero(tensor), np.argwhere(values))  # Index of non-zero elements
    assert_close(torch.nonzero(tensor == 0), np.argwhere(values == 0))  # Index of zero elements
    assert torch.nonzero(tensor).size(0) == 4  # Number of non-zero elements
    assert torch.nonzero(tensor == 0).size(0) == 5  # Number of zero elements


# 张量扩展 (expand 64x512 to 64x512x7x7 without copying)
def test_expand():
    values = np.random.default_rng(2).random((64, 512)).astype(np.float32)
    tensor = torch.from_numpy(values)
    expanded = torch.reshape(tensor, (64, 512, 1, 1)).expand(64, 512, 7, 7)
    assert expanded.size() == (64, 512, 7, 7) and expanded.stride() == (512, 1, 0, 0)
    assert expanded.data_ptr() == tensor.data_ptr()
    assert_close(expanded, np.broadcast_to(values[:, :, None, None], (64, 512, 7, 7)))


# 矩阵乘法 (matrix multiplication)
def test_matrix_multiplication():
    rng = np.random.default_rng(3)
    a, b = rng.random((3, 4)), rng.random((4, 5))
    result = torch.mm(torch.from_numpy(a), torch.from_numpy(b))  # (m*n) * (n*p) -> (m*p)
    assert_close(result, a @ b, rtol=1e-12)
    a, b = rng.random((2, 3, 4)), rng.random((2, 4, 5))
    result = torch.bmm(torch.from_numpy(a), torch.from_numpy(b))  # (b*m*n) * (b*n*p) -> (b*m*p)
    assert_close(result, a @ b, rtol=1e-12)
    a, b = rng.random((3, 4)), rng.random((3, 4))
    result = torch.from_numpy(a) * torch.from_numpy(b)  # Element-wise multiplication.
    assert_close(result, a * b, rtol=1e-15)


# 计算两组数据之间的两两欧式距离 (pairwise Euclidean distances)
def test_pairwise_euclidean_distance():
    rng = np.random.default_rng(4)
    m, n_, d = 4, 5, 3
    a, b = rng.random((m, d)), rng.random((n_, d))
    X1 = torch.unsqueeze(torch.from_numpy(a), dim=1).expand(m, n_, d)  # X1 is of shape m*d.
    X2 = torch.unsqueeze(torch.from_numpy(b), dim=0).expand(m, n_, d)  # X2 is of shape n*d.
    dist = torch.sqrt(torch.sum((X1 - X2) ** 2, dim=2))  # dist[i][j] = |X1[i, :] - X2[j, :]|
    assert_close(dist, np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)), rtol=1e-12)


# ======================================================================== 模型定义 (model definition)

def conv2d_numpy(x, w, b, padding):
    """NCHW cross-correlation with stride 1, from NumPy's sliding windows."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))
    return np.einsum("ncijkl,ockl->noij", windows, w) + b[None, :, None, None]


# 卷积层 (the usual convolution layers: 3x3 same-size and 1x1)
def test_conv_layers():
    in_channels, out_channels = 3, 4
    x = np.random.default_rng(5).random((2, in_channels, 6, 7)).astype(np.float32)
    for kernel_size, padding in [(3, 1), (1, 0)]:
        conv = torch.nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, stride=1, padding=padding,
                               bias=True)
        y = conv(torch.from_numpy(x))
        assert y.size() == (2, out_channels, 6, 7)   # both keep H and W
        expected = conv2d_numpy(x.astype(np.float64), n(conv.weight), n(conv.bias), padding)
        assert_close(y.detach(), expected.astype(np.float32), rtol=1e-5, atol=1e-5)


# GAP(Global average pooling)层
def test_global_average_pooling():
    gap = torch.nn.AdaptiveAvgPool2d(output_size=1)
    x = np.random.default_rng(6).random((2, 3, 5, 4)).astype(np.float32)
    assert_close(gap(torch.from_numpy(x)), x.mean(axis=(2, 3), keepdims=True), rtol=1e-6)


# 双线性汇合(bilinear pooling) (the collection's torch.reshape(N, D, H * W) is reshape(X, (N, D, H * W)))
def test_bilinear_pooling():
    N, D, H, W = 2, 4, 3, 3
    x = np.random.default_rng(7).normal(size=(N, D, H, W))
    X = torch.from_numpy(x)
    X = torch.reshape(X, (N, D, H * W))  # Assume X has shape N*D*H*W
    X = torch.bmm(X, torch.transpose(X, 1, 2)) / (H * W)  # Bilinear pooling
    assert X.size() == (N, D, D)
    X = torch.reshape(X, (N, D * D))
    X = torch.sign(X) * torch.sqrt(torch.abs(X) + 1e-5)  # Signed-sqrt normalization
    X = torch.nn.functional.normalize(X)  # L2 normalization
    flat = x.reshape(N, D, H * W)
    e = (flat @ flat.transpose(0, 2, 1) / (H * W)).reshape(N, D * D)
    e = np.sign(e) * np.sqrt(np.abs(e) + 1e-5)
    assert_close(X, e / np.linalg.norm(e, axis=1, keepdims=True), rtol=1e-12)


# 类似 BN 滑动平均 (a BN-like running average kept in a buffer, updated in place in forward)
def test_running_average_buffer():
    class BN(torch.nn.Module):
        def __init__(self, num_features, momentum=0.1):
            super().__init__()
            self.momentum = momentum
            self.register_buffer('running_mean', torch.zeros(num_features))

        def forward(self, X):
            current = torch.mean(X, dim=0)
            self.running_mean += self.momentum * (current - self.running_mean)
            return X - current

    bn = BN(3)
    buffer = bn.running_mean
    batches = np.random.default_rng(8).random((2, 5, 3)).astype(np.float32)
    expected = np.zeros(3, dtype=np.float32)
    for batch in batches:
        bn(torch.from_numpy(batch))
        expected += np.float32(0.1) * (batch.mean(axis=0) - expected)
    assert bn.running_mean is buffer   # updated in place: still the registered buffer
    assert_close(bn.running_mean, expected, rtol=1e-6)
    assert list(bn.state_dict()) == ["running_mean"] and list(bn.parameters()) == []


# 计算模型整体参数量 (the number of parameters)
def test_number_of_parameters():
    model = small_cnn()
    num_parameters = sum(torch.numel(parameter) for parameter in model.parameters())
    assert num_parameters == (3 * 8 * 3 * 3 + 8) + (8 + 8) + (8 * 3 + 3)


# 模型权值初始化 (weight initialisation; modules() walks every layer, children() one level)
def test_weight_initialisation():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Conv2d(32, 64, 3), nn.BatchNorm2d(64), nn.ReLU()), nn.Flatten(),
                          nn.Linear(256, 128))
    assert len(list(model.children())) == 3 and len(list(model.modules())) == 7
    # Common practise for initialization.
    for layer in model.modules():
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')
            if layer.bias is not None:
                torch.nn.init.constant_(layer.bias, val=0.0)
        elif isinstance(layer, torch.nn.BatchNorm2d):
            torch.nn.init.constant_(layer.weight, val=1.0)
            torch.nn.init.constant_(layer.bias, val=0.0)
        elif isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_normal_(layer.weight)
            if layer.bias is not None:
                torch.nn.init.constant_(layer.bias, val=0.0)
    conv, bn, linear = model[0][0], model[0][1], model[2]
    assert n(conv.weight).std() == pytest.approx(math.sqrt(2.0 / (64 * 3 * 3)), rel=0.05)   # fan_out, gain sqrt(2)
    assert n(linear.weight).std() == pytest.approx(math.sqrt(2.0 / (256 + 128)), rel=0.05)
    assert not n(conv.bias).any() and not n(linear.bias).any() and not n(bn.bias).any()
    assert (n(bn.weight) == 1).all()
    # Initialization with given tensor.
    tensor = torch.full((128, 256), 0.5)
    linear.weight = torch.nn.Parameter(tensor)
    assert linear.weight.data_ptr() == tensor.data_ptr() and linear.weight.requires_grad
    assert any(p is linear.weight for p in model.parameters())
    assert torch.equal(model.state_dict()["2.weight"], tensor)


# 部分层使用预训练模型 (load a pretrained model into part of the layers; the collection's 'model,pth' is
# 'model.pth'), and the note that a DataParallel checkpoint needs a DataParallel model
def test_load_part_of_the_layers(tmp_path):
    torch.manual_seed(0)
    pretrained = nn.Sequential(collections.OrderedDict(conv=nn.Conv2d(3, 4, 3), head=nn.Linear(4, 2)))
    path = str(tmp_path / "model.pth")
    torch.save(pretrained.state_dict(), path)
    model = nn.Sequential(collections.OrderedDict(conv=nn.Conv2d(3, 4, 3), head=nn.Linear(4, 2),
                                                  extra=nn.Linear(2, 5)))
    result = model.load_state_dict(torch.load(path), strict=False)
    assert result.missing_keys == ["extra.weight", "extra.bias"] and result.unexpected_keys == []
    assert torch.equal(model.conv.weight, pretrained.conv.weight) and torch.equal(model.head.bias, pretrained.head.bias)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "extra.weight", "extra.bias"'):
        model.load_state_dict(torch.load(path))
    # a DataParallel model's keys carry 'module.': they load into a DataParallel model, and not into a plain one
    parallel = torch.nn.DataParallel(pretrained)
    assert list(parallel.state_dict()) == ["module.conv.weight", "module.conv.bias", "module.head.weight",
                                           "module.head.bias"]
    torch.save(parallel.state_dict(), path)
    plain = nn.Sequential(collections.OrderedDict(conv=nn.Conv2d(3, 4, 3), head=nn.Linear(4, 2)))
    result = plain.load_state_dict(torch.load(path), strict=False)
    assert len(result.missing_keys) == 4 and len(result.unexpected_keys) == 4
    target = torch.nn.DataParallel(plain)
    assert str(target.load_state_dict(torch.load(path))) == "<All keys matched successfully>"
    assert torch.equal(plain.conv.weight, pretrained.conv.weight)


# 将在 GPU 保存的模型加载到 CPU (load a model saved on the GPU onto the CPU)
def test_load_onto_the_cpu(tmp_path):
    torch.manual_seed(0)
    saved = nn.Linear(3, 2).to(DEVICE)
    path = str(tmp_path / "model.pth")
    torch.save(saved.state_dict(), path)
    model = nn.Linear(3, 2)
    model.load_state_dict(torch.load(path, map_location='cpu'))
    assert model.weight.device.type == "cpu" and torch.equal(model.weight, saved.weight.cpu())


# ======================================================================== 数据准备、特征提取与微调 (data, features, fine-tuning)

# 得到视频数据基本信息 (basic information of a video, with OpenCV)
def test_video_basic_info(tmp_path):
    cv2 = pytest.importorskip("cv2")
    mp4_path = str(tmp_path / "video.mp4")
    writer = cv2.VideoWriter(mp4_path, cv2.VideoWriter_fourcc(*"mp4v"), 10, (16, 12))
    for i in range(8):
        writer.write(np.full((12, 16, 3), 30 * i, dtype=np.uint8))
    writer.release()
    video = cv2.VideoCapture(mp4_path)
    height = int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))
    width = int(video.get(cv2.CAP_PROP_FRAME_WIDTH))
    num_frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = int(video.get(cv2.CAP_PROP_FPS))
    video.release()
    assert (height, width, num_frames, fps) == (12, 16, 8, 10)


class TSN:
    """The collection's TSN sampler (a method of a video dataset): one frame per segment."""

    def __init__(self, num_segments):
        self._num_segments = num_segments

    def frame_indices(self, num_frames, is_train):
        K = self._num_segments
        if is_train:
            if num_frames > K:
                # Random index for each segment.
                frame_indices = torch.randint(
                    high=num_frames // K, size=(K,), dtype=torch.long)
                frame_indices += num_frames // K * torch.arange(K)
            else:
                frame_indices = torch.randint(
                    high=num_frames, size=(K - num_frames,), dtype=torch.long)
                frame_indices = torch.sort(torch.cat((
                    torch.arange(num_frames), frame_indices)))[0]
        else:
            if num_frames > K:
                # Middle index for each segment.
                frame_indices = num_frames / K // 2
                frame_indices += num_frames // K * torch.arange(K)
            else:
                frame_indices = torch.sort(torch.cat((
                    torch.arange(num_frames), torch.arange(K - num_frames))))[0]
        assert frame_indices.size() == (K,)
        return [frame_indices[i] for i in range(K)]


# TSN 每段(segment)采样一帧视频 (TSN: sample one frame per segment)
def test_tsn_segment_sampling():
    torch.manual_seed(0)
    tsn = TSN(4)
    picked = tsn.frame_indices(30, is_train=True)   # segments of 7 frames
    assert len(picked) == 4 and all(p.dtype == torch.int64 and p.dim() == 0 for p in picked)
    assert all(7 * k <= p.item() < 7 * k + 7 for k, p in enumerate(picked))
    middle = tsn.frame_indices(30, is_train=False)   # 30 / 4 // 2 == 3.0: a float, so float32 indices
    assert [p.item() for p in middle] == [3.0, 10.0, 17.0, 24.0] and middle[0].dtype == torch.float32
    few = TSN(8).frame_indices(5, is_train=True)   # fewer frames than segments: every frame, then repeats
    values = [p.item() for p in few]
    assert values == sorted(values) and set(range(5)) <= set(values) and max(values) < 5
    assert [p.item() for p in TSN(8).frame_indices(5, is_train=False)] == [0, 0, 1, 1, 2, 2, 3, 4]


WEIGHT_FILES = {"resnet18": "resnet18-f37072fd.pth", "vgg16": "vgg16-397923af.pth"}


def vgg16_state_shapes():
    """torchvision's vgg16 state_dict keys and shapes (configuration D: conv/ReLU pairs and pools, then three Linear)."""
    shapes, i, channels = [], 0, 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            i += 1
            continue
        shapes += [(f"features.{i}.weight", (v, channels, 3, 3)), (f"features.{i}.bias", (v,))]
        channels, i = v, i + 2
    for j, (out, inp) in zip((0, 3, 6), ((4096, 512 * 7 * 7), (4096, 4096), (1000, 4096))):
        shapes += [(f"classifier.{j}.weight", (out, inp)), (f"classifier.{j}.bias", (out,))]
    return shapes


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A $TORCH_HOME whose hub cache holds fake ImageNet weights: resnet18's seeded initial values,
    and for vgg16 (138M parameters) each tensor a constant 0.001 saved as a stride-0 view (a few KB)."""
    home = tmp_path_factory.mktemp("torch_home")
    folder = home / "hub" / "checkpoints"
    os.makedirs(folder)
    torch.manual_seed(1)
    torch.save(torchvision.models.resnet18().state_dict(), str(folder / WEIGHT_FILES["resnet18"]))
    torch.save({k: torch.full((1,), 0.001).expand(s) for k, s in vgg16_state_shapes()}, str(folder / WEIGHT_FILES["vgg16"]))
    return home


@pytest.fixture
def pretrained(hub, monkeypatch):
    """torchvision.models.NAME(pretrained=True) reads the fake weights (and warns that the keyword is deprecated)."""
    monkeypatch.setenv("TORCH_HOME", str(hub))

    def build(name):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return getattr(torchvision.models, name)(pretrained=True)
    return build


def test_pretrained_keyword_is_deprecated(pretrained):
    with pytest.warns(UserWarning) as record:
        torchvision.models.resnet18(pretrained=True)
    messages = [str(w.message) for w in record]
    assert messages[0].startswith("The parameter 'pretrained' is deprecated since 0.13")
    assert messages[1].endswith("equivalent to passing `weights=ResNet18_Weights.IMAGENET1K_V1`. You can also use "
                                "`weights=ResNet18_Weights.DEFAULT` to get the most up-to-date weights.")


# 提取 ImageNet 预训练模型某层的卷积特征 (one layer's features of an ImageNet model)
def test_extract_one_layer_features(pretrained):
    image = torch.rand(1, 3, 32, 32)
    vgg16 = pretrained("vgg16")   # built once (138M parameters), where the collection builds it three times
    # VGG-16 relu5-3 feature.
    model = vgg16.features[:-1]
    assert all((n(p) == np.float32(0.001)).all() for p in model.parameters())   # the checkpoint's values
    relu5_3 = model(image)
    assert relu5_3.size() == (1, 512, 2, 2) and (n(relu5_3) >= 0).all()
    # VGG-16 pool5 feature.
    model = vgg16.features
    pool5 = model(image)
    assert pool5.size() == (1, 512, 1, 1)
    assert_close(pool5.detach(), n(relu5_3).max(axis=(2, 3), keepdims=True).astype(np.float32), rtol=1e-6)
    # VGG-16 fc7 feature.
    model = vgg16
    model.classifier = torch.nn.Sequential(*list(model.classifier.children())[:-3])
    assert [type(m).__name__ for m in model.classifier] == ["Linear", "ReLU", "Dropout", "Linear"]
    model.eval()
    assert model(image).size() == (1, 4096)
    # ResNet GAP feature.
    model = pretrained("resnet18")
    full = model
    model = torch.nn.Sequential(collections.OrderedDict(
        list(model.named_children())[:-1]))
    assert list(dict(model.named_children())) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
                                                  "layer4", "avgpool"]
    with torch.no_grad():
        model.eval()
        conv_representation = model(image)
        assert conv_representation.size() == (1, 512, 1, 1) and not conv_representation.requires_grad
        assert_close(full.fc(torch.flatten(conv_representation, 1)), n(full(image)), rtol=1e-5, atol=1e-6, check_dtype=False)


class FeatureExtractor(torch.nn.Module):
    """Helper class to extract several convolution features from the given pre-trained model.

    Attributes:
        _model, torch.nn.Module.
        _layers_to_extract, list<str> or set<str>
    """

    def __init__(self, pretrained_model, layers_to_extract):
        torch.nn.Module.__init__(self)
        self._model = pretrained_model
        self._model.eval()
        self._layers_to_extract = set(layers_to_extract)

    def forward(self, x):
        with torch.no_grad():
            conv_representation = []
            for name, layer in self._model.named_children():
                x = layer(x)
                if name in self._layers_to_extract:
                    conv_representation.append(x)
            return conv_representation


# 提取 ImageNet 预训练模型多层的卷积特征 (several layers' features; the docstring's resnet152 is
# resnet18 here, the same structure of named children at an eighth of the cost)
def test_extract_several_layers_features(pretrained):
    model = pretrained("resnet18")
    model = torch.nn.Sequential(collections.OrderedDict(
        list(model.named_children())[:-1]))
    image = torch.rand(2, 3, 32, 32)
    conv_representation = FeatureExtractor(
        pretrained_model=model, layers_to_extract={'layer1', 'layer2', 'layer3', 'layer4'})(image)
    assert [tuple(f.shape) for f in conv_representation] == [(2, 64, 8, 8), (2, 128, 4, 4), (2, 256, 2, 2),
                                                              (2, 512, 1, 1)]
    assert not model.training and not any(f.requires_grad for f in conv_representation)
    with torch.no_grad():
        assert torch.equal(model.layer2(conv_representation[0]), conv_representation[1])


# 微调全连接层 (fine-tune the last fully connected layer only)
def test_finetune_fc_layer(pretrained):
    torch.manual_seed(0)
    model = pretrained("resnet18")
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(512, 100)  # Replace the last fc layer
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9, weight_decay=1e-4)
    conv1 = model.conv1.weight.clone()
    images, labels = torch.rand(4, 3, 32, 32), torch.tensor([3, 14, 15, 92])
    model.eval()   # fixed BN statistics: the loss depends on fc only
    losses = []
    for _ in range(5):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert model.conv1.weight.grad is None and torch.equal(model.conv1.weight, conv1)
    assert model.fc.weight.grad is not None


# 以较大学习率微调全连接层,较小学习率微调卷积层 (a larger rate for fc, a smaller one for the convolutions)
def test_finetune_with_two_learning_rates(pretrained):
    model = pretrained("resnet18")
    finetuned_parameters = list(map(id, model.fc.parameters()))
    conv_parameters = (p for p in model.parameters() if id(p) not in finetuned_parameters)
    parameters = [{'params': conv_parameters, 'lr': 1e-3},
                  {'params': model.fc.parameters()}]
    optimizer = torch.optim.SGD(parameters, lr=1e-2, momentum=0.9, weight_decay=1e-4)
    groups = optimizer.param_groups
    assert [g['lr'] for g in groups] == [1e-3, 1e-2]
    assert [len(g['params']) for g in groups] == [60, 2]
    assert all(g['momentum'] == 0.9 and g['weight_decay'] == 1e-4 for g in groups)
    assert groups[1]['params'][0] is model.fc.weight


# ======================================================================== 模型训练 (training)

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def transforms():
    train_transform = torchvision.transforms.Compose([
        torchvision.transforms.RandomResizedCrop(size=224,
                                                 scale=(0.08, 1.0)),
        torchvision.transforms.RandomHorizontalFlip(),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize(mean=(0.485, 0.456, 0.406),
                                         std=(0.229, 0.224, 0.225)),
    ])
    val_transform = torchvision.transforms.Compose([
        torchvision.transforms.Resize(224),
        torchvision.transforms.CenterCrop(224),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize(mean=(0.485, 0.456, 0.406),
                                         std=(0.229, 0.224, 0.225)),
    ])
    return train_transform, val_transform


# 常用训练和验证数据预处理 (the usual train and validation preprocessing)
def test_train_and_val_transforms():
    train_transform, val_transform = transforms()
    rng = np.random.default_rng(9)
    pixels = rng.integers(0, 256, size=(260, 300, 3), dtype=np.uint8)
    image = PIL.Image.fromarray(pixels)
    mean, std = np.array(MEAN)[:, None, None], np.array(STD)[:, None, None]
    # validation: the shorter side to 224 (300x260 -> 258x224, PIL's bilinear), the centre 224x224
    resized = np.asarray(image.resize((258, 224), PIL.Image.BILINEAR))[:, 17:241]
    expected = (resized.transpose(2, 0, 1).astype(np.float32) / np.float32(255) - mean) / std
    assert_close(val_transform(image), expected.astype(np.float32), rtol=1e-5, atol=1e-6)
    # training: a random crop, flipped or not; a one-colour image shows the exact normalisation
    torch.manual_seed(0)
    out = train_transform(image)
    assert out.size() == (3, 224, 224) and out.dtype == torch.float32
    assert not torch.equal(train_transform(image), out)   # a different crop each time
    plain = PIL.Image.new("RGB", (300, 260), (200, 100, 50))
    colour = (np.array([200, 100, 50], dtype=np.float32) / np.float32(255) - np.array(MEAN)) / np.array(STD)
    assert_close(train_transform(plain), np.broadcast_to(colour[:, None, None], (3, 224, 224)).astype(np.float32),
                 rtol=1e-5, atol=1e-6)
    # ToTensor: an HxWxD ndarray in [0, 255] -> a DxHxW tensor in [0.0, 1.0]
    assert_close(torchvision.transforms.ToTensor()(pixels[:2, :3]),
                 pixels[:2, :3].transpose(2, 0, 1).astype(np.float32) / np.float32(255))


# 训练基本代码框架 (the basic training loop; `for t in epoch(80)` is range(...), `desc='Epoch =' % (t 1)`
# is desc='Epoch %3d' % (t + 1), `.cuda()` moves to DEVICE)
def test_basic_training_loop():
    torch.manual_seed(0)
    images_all, labels_all = seeded_images()
    train_loader = loader(images_all, labels_all)
    model = small_cnn().to(DEVICE)
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = clean_loss(model, images_all.to(DEVICE), labels_all.to(DEVICE))
    for t in range(10):
        for images, labels in tqdm.tqdm(train_loader, desc='Epoch %3d' % (t + 1)):
            images, labels = images.to(DEVICE), labels.to(DEVICE)
            scores = model(images)
            loss = loss_function(scores, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    after = clean_loss(model, images_all.to(DEVICE), labels_all.to(DEVICE))
    assert after < 0.5 * before


# 标记平滑(label smoothing)
def test_label_smoothing():
    torch.manual_seed(0)
    C = 3
    images_all, labels_all = seeded_images()
    train_loader = loader(images_all, labels_all)
    model = small_cnn(C)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = clean_loss(model, images_all, labels_all)
    for epoch in range(10):
        for images, labels in train_loader:
            images, labels = images.to(DEVICE), labels.to(DEVICE)
            N = labels.size(0)
            # C is the number of classes.
            smoothed_labels = torch.full(size=(N, C), fill_value=0.1 / (C - 1)).to(DEVICE)
            smoothed_labels.scatter_(dim=1, index=torch.unsqueeze(labels, dim=1), value=0.9)
            score = model(images)
            log_prob = torch.nn.functional.log_softmax(score, dim=1)
            loss = -torch.sum(log_prob * smoothed_labels) / N
            if epoch == 0:
                expected = np.full((N, C), 0.05)
                expected[np.arange(N), n(labels).astype(int)] = 0.9
                assert_close(smoothed_labels, expected.astype(np.float32))
                # the same loss as cross_entropy's label_smoothing=eps with eps / C == 0.1 / (C - 1)
                same = F.cross_entropy(score, labels, label_smoothing=0.1 * C / (C - 1))
                assert loss.item() == pytest.approx(same.item(), rel=1e-5)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert clean_loss(model, images_all, labels_all) < 0.5 * before


# Mixup (`lambda_ * images (1 - lambda_) * ...` is lambda_ * images + (1 - lambda_) * ...)
def test_mixup():
    torch.manual_seed(0)
    alpha = 1.0
    images_all, labels_all = seeded_images()
    train_loader = loader(images_all, labels_all)
    model = small_cnn()
    loss_function = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = clean_loss(model, images_all, labels_all)
    beta_distribution = torch.distributions.beta.Beta(alpha, alpha)
    lambdas = []
    for epoch in range(10):
        for images, labels in train_loader:
            images, labels = images.to(DEVICE), labels.to(DEVICE)
            # Mixup images.
            lambda_ = beta_distribution.sample([]).item()
            index = torch.randperm(images.size(0)).to(DEVICE)
            mixed_images = lambda_ * images + (1 - lambda_) * images[index, :]
            if epoch == 0:
                x, i = n(images), n(index).astype(int)
                assert_close(mixed_images, (lambda_ * x + (1 - lambda_) * x[i]).astype(np.float32), rtol=1e-5,
                             atol=1e-6)
            # Mixup loss.
            scores = model(mixed_images)
            loss = (lambda_ * loss_function(scores, labels)
                    + (1 - lambda_) * loss_function(scores, labels[index]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            lambdas.append(lambda_)
    assert all(isinstance(v, float) and 0 <= v <= 1 for v in lambdas) and len(set(lambdas)) == len(lambdas)
    assert clean_loss(model, images_all, labels_all) < 0.7 * before


# L1 正则化 (L1 regularisation; `loss = torch.sum(...)` is +=)
def test_l1_regularisation():
    torch.manual_seed(0)
    images, labels = seeded_images(8)
    model = small_cnn()
    l1_regularization = torch.nn.L1Loss(reduction='sum')
    F.cross_entropy(model(images), labels).backward()
    plain = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    loss = F.cross_entropy(model(images), labels)  # Standard cross-entropy loss
    for param in model.parameters():
        loss += torch.sum(torch.abs(param))
    loss.backward()
    for param, g in zip(model.parameters(), plain):   # d|w|/dw == sign(w) on top of the loss's gradient
        assert_close(param.grad - g, np.sign(n(param)).astype(np.float32), rtol=1e-5, atol=1e-5)
    weight = model[0].weight
    assert l1_regularization(weight, torch.zeros_like(weight)).item() == pytest.approx(np.abs(n(weight)).sum(),
                                                                                      rel=1e-5)


# 不对偏置项进行 L2 正则化/权值衰减(weight decay) (no weight decay on the biases)
def test_no_weight_decay_on_biases():
    torch.manual_seed(0)
    model = small_cnn()
    bias_list = (param for name, param in model.named_parameters() if name[-4:] == 'bias')
    others_list = (param for name, param in model.named_parameters() if name[-4:] != 'bias')
    parameters = [{'parameters': bias_list, 'weight_decay': 0},
                  {'parameters': others_list}]
    with pytest.raises(KeyError, match="params"):   # as the collection writes it: the key is 'params'
        torch.optim.SGD(parameters, lr=1e-2, momentum=0.9, weight_decay=1e-4)
    bias_list = [param for name, param in model.named_parameters() if name[-4:] == 'bias']
    others_list = [param for name, param in model.named_parameters() if name[-4:] != 'bias']
    parameters = [{'params': bias_list, 'weight_decay': 0},
                  {'params': others_list}]
    optimizer = torch.optim.SGD(parameters, lr=1e-2, momentum=0.9, weight_decay=1e-4)
    assert [g['weight_decay'] for g in optimizer.param_groups] == [0, 1e-4]
    before = {name: n(p) for name, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()   # zero gradients: only the decay moves a parameter, w -= lr * 1e-4 * w
    for name, p in model.named_parameters():
        expected = before[name] if name.endswith("bias") else before[name] * (1 - 1e-2 * 1e-4)
        assert_close(p.detach(), expected.astype(np.float32), rtol=1e-6, atol=0)


# 梯度裁剪(gradient clipping)
def test_gradient_clipping():
    model = small_cnn()
    rng = np.random.default_rng(10)
    grads = [rng.normal(scale=10.0, size=tuple(p.shape)).astype(np.float32) for p in model.parameters()]
    for p, g in zip(model.parameters(), grads):
        p.grad = torch.from_numpy(g.copy())
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=20)
    norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
    assert total.item() == pytest.approx(norm, rel=1e-5)
    for p, g in zip(model.parameters(), grads):
        assert_close(p.grad, (g * (20 / (norm + 1e-6))).astype(np.float32), rtol=1e-5, atol=1e-6)


# 计算 Softmax 输出的准确率 (accuracy of the softmax output)
def test_accuracy():
    score = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1], [0.0, 0.1, 3.0], [0.2, 0.9, 0.4]])
    labels = torch.tensor([1, 0, 1, 1])
    prediction = torch.argmax(score, dim=1)
    num_correct = torch.sum(prediction == labels).item()
    accuruacy = num_correct / labels.size(0)
    assert prediction.tolist() == [1, 0, 2, 1] and num_correct == 3 and type(num_correct) is int
    assert accuruacy == 0.75


# 可视化学习曲线 (learning curves with Visdom: the torch calls the Visdom snippet makes)
def test_learning_curve_values():
    options = collections.namedtuple('Options', ['loss', 'acc', 'lr'])(
        loss={'xlabel': 'Epoch', 'ylabel': 'Loss', 'showlegend': True},
        acc={'xlabel': 'Epoch', 'ylabel': 'Accuracy', 'showlegend': True},
        lr={'xlabel': 'Epoch', 'ylabel': 'Learning rate', 'showlegend': True})
    assert options.lr['ylabel'] == 'Learning rate'
    t, train_loss = 4, 0.25
    X, Y = torch.Tensor([t + 1]), torch.Tensor([train_loss])
    assert X.dtype == torch.float32 and X.tolist() == [5.0] and Y.tolist() == [0.25]


# 得到当前学习率 (the current learning rate)
def test_current_learning_rate():
    model = small_cnn()
    optimizer = torch.optim.SGD([{'params': model[0].parameters(), 'lr': 1e-3},
                                 {'params': model[5].parameters()}], lr=1e-2)
    # If there is one global learning rate (which is the common case).
    lr = next(iter(optimizer.param_groups))['lr']
    # If there are multiple learning rates for different layers.
    all_lr = []
    for param_group in optimizer.param_groups:
        all_lr.append(param_group['lr'])
    assert lr == 1e-3 and all_lr == [1e-3, 1e-2]


# 学习率衰减 (learning-rate schedules; the collection's loops step the scheduler before training, as
# PyTorch < 1.1 did, which PyTorch now warns about)
def test_learning_rate_schedules():
    model = nn.Linear(2, 2)

    def fresh():
        return torch.optim.SGD(model.parameters(), lr=1e-2)

    def train(optimizer):
        for p in model.parameters():
            p.grad = torch.zeros_like(p)
        optimizer.step()

    # Reduce learning rate when validation accuarcy plateau.
    optimizer = fresh()
    if REFERENCE:   # PyTorch >= 2.7 has no `verbose`: the collection's call raises
        with pytest.raises(TypeError, match="unexpected keyword argument 'verbose'"):
            torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', patience=5, verbose=True)
    else:   # ctorch runs the collection's call, with the deprecation warning PyTorch 2.2-2.6 gave
        with pytest.warns(UserWarning, match="The verbose parameter is deprecated"):
            torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', patience=5, verbose=True)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='max', patience=5)
    lrs = []
    for t in range(0, 20):
        train(optimizer)
        val_acc = min(0.1 * t, 0.3)   # improves for three epochs, then flat
        scheduler.step(val_acc)
        lrs.append(optimizer.param_groups[0]['lr'])
    # best at epoch 3; the sixth epoch without improvement (9) cuts by 10, and again six later (15)
    assert lrs == pytest.approx([1e-2] * 9 + [1e-3] * 6 + [1e-4] * 5, rel=1e-9)
    # Cosine annealing learning rate.
    optimizer = fresh()
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=80)
    got = []
    for t in range(80):
        train(optimizer)
        scheduler.step()
        got.append(optimizer.param_groups[0]['lr'])
    assert got == pytest.approx([1e-2 * (1 + math.cos(math.pi * (t + 1) / 80)) / 2 for t in range(80)],
                                rel=1e-9, abs=1e-15)
    # Reduce learning rate by 10 at given epochs.
    optimizer = fresh()
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[50, 70], gamma=0.1)
    got = []
    for t in range(0, 80):
        if t == 0:
            with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                                 r"`optimizer.step\(\)`"):
                scheduler.step()
        else:
            scheduler.step()
        train(optimizer)
        got.append(optimizer.param_groups[0]['lr'])
    assert got == pytest.approx([1e-2] * 49 + [1e-3] * 20 + [1e-4] * 11, rel=1e-9)
    # Learning rate warmup by 10 epochs.
    optimizer = fresh()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda t: t / 10)
    assert optimizer.param_groups[0]['lr'] == 0.0
    got = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # the same step-order warning
        for t in range(0, 10):
            scheduler.step()
            train(optimizer)
            got.append(optimizer.param_groups[0]['lr'])
    assert got == pytest.approx([1e-2 * (t + 1) / 10 for t in range(10)], rel=1e-12)


# 保存与加载断点 (save and load a checkpoint; `'epoch': t 1` is t + 1, and the collection's
# shutil.copy('checkpoint.pth.tar', model_path) copies the saved file to a best-model file)
def test_save_and_load_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    os.makedirs("model")
    torch.manual_seed(0)
    images, labels = seeded_images(16)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_one_epoch(model, optimizer):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    best_acc = 0.0
    for t in range(2):
        train_one_epoch(model, optimizer)
        current_acc = 0.5 + 0.1 * t
        # Save checkpoint.
        is_best = current_acc > best_acc
        best_acc = max(best_acc, current_acc)
        checkpoint = {
            'best_acc': best_acc,
            'epoch': t + 1,
            'model': model.state_dict(),
            'optimizer': optimizer.state_dict(),
        }
        model_path = os.path.join('model', 'checkpoint.pth.tar')
        best_model_path = os.path.join('model', 'best_checkpoint.pth.tar')
        torch.save(checkpoint, model_path)
        if is_best:
            shutil.copy(model_path, best_model_path)
    # Load checkpoint.
    resume = True
    torch.manual_seed(5)
    resumed = small_cnn()
    resumed_optimizer = torch.optim.SGD(resumed.parameters(), lr=0.1, momentum=0.9)
    if resume:
        model_path = os.path.join('model', 'checkpoint.pth.tar')
        assert os.path.isfile(model_path)
        checkpoint = torch.load(model_path)
        best_acc = checkpoint['best_acc']
        start_epoch = checkpoint['epoch']
        resumed.load_state_dict(checkpoint['model'])
        resumed_optimizer.load_state_dict(checkpoint['optimizer'])
        print('Load checkpoint at epoch %d.' % start_epoch)
    assert capsys.readouterr().out == "Load checkpoint at epoch 2.\n"
    assert best_acc == pytest.approx(0.6) and os.path.isfile(os.path.join('model', 'best_checkpoint.pth.tar'))
    # the momentum buffers came back too: one more epoch of each gives the same parameters
    train_one_epoch(model, optimizer)
    train_one_epoch(resumed, resumed_optimizer)
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


# 计算准确率、查准率(precision)、查全率(recall) (`range(len(num_classes))` is range(num_classes))
def test_accuracy_precision_recall():
    score = torch.tensor([[3.0, 0, 0], [0, 0, 3], [0, 0, 3], [0, 3, 0], [3, 0, 0], [0, 3, 0]])
    # data['label'] and data['prediction'] are groundtruth label and prediction for each image.
    data = {'label': np.array([0, 1, 2, 1, 0, 2]), 'prediction': torch.argmax(score, dim=1).numpy()}
    num_classes = 3
    accuracy = np.mean(data['label'] == data['prediction']) * 100
    results = []
    # Compute recision and recall for each class.
    for c in range(num_classes):
        tp = np.dot((data['label'] == c).astype(int),
                    (data['prediction'] == c).astype(int))
        tp_fp = np.sum(data['prediction'] == c)
        tp_fn = np.sum(data['label'] == c)
        precision = tp / tp_fp * 100
        recall = tp / tp_fn * 100
        results.append((precision, recall))
    assert accuracy == pytest.approx(400 / 6)
    assert results == [(100.0, 100.0), (50.0, 50.0), (50.0, 50.0)]


# ======================================================================== PyTorch 其他注意事项 (other notes)

# 模型定义: activations from torch.nn.functional follow the network's state (dropout with training=)
def test_functional_dropout_follows_training():
    class Net(torch.nn.Module):
        def forward(self, x):
            x = torch.nn.functional.dropout(x, p=0.5, training=self.training)
            return x

    torch.manual_seed(0)
    net, x = Net(), torch.ones(10000)
    out = n(net(x))
    assert set(np.unique(out).tolist()) == {0.0, 2.0} and abs((out == 0).mean() - 0.5) < 0.03
    net.eval()
    assert torch.equal(net(x), x)


# model.train() 和 model.eval() 切换网络状态 (switch a model's state)
def test_train_eval_switch():
    model = small_cnn()
    x = torch.randn(4, 3, 8, 8)
    model.eval()
    assert not any(m.training for m in model.modules())
    assert torch.equal(model(x), model(x))   # BN uses its running statistics
    model.train()
    assert all(m.training for m in model.modules())
    model(x)
    assert model[1].num_batches_tracked.item() == 1


# 不需要计算梯度的代码块用 with torch.no_grad() 包含起来 (no_grad: no graph, so no backward)
def test_no_grad_block():
    model = small_cnn()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 8, 8))
    assert not out.requires_grad and out.grad_fn is None
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        out.sum().backward()


# torch.nn.CrossEntropyLoss 等价于 log_softmax + NLLLoss (takes raw scores, no softmax first)
def test_cross_entropy_is_log_softmax_and_nll():
    rng = np.random.default_rng(11)
    score = torch.tensor(rng.normal(size=(5, 4)), requires_grad=True)
    labels = torch.tensor([0, 3, 1, 2, 3])
    ce = torch.nn.CrossEntropyLoss()(score, labels)
    nll = torch.nn.NLLLoss()(torch.nn.functional.log_softmax(score, dim=1), labels)
    assert ce.item() == pytest.approx(nll.item(), rel=1e-12)
    s = n(score)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    assert ce.item() == pytest.approx(-logp[np.arange(5), [0, 3, 1, 2, 3]].mean(), rel=1e-12)


# optimizer.zero_grad() 和 model.zero_grad() 效果一样 (the same effect)
def test_optimizer_and_model_zero_grad():
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(2, 3, 8, 8), torch.tensor([0, 2])
    for zero_grad in (optimizer.zero_grad, model.zero_grad):
        F.cross_entropy(model(x), y).backward()
        assert all(p.grad is not None for p in model.parameters())
        zero_grad()
        assert all(p.grad is None for p in model.parameters())   # set_to_none=True by default


# ======================================================================== PyTorch 性能与调试 (performance, debugging)

# DataLoader 中尽量设置 pin_memory=True; num_workers 需要在实验中找到最快的取值
def test_dataloader_pin_memory_and_workers():
    dataset = torch.utils.data.TensorDataset(torch.arange(24.0).reshape(12, 2), torch.arange(12))
    plain = [(x.tolist(), y.tolist()) for x, y in torch.utils.data.DataLoader(dataset, batch_size=5)]
    if DEVICE == "cuda":
        pinned = list(torch.utils.data.DataLoader(dataset, batch_size=5, pin_memory=True))
        assert all(x.is_pinned() for x, _ in pinned)
    elif torch.cuda.is_available():   # ctorch's CUDA backend: no pinned host memory yet, and it says so
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but ctorch's CUDA backend"):
            pinned = list(torch.utils.data.DataLoader(dataset, batch_size=5, pin_memory=True))
    else:
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
            pinned = list(torch.utils.data.DataLoader(dataset, batch_size=5, pin_memory=True))
    assert [(x.tolist(), y.tolist()) for x, y in pinned] == plain
    workers = torch.utils.data.DataLoader(dataset, batch_size=5, num_workers=2)
    assert [(x.tolist(), y.tolist()) for x, y in workers] == plain
    assert plain[-1] == ([[20.0, 21.0], [22.0, 23.0]], [10, 11])


# 使用 inplace 操作可节约 GPU 存储 (relu in place)
def test_relu_in_place():
    x = torch.tensor([-1.0, 0.5, -0.0, 2.0])
    ptr = x.data_ptr()
    y = torch.nn.functional.relu(x, inplace=True)
    assert y is x and x.data_ptr() == ptr
    assert x.tolist() == [0.0, 0.5, 0.0, 2.0]


# 使用半精度浮点数 half() (half precision: float16, with its rounding)
def test_half():
    values = np.array([0.1, 1 / 3, 65504.0, 1e-8, 70000.0], dtype=np.float32)
    half = torch.from_numpy(values).half()
    assert half.dtype == torch.float16
    with np.errstate(over="ignore"):
        assert_close(half, values.astype(np.float16))


# 时常使用 assert tensor.size() == (N, D, H, W) 作为调试手段 (shape asserts)
def test_size_assert():
    N, D, H, W = 2, 3, 4, 5
    tensor = torch.zeros(N, D, H, W)
    assert tensor.size() == (N, D, H, W)
    assert tensor.size() != (N, D, W, H) and tensor.size() == torch.Size([N, D, H, W])


# 尽量少使用一维张量,使用 n*1 的二维张量代替 (a 1-D tensor against an n*1 one broadcasts to n*n)
def test_one_dimensional_pitfall():
    y = torch.tensor([1.0, 2.0, 3.0])
    prediction = torch.tensor([[1.0], [2.5], [3.0]])
    assert (prediction - y).size() == (3, 3)   # the surprise
    assert_close(prediction - y, np.array([[1.0], [2.5], [3.0]], dtype=np.float32) - np.array([1.0, 2.0, 3.0],
                                                                                                 dtype=np.float32))
    assert_close(prediction - y.view(-1, 1), np.array([[0.0], [0.5], [0.0]], dtype=np.float32))


# 统计代码各部分耗时 (time the parts of the code with the autograd profiler)
def test_autograd_profiler():
    kwargs = dict(enabled=True, use_cuda=False)
    if TORCH_2_14:   # PyTorch 2.14 removed use_cuda (use_device=): the collection's call raises
        with pytest.raises(TypeError, match="use_cuda"):
            torch.autograd.profiler.profile(**kwargs)
        del kwargs["use_cuda"]
    x = torch.randn(16, 16)
    with torch.autograd.profiler.profile(**kwargs) as profile:
        y = torch.relu(torch.mm(x, x))
    printed = str(profile)
    for column in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"):
        assert column in printed
    assert "aten::relu" in printed and "Self CPU time total:" in printed
    assert y.size() == (16, 16)


# python -m torch.utils.bottleneck main.py (the command line profiler, run on a small script)
@pytest.mark.skipif(REFERENCE and importlib.util.find_spec("torch.utils.bottleneck") is None,
                    reason="torch.utils.bottleneck was removed from PyTorch 2.14")
def test_bottleneck_command(tmp_path):
    script = tmp_path / "main.py"
    lib = "torch" if REFERENCE else "ctorch"
    script.write_text(f"import {lib} as torch\nx = torch.randn(32, 32)\nprint('sum', (x @ x).relu().sum().item() >= 0)\n")
    out = subprocess.run([sys.executable, "-m", f"{lib}.utils.bottleneck", str(script)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "sum True" in out.stdout and "cProfile output" in out.stdout and "autograd profiler output" in out.stdout


# ======================================================================== the training snippets as one script

# 训练基本代码框架 + 常用训练和验证数据预处理 + 标记平滑 + Mixup + L1 正则化 + 不对偏置项权值衰减 + 梯度裁剪 +
# 准确率 + 得到当前学习率 + 学习率衰减 + 保存与加载断点, as an unmodified PyTorch script (`import torch`,
# `import torchvision`): run by Python under real PyTorch, by `python -m ctorch.compat` under ctorch
def test_training_snippets_as_one_pytorch_script(tmp_path):
    script = os.path.join(SCRIPTS, "seed_training.py")
    cmd = [sys.executable, script] if REFERENCE else [sys.executable, "-m", "ctorch.compat", script]
    out = subprocess.run(cmd + [str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["torch"] == ("torch" if REFERENCE else "ctorch")
    first, last = (float(v) for v in lines["loss"].split())
    assert last < 0.7 * first
    assert float(lines["accuracy"]) >= 0.8
    assert lines["resumed"] == "Load checkpoint at epoch 6. equal"


@pytest.mark.parity
@pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in ("ctorch", "torch", "torchvision")),
                    reason="needs ctorch, real PyTorch and torchvision side by side")
def test_training_script_gives_pytorchs_numbers(tmp_path):
    script = os.path.join(SCRIPTS, "seed_training.py")
    runs = []
    for name, cmd in [("ours", [sys.executable, "-m", "ctorch.compat", script]), ("theirs", [sys.executable, script])]:
        out = subprocess.run(cmd + [str(tmp_path / name)], capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        runs.append(out.stdout.splitlines())
    ours, theirs = runs
    assert ours[0] == "torch ctorch" and theirs[0] == "torch torch"
    assert ours[1:] == theirs[1:]   # the same losses, accuracy and resumed state, printed to 4 decimals


# ======================================================================== on a GPU (marker cuda)

@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_snippets_on_a_gpu(tmp_path):
    assert isinstance(torch.cuda.get_device_name(0), str) and torch.version.cuda is not None
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    tensor = torch.arange(6.0).reshape(2, 3)
    moved = tensor.cuda()   # 数据类型转换: .cuda() and back
    assert moved.is_cuda and torch.equal(moved.cpu(), tensor)
    model = nn.Linear(3, 2).cuda()
    path = str(tmp_path / "model.pth")
    torch.save(model.state_dict(), path)   # 将在 GPU 保存的模型加载到 CPU
    on_cpu = torch.load(path, map_location='cpu')
    assert on_cpu["weight"].device.type == "cpu" and torch.equal(on_cpu["weight"], model.weight.cpu())
    torch.cuda.empty_cache()
