"""The padding layers: constant, zero, reflection, replication and circular, 1d to 3d."""
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value, n):
        super().__init__()
        self.padding = _ntuple(n)(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(padding, value, 2)


class ConstantPad2d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(padding, value, 4)


class ConstantPad3d(_ConstantPadNd):
    def __init__(self, padding, value):
        super().__init__(padding, value, 6)


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _EdgePadNd(Module):
    """reflect, replicate and circular padding of the last n / 2 dims"""

    __constants__ = ["padding"]
    _mode = None
    _n = 0

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(self._n)(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_EdgePadNd):
    _mode, _n = "reflect", 2


class ReflectionPad2d(_EdgePadNd):
    _mode, _n = "reflect", 4


class ReflectionPad3d(_EdgePadNd):
    _mode, _n = "reflect", 6


class ReplicationPad1d(_EdgePadNd):
    _mode, _n = "replicate", 2


class ReplicationPad2d(_EdgePadNd):
    _mode, _n = "replicate", 4


class ReplicationPad3d(_EdgePadNd):
    _mode, _n = "replicate", 6


class CircularPad1d(_EdgePadNd):
    _mode, _n = "circular", 2


class CircularPad2d(_EdgePadNd):
    _mode, _n = "circular", 4


class CircularPad3d(_EdgePadNd):
    _mode, _n = "circular", 6
