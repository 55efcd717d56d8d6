"""ctorch: PyTorch's everyday API on a small C core.

`import ctorch as torch` and PyTorch code runs unchanged: tensors, dtypes and
promotion, operators, reductions, views, NumPy and DLPack interop.
"""
from . import version


def _load_c():
    """Import ctorch._C. An installed ctorch finds libscipy_openblas beside it
    (rpath); an editable build in a source tree loads it from the
    scipy_openblas32 package first."""
    try:
        from . import _C
    except ImportError as e:
        if version.blas != "scipy-openblas32" or "libscipy_openblas" not in str(e):
            raise
        import scipy_openblas32  # noqa: F401  (loads the library RTLD_GLOBAL)
        from . import _C
    return _C


_C = _load_c()
from ._C import (  # noqa: F401  (the namespace of `torch`)
    Size, bool, bfloat16, device, dtype, float16, float32, float64, int8, int16, int32, int64, uint8,
    can_cast, get_default_dtype, get_num_threads, promote_types, result_type, set_num_threads,
)
from .version import __version__  # noqa: F401
from ._tensor import Tensor
from . import _tensor_str
from ._tensor_str import set_printoptions, get_printoptions  # noqa: F401

_C._set_tensor_class(Tensor)

# every op of the C module that is public (math, reductions, views, factories)
for _name in dir(_C):
    if not _name.startswith("_") and _name not in globals():
        globals()[_name] = getattr(_C, _name)

from ._C import _sample_dirichlet, _standard_gamma  # noqa: E402,F401  (used by distributions, as in PyTorch)

# dtype aliases, as in PyTorch
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
from ._C import bool  # noqa: E402,F811,A001  (the dtype; re-bound after the aliases for clarity)

from ._legacy import (  # noqa: E402,F401
    BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor, set_default_dtype, set_default_tensor_type,
)
from ._interop import from_numpy, from_dlpack  # noqa: E402,F401
from ._broadcast import broadcast_shapes, broadcast_tensors  # noqa: E402,F401
from . import cuda, backends, autograd, random, nn, linalg, utils, distributions, optim  # noqa: E402,F401
from .nn._functional.rnn import (  # noqa: E402,F401  (PyTorch's _VF forms of the recurrent layers)
    gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell, rnn_tanh, rnn_tanh_cell,
)
from .nn._functional.attention import pixel_shuffle, pixel_unshuffle  # noqa: E402,F401  (torch.pixel_shuffle)
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: E402,F401
from . import serialization, storage  # noqa: E402,F401
from .serialization import load, save  # noqa: E402,F401
from .storage import TypedStorage, UntypedStorage  # noqa: E402,F401
globals().update({_cls.__name__: _cls for _cls in storage.LEGACY_CLASSES.values()})  # FloatStorage, ...


def is_tensor(obj):
    """True when obj is a ctorch tensor (or a subclass such as Parameter)."""
    return isinstance(obj, _C._TensorBase)


def is_floating_point(input):
    return input.is_floating_point()


del _name


def __getattr__(name):
    """ctorch.multiprocessing, imported on first use (importing it registers the shared-memory
    pickling of tensors for multiprocessing's queues and process arguments)."""
    if name == "multiprocessing":
        import importlib
        return importlib.import_module(f"{__name__}.multiprocessing")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
