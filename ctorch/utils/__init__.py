"""ctorch.utils: data loading (utils.data), TensorBoard logging (utils.tensorboard,
imported on use), the model summary table (utils.summary) and autograd graph
drawing (utils.viz)."""
from . import data, viz  # noqa: F401
from ._model_summary import summary  # noqa: F401
