"""ctorch.vision.transforms: PIL and tensor paths against NumPy / Pillow
oracles, seeded random choices, reprs and bad inputs; parity with real
torchvision where it is installed (marker `parity`)."""
import math

import numpy as np
import pytest
from PIL import Image

from helpers import REFERENCE, assert_close, torch, to_numpy

if REFERENCE:
    tv = pytest.importorskip("torchvision")
else:
    import ctorch.vision as tv

T = tv.transforms
F = tv.transforms.functional

try:
    import torchvision as real_tv
    import torch as real_torch
except ImportError:
    real_tv = real_torch = None

parity = pytest.mark.skipif(real_tv is None or REFERENCE, reason="needs torchvision beside ctorch")


def rgb_array(h=37, w=53, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def pil_rgb(h=37, w=53, seed=0):
    return Image.fromarray(rgb_array(h, w, seed))


def float_image(shape=(3, 11, 13), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def tt(a):
    return torch.from_numpy(np.ascontiguousarray(a))


# ---------------------------------------------------------------- conversions

def test_to_tensor_of_pil_and_ndarray():
    a = rgb_array()
    expected = a.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    assert_close(F.to_tensor(Image.fromarray(a)), expected)
    assert_close(T.ToTensor()(a), expected)
    gray = a[:, :, 0]
    assert_close(F.to_tensor(gray), gray[None].astype(np.float32) / np.float32(255))
    floats = float_image((4, 5, 2)).astype(np.float64)     # non-uint8 arrays keep dtype and values
    assert_close(F.to_tensor(floats), floats.transpose(2, 0, 1))


def test_to_tensor_modes_1_i_f():
    bits = Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).convert("1")
    assert_close(F.to_tensor(bits), np.array([[[0, 1], [1, 0]]], np.float32))
    ints = Image.fromarray(np.array([[1, -7], [300000, 2]], np.int32))
    assert_close(F.to_tensor(ints), np.array([[[1, -7], [300000, 2]]], np.int32))
    fl = Image.fromarray(np.array([[0.25, -1.5]], np.float32))
    assert_close(F.to_tensor(fl), np.array([[[0.25, -1.5]]], np.float32))


def test_pil_to_tensor_keeps_uint8():
    a = rgb_array(5, 7)
    t = T.PILToTensor()(Image.fromarray(a))
    assert t.dtype == torch.uint8
    assert_close(t, a.transpose(2, 0, 1))


@pytest.mark.parametrize("dtype,mode", [(np.float32, "RGB"), (np.uint8, "RGB")])
def test_to_pil_image_round_trip(dtype, mode):
    a = rgb_array(6, 9)
    t = tt(a.transpose(2, 0, 1).astype(np.float32) / 255) if dtype == np.float32 else tt(a.transpose(2, 0, 1))
    img = T.ToPILImage()(t)
    assert img.mode == mode and img.size == (9, 6)
    expected = (a.astype(np.float32) / 255 * 255).astype(np.uint8) if dtype == np.float32 else a
    np.testing.assert_array_equal(np.asarray(img), expected)


def test_to_pil_image_channel_modes():
    assert F.to_pil_image(tt(np.zeros((1, 3, 4), np.uint8))).mode == "L"
    assert F.to_pil_image(tt(np.zeros((2, 3, 4), np.uint8))).mode == "LA"
    assert F.to_pil_image(tt(np.zeros((4, 3, 4), np.uint8))).mode == "RGBA"
    assert F.to_pil_image(tt(np.zeros((3, 4), np.float32)), mode="F").mode == "F"
    assert F.to_pil_image(np.zeros((3, 4, 1), np.int32)).mode == "I"


@pytest.mark.parametrize("src,dst,expected", [
    ("uint8", "float32", lambda a: a.astype(np.float32) / np.float32(255)),
    ("uint8", "int16", lambda a: a.astype(np.int16) * 128),
    ("int16", "uint8", lambda a: (a // 128).astype(np.uint8)),
    ("float32", "uint8", lambda a: (a * np.float32(255.999)).astype(np.uint8)),
    ("float32", "float64", lambda a: a.astype(np.float64)),
])
def test_convert_image_dtype(src, dst, expected):
    rng = np.random.default_rng(1)
    a = {"uint8": rng.integers(0, 256, (3, 4, 5)).astype(np.uint8),
         "int16": rng.integers(0, 32768, (3, 4, 5)).astype(np.int16),
         "float32": rng.random((3, 4, 5)).astype(np.float32)}[src]
    out = T.ConvertImageDtype(getattr(torch, dst))(tt(a))
    assert_close(out, expected(a), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- normalize

def test_normalize_matches_numpy_and_keeps_input():
    a = float_image((3, 6, 7))
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    t = tt(a.copy())
    out = T.Normalize(mean, std)(t)
    m = np.array(mean, np.float32)[:, None, None]
    s = np.array(std, np.float32)[:, None, None]
    assert_close(out, (a - m) / s, rtol=1e-6)
    assert_close(t, a)                                   # not in place by default
    assert F.normalize(t, mean, std, inplace=True) is t
    assert_close(t, (a - m) / s, rtol=1e-6)


def test_normalize_batch_and_noncontiguous():
    a = float_image((2, 3, 5, 4), dtype=np.float64)
    t = tt(a.transpose(0, 1, 3, 2)).transpose(-1, -2)     # strided view holding a
    assert not t.is_contiguous()
    out = F.normalize(t, [0.5, 0.25, 0.0], [2.0, 1.0, 0.5])
    assert_close(out, (a - np.array([0.5, 0.25, 0.0])[:, None, None]) / np.array([2.0, 1.0, 0.5])[:, None, None])


# ---------------------------------------------------------------- geometry on PIL (Pillow is the oracle)

def test_pil_resize_is_pillow_bilinear_antialiased():
    img = pil_rgb(50, 80)
    out = T.Resize(20)(img)                                    # shorter edge 20: (80 * 20 / 50) = 32 wide
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img.resize((32, 20), Image.BILINEAR)))
    out = F.resize(img, [10, 15], interpolation=T.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img.resize((15, 10), Image.NEAREST)))
    assert F.resize(img, [50, 80]) is img


def test_pil_crops_and_flips():
    a = rgb_array(30, 40)
    img = Image.fromarray(a)
    np.testing.assert_array_equal(np.asarray(F.crop(img, 3, 5, 10, 12)), a[3:13, 5:17])
    np.testing.assert_array_equal(np.asarray(T.CenterCrop(10)(img)), a[10:20, 15:25])
    np.testing.assert_array_equal(np.asarray(F.hflip(img)), a[:, ::-1])
    np.testing.assert_array_equal(np.asarray(F.vflip(img)), a[::-1])
    big = np.asarray(T.CenterCrop((34, 41))(img))           # larger than the image: zero padded
    expected = np.zeros((34, 41, 3), np.uint8)
    expected[2:32, 0:40] = a
    np.testing.assert_array_equal(big, expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pil_pad_matches_numpy(mode):
    a = rgb_array(6, 7)
    out = np.asarray(T.Pad((1, 2, 3, 4), fill=9, padding_mode=mode)(Image.fromarray(a)))
    np_mode = {"edge": "edge", "constant": "constant"}.get(mode, mode)
    kw = {"constant_values": 9} if mode == "constant" else {}
    np.testing.assert_array_equal(out, np.pad(a, ((2, 4), (1, 3), (0, 0)), mode=np_mode, **kw))


def test_pil_grayscale_and_rotate():
    img = pil_rgb(20, 24)
    np.testing.assert_array_equal(np.asarray(T.Grayscale()(img)), np.asarray(img.convert("L")))
    g3 = np.asarray(T.Grayscale(3)(img))
    assert g3.shape == (20, 24, 3) and (g3[..., 0] == g3[..., 2]).all()
    np.testing.assert_array_equal(np.asarray(F.rotate(img, 30)), np.asarray(img.rotate(30, Image.NEAREST)))


def test_pil_color_adjustments_are_pillow_enhancers():
    from PIL import ImageEnhance
    img = pil_rgb(12, 16)
    np.testing.assert_array_equal(np.asarray(F.adjust_brightness(img, 1.3)),
                                  np.asarray(ImageEnhance.Brightness(img).enhance(1.3)))
    np.testing.assert_array_equal(np.asarray(F.adjust_contrast(img, 0.6)),
                                  np.asarray(ImageEnhance.Contrast(img).enhance(0.6)))
    np.testing.assert_array_equal(np.asarray(F.adjust_saturation(img, 0.2)),
                                  np.asarray(ImageEnhance.Color(img).enhance(0.2)))
    hsv = np.asarray(img.convert("HSV")).copy()
    hsv[..., 0] += np.uint8(int(0.25 * 255))
    np.testing.assert_array_equal(np.asarray(F.adjust_hue(img, 0.25)),
                                  np.asarray(Image.fromarray(hsv, "HSV").convert("RGB")))


# ---------------------------------------------------------------- geometry on tensors (NumPy oracles)

def np_resize_bilinear(a, oh, ow):
    """interpolate(mode='bilinear', align_corners=False, antialias=False) in float64"""
    def axis(n_in, n_out):
        x = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0)
        i0 = np.minimum(np.floor(x).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        l1 = np.clip(x - i0, 0, 1)
        return i0, i1, l1
    y0, y1, ly = axis(a.shape[-2], oh)
    x0, x1, lx = axis(a.shape[-1], ow)
    top = a[..., y0, :][..., x0] * (1 - lx) + a[..., y0, :][..., x1] * lx
    bot = a[..., y1, :][..., x0] * (1 - lx) + a[..., y1, :][..., x1] * lx
    return top * (1 - ly)[:, None] + bot * ly[:, None]


def np_nearest_index(n_in, n_out, exact=False):
    scale = np.float32(n_in) / np.float32(n_out)
    src = (np.arange(n_out) + (0.5 if exact else 0)) * scale
    return np.minimum(np.floor(src.astype(np.float32)).astype(int), n_in - 1)


@pytest.mark.parametrize("oh,ow", [(7, 9), (23, 31), (11, 5)])
def test_tensor_resize_bilinear_no_antialias(oh, ow):
    a = float_image((3, 11, 13), dtype=np.float64)
    out = F.resize(tt(a), [oh, ow], antialias=False)
    assert_close(out, np_resize_bilinear(a, oh, ow), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,exact", [(T.InterpolationMode.NEAREST, False),
                                        (T.InterpolationMode.NEAREST_EXACT, True)])
def test_tensor_resize_nearest(mode, exact):
    a = float_image((2, 9, 14))
    out = F.resize(tt(a), [5, 20], interpolation=mode)
    assert_close(out, a[:, np_nearest_index(9, 5, exact)][:, :, np_nearest_index(14, 20, exact)])


@pytest.mark.parametrize("oh,ow", [(8, 10), (20, 13), (5, 26)])
def test_tensor_resize_antialias_matches_pillow_float(oh, ow):
    # PyTorch's antialiased bilinear is Pillow's resampling; Pillow's "F" images are the float oracle
    a = float_image((1, 17, 23))
    out = F.resize(tt(a), [oh, ow])
    expected = np.asarray(Image.fromarray(a[0], "F").resize((ow, oh), Image.BILINEAR))
    assert_close(out[0], expected, rtol=0, atol=2e-6)


def test_tensor_resize_uint8_rounds_and_keeps_dtype():
    a = rgb_array(16, 20).transpose(2, 0, 1)
    out = F.resize(tt(a), [8, 10], antialias=False)
    assert out.dtype == torch.uint8
    expected = np.round(np_resize_bilinear(a.astype(np.float64), 8, 10))
    assert np.abs(to_numpy(out).astype(int) - expected).max() <= 1


def test_tensor_resize_batch_noncontiguous_and_int_size():
    a = float_image((2, 3, 10, 16))
    t = tt(a[..., ::-1].copy()).flip(-1)
    out = T.Resize(5, antialias=False)(t)                  # shorter edge 5 -> (5, 8)
    assert tuple(out.shape) == (2, 3, 5, 8)
    assert_close(out, np_resize_bilinear(a.astype(np.float64), 5, 8).astype(np.float32), rtol=1e-5, atol=1e-6)
    assert F.resize(t, [10, 16]) is t


def test_tensor_resize_empty_batch():
    out = F.resize(torch.zeros(0, 3, 8, 8), [4, 4])
    assert tuple(out.shape) == (0, 3, 4, 4)


def test_tensor_crop_pad_center_crop():
    a = float_image((3, 8, 10))
    t = tt(a)
    assert_close(F.crop(t, 2, 3, 4, 5), a[:, 2:6, 3:8])
    out = F.crop(t, -1, 8, 3, 4)                            # outside: zero padded as torchvision
    expected = np.zeros((3, 3, 4), np.float32)
    expected[:, 1:, :2] = a[:, :2, 8:]
    assert_close(out, expected)
    assert_close(T.CenterCrop((4, 6))(t), a[:, 2:6, 2:8])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.int64])
def test_tensor_pad_matches_numpy(mode, dtype):
    a = (float_image((3, 5, 6)) * 100).astype(dtype)
    np_mode = {"edge": "edge", "constant": "constant"}.get(mode, mode)
    kw = {"constant_values": 7} if mode == "constant" else {}
    out = F.pad(tt(a), [2, 1, 3, 4], fill=7, padding_mode=mode)
    assert out.dtype == tt(a).dtype
    assert_close(out, np.pad(a, ((0, 0), (1, 4), (2, 3)), mode=np_mode, **kw))


def test_tensor_pad_negative_crops():
    a = float_image((1, 6, 6))
    # [left, top, right, bottom] = [-1, 2, 0, -2]: one column and two rows cropped, two rows of zeros on top
    assert_close(F.pad(tt(a), [-1, 2, 0, -2]), np.pad(a[:, :4, 1:], ((0, 0), (2, 0), (0, 0))))


def test_tensor_flips_and_grayscale():
    a = float_image((3, 4, 5))
    t = tt(a)
    assert_close(F.hflip(t), a[..., ::-1])
    assert_close(F.vflip(t), a[..., ::-1, :])
    gray = (np.float32(0.2989) * a[0] + np.float32(0.587) * a[1] + np.float32(0.114) * a[2])[None]
    assert_close(F.rgb_to_grayscale(t), gray, rtol=1e-6)
    assert tuple(T.Grayscale(3)(t).shape) == (3, 4, 5)
    u8 = rgb_array(4, 5).transpose(2, 0, 1)
    g = (np.float32(0.2989) * u8[0] + np.float32(0.587) * u8[1] + np.float32(0.114) * u8[2]).astype(np.uint8)
    assert_close(F.rgb_to_grayscale(tt(u8)), g[None])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("angle,k", [(90, 1), (180, 2), (-90, 3), (270, 3)])
def test_tensor_rotate_right_angles_are_rot90(angle, k, dtype):
    a = float_image((2, 7, 7), dtype=dtype)
    out = F.rotate(tt(a), angle)
    assert_close(out, np.rot90(a, k, axes=(1, 2)))


def test_tensor_rotate_fill_and_expand():
    a = np.ones((3, 6, 10), np.float32)
    out = to_numpy(F.rotate(tt(a), 45, fill=[0.5, 0.25, 2.0]))
    corner = out[:, 0, 0]
    np.testing.assert_array_equal(corner, [0.5, 0.25, 2.0])     # outside: the fill per channel
    assert (out[:, 3, 5] == 1).all()                            # the centre stays
    assert tuple(F.rotate(tt(a), 90, expand=True).shape) == (3, 10, 6)
    bil = to_numpy(F.rotate(tt(a), 30, interpolation=T.InterpolationMode.BILINEAR, fill=0.0))
    assert ((bil >= 0) & (bil <= 1 + 1e-6)).all() and bil[:, 3, 5].min() == pytest.approx(1.0)


def test_tensor_rotate_uint8_rounds():
    a = rgb_array(9, 9).transpose(2, 0, 1)
    out = F.rotate(tt(a), 180)
    assert out.dtype == torch.uint8
    assert_close(out, a[:, ::-1, ::-1])


# ---------------------------------------------------------------- colour on tensors

def np_blend(a, b, r, bound, dtype):
    return np.clip(np.float32(r) * a + np.float32(1.0 - r) * b, 0, bound).astype(dtype)


def test_tensor_brightness_contrast_saturation():
    a = float_image((3, 6, 8))
    t = tt(a)
    assert_close(F.adjust_brightness(t, 1.7), np_blend(a, 0, 1.7, 1, np.float32), rtol=1e-6)
    gray = np.float32(0.2989) * a[0] + np.float32(0.587) * a[1] + np.float32(0.114) * a[2]
    assert_close(F.adjust_contrast(t, 0.4), np_blend(a, gray.mean(dtype=np.float32), 0.4, 1, np.float32),
                 rtol=1e-5, atol=1e-6)
    assert_close(F.adjust_saturation(t, 0.3), np_blend(a, gray[None], 0.3, 1, np.float32), rtol=1e-5, atol=1e-6)
    u8 = rgb_array(6, 8).transpose(2, 0, 1)
    assert_close(F.adjust_brightness(tt(u8), 1.5), np_blend(u8.astype(np.float32), 0, 1.5, 255, np.uint8))


def test_tensor_hue_matches_colorsys():
    import colorsys
    a = float_image((3, 4, 5), seed=3)
    out = to_numpy(F.adjust_hue(tt(a), 0.2))
    for y, x in [(0, 0), (1, 3), (3, 4)]:
        h, s, v = colorsys.rgb_to_hsv(*a[:, y, x].astype(np.float64))
        np.testing.assert_allclose(out[:, y, x], colorsys.hsv_to_rgb((h + 0.2) % 1.0, s, v), rtol=1e-5, atol=1e-5)
    assert_close(F.adjust_hue(tt(a), 0.0), a, rtol=1e-5, atol=1e-6)


def test_tensor_hue_uint8_and_gray_passthrough():
    u8 = rgb_array(5, 5).transpose(2, 0, 1)
    out = F.adjust_hue(tt(u8), 0.0)
    assert out.dtype == torch.uint8 and np.abs(to_numpy(out).astype(int) - u8).max() <= 1
    g = tt(float_image((1, 3, 3)))
    assert F.adjust_hue(g, 0.3) is g


# ---------------------------------------------------------------- random transforms: torchvision's draws

def test_random_crop_draws_two_randints():
    img = tt(float_image((3, 20, 30)))
    torch.manual_seed(5)
    out = T.RandomCrop(8)(img)
    torch.manual_seed(5)
    i = torch.randint(0, 20 - 8 + 1, (1,)).item()
    j = torch.randint(0, 30 - 8 + 1, (1,)).item()
    assert_close(out, to_numpy(img)[:, i:i + 8, j:j + 8])


def test_random_crop_pad_if_needed():
    img = tt(float_image((3, 5, 6)))
    out = T.RandomCrop((8, 9), pad_if_needed=True)(img)
    assert tuple(out.shape) == (3, 8, 9)


def test_random_resized_crop_params_follow_torchvision_draws():
    img = pil_rgb(375, 500)
    torch.manual_seed(0)
    i, j, h, w = T.RandomResizedCrop.get_params(img, [0.08, 1.0], [3 / 4, 4 / 3])
    torch.manual_seed(0)
    area = 375 * 500
    target = area * torch.empty(1).uniform_(0.08, 1.0).item()
    logr = torch.log(torch.tensor([3 / 4, 4 / 3]))
    ar = torch.exp(torch.empty(1).uniform_(logr[0], logr[1])).item()
    assert (w, h) == (int(round(math.sqrt(target * ar))), int(round(math.sqrt(target / ar))))
    assert 0 <= i <= 375 - h and 0 <= j <= 500 - w
    out = T.RandomResizedCrop(224)(img)
    assert out.size == (224, 224)


def test_random_flips_use_one_rand_each():
    a = float_image((1, 3, 4))
    torch.manual_seed(3)
    flips = [bool(torch.rand(1) < 0.5) for _ in range(8)]
    torch.manual_seed(3)
    outs = [to_numpy(T.RandomHorizontalFlip()(tt(a))) for _ in range(8)]
    for f, o in zip(flips, outs):
        np.testing.assert_array_equal(o, a[..., ::-1] if f else a)
    assert_close(T.RandomVerticalFlip(p=1.0)(tt(a)), a[:, ::-1])


def test_color_jitter_order_and_factors():
    a = float_image((3, 5, 6))
    jitter = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    torch.manual_seed(11)
    out = jitter(tt(a))
    torch.manual_seed(11)
    order, b, c, s, h = T.ColorJitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue)
    img = tt(a)
    for k in order.tolist():
        img = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue][k](img, [b, c, s, h][k])
    assert_close(out, to_numpy(img))
    assert 0.6 <= b <= 1.4 and -0.1 <= h <= 0.1


def test_random_rotation_apply_choice():
    a = float_image((3, 9, 9))
    torch.manual_seed(2)
    out = T.RandomRotation((90, 90))(tt(a))
    assert_close(out, np.rot90(a, 1, axes=(1, 2)))
    assert_close(T.RandomApply([T.Lambda(lambda x: x * 2)], p=1.0)(tt(a)), a * 2)
    assert_close(T.RandomApply([T.Lambda(lambda x: x * 2)], p=0.0)(tt(a)), a)
    out = T.RandomChoice([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x + 1)])(tt(a))
    assert_close(out, a + 1)


def test_train_pipeline_end_to_end():
    pipeline = T.Compose([T.RandomResizedCrop(224, scale=(0.08, 1.0)), T.RandomHorizontalFlip(), T.ToTensor(),
                          T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    out = pipeline(pil_rgb(375, 500))
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == torch.float32
    val = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])(pil_rgb(375, 500))
    assert tuple(val.shape) == (3, 224, 224)


# ---------------------------------------------------------------- reprs (torchvision's)

REPRS = [
    (lambda: T.Compose([T.ToTensor(), T.Normalize([0.5], [0.25])]),
     "Compose(\n    ToTensor()\n    Normalize(mean=[0.5], std=[0.25])\n)"),
    (lambda: T.Resize(256), "Resize(size=256, interpolation=bilinear, max_size=None, antialias=True)"),
    (lambda: T.CenterCrop(224), "CenterCrop(size=(224, 224))"),
    (lambda: T.RandomResizedCrop(224),
     "RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, "
     "antialias=True)"),
    (lambda: T.RandomHorizontalFlip(), "RandomHorizontalFlip(p=0.5)"),
    (lambda: T.RandomCrop(32, padding=4), "RandomCrop(size=(32, 32), padding=4)"),
    (lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
     "ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=(0.6, 1.4), hue=(-0.1, 0.1))"),
    (lambda: T.ColorJitter(), "ColorJitter(brightness=None, contrast=None, saturation=None, hue=None)"),
    (lambda: T.RandomRotation(10), "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, "
                                   "fill=0)"),
    (lambda: T.Pad(2), "Pad(padding=2, fill=0, padding_mode=constant)"),
    (lambda: T.Grayscale(3), "Grayscale(num_output_channels=3)"),
    (lambda: T.ToPILImage(), "ToPILImage()"),
    (lambda: T.Lambda(abs), "Lambda()"),
    (lambda: T.RandomApply([T.ToTensor()], p=0.3), "RandomApply(\n    p=0.3\n    ToTensor()\n)"),
    (lambda: T.RandomChoice([T.ToTensor()]), "RandomChoice(\n    ToTensor()\n)(p=None)"),
    (lambda: T.ConvertImageDtype(torch.float), "ConvertImageDtype()"),
]


@pytest.mark.parametrize("k", range(len(REPRS)))
def test_reprs(k):
    make, text = REPRS[k]
    assert repr(make()) == text


# ---------------------------------------------------------------- bad inputs

BAD = [
    (lambda: F.to_tensor([1, 2]), TypeError, "pic should be PIL Image or ndarray"),
    (lambda: F.to_tensor(np.zeros((1, 2, 3, 4))), ValueError, "pic should be 2/3 dimensional. Got 4 dimensions"),
    (lambda: F.pil_to_tensor(np.zeros((2, 2))), TypeError, "pic should be PIL Image"),
    (lambda: F.to_pil_image(np.zeros((2, 2, 5), np.uint8)), ValueError, "pic should not have > 4 channels"),
    (lambda: F.to_pil_image([1]), TypeError, "pic should be Tensor or ndarray"),
    (lambda: F.to_pil_image(np.zeros((2, 2, 3), np.uint8), mode="L"), ValueError, "Only modes"),
    (lambda: F.normalize(torch.zeros(3, 4, 4, dtype=torch.uint8), [0.0], [1.0]), TypeError,
     "Input tensor should be a float tensor"),
    (lambda: F.normalize(torch.zeros(4, 4), [0.0], [1.0]), ValueError, "Expected tensor to be a tensor image"),
    (lambda: F.normalize(torch.zeros(3, 4, 4), [0.0] * 3, [1.0, 0.0, 1.0]), ValueError, "std evaluated to zero"),
    (lambda: F.normalize([1.0], [0.0], [1.0]), TypeError, "img should be Tensor Image"),
    (lambda: F.resize(torch.zeros(3, 4, 4), [1, 2, 3]), ValueError, "Size must be an int or a 1 or 2 element"),
    (lambda: F.resize(torch.zeros(3, 4, 4), [4, 5], max_size=10), ValueError, "max_size should only be passed"),
    (lambda: F.resize(torch.zeros(3, 4, 4), 4, max_size=3), ValueError, "must be strictly greater"),
    (lambda: F.resize(torch.zeros(3, 4, 4), [2, 2], interpolation="bilinear"), TypeError,
     "Argument interpolation should be a InterpolationMode"),
    (lambda: F.resize(torch.zeros(4), [2, 2]), TypeError, "Tensor is not a torch image"),
    (lambda: F.resize(torch.zeros(3, 4, 4), [0, 5]), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output (H: 0, W: 5)"),
    (lambda: F.resize(torch.zeros(3, 0, 4), [2, 5]), RuntimeError, "Input and output sizes should be greater than 0"),
    (lambda: T.Resize(2.5), TypeError, "Size should be int or sequence"),
    (lambda: T.Resize([1, 2, 3]), ValueError, "If size is a sequence, it should have 1 or 2 values"),
    (lambda: T.CenterCrop([1, 2, 3]), ValueError, "Please provide only two dimensions (h, w) for size."),
    (lambda: T.RandomCrop(10)(torch.zeros(3, 4, 4)), ValueError, "Required crop size (10, 10) is larger than input"),
    (lambda: F.pad(torch.zeros(3, 4, 4), [1, 2, 3]), ValueError, "Padding must be an int or a 1, 2, or 4"),
    (lambda: F.pad(torch.zeros(3, 4, 4), 1, padding_mode="wrap"), ValueError, "Padding mode should be either"),
    (lambda: F.pad(torch.zeros(3, 4, 4), 1, fill="x"), TypeError, "Got inappropriate fill arg"),
    (lambda: F.pad(torch.zeros(3, 4, 4), 4, padding_mode="reflect"), RuntimeError, "Padding size should be less"),
    (lambda: T.Pad(1, padding_mode="wrap"), ValueError, "Padding mode should be either"),
    (lambda: F.adjust_brightness(torch.zeros(3, 2, 2), -1), ValueError, "brightness_factor (-1) is not non-negative"),
    (lambda: F.adjust_contrast(torch.zeros(2, 2, 2), 1.0), TypeError, "permitted channel values are [3, 1]"),
    (lambda: F.adjust_hue(torch.zeros(3, 2, 2), 0.6), ValueError, "hue_factor (0.6) is not in [-0.5, 0.5]"),
    (lambda: F.adjust_hue(pil_rgb(), -0.7), ValueError, "hue_factor (-0.7) is not in [-0.5, 0.5]"),
    (lambda: F.rgb_to_grayscale(torch.zeros(3, 2, 2), 2), ValueError, "num_output_channels should be either 1 or 3"),
    (lambda: F.rgb_to_grayscale(torch.zeros(2, 2)), TypeError, "should have at least 3 dimensions"),
    (lambda: F.rotate(torch.zeros(3, 4, 4), "x"), TypeError, "Argument angle should be int or float"),
    (lambda: F.rotate(torch.zeros(3, 4, 4), 10, fill=[1.0, 2.0]), ValueError,
     "The number of elements in 'fill' cannot broadcast"),
    (lambda: F.rotate(torch.zeros(3, 4, 4), 10, interpolation=T.InterpolationMode.BICUBIC), ValueError,
     "Interpolation mode 'bicubic' is unsupported with Tensor input"),
    (lambda: T.ColorJitter(brightness=-1), ValueError, "If brightness is a single number, it must be non negative"),
    (lambda: T.ColorJitter(hue=0.7), ValueError, "hue values should be between (-0.5, 0.5)"),
    (lambda: T.ColorJitter(contrast="a"), TypeError, "contrast should be a single number or a list/tuple"),
    (lambda: T.RandomRotation(-5), ValueError, "If degrees is a single number, it must be positive"),
    (lambda: T.RandomRotation([1, 2, 3]), ValueError, "degrees should be a sequence of length 2"),
    (lambda: T.Lambda(3), TypeError, "Argument lambd should be callable, got 'int'"),
    (lambda: T.RandomChoice([T.ToTensor()], p=0.5), TypeError, "Argument p should be a sequence"),
    (lambda: T.ConvertImageDtype(torch.int32)(torch.zeros(1, 2, 2)), RuntimeError,
     "The cast from torch.float32 to torch.int32 cannot be performed safely"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_inputs(k):
    fn, exc, msg = BAD[k]
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


# ---------------------------------------------------------------- parity with torchvision

def both(fn_tv, fn_ct, seed=0):
    """(torchvision's result, ctorch's) of the same call, each after the same seed"""
    real_torch.manual_seed(seed)
    a = fn_tv(real_tv)
    torch.manual_seed(seed)
    b = fn_ct(tv)
    return a, b


def as_np(x):
    if isinstance(x, Image.Image):
        return np.asarray(x)
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


PARITY_PIL = [
    lambda m: m.transforms.Compose([m.transforms.RandomResizedCrop(224), m.transforms.RandomHorizontalFlip(),
                                    m.transforms.ToTensor(),
                                    m.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
    lambda m: m.transforms.Compose([m.transforms.Resize(256), m.transforms.CenterCrop(224), m.transforms.ToTensor()]),
    lambda m: m.transforms.Compose([m.transforms.RandomCrop(32, padding=4, padding_mode="reflect"),
                                    m.transforms.PILToTensor()]),
    lambda m: m.transforms.Compose([m.transforms.ColorJitter(0.4, 0.4, 0.4, 0.1), m.transforms.PILToTensor()]),
    lambda m: m.transforms.Compose([m.transforms.RandomRotation(30, fill=(1, 2, 3)), m.transforms.PILToTensor()]),
    lambda m: m.transforms.Compose([m.transforms.Grayscale(3), m.transforms.RandomVerticalFlip(),
                                    m.transforms.PILToTensor()]),
    lambda m: m.transforms.Compose([m.transforms.Pad((3, 1, 2, 5), padding_mode="symmetric"),
                                    m.transforms.RandomApply([m.transforms.ColorJitter(hue=0.3)], p=0.7),
                                    m.transforms.ToTensor()]),
]


@pytest.mark.parity
@parity
@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("k", range(len(PARITY_PIL)))
def test_parity_pil_pipelines(k, seed):
    img = pil_rgb(75, 100, seed)
    a, b = both(lambda m: PARITY_PIL[k](m)(img), lambda m: PARITY_PIL[k](m)(img), seed)
    np.testing.assert_allclose(as_np(b), as_np(a), rtol=1e-6, atol=1e-6)


PARITY_TENSOR = [
    lambda m, x: m.transforms.functional.resize(x, [13, 17]),
    lambda m, x: m.transforms.functional.resize(x, [40, 50]),
    lambda m, x: m.transforms.functional.resize(x, [13, 40], antialias=False),
    lambda m, x: m.transforms.functional.resize(x, [21, 14], interpolation=m.transforms.InterpolationMode.BICUBIC),
    lambda m, x: m.transforms.functional.resize(x, [30, 7], interpolation=m.transforms.InterpolationMode.BICUBIC,
                                                antialias=False),
    lambda m, x: m.transforms.functional.resize(x, [11, 45], interpolation=m.transforms.InterpolationMode.NEAREST),
    lambda m, x: m.transforms.functional.resize(x, [9, 33],
                                                interpolation=m.transforms.InterpolationMode.NEAREST_EXACT),
    lambda m, x: m.transforms.RandomResizedCrop(16)(x),
    lambda m, x: m.transforms.ColorJitter(0.5, 0.5, 0.5, 0.2)(x),
    lambda m, x: m.transforms.functional.adjust_hue(x, -0.3),
    lambda m, x: m.transforms.functional.rotate(x, 33.0),
    lambda m, x: m.transforms.functional.rotate(x, -12.5, interpolation=m.transforms.InterpolationMode.BILINEAR,
                                                expand=True, fill=[0.5, 1.0, 0.0]),
    lambda m, x: m.transforms.RandomRotation(45, center=(3, 4))(x),
    lambda m, x: m.transforms.functional.affine(x, 10.0, [2, -1], 1.2, [5.0, 3.0]),
    lambda m, x: m.transforms.functional.pad(x, [3, 2, 1, 4], padding_mode="reflect"),
    lambda m, x: m.transforms.functional.center_crop(x, [40, 41]),
    lambda m, x: m.transforms.functional.rgb_to_grayscale(x, 3),
    lambda m, x: m.transforms.functional.adjust_contrast(x, 0.3),
]


@pytest.mark.parity
@parity
@pytest.mark.parametrize("dtype", ["float32", "uint8", "float64"])
@pytest.mark.parametrize("k", range(len(PARITY_TENSOR)))
def test_parity_tensor_transforms(k, dtype):
    a = rgb_array(27, 35, k).transpose(2, 0, 1)
    a = a if dtype == "uint8" else (a / 255.0).astype(dtype)
    x_tv, x_ct = real_torch.from_numpy(a.copy()), torch.from_numpy(a.copy())
    ref, got = both(lambda m: PARITY_TENSOR[k](m, x_tv), lambda m: PARITY_TENSOR[k](m, x_ct), seed=k)
    ref, got = ref.numpy(), to_numpy(got)
    assert ref.shape == got.shape and ref.dtype == got.dtype
    if dtype == "uint8":   # float rounding before the cast may move a value by one step
        diff = np.abs(ref.astype(int) - got.astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    else:
        bad = ~np.isclose(got, ref, rtol=1e-4, atol=1e-5)
        assert bad.mean() < 0.002, (bad.sum(), np.abs(got - ref).max())


@pytest.mark.parity
@parity
@pytest.mark.parametrize("k", range(len(REPRS)))
def test_parity_reprs(k):
    import types
    make = REPRS[k][0]
    with_tv = types.FunctionType(make.__code__, {**globals(), "T": real_tv.transforms, "torch": real_torch})
    assert repr(make()) == repr(with_tv())
