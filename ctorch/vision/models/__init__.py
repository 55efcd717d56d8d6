"""torchvision.models: classification models with torchvision's module names (so its
checkpoints load) and weight enums that read the local torch hub cache."""
from ._api import Weights, WeightsEnum  # noqa: F401
from .alexnet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
