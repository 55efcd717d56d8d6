"""VGG 11/13/16/19, with and without batch norm (torchvision's module names and initialisation)."""
import ctorch as torch
from ctorch import nn

from ._api import WeightsEnum, load_weights, resolve_weights, weights

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
           "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# channels of the 3x3 convolutions, "M" a 2x2 max pool
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False):
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg11-8a719046.pth", num_params=132863336)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg11_bn-6002323d.pth", num_params=132868840)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg13-19584684.pth", num_params=133047848)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg13_bn-abd245e5.pth", num_params=133053736)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg16-397923af.pth", num_params=138357544)
    # the features only (SSD's backbone): no ImageNet classifier
    IMAGENET1K_FEATURES = weights("vgg16_features-amdegroot-88682ab5.pth", num_classes=None,
                                  num_params=138357544)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg16_bn-6c64b313.pth", num_params=138365992)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg19-dcbb9e9d.pth", num_params=143667240)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = weights("vgg19_bn-c79401a0.pth", num_params=143678248)
    DEFAULT = IMAGENET1K_V1


def _vgg(enum, cfg, batch_norm, args, weights, kwargs):
    if args:   # the legacy positional `pretrained`
        kwargs["pretrained"] = args[0]
    kwargs.pop("progress", None)
    weights = resolve_weights(enum, weights, kwargs, positional=bool(args))
    if weights is not None:
        kwargs["init_weights"] = False
    return load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), weights)


def vgg11(*args, weights=None, **kwargs):
    return _vgg(VGG11_Weights, "A", False, args, weights, kwargs)


def vgg11_bn(*args, weights=None, **kwargs):
    return _vgg(VGG11_BN_Weights, "A", True, args, weights, kwargs)


def vgg13(*args, weights=None, **kwargs):
    return _vgg(VGG13_Weights, "B", False, args, weights, kwargs)


def vgg13_bn(*args, weights=None, **kwargs):
    return _vgg(VGG13_BN_Weights, "B", True, args, weights, kwargs)


def vgg16(*args, weights=None, **kwargs):
    return _vgg(VGG16_Weights, "D", False, args, weights, kwargs)


def vgg16_bn(*args, weights=None, **kwargs):
    return _vgg(VGG16_BN_Weights, "D", True, args, weights, kwargs)


def vgg19(*args, weights=None, **kwargs):
    return _vgg(VGG19_Weights, "E", False, args, weights, kwargs)


def vgg19_bn(*args, weights=None, **kwargs):
    return _vgg(VGG19_BN_Weights, "E", True, args, weights, kwargs)
