"""ctorch.nn: modules, parameters, functional, init and utils, as torch.nn."""
from .parameter import Buffer, Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
from .parallel import DataParallel  # noqa: F401
