"""ctorch.backends: switches of the compute backends."""
from . import cudnn  # noqa: F401
