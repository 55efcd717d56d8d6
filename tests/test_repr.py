"""Tensor repr/str (ctorch/_tensor_str.py) against PyTorch's exact output.

Every expected string below was printed by real PyTorch 2.13 (CPU) for the same
values, dtype and print options. PyTorch here had no CUDA, so the `cuda_*`
expectations were made with PyTorch's own _tensor_str() body and _add_suffixes()
with a "device='cuda:0'" suffix, the suffix order _str_intern uses.

The main tests feed tensor_repr a small NumPy-backed fake offering only the
interface the module may use; the `ctorch` tests repeat the cases through
repr(ctorch.tensor(...)) and are skipped until the package provides tensors.
"""
import importlib.util
import math
import os

import numpy as np
import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_MODULE_PATH = os.path.join(_HERE, os.pardir, "ctorch", "_tensor_str.py")


def _load_tensor_str():
    try:
        import ctorch._tensor_str as mod
        return mod
    except Exception:  # the C core may not build yet: load the file on its own
        spec = importlib.util.spec_from_file_location("_ctorch_tensor_str", _MODULE_PATH)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod


ts = _load_tensor_str()

FLOATING = {"float16", "bfloat16", "float32", "float64"}


class FakeDtype:
    def __init__(self, name):
        self.name = name
        self.is_floating_point = name in FLOATING

    def __str__(self):
        return "torch." + self.name

    __repr__ = __str__


class FakeDevice:
    def __init__(self, name):
        self._name = name
        self.type = name.split(":")[0]

    def __str__(self):
        return self._name


class FakeGradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


def _to_bfloat16(a):
    """Round to the nearest bfloat16 (ties to even), kept as float32."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32).reshape(np.shape(a))


class FakeTensor:
    """Just the tensor interface tensor_repr may use, backed by a NumPy array.
    `log` collects the element count of every tolist() call."""

    def __init__(self, array, dtype, device="cpu", requires_grad=False,
                 grad_fn=None, log=None):
        self._a = array
        self.dtype = dtype if isinstance(dtype, FakeDtype) else FakeDtype(dtype)
        self.device = device if isinstance(device, FakeDevice) else FakeDevice(device)
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.log = [] if log is None else log

    def _wrap(self, array):
        return FakeTensor(array, self.dtype, self.device, log=self.log)

    def dim(self):
        return self._a.ndim

    @property
    def shape(self):
        return tuple(self._a.shape)

    def numel(self):
        return int(self._a.size)

    def tolist(self):
        self.log.append(self._a.size)
        return self._a.tolist()

    def __getitem__(self, index):
        assert isinstance(index, (int, slice)), index
        return self._wrap(self._a[index])

    def narrow(self, dim, start, length):
        index = [slice(None)] * self._a.ndim
        index[dim] = slice(start, start + length)
        return self._wrap(self._a[tuple(index)])

    def __repr__(self):
        return ts.tensor_repr(self)


def make_fake(values, dtype, extra=None, log=None):
    """A FakeTensor holding `values` (anything np.array takes) as `dtype`."""
    extra = extra or {}
    a = np.array(values)
    a = _to_bfloat16(a) if dtype == "bfloat16" else a.astype(getattr(np, dtype))
    grad = extra.get("grad")
    grad_fn = FakeGradFn(grad) if grad and grad != "req" else None
    return FakeTensor(a, dtype, extra.get("device", "cpu"),
                      requires_grad=grad is not None, grad_fn=grad_fn, log=log)


@pytest.fixture(autouse=True)
def _default_printoptions():
    ts.set_printoptions(profile="default")
    yield
    ts.set_printoptions(profile="default")


CASES = [
    pytest.param(lambda: [1, 2, 3], 'int64', None, {},
                 'tensor([1, 2, 3])', id='int64_small'),
    pytest.param(lambda: [-5, 10, 300], 'int64', None, {},
                 'tensor([ -5,  10, 300])', id='int64_neg_wide'),
    pytest.param(lambda: [1, 2, 3], 'int32', None, {},
                 'tensor([1, 2, 3], dtype=torch.int32)', id='int32'),
    pytest.param(lambda: [-1, 200, 3], 'int16', None, {},
                 'tensor([ -1, 200,   3], dtype=torch.int16)', id='int16'),
    pytest.param(lambda: [-128, 0, 127], 'int8', None, {},
                 'tensor([-128,    0,  127], dtype=torch.int8)', id='int8'),
    pytest.param(lambda: [0, 7, 255], 'uint8', None, {},
                 'tensor([  0,   7, 255], dtype=torch.uint8)', id='uint8'),
    pytest.param(lambda: np.arange(12).reshape(3, 4), 'int64', None, {},
                 (
                     'tensor([[ 0,  1,  2,  3],\n'
                     '        [ 4,  5,  6,  7],\n'
                     '        [ 8,  9, 10, 11]])'
                 ), id='int64_2d'),
    pytest.param(lambda: 7, 'int64', None, {},
                 'tensor(7)', id='int64_scalar'),
    pytest.param(lambda: -7, 'int32', None, {},
                 'tensor(-7, dtype=torch.int32)', id='int32_scalar'),
    pytest.param(lambda: np.arange(0, 100000, 3000), 'int64', None, {},
                 (
                     'tensor([    0,  3000,  6000,  9000, 12000, 15000, 18000, 21000, 24000, 27000,\n'
                     '        30000, 33000, 36000, 39000, 42000, 45000, 48000, 51000, 54000, 57000,\n'
                     '        60000, 63000, 66000, 69000, 72000, 75000, 78000, 81000, 84000, 87000,\n'
                     '        90000, 93000, 96000, 99000])'
                 ), id='int_wrap'),
    pytest.param(lambda: np.arange(40).reshape(2, 20) * 1000, 'int64', None, {},
                 (
                     'tensor([[    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,\n'
                     '         10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000],\n'
                     '        [20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,\n'
                     '         30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000]])'
                 ), id='int_2d_wrap'),
    pytest.param(lambda: [True, False, True], 'bool', None, {},
                 'tensor([ True, False,  True])', id='bool_1d'),
    pytest.param(lambda: [[True, False], [False, False]], 'bool', None, {},
                 (
                     'tensor([[ True, False],\n'
                     '        [False, False]])'
                 ), id='bool_2d'),
    pytest.param(lambda: True, 'bool', None, {},
                 'tensor(True)', id='bool_scalar'),
    pytest.param(lambda: [1., 2., 3.], 'float32', None, {},
                 'tensor([1., 2., 3.])', id='float_int_values'),
    pytest.param(lambda: [1.5, -2.25, 3.0], 'float32', None, {},
                 'tensor([ 1.5000, -2.2500,  3.0000])', id='float_frac'),
    pytest.param(lambda: 3.14159265, 'float32', None, {},
                 'tensor(3.1416)', id='float_scalar_pi'),
    pytest.param(lambda: 2.0, 'float32', None, {},
                 'tensor(2.)', id='float_scalar_int'),
    pytest.param(lambda: np.nan, 'float32', None, {},
                 'tensor(nan)', id='float_scalar_nan'),
    pytest.param(lambda: -0.0, 'float32', None, {},
                 'tensor(-0.)', id='float_scalar_negzero'),
    pytest.param(lambda: [0.1, 0.2, 0.33333], 'float32', None, {},
                 'tensor([0.1000, 0.2000, 0.3333])', id='float_rounding'),
    pytest.param(lambda: [1e-5, 1.0], 'float32', None, {},
                 'tensor([1.0000e-05, 1.0000e+00])', id='sci_min_small'),
    pytest.param(lambda: [1.0, 2000.0], 'float32', None, {},
                 'tensor([1.0000e+00, 2.0000e+03])', id='sci_ratio'),
    pytest.param(lambda: [1e9, 2e9], 'float32', None, {},
                 'tensor([1.0000e+09, 2.0000e+09])', id='sci_big_int'),
    pytest.param(lambda: [1.5e9, -3.25], 'float32', None, {},
                 'tensor([ 1.5000e+09, -3.2500e+00])', id='sci_big_frac'),
    pytest.param(lambda: [1e7, 2e7], 'float32', None, {},
                 'tensor([10000000., 20000000.])', id='big_int_no_sci'),
    pytest.param(lambda: [1.0, 1000.0], 'float32', None, {},
                 'tensor([   1., 1000.])', id='ratio_edge_1000'),
    pytest.param(lambda: [1e-4, 0.05], 'float64', None, {},
                 'tensor([0.0001, 0.0500], dtype=torch.float64)', id='min_edge_1e-4'),
    pytest.param(lambda: [np.nan, np.inf, -np.inf, 1.5], 'float32', None, {},
                 'tensor([   nan,    inf,   -inf, 1.5000])', id='nan_inf_mixed'),
    pytest.param(lambda: [np.nan, np.inf, 1., -2.], 'float32', None, {},
                 'tensor([nan, inf,  1., -2.])', id='nan_inf_int'),
    pytest.param(lambda: [np.nan, -np.inf, 1e-6, 1.], 'float32', None, {},
                 'tensor([       nan,       -inf, 1.0000e-06, 1.0000e+00])', id='nan_inf_sci'),
    pytest.param(lambda: [np.nan, np.nan], 'float32', None, {},
                 'tensor([nan, nan])', id='nan_only'),
    pytest.param(lambda: np.zeros(3), 'float32', None, {},
                 'tensor([0., 0., 0.])', id='zeros'),
    pytest.param(lambda: [-0.0, 0.0, 1.0], 'float32', None, {},
                 'tensor([-0., 0., 1.])', id='neg_zero_int'),
    pytest.param(lambda: [-0.0, 1.5], 'float32', None, {},
                 'tensor([-0.0000, 1.5000])', id='neg_zero_frac'),
    pytest.param(lambda: [-0.0, 0.0], 'float32', None, {},
                 'tensor([-0., 0.])', id='neg_zero_only'),
    pytest.param(lambda: np.linspace(-100, 100, 30), 'float32', None, {},
                 (
                     'tensor([-100.0000,  -93.1034,  -86.2069,  -79.3103,  -72.4138,  -65.5172,\n'
                     '         -58.6207,  -51.7241,  -44.8276,  -37.9310,  -31.0345,  -24.1379,\n'
                     '         -17.2414,  -10.3448,   -3.4483,    3.4483,   10.3448,   17.2414,\n'
                     '          24.1379,   31.0345,   37.9310,   44.8276,   51.7241,   58.6207,\n'
                     '          65.5172,   72.4138,   79.3103,   86.2069,   93.1034,  100.0000])'
                 ), id='float_wrap'),
    pytest.param(lambda: np.linspace(0, 1, 20) ** 9, 'float32', None, {},
                 (
                     'tensor([0.0000e+00, 3.0990e-12, 1.5867e-09, 6.0997e-08, 8.1238e-07, 6.0527e-06,\n'
                     '        3.1230e-05, 1.2505e-04, 4.1594e-04, 1.2006e-03, 3.0990e-03, 7.3072e-03,\n'
                     '        1.5990e-02, 3.2863e-02, 6.4028e-02, 1.1913e-01, 2.1296e-01, 3.6750e-01,\n'
                     '        6.1471e-01, 1.0000e+00])'
                 ), id='float_wrap_sci'),
    pytest.param(lambda: [[1.5, 2.], [3., 4.]], 'float32', None, {},
                 (
                     'tensor([[1.5000, 2.0000],\n'
                     '        [3.0000, 4.0000]])'
                 ), id='float_2d'),
    pytest.param(lambda: np.linspace(-1, 1, 40).reshape(2, 20), 'float32', None, {},
                 (
                     'tensor([[-1.0000, -0.9487, -0.8974, -0.8462, -0.7949, -0.7436, -0.6923, -0.6410,\n'
                     '         -0.5897, -0.5385, -0.4872, -0.4359, -0.3846, -0.3333, -0.2821, -0.2308,\n'
                     '         -0.1795, -0.1282, -0.0769, -0.0256],\n'
                     '        [ 0.0256,  0.0769,  0.1282,  0.1795,  0.2308,  0.2821,  0.3333,  0.3846,\n'
                     '          0.4359,  0.4872,  0.5385,  0.5897,  0.6410,  0.6923,  0.7436,  0.7949,\n'
                     '          0.8462,  0.8974,  0.9487,  1.0000]])'
                 ), id='float_2d_wrap'),
    pytest.param(lambda: np.arange(24).reshape(2, 3, 4) / 4, 'float32', None, {},
                 (
                     'tensor([[[0.0000, 0.2500, 0.5000, 0.7500],\n'
                     '         [1.0000, 1.2500, 1.5000, 1.7500],\n'
                     '         [2.0000, 2.2500, 2.5000, 2.7500]],\n'
                     '\n'
                     '        [[3.0000, 3.2500, 3.5000, 3.7500],\n'
                     '         [4.0000, 4.2500, 4.5000, 4.7500],\n'
                     '         [5.0000, 5.2500, 5.5000, 5.7500]]])'
                 ), id='float_3d'),
    pytest.param(lambda: np.arange(36).reshape(2, 3, 2, 3), 'int64', None, {},
                 (
                     'tensor([[[[ 0,  1,  2],\n'
                     '          [ 3,  4,  5]],\n'
                     '\n'
                     '         [[ 6,  7,  8],\n'
                     '          [ 9, 10, 11]],\n'
                     '\n'
                     '         [[12, 13, 14],\n'
                     '          [15, 16, 17]]],\n'
                     '\n'
                     '\n'
                     '        [[[18, 19, 20],\n'
                     '          [21, 22, 23]],\n'
                     '\n'
                     '         [[24, 25, 26],\n'
                     '          [27, 28, 29]],\n'
                     '\n'
                     '         [[30, 31, 32],\n'
                     '          [33, 34, 35]]]])'
                 ), id='int_4d'),
    pytest.param(lambda: np.arange(16).reshape(2, 2, 2, 2) * 1e5, 'float32', None, {},
                 (
                     'tensor([[[[      0.,  100000.],\n'
                     '          [ 200000.,  300000.]],\n'
                     '\n'
                     '         [[ 400000.,  500000.],\n'
                     '          [ 600000.,  700000.]]],\n'
                     '\n'
                     '\n'
                     '        [[[ 800000.,  900000.],\n'
                     '          [1000000., 1100000.]],\n'
                     '\n'
                     '         [[1200000., 1300000.],\n'
                     '          [1400000., 1500000.]]]])'
                 ), id='float_4d_intmode'),
    pytest.param(lambda: np.arange(2000), 'int64', None, {},
                 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])', id='sum_arange_2000'),
    pytest.param(lambda: np.append(np.arange(1000) / 3, np.nan), 'float32', None, {},
                 'tensor([  0.0000,   0.3333,   0.6667,  ..., 332.6667, 333.0000,      nan])', id='sum_float_1001_nan'),
    pytest.param(lambda: np.arange(10000).reshape(100, 100) / 7, 'float32', None, {},
                 (
                     'tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 1.3857e+01, 1.4000e+01,\n'
                     '         1.4143e+01],\n'
                     '        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.8143e+01, 2.8286e+01,\n'
                     '         2.8429e+01],\n'
                     '        [2.8571e+01, 2.8714e+01, 2.8857e+01,  ..., 4.2429e+01, 4.2571e+01,\n'
                     '         4.2714e+01],\n'
                     '        ...,\n'
                     '        [1.3857e+03, 1.3859e+03, 1.3860e+03,  ..., 1.3996e+03, 1.3997e+03,\n'
                     '         1.3999e+03],\n'
                     '        [1.4000e+03, 1.4001e+03, 1.4003e+03,  ..., 1.4139e+03, 1.4140e+03,\n'
                     '         1.4141e+03],\n'
                     '        [1.4143e+03, 1.4144e+03, 1.4146e+03,  ..., 1.4281e+03, 1.4283e+03,\n'
                     '         1.4284e+03]])'
                 ), id='sum_100x100'),
    pytest.param(lambda: np.arange(8000).reshape(20, 20, 20), 'float32', None, {},
                 (
                     'tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.7000e+01,\n'
                     '          1.8000e+01, 1.9000e+01],\n'
                     '         [2.0000e+01, 2.1000e+01, 2.2000e+01,  ..., 3.7000e+01,\n'
                     '          3.8000e+01, 3.9000e+01],\n'
                     '         [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 5.7000e+01,\n'
                     '          5.8000e+01, 5.9000e+01],\n'
                     '         ...,\n'
                     '         [3.4000e+02, 3.4100e+02, 3.4200e+02,  ..., 3.5700e+02,\n'
                     '          3.5800e+02, 3.5900e+02],\n'
                     '         [3.6000e+02, 3.6100e+02, 3.6200e+02,  ..., 3.7700e+02,\n'
                     '          3.7800e+02, 3.7900e+02],\n'
                     '         [3.8000e+02, 3.8100e+02, 3.8200e+02,  ..., 3.9700e+02,\n'
                     '          3.9800e+02, 3.9900e+02]],\n'
                     '\n'
                     '        [[4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 4.1700e+02,\n'
                     '          4.1800e+02, 4.1900e+02],\n'
                     '         [4.2000e+02, 4.2100e+02, 4.2200e+02,  ..., 4.3700e+02,\n'
                     '          4.3800e+02, 4.3900e+02],\n'
                     '         [4.4000e+02, 4.4100e+02, 4.4200e+02,  ..., 4.5700e+02,\n'
                     '          4.5800e+02, 4.5900e+02],\n'
                     '         ...,\n'
                     '         [7.4000e+02, 7.4100e+02, 7.4200e+02,  ..., 7.5700e+02,\n'
                     '          7.5800e+02, 7.5900e+02],\n'
                     '         [7.6000e+02, 7.6100e+02, 7.6200e+02,  ..., 7.7700e+02,\n'
                     '          7.7800e+02, 7.7900e+02],\n'
                     '         [7.8000e+02, 7.8100e+02, 7.8200e+02,  ..., 7.9700e+02,\n'
                     '          7.9800e+02, 7.9900e+02]],\n'
                     '\n'
                     '        [[8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 8.1700e+02,\n'
                     '          8.1800e+02, 8.1900e+02],\n'
                     '         [8.2000e+02, 8.2100e+02, 8.2200e+02,  ..., 8.3700e+02,\n'
                     '          8.3800e+02, 8.3900e+02],\n'
                     '         [8.4000e+02, 8.4100e+02, 8.4200e+02,  ..., 8.5700e+02,\n'
                     '          8.5800e+02, 8.5900e+02],\n'
                     '         ...,\n'
                     '         [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1570e+03,\n'
                     '          1.1580e+03, 1.1590e+03],\n'
                     '         [1.1600e+03, 1.1610e+03, 1.1620e+03,  ..., 1.1770e+03,\n'
                     '          1.1780e+03, 1.1790e+03],\n'
                     '         [1.1800e+03, 1.1810e+03, 1.1820e+03,  ..., 1.1970e+03,\n'
                     '          1.1980e+03, 1.1990e+03]],\n'
                     '\n'
                     '        ...,\n'
                     '\n'
                     '        [[6.8000e+03, 6.8010e+03, 6.8020e+03,  ..., 6.8170e+03,\n'
                     '          6.8180e+03, 6.8190e+03],\n'
                     '         [6.8200e+03, 6.8210e+03, 6.8220e+03,  ..., 6.8370e+03,\n'
                     '          6.8380e+03, 6.8390e+03],\n'
                     '         [6.8400e+03, 6.8410e+03, 6.8420e+03,  ..., 6.8570e+03,\n'
                     '          6.8580e+03, 6.8590e+03],\n'
                     '         ...,\n'
                     '         [7.1400e+03, 7.1410e+03, 7.1420e+03,  ..., 7.1570e+03,\n'
                     '          7.1580e+03, 7.1590e+03],\n'
                     '         [7.1600e+03, 7.1610e+03, 7.1620e+03,  ..., 7.1770e+03,\n'
                     '          7.1780e+03, 7.1790e+03],\n'
                     '         [7.1800e+03, 7.1810e+03, 7.1820e+03,  ..., 7.1970e+03,\n'
                     '          7.1980e+03, 7.1990e+03]],\n'
                     '\n'
                     '        [[7.2000e+03, 7.2010e+03, 7.2020e+03,  ..., 7.2170e+03,\n'
                     '          7.2180e+03, 7.2190e+03],\n'
                     '         [7.2200e+03, 7.2210e+03, 7.2220e+03,  ..., 7.2370e+03,\n'
                     '          7.2380e+03, 7.2390e+03],\n'
                     '         [7.2400e+03, 7.2410e+03, 7.2420e+03,  ..., 7.2570e+03,\n'
                     '          7.2580e+03, 7.2590e+03],\n'
                     '         ...,\n'
                     '         [7.5400e+03, 7.5410e+03, 7.5420e+03,  ..., 7.5570e+03,\n'
                     '          7.5580e+03, 7.5590e+03],\n'
                     '         [7.5600e+03, 7.5610e+03, 7.5620e+03,  ..., 7.5770e+03,\n'
                     '          7.5780e+03, 7.5790e+03],\n'
                     '         [7.5800e+03, 7.5810e+03, 7.5820e+03,  ..., 7.5970e+03,\n'
                     '          7.5980e+03, 7.5990e+03]],\n'
                     '\n'
                     '        [[7.6000e+03, 7.6010e+03, 7.6020e+03,  ..., 7.6170e+03,\n'
                     '          7.6180e+03, 7.6190e+03],\n'
                     '         [7.6200e+03, 7.6210e+03, 7.6220e+03,  ..., 7.6370e+03,\n'
                     '          7.6380e+03, 7.6390e+03],\n'
                     '         [7.6400e+03, 7.6410e+03, 7.6420e+03,  ..., 7.6570e+03,\n'
                     '          7.6580e+03, 7.6590e+03],\n'
                     '         ...,\n'
                     '         [7.9400e+03, 7.9410e+03, 7.9420e+03,  ..., 7.9570e+03,\n'
                     '          7.9580e+03, 7.9590e+03],\n'
                     '         [7.9600e+03, 7.9610e+03, 7.9620e+03,  ..., 7.9770e+03,\n'
                     '          7.9780e+03, 7.9790e+03],\n'
                     '         [7.9800e+03, 7.9810e+03, 7.9820e+03,  ..., 7.9970e+03,\n'
                     '          7.9980e+03, 7.9990e+03]]])'
                 ), id='sum_20x20x20'),
    pytest.param(lambda: np.arange(2000).reshape(2, 1000) * 1.5, 'float64', None, {},
                 (
                     'tensor([[0.0000e+00, 1.5000e+00, 3.0000e+00,  ..., 1.4955e+03, 1.4970e+03,\n'
                     '         1.4985e+03],\n'
                     '        [1.5000e+03, 1.5015e+03, 1.5030e+03,  ..., 2.9955e+03, 2.9970e+03,\n'
                     '         2.9985e+03]], dtype=torch.float64)'
                 ), id='sum_2x1000'),
    pytest.param(lambda: np.logspace(-6, 6, 2000), 'float32', None, {},
                 (
                     'tensor([1.0000e-06, 1.0139e-06, 1.0280e-06,  ..., 9.7273e+05, 9.8627e+05,\n'
                     '        1.0000e+06])'
                 ), id='sum_logspace'),
    pytest.param(lambda: np.concatenate([[1., 2., 3.], np.full(1000, 1e6), [4., 5., 6.]]), 'float32', None, {},
                 'tensor([1., 2., 3.,  ..., 4., 5., 6.])', id='sum_width_from_shown'),
    pytest.param(lambda: np.arange(1200) % 3 == 0, 'bool', None, {},
                 'tensor([ True, False, False,  ...,  True, False, False])', id='sum_bool'),
    pytest.param(lambda: np.arange(10 ** 6), 'int64', None, {},
                 'tensor([     0,      1,      2,  ..., 999997, 999998, 999999])', id='sum_arange_1e6'),
    pytest.param(lambda: np.arange(10 ** 6).reshape(100, 100, 100) / 8, 'float32', None, {},
                 (
                     'tensor([[[0.0000e+00, 1.2500e-01, 2.5000e-01,  ..., 1.2125e+01,\n'
                     '          1.2250e+01, 1.2375e+01],\n'
                     '         [1.2500e+01, 1.2625e+01, 1.2750e+01,  ..., 2.4625e+01,\n'
                     '          2.4750e+01, 2.4875e+01],\n'
                     '         [2.5000e+01, 2.5125e+01, 2.5250e+01,  ..., 3.7125e+01,\n'
                     '          3.7250e+01, 3.7375e+01],\n'
                     '         ...,\n'
                     '         [1.2125e+03, 1.2126e+03, 1.2128e+03,  ..., 1.2246e+03,\n'
                     '          1.2248e+03, 1.2249e+03],\n'
                     '         [1.2250e+03, 1.2251e+03, 1.2252e+03,  ..., 1.2371e+03,\n'
                     '          1.2372e+03, 1.2374e+03],\n'
                     '         [1.2375e+03, 1.2376e+03, 1.2378e+03,  ..., 1.2496e+03,\n'
                     '          1.2498e+03, 1.2499e+03]],\n'
                     '\n'
                     '        [[1.2500e+03, 1.2501e+03, 1.2502e+03,  ..., 1.2621e+03,\n'
                     '          1.2622e+03, 1.2624e+03],\n'
                     '         [1.2625e+03, 1.2626e+03, 1.2628e+03,  ..., 1.2746e+03,\n'
                     '          1.2748e+03, 1.2749e+03],\n'
                     '         [1.2750e+03, 1.2751e+03, 1.2752e+03,  ..., 1.2871e+03,\n'
                     '          1.2872e+03, 1.2874e+03],\n'
                     '         ...,\n'
                     '         [2.4625e+03, 2.4626e+03, 2.4628e+03,  ..., 2.4746e+03,\n'
                     '          2.4748e+03, 2.4749e+03],\n'
                     '         [2.4750e+03, 2.4751e+03, 2.4752e+03,  ..., 2.4871e+03,\n'
                     '          2.4872e+03, 2.4874e+03],\n'
                     '         [2.4875e+03, 2.4876e+03, 2.4878e+03,  ..., 2.4996e+03,\n'
                     '          2.4998e+03, 2.4999e+03]],\n'
                     '\n'
                     '        [[2.5000e+03, 2.5001e+03, 2.5002e+03,  ..., 2.5121e+03,\n'
                     '          2.5122e+03, 2.5124e+03],\n'
                     '         [2.5125e+03, 2.5126e+03, 2.5128e+03,  ..., 2.5246e+03,\n'
                     '          2.5248e+03, 2.5249e+03],\n'
                     '         [2.5250e+03, 2.5251e+03, 2.5252e+03,  ..., 2.5371e+03,\n'
                     '          2.5372e+03, 2.5374e+03],\n'
                     '         ...,\n'
                     '         [3.7125e+03, 3.7126e+03, 3.7128e+03,  ..., 3.7246e+03,\n'
                     '          3.7248e+03, 3.7249e+03],\n'
                     '         [3.7250e+03, 3.7251e+03, 3.7252e+03,  ..., 3.7371e+03,\n'
                     '          3.7372e+03, 3.7374e+03],\n'
                     '         [3.7375e+03, 3.7376e+03, 3.7378e+03,  ..., 3.7496e+03,\n'
                     '          3.7498e+03, 3.7499e+03]],\n'
                     '\n'
                     '        ...,\n'
                     '\n'
                     '        [[1.2125e+05, 1.2125e+05, 1.2125e+05,  ..., 1.2126e+05,\n'
                     '          1.2126e+05, 1.2126e+05],\n'
                     '         [1.2126e+05, 1.2126e+05, 1.2126e+05,  ..., 1.2127e+05,\n'
                     '          1.2127e+05, 1.2127e+05],\n'
                     '         [1.2128e+05, 1.2128e+05, 1.2128e+05,  ..., 1.2129e+05,\n'
                     '          1.2129e+05, 1.2129e+05],\n'
                     '         ...,\n'
                     '         [1.2246e+05, 1.2246e+05, 1.2246e+05,  ..., 1.2247e+05,\n'
                     '          1.2247e+05, 1.2247e+05],\n'
                     '         [1.2248e+05, 1.2248e+05, 1.2248e+05,  ..., 1.2249e+05,\n'
                     '          1.2249e+05, 1.2249e+05],\n'
                     '         [1.2249e+05, 1.2249e+05, 1.2249e+05,  ..., 1.2250e+05,\n'
                     '          1.2250e+05, 1.2250e+05]],\n'
                     '\n'
                     '        [[1.2250e+05, 1.2250e+05, 1.2250e+05,  ..., 1.2251e+05,\n'
                     '          1.2251e+05, 1.2251e+05],\n'
                     '         [1.2251e+05, 1.2251e+05, 1.2251e+05,  ..., 1.2252e+05,\n'
                     '          1.2252e+05, 1.2252e+05],\n'
                     '         [1.2252e+05, 1.2253e+05, 1.2253e+05,  ..., 1.2254e+05,\n'
                     '          1.2254e+05, 1.2254e+05],\n'
                     '         ...,\n'
                     '         [1.2371e+05, 1.2371e+05, 1.2371e+05,  ..., 1.2372e+05,\n'
                     '          1.2372e+05, 1.2372e+05],\n'
                     '         [1.2372e+05, 1.2373e+05, 1.2373e+05,  ..., 1.2374e+05,\n'
                     '          1.2374e+05, 1.2374e+05],\n'
                     '         [1.2374e+05, 1.2374e+05, 1.2374e+05,  ..., 1.2375e+05,\n'
                     '          1.2375e+05, 1.2375e+05]],\n'
                     '\n'
                     '        [[1.2375e+05, 1.2375e+05, 1.2375e+05,  ..., 1.2376e+05,\n'
                     '          1.2376e+05, 1.2376e+05],\n'
                     '         [1.2376e+05, 1.2376e+05, 1.2376e+05,  ..., 1.2377e+05,\n'
                     '          1.2377e+05, 1.2377e+05],\n'
                     '         [1.2378e+05, 1.2378e+05, 1.2378e+05,  ..., 1.2379e+05,\n'
                     '          1.2379e+05, 1.2379e+05],\n'
                     '         ...,\n'
                     '         [1.2496e+05, 1.2496e+05, 1.2496e+05,  ..., 1.2497e+05,\n'
                     '          1.2497e+05, 1.2497e+05],\n'
                     '         [1.2498e+05, 1.2498e+05, 1.2498e+05,  ..., 1.2499e+05,\n'
                     '          1.2499e+05, 1.2499e+05],\n'
                     '         [1.2499e+05, 1.2499e+05, 1.2499e+05,  ..., 1.2500e+05,\n'
                     '          1.2500e+05, 1.2500e+05]]])'
                 ), id='sum_cube_100'),
    pytest.param(lambda: np.arange(2 * 8 * 8 * 10).reshape(2, 8, 8, 10), 'int32', None, {},
                 (
                     'tensor([[[[   0,    1,    2,  ...,    7,    8,    9],\n'
                     '          [  10,   11,   12,  ...,   17,   18,   19],\n'
                     '          [  20,   21,   22,  ...,   27,   28,   29],\n'
                     '          ...,\n'
                     '          [  50,   51,   52,  ...,   57,   58,   59],\n'
                     '          [  60,   61,   62,  ...,   67,   68,   69],\n'
                     '          [  70,   71,   72,  ...,   77,   78,   79]],\n'
                     '\n'
                     '         [[  80,   81,   82,  ...,   87,   88,   89],\n'
                     '          [  90,   91,   92,  ...,   97,   98,   99],\n'
                     '          [ 100,  101,  102,  ...,  107,  108,  109],\n'
                     '          ...,\n'
                     '          [ 130,  131,  132,  ...,  137,  138,  139],\n'
                     '          [ 140,  141,  142,  ...,  147,  148,  149],\n'
                     '          [ 150,  151,  152,  ...,  157,  158,  159]],\n'
                     '\n'
                     '         [[ 160,  161,  162,  ...,  167,  168,  169],\n'
                     '          [ 170,  171,  172,  ...,  177,  178,  179],\n'
                     '          [ 180,  181,  182,  ...,  187,  188,  189],\n'
                     '          ...,\n'
                     '          [ 210,  211,  212,  ...,  217,  218,  219],\n'
                     '          [ 220,  221,  222,  ...,  227,  228,  229],\n'
                     '          [ 230,  231,  232,  ...,  237,  238,  239]],\n'
                     '\n'
                     '         ...,\n'
                     '\n'
                     '         [[ 400,  401,  402,  ...,  407,  408,  409],\n'
                     '          [ 410,  411,  412,  ...,  417,  418,  419],\n'
                     '          [ 420,  421,  422,  ...,  427,  428,  429],\n'
                     '          ...,\n'
                     '          [ 450,  451,  452,  ...,  457,  458,  459],\n'
                     '          [ 460,  461,  462,  ...,  467,  468,  469],\n'
                     '          [ 470,  471,  472,  ...,  477,  478,  479]],\n'
                     '\n'
                     '         [[ 480,  481,  482,  ...,  487,  488,  489],\n'
                     '          [ 490,  491,  492,  ...,  497,  498,  499],\n'
                     '          [ 500,  501,  502,  ...,  507,  508,  509],\n'
                     '          ...,\n'
                     '          [ 530,  531,  532,  ...,  537,  538,  539],\n'
                     '          [ 540,  541,  542,  ...,  547,  548,  549],\n'
                     '          [ 550,  551,  552,  ...,  557,  558,  559]],\n'
                     '\n'
                     '         [[ 560,  561,  562,  ...,  567,  568,  569],\n'
                     '          [ 570,  571,  572,  ...,  577,  578,  579],\n'
                     '          [ 580,  581,  582,  ...,  587,  588,  589],\n'
                     '          ...,\n'
                     '          [ 610,  611,  612,  ...,  617,  618,  619],\n'
                     '          [ 620,  621,  622,  ...,  627,  628,  629],\n'
                     '          [ 630,  631,  632,  ...,  637,  638,  639]]],\n'
                     '\n'
                     '\n'
                     '        [[[ 640,  641,  642,  ...,  647,  648,  649],\n'
                     '          [ 650,  651,  652,  ...,  657,  658,  659],\n'
                     '          [ 660,  661,  662,  ...,  667,  668,  669],\n'
                     '          ...,\n'
                     '          [ 690,  691,  692,  ...,  697,  698,  699],\n'
                     '          [ 700,  701,  702,  ...,  707,  708,  709],\n'
                     '          [ 710,  711,  712,  ...,  717,  718,  719]],\n'
                     '\n'
                     '         [[ 720,  721,  722,  ...,  727,  728,  729],\n'
                     '          [ 730,  731,  732,  ...,  737,  738,  739],\n'
                     '          [ 740,  741,  742,  ...,  747,  748,  749],\n'
                     '          ...,\n'
                     '          [ 770,  771,  772,  ...,  777,  778,  779],\n'
                     '          [ 780,  781,  782,  ...,  787,  788,  789],\n'
                     '          [ 790,  791,  792,  ...,  797,  798,  799]],\n'
                     '\n'
                     '         [[ 800,  801,  802,  ...,  807,  808,  809],\n'
                     '          [ 810,  811,  812,  ...,  817,  818,  819],\n'
                     '          [ 820,  821,  822,  ...,  827,  828,  829],\n'
                     '          ...,\n'
                     '          [ 850,  851,  852,  ...,  857,  858,  859],\n'
                     '          [ 860,  861,  862,  ...,  867,  868,  869],\n'
                     '          [ 870,  871,  872,  ...,  877,  878,  879]],\n'
                     '\n'
                     '         ...,\n'
                     '\n'
                     '         [[1040, 1041, 1042,  ..., 1047, 1048, 1049],\n'
                     '          [1050, 1051, 1052,  ..., 1057, 1058, 1059],\n'
                     '          [1060, 1061, 1062,  ..., 1067, 1068, 1069],\n'
                     '          ...,\n'
                     '          [1090, 1091, 1092,  ..., 1097, 1098, 1099],\n'
                     '          [1100, 1101, 1102,  ..., 1107, 1108, 1109],\n'
                     '          [1110, 1111, 1112,  ..., 1117, 1118, 1119]],\n'
                     '\n'
                     '         [[1120, 1121, 1122,  ..., 1127, 1128, 1129],\n'
                     '          [1130, 1131, 1132,  ..., 1137, 1138, 1139],\n'
                     '          [1140, 1141, 1142,  ..., 1147, 1148, 1149],\n'
                     '          ...,\n'
                     '          [1170, 1171, 1172,  ..., 1177, 1178, 1179],\n'
                     '          [1180, 1181, 1182,  ..., 1187, 1188, 1189],\n'
                     '          [1190, 1191, 1192,  ..., 1197, 1198, 1199]],\n'
                     '\n'
                     '         [[1200, 1201, 1202,  ..., 1207, 1208, 1209],\n'
                     '          [1210, 1211, 1212,  ..., 1217, 1218, 1219],\n'
                     '          [1220, 1221, 1222,  ..., 1227, 1228, 1229],\n'
                     '          ...,\n'
                     '          [1250, 1251, 1252,  ..., 1257, 1258, 1259],\n'
                     '          [1260, 1261, 1262,  ..., 1267, 1268, 1269],\n'
                     '          [1270, 1271, 1272,  ..., 1277, 1278, 1279]]]], dtype=torch.int32)'
                 ), id='sum_4d'),
    pytest.param(lambda: np.zeros((0,)), 'float32', None, {},
                 'tensor([])', id='empty_f32'),
    pytest.param(lambda: np.zeros((0,)), 'int64', None, {},
                 'tensor([], dtype=torch.int64)', id='empty_i64'),
    pytest.param(lambda: np.zeros((0,)), 'bool', None, {},
                 'tensor([], dtype=torch.bool)', id='empty_bool'),
    pytest.param(lambda: np.zeros((0,)), 'float64', None, {},
                 'tensor([], dtype=torch.float64)', id='empty_f64'),
    pytest.param(lambda: np.zeros((0, 3)), 'float32', None, {},
                 'tensor([], size=(0, 3))', id='empty_0x3'),
    pytest.param(lambda: np.zeros((2, 0, 4)), 'int32', None, {},
                 'tensor([], size=(2, 0, 4), dtype=torch.int32)', id='empty_2x0x4_i32'),
    pytest.param(lambda: np.zeros((0, 2)), 'float16', None, {'grad': 'req'},
                 'tensor([], size=(0, 2), dtype=torch.float16, requires_grad=True)', id='empty_req_grad'),
    pytest.param(lambda: [1.5, 2.5], 'float64', None, {},
                 'tensor([1.5000, 2.5000], dtype=torch.float64)', id='float64'),
    pytest.param(lambda: 1.5, 'float64', None, {},
                 'tensor(1.5000, dtype=torch.float64)', id='float64_scalar'),
    pytest.param(lambda: [1.5, 0.1, 1000.], 'float16', None, {},
                 'tensor([1.5000e+00, 9.9976e-02, 1.0000e+03], dtype=torch.float16)', id='float16'),
    pytest.param(lambda: 0.1, 'float16', None, {},
                 'tensor(0.1000, dtype=torch.float16)', id='float16_scalar'),
    pytest.param(lambda: [1.5, 0.1, 3.], 'bfloat16', None, {},
                 'tensor([1.5000, 0.1001, 3.0000], dtype=torch.bfloat16)', id='bfloat16'),
    pytest.param(lambda: [1e-5, 300.], 'bfloat16', None, {},
                 'tensor([1.0014e-05, 3.0000e+02], dtype=torch.bfloat16)', id='bfloat16_sci'),
    pytest.param(lambda: np.linspace(0, 1, 8) * 100, 'float64', None, {},
                 (
                     'tensor([  0.0000,  14.2857,  28.5714,  42.8571,  57.1429,  71.4286,  85.7143,\n'
                     '        100.0000], dtype=torch.float64)'
                 ), id='float64_long_suffix_wrap'),
    pytest.param(lambda: [1 + 2j, 3 - 4j], 'complex64', None, {},
                 'tensor([1.+2.j, 3.-4.j])', id='complex64'),
    pytest.param(lambda: [1.5 - 0.25j, -2 + 0j], 'complex128', None, {},
                 'tensor([ 1.5000-0.2500j, -2.0000+0.0000j], dtype=torch.complex128)', id='complex128_frac'),
    pytest.param(lambda: [1., 2.], 'float32', None, {'device': 'cuda:0'},
                 "tensor([1., 2.], device='cuda:0')", id='cuda_float'),
    pytest.param(lambda: [1, 2], 'int32', None, {'device': 'cuda:0'},
                 "tensor([1, 2], device='cuda:0', dtype=torch.int32)", id='cuda_int32'),
    pytest.param(lambda: np.linspace(0, 1, 9) * 100, 'float64', None, {'device': 'cuda:0', 'grad': 'req'},
                 (
                     'tensor([  0.0000,  12.5000,  25.0000,  37.5000,  50.0000,  62.5000,  75.0000,\n'
                     "         87.5000, 100.0000], device='cuda:0', dtype=torch.float64,\n"
                     '       requires_grad=True)'
                 ), id='cuda_wrap'),
    pytest.param(lambda: [1., 2.], 'float32', None, {'grad': 'req'},
                 'tensor([1., 2.], requires_grad=True)', id='requires_grad'),
    pytest.param(lambda: [1.5, 2.], 'float32', None, {'grad': 'AddBackward0'},
                 'tensor([1.5000, 2.0000], grad_fn=<AddBackward0>)', id='grad_fn_add'),
    pytest.param(lambda: 2.5, 'float64', None, {'grad': 'MulBackward0'},
                 'tensor(2.5000, dtype=torch.float64, grad_fn=<MulBackward0>)', id='grad_fn_scalar'),
    pytest.param(lambda: np.linspace(0, 1, 9) * 100, 'float32', None, {'grad': 'AddBackward0'},
                 (
                     'tensor([  0.0000,  12.5000,  25.0000,  37.5000,  50.0000,  62.5000,  75.0000,\n'
                     '         87.5000, 100.0000], grad_fn=<AddBackward0>)'
                 ), id='grad_fn_wrap'),
    pytest.param(lambda: np.arange(6).reshape(2, 3) / 2, 'float32', None, {'grad': 'MulBackward0'},
                 (
                     'tensor([[0.0000, 0.5000, 1.0000],\n'
                     '        [1.5000, 2.0000, 2.5000]], grad_fn=<MulBackward0>)'
                 ), id='grad_fn_2d'),
    pytest.param(lambda: [1.12345, 2.5], 'float32', {'precision': 2}, {},
                 'tensor([1.12, 2.50])', id='opt_precision2'),
    pytest.param(lambda: [1e-5, 1.23456789], 'float64', {'precision': 6}, {},
                 'tensor([1.000000e-05, 1.234568e+00], dtype=torch.float64)', id='opt_precision6_sci'),
    pytest.param(lambda: [1e-5, 1.0], 'float32', {'sci_mode': False}, {},
                 'tensor([0.0000, 1.0000])', id='opt_sci_false'),
    pytest.param(lambda: [1.5, 2.0], 'float32', {'sci_mode': True}, {},
                 'tensor([1.5000e+00, 2.0000e+00])', id='opt_sci_true'),
    pytest.param(lambda: [1, 2], 'int64', {'sci_mode': True}, {},
                 'tensor([1, 2])', id='opt_sci_true_int'),
    pytest.param(lambda: np.arange(10), 'int64', {'threshold': 5}, {},
                 'tensor([0, 1, 2,  ..., 7, 8, 9])', id='opt_threshold5'),
    pytest.param(lambda: 3.5, 'float32', {'threshold': 0}, {},
                 'tensor(3.5000)', id='opt_threshold0_scalar'),
    pytest.param(lambda: np.arange(30).reshape(5, 6), 'int64', {'threshold': 5, 'edgeitems': 1}, {},
                 (
                     'tensor([[ 0,  ...,  5],\n'
                     '        ...,\n'
                     '        [24,  ..., 29]])'
                 ), id='opt_edgeitems1'),
    pytest.param(lambda: np.arange(10), 'int64', {'threshold': 5, 'edgeitems': 0}, {},
                 'tensor([...], size=(10,))', id='opt_edgeitems0_sum'),
    pytest.param(lambda: np.arange(10).reshape(2, 5) / 3, 'float32', {'threshold': 5, 'edgeitems': 0}, {},
                 'tensor([...], size=(2, 5))', id='opt_edgeitems0_2d'),
    pytest.param(lambda: [1, 2, 3], 'int64', {'edgeitems': 0}, {},
                 'tensor([1, 2, 3], size=(3,))', id='opt_edgeitems0_nosum'),
    pytest.param(lambda: np.linspace(-1, 1, 12), 'float32', {'linewidth': 40}, {},
                 (
                     'tensor([-1.0000, -0.8182, -0.6364,\n'
                     '        -0.4545, -0.2727, -0.0909,\n'
                     '         0.0909,  0.2727,  0.4545,\n'
                     '         0.6364,  0.8182,  1.0000])'
                 ), id='opt_linewidth40'),
    pytest.param(lambda: [1.5, 2.5, 3.5], 'float32', {'linewidth': 5}, {'grad': 'req'},
                 (
                     'tensor([1.5000,\n'
                     '        2.5000,\n'
                     '        3.5000],\n'
                     '       requires_grad=True)'
                 ), id='opt_linewidth5'),
    pytest.param(lambda: np.arange(12) / 7, 'float32', {'profile': 'short', 'threshold': 10}, {},
                 'tensor([0.00, 0.14,  ..., 1.43, 1.57])', id='opt_profile_short'),
    pytest.param(lambda: np.arange(1001) % 10, 'int64', {'profile': 'full'}, {},
                 (
                     'tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7,\n'
                     '        8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,\n'
                     '        2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5,\n'
                     '        6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,\n'
                     '        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3,\n'
                     '        4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0])'
                 ), id='opt_profile_full'),
    pytest.param(lambda: [1.5, 2.], 'float64', None, {'default': 'float64'},
                 'tensor([1.5000, 2.0000])', id='default64_f64'),
    pytest.param(lambda: [1.5, 2.], 'float32', None, {'default': 'float64'},
                 'tensor([1.5000, 2.0000], dtype=torch.float32)', id='default64_f32'),
    pytest.param(lambda: np.zeros((0,)), 'float32', None, {'default': 'float64'},
                 'tensor([], dtype=torch.float32)', id='default64_empty_f32'),
    pytest.param(lambda: [1 + 1j], 'complex128', None, {'default': 'float64'},
                 'tensor([1.+1.j])', id='default64_c128'),
]


@pytest.mark.parametrize("values, dtype, opts, extra, expected", CASES)
def test_repr_matches_pytorch(values, dtype, opts, extra, expected, monkeypatch):
    if extra.get("default"):
        monkeypatch.setattr(ts, "_default_dtype", lambda: "torch." + extra["default"])
    if opts:
        ts.set_printoptions(**opts)
    log = []
    t = make_fake(values(), dtype, extra, log)
    assert ts.tensor_repr(t) == expected
    # summarized tensors are only ever converted piece by piece (edge items)
    if t.numel() > ts.get_printoptions()["threshold"]:
        assert max(log, default=0) <= max(1, 2 * ts.get_printoptions()["edgeitems"])


def test_huge_tensor_is_not_converted_whole():
    log = []
    t = make_fake(np.zeros((200, 300, 400), np.float32), "float32", log=log)
    text = repr(t)
    assert text.startswith("tensor([[[0., 0., 0.,  ..., 0., 0., 0.],")
    # one '...' for dim 0, one per shown 2-D block, one per shown row
    assert text.count("...") == 1 + 6 + 6 * 6
    assert max(log) == 3 and sum(log) == 6 * 6 * 6


def test_missing_autograd_attributes_mean_no_suffix():
    t = make_fake([1.5], "float32")
    del t.requires_grad, t.grad_fn
    assert ts.tensor_repr(t) == "tensor([1.5000])"


def test_bool_given_as_ints_prints_true_false():
    t = make_fake([1, 0], "uint8")
    t.dtype = FakeDtype("bool")
    assert ts.tensor_repr(t) == "tensor([ True, False])"


def test_grad_fn_without_name_method_uses_type_name():
    class MulBackward0:
        pass

    t = make_fake([2.0], "float32")
    t.grad_fn = MulBackward0()
    assert ts.tensor_repr(t) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_printoptions_defaults_and_profiles():
    assert ts.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3,
                                         linewidth=80, sci_mode=None)
    ts.set_printoptions(profile="short")
    assert ts.get_printoptions() == dict(precision=2, threshold=1000, edgeitems=2,
                                         linewidth=80, sci_mode=None)
    ts.set_printoptions(profile="full", linewidth=120)
    opts = ts.get_printoptions()
    assert opts["threshold"] == math.inf and opts["linewidth"] == 120
    assert opts["precision"] == 4 and opts["edgeitems"] == 3


def test_set_printoptions_resets_sci_mode_each_call():
    ts.set_printoptions(sci_mode=True, precision=3)
    assert ts.get_printoptions()["sci_mode"] is True
    ts.set_printoptions(precision=5)     # like PyTorch: sci_mode back to None
    assert ts.get_printoptions()["sci_mode"] is None
    assert ts.get_printoptions()["precision"] == 5


def test_printoptions_round_trip_and_context_manager():
    ts.set_printoptions(precision=2, threshold=5, edgeitems=1, linewidth=40,
                        sci_mode=False)
    saved = ts.get_printoptions()
    ts.set_printoptions(profile="default")
    ts.set_printoptions(**saved)
    assert ts.get_printoptions() == saved
    with ts.printoptions(precision=7):
        assert ts.get_printoptions()["precision"] == 7
        assert repr(make_fake([1.5], "float32")) == "tensor([1.5000000])"
    assert ts.get_printoptions() == saved
    ts.set_printoptions(profile="default")
    assert repr(make_fake([1.12345], "float32")) == "tensor([1.1235])"


# ---- the same cases through the real package, once it has tensors ----------

@pytest.fixture
def ctorch():
    mod = pytest.importorskip("ctorch")
    if not hasattr(mod, "tensor"):
        pytest.skip("ctorch has no tensor() yet")
    yield mod
    ts.set_printoptions(profile="default")
    if hasattr(mod, "set_printoptions"):
        mod.set_printoptions(profile="default")
    if hasattr(mod, "set_default_dtype"):
        mod.set_default_dtype(mod.float32)


def _ctorch_tensor(ctorch, values, dtype, extra):
    dt = getattr(ctorch, dtype)
    a = np.array(values)
    grad = extra.get("grad")
    if a.size == 0:
        t = ctorch.zeros(a.shape, dtype=dt)
        if grad:
            t.requires_grad_()
    else:
        t = ctorch.tensor(a.tolist(), dtype=dt, requires_grad=grad is not None)
    if grad == "AddBackward0":
        t = t + 0
    elif grad == "MulBackward0":
        t = t * 1
    return t


CTORCH_CASES = [c for c in CASES if "device" not in c.values[3]]


@pytest.mark.parametrize("values, dtype, opts, extra, expected", CTORCH_CASES)
def test_ctorch_repr_matches_pytorch(ctorch, values, dtype, opts, extra, expected):
    if extra.get("default"):
        if not hasattr(ctorch, "set_default_dtype"):
            pytest.skip("ctorch has no set_default_dtype yet")
        ctorch.set_default_dtype(getattr(ctorch, extra["default"]))
    try:
        t = _ctorch_tensor(ctorch, values(), dtype, extra)
    except (AttributeError, NotImplementedError, TypeError, RuntimeError) as e:
        pytest.skip(f"ctorch cannot build this case yet: {e!r}")
    if opts:
        getattr(ctorch, "set_printoptions", ts.set_printoptions)(**opts)
    assert repr(t) == expected
    assert str(t) == expected


# ---------------------------------------------------------------- torch.return_types: one field per line

@pytest.mark.parametrize("expr,expected", [
    ("torch.max(x, dim=1)", "torch.return_types.max(\nvalues=tensor([5., 3.]),\nindices=tensor([1, 0]))"),
    ("x.min(0)", "torch.return_types.min(\nvalues=tensor([1., 2.]),\nindices=tensor([0, 1]))"),
    ("torch.sort(x)", "torch.return_types.sort(\nvalues=tensor([[1., 5.],\n        [2., 3.]]),\n"
                      "indices=tensor([[0, 1],\n        [1, 0]]))"),
    ("torch.topk(x, 1)", "torch.return_types.topk(\nvalues=tensor([[5.],\n        [3.]]),\n"
                         "indices=tensor([[1],\n        [0]]))"),
    ("torch.kthvalue(x, 1)", "torch.return_types.kthvalue(\nvalues=tensor([1., 2.]),\nindices=tensor([0, 1]))"),
    ("torch.linalg.qr(torch.eye(2))", "torch.return_types.linalg_qr(\nQ=tensor([[1., 0.],\n        [-0., 1.]]),\n"
                                      "R=tensor([[1., 0.],\n        [0., 1.]]))"),
])
def test_return_types_repr(expr, expected):
    from helpers import torch   # (this file's other tests load ctorch._tensor_str alone)
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert repr(eval(expr)) == str(eval(expr)) == expected
