"""ctorch.utils.tensorboard: SummaryWriter writes TensorBoard event files
(TFRecord framing, protobuf Events encoded by ctorch itself)."""
from .writer import FileWriter, SummaryWriter  # noqa: F401

__all__ = ["FileWriter", "SummaryWriter"]
