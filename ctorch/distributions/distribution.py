"""Distribution: the base of torch.distributions (batch and event shapes,
sample/rsample, validation of arguments)."""
import numbers

from .. import _C
from .._broadcast import broadcast_tensors
from ..autograd import no_grad

__all__ = ["Distribution", "broadcast_all"]


def broadcast_all(*values):
    """Tensors (numbers made tensors of the default dtype, or of a tensor argument's) broadcast together."""
    tensors = [v for v in values if isinstance(v, _C._TensorBase)]
    if not all(isinstance(v, (_C._TensorBase, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    dtype = tensors[0].dtype if tensors else _C.get_default_dtype()
    made = [v if isinstance(v, _C._TensorBase) else _C.tensor(float(v), dtype=dtype) for v in values]
    return broadcast_tensors(*made)


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = _C.Size(batch_shape), _C.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return _C.Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    def sample_n(self, n):
        return self.sample((n,))

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    def _check(self, ok, what):
        """Raise PyTorch's ValueError when validation is on and a constraint fails."""
        if self._validate_args and not bool(ok.all()):
            raise ValueError(f"Expected {what} to satisfy its constraint for {type(self).__name__}, but found "
                             "invalid values")

    def __repr__(self):
        params = ", ".join(f"{k}: {getattr(self, k).size() if getattr(self, k).numel() > 1 else getattr(self, k)}"
                           for k in self.arg_constraints if k in self.__dict__)
        return f"{type(self).__name__}({params})"

    arg_constraints = {}
