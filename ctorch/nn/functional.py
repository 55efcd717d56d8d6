"""torch.nn.functional: thin Python over the C kernels, one file per family
in nn/_functional/ (each defines __all__)."""
from ._functional.linear import *  # noqa: F401,F403
from ._functional.loss import *  # noqa: F401,F403
from ._functional.norm import *  # noqa: F401,F403
from ._functional.conv import *  # noqa: F401,F403
from ._functional.attention import *  # noqa: F401,F403
