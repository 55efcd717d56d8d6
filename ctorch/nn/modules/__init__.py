"""The nn modules, one file per family (each defines __all__)."""
from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
