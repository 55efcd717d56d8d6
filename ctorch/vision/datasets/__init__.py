"""torchvision.datasets: folders of images, FakeData, and MNIST / FashionMNIST /
CIFAR10 read from their standard files under a local root (nothing downloads)."""
from .cifar import CIFAR10
from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, find_classes, make_dataset
from .mnist import MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["VisionDataset", "StandardTransform", "DatasetFolder", "ImageFolder", "FakeData", "MNIST",
           "FashionMNIST", "CIFAR10", "IMG_EXTENSIONS", "default_loader", "find_classes", "make_dataset"]
