"""Grad-mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each works as a context manager and as a decorator (with or without
parentheses); the mode is thread-local, kept in the C core, as in PyTorch.
"""
import functools

from .. import _C


class _GradMode:
    """Grad mode is `self._mode` inside a `with` block or a decorated function."""

    _mode = True

    def __new__(cls, *args):
        if len(args) == 1 and callable(args[0]):   # @no_grad without parentheses
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self, *args):
        pass

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradMode):
    """Operations inside record no graph: their results do not require grad."""

    _mode = False


class enable_grad(_GradMode):
    """Operations inside record the graph again (inside no_grad, say)."""

    _mode = True


class inference_mode(_GradMode):
    """Like no_grad (ctorch has no separate inference tensors)."""

    def __init__(self, mode=True):
        self._mode = not mode

    def clone(self):
        return self.__class__(not self._mode)


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode) switches at once, and back at the end of a `with` block."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        self._mode = bool(mode)
        _C._set_grad_enabled(self._mode)

    def __enter__(self):
        pass

    def __call__(self, fn):
        _C._set_grad_enabled(self._prev)   # as a decorator it switches only inside fn
        return super().__call__(fn)

    def clone(self):
        return self.__class__(self._mode)


def is_grad_enabled():
    return _C.is_grad_enabled()
