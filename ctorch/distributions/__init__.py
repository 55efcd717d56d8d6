"""ctorch.distributions: the distributions of torch.distributions that the snippet collection uses."""
from .continuous import Normal, Uniform  # noqa: F401
from .discrete import Bernoulli, Categorical  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .gamma import Beta, Dirichlet, Gamma  # noqa: F401
# PyTorch's per-distribution submodules (torch.distributions.beta.Beta, as the seed's mixup writes it)
from . import bernoulli, beta, categorical, dirichlet, normal, uniform  # noqa: F401,E402
