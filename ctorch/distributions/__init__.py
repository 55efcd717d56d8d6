"""ctorch.distributions: the distributions of torch.distributions that the snippet collection uses."""
from .continuous import Normal, Uniform  # noqa: F401
from .discrete import Bernoulli, Categorical  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .gamma import Beta, Dirichlet, Gamma  # noqa: F401
