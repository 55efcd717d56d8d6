"""ctorch.vision: torchvision's API on ctorch (`import ctorch.vision as torchvision`).

transforms (PIL images and tensor images), models (torchvision's module
names, so its weight files load), datasets (local files only: nothing is
downloaded) and utils (make_grid, save_image)."""
from . import datasets, models, transforms, utils  # noqa: F401

__version__ = "0.29.1"
