"""Weight enums (torchvision's names, file names and the legacy pretrained=True)
and loading from the local torch hub cache. Nothing is downloaded: a missing
file is an error that names the file and the folder to put it in."""
import dataclasses
import functools
import os
import warnings
from enum import Enum
from urllib.parse import urlparse

import ctorch as torch
from ctorch import nn

from ..transforms import functional as F
from ..transforms.functional import InterpolationMode


def hub_dir():
    """$TORCH_HOME/hub (default: $XDG_CACHE_HOME/torch/hub, i.e. ~/.cache/torch/hub), as torch.hub.get_dir()"""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return os.path.join(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch"))), "hub")


def checkpoint_path(url):
    """where torchvision's download would have left the file of url"""
    return os.path.join(hub_dir(), "checkpoints", os.path.basename(urlparse(url).path))


def load_state_dict_from_cache(url):
    path = checkpoint_path(url)
    if not os.path.isfile(path):
        folder, name = os.path.split(path)
        raise RuntimeError(f"pretrained weights {name} not found in {folder}: ctorch does not download weights. "
                           f"Fetch {url} and put it in that folder (or point $TORCH_HOME elsewhere).")
    return torch.load(path, map_location="cpu", weights_only=True)


class ImageClassification(nn.Module):
    """The inference preset of the classification weights: resize, centre crop, float in [0, 1], normalize."""

    def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, torch.Tensor):
            img = F.pil_to_tensor(img)
        return F.normalize(F.convert_image_dtype(img, torch.float), mean=self.mean, std=self.std)

    def __repr__(self):
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")


@dataclasses.dataclass
class Weights:
    url: str
    transforms: object
    meta: dict


def weights(file, num_classes=1000, resize_size=256, **meta):
    """the Weights of a torchvision checkpoint file (ImageNet classes unless num_classes is None)"""
    return Weights(url=f"https://download.pytorch.org/models/{file}",
                   transforms=functools.partial(ImageClassification, crop_size=224, resize_size=resize_size),
                   meta={"num_classes": num_classes, **meta})


class WeightsEnum(Enum):
    @classmethod
    def verify(cls, obj):
        """None, a member, or a member's name ("IMAGENET1K_V1" or "ResNet18_Weights.IMAGENET1K_V1")"""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                                f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        return load_state_dict_from_cache(self.url)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def resolve_weights(enum, weights, kwargs, legacy=None, positional=False):
    """The weights member a builder uses: weights= (a member, its name or None), or the legacy
    pretrained=True/False argument (True means `legacy`, default IMAGENET1K_V1; `positional` when it
    was passed by position); num_classes follows it."""
    if "pretrained" in kwargs:
        pretrained = kwargs.pop("pretrained")
        if weights is not None:
            raise ValueError("The parameter 'pretrained' cannot be used together with 'weights'")
        if positional:
            warnings.warn("Using 'weights' as positional parameter(s) is deprecated since 0.13 and may be removed in "
                          "the future. Please use keyword parameter(s) instead.")
        else:
            warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                          "please use 'weights' instead.")
        weights = (legacy or enum.IMAGENET1K_V1) if pretrained else None
        _warn_legacy_weights(enum, weights)
    weights = enum.verify(weights)
    if weights is not None and weights.meta["num_classes"] is not None:
        _ovewrite_named_param(kwargs, "num_classes", weights.meta["num_classes"])
    return weights


def _warn_legacy_weights(enum, weights):
    """torchvision's second warning for pretrained=: the weights= it amounts to."""
    msg = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed "
           f"in the future. The current behavior is equivalent to passing `weights={weights!r}`.")
    if weights is not None:
        msg += f" You can also use `weights={enum.__name__}.DEFAULT` to get the most up-to-date weights."
    warnings.warn(msg)


def load_weights(model, weights):
    """model with the weights' checkpoint loaded (when weights is not None)"""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=True, check_hash=True))
    return model
