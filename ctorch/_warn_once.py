"""PyTorch's TORCH_WARN_ONCE: a UserWarning given the first time only, for the rest of the process."""
import warnings

_given = set()


def warn_once(message, stacklevel=2):
    """Warn with message unless it was given before; stacklevel counts from the caller, as warnings.warn's."""
    if message not in _given:
        _given.add(message)
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)
