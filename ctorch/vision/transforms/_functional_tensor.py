"""Transforms on tensor images (..., C, H, W): torchvision's semantics, made
of ctorch ops. Resampling (resize, rotate, affine) is one C kernel call each
(ctorch._C._vision_resize / _vision_affine); the rest composes whole-tensor
ops, in torchvision's order of operations so that values agree with it."""
import ctorch as torch

_INTS = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
_RESAMPLE = {"nearest": 0, "nearest-exact": 1, "bilinear": 2, "bicubic": 3}


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def _max_value(dtype):
    """The largest pixel value of a dtype: its integer maximum, 1 for floats."""
    return {torch.uint8: 255, torch.int8: 127, torch.int16: 32767, torch.int32: 2147483647,
            torch.int64: 9223372036854775807}.get(dtype, 1)


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def convert_image_dtype(image, dtype=torch.float):
    if image.dtype == dtype:
        return image
    to_float = dtype.is_floating_point
    if image.is_floating_point():
        if to_float:
            return image.to(dtype)
        if (image.dtype == torch.float32 and dtype in (torch.int32, torch.int64)) or (
                image.dtype == torch.float64 and dtype == torch.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # [0, 1] onto [0, max]: scale by max + 1 - eps so that 1.0 lands on max, then truncate
        return image.mul(float(_max_value(dtype)) + 1.0 - 0.001).to(dtype)
    in_max = float(_max_value(image.dtype))
    if to_float:
        return image.to(dtype) / in_max
    out_max = float(_max_value(dtype))
    if in_max > out_max:
        return torch.div(image, int((in_max + 1) // (out_max + 1)), rounding_mode="floor").to(dtype)
    return image.to(dtype) * int((out_max + 1) // (in_max + 1))


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        # the part inside the image, padded with zeros up to the requested box
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, _max_value(img1.dtype)).to(img1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, torch.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else torch.float32
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = torch.mean(gray.to(dtype), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    gray = maxc == minc            # no hue: avoid dividing by a zero chroma
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(gray, ones, maxc)
    div = torch.where(gray, ones, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(dtype=torch.int32) % 6
    p = torch.clamp(v * (1.0 - s), 0.0, 1.0)
    q = torch.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = torch.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    # the sector i of the hue picks each channel from (v, q, p, t): one gather per pixel
    table = torch.stack((torch.stack((v, q, p, p, t, v), dim=-3), torch.stack((t, v, v, q, p, p), dim=-3),
                         torch.stack((p, p, t, v, v, q), dim=-3)), dim=-4)
    index = i.long().unsqueeze(-3).unsqueeze(-4).expand(*table.shape[:-3], 1, *table.shape[-2:])
    return table.gather(-3, index).squeeze(-3)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, torch.Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    orig_dtype = img.dtype
    h, s, v = _rgb2hsv(convert_image_dtype(img, torch.float32)).unbind(dim=-3)
    hsv = torch.stack(((h + hue_factor) % 1.0, s, v), dim=-3)
    return convert_image_dtype(_hsv2rgb(hsv), orig_dtype)


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, torch.Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, torch.float32)
    return convert_image_dtype((gain * result.pow(gamma)).clamp(0, 1), dtype)


def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


# ---------------------------------------------------------------- padding

def _parse_pad_padding(padding):
    """[left, right, top, bottom] from an int or a 1, 2 or 4 element sequence."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_index(size, before, after, mode):
    """The source index of each padded position along one axis (int64)."""
    i = torch.arange(-before, size + after)
    if mode == "replicate":
        return i.clamp(0, size - 1)
    if mode == "reflect":                  # mirror without repeating the edge
        return (size - 1) - ((size - 1) - i.abs()).abs()
    i = torch.where(i < 0, -i - 1, i)       # symmetric: mirror repeating the edge
    return torch.where(i >= size, 2 * size - 1 - i, i)


def pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, right, top, bottom = _parse_pad_padding(list(padding) if isinstance(padding, tuple) else padding)
    # negative padding crops
    h, w = img.shape[-2], img.shape[-1]
    img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    left, right, top, bottom = max(left, 0), max(right, 0), max(top, 0), max(bottom, 0)
    h, w = img.shape[-2], img.shape[-1]
    if padding_mode == "constant":
        out = img.new_full((*img.shape[:-2], h + top + bottom, w + left + right), float(fill))
        out[..., top:top + h, left:left + w] = img
        return out
    mode = {"edge": "replicate"}.get(padding_mode, padding_mode)
    if mode == "reflect" and (max(left, right) >= w or max(top, bottom) >= h):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                           f"but got: padding ({left}, {right}) at dimension {img.ndim - 1} of input "
                           f"{list(img.shape)}")
    if mode == "symmetric" and img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    if mode == "replicate" and (w == 0 or h == 0):
        raise RuntimeError("padding: input tensor must have non-zero sizes to replicate")
    return img.index_select(-1, _pad_index(w, left, right, mode)).index_select(-2, _pad_index(h, top, bottom, mode))


# ---------------------------------------------------------------- resampling

def _cast_in(img, dtypes):
    """img in the first of dtypes unless it is one of them already; and its own dtype."""
    return (img if img.dtype in dtypes else img.to(dtypes[0])), img.dtype


def _cast_out(img, dtype):
    """back to dtype, rounding for integer images as torchvision does"""
    if img.dtype == dtype:
        return img
    return (torch.round(img) if dtype in _INTS else img).to(dtype)


def resize(img, size, interpolation="bilinear", antialias=True):
    _assert_image_tensor(img)
    if interpolation not in _RESAMPLE:
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: nearest | linear | "
            f"bilinear | bicubic | trilinear | area | nearest-exact (got {interpolation})")
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    x, dtype = _cast_in(img, (torch.float32, torch.float64))
    out = torch._C._vision_resize(x, int(size[0]), int(size[1]), _RESAMPLE[interpolation], antialias)
    if interpolation == "bicubic" and dtype == torch.uint8:
        out = out.clamp(min=0, max=255)
    return _cast_out(out, dtype)


def _assert_grid_transform_inputs(img, matrix, interpolation, fill, supported):
    if not isinstance(img, torch.Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of the "
                         f"image ({len(fill)} != {channels})")
    if interpolation not in supported:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _warp(img, matrix, oh, ow, interpolation, fill):
    """torchvision's affine grid + grid_sample + fill, in one kernel call"""
    x, dtype = _cast_in(img, (torch.float32, torch.float64))
    if fill is not None:
        fill = [float(f) for f in fill] if isinstance(fill, (tuple, list)) else [float(fill)]
    out = torch._C._vision_affine(x, [float(m) for m in matrix], oh, ow, interpolation == "bilinear", fill)
    return _cast_out(out, dtype)


def affine(img, matrix, interpolation="nearest", fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    return _warp(img, matrix, img.shape[-2], img.shape[-1], interpolation, fill)


def _compute_affine_output_size(matrix, w, h):
    """(width, height) of the box holding the image's corners after the warp (float32, as torchvision)"""
    pts = torch.tensor([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    theta = torch.tensor(matrix, dtype=torch.float).view(2, 3)
    new_pts = torch.matmul(pts, theta.T)
    centre = torch.tensor((w * 0.5, h * 0.5))
    lo, hi = new_pts.min(dim=0).values + centre, new_pts.max(dim=0).values + centre
    tol = 1e-4             # drop float noise before rounding outwards
    size = torch.ceil((hi / tol).trunc_() * tol) - torch.floor((lo / tol).trunc_() * tol)
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    return _warp(img, matrix, oh, ow, interpolation, fill)


def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean = torch.as_tensor(mean, dtype=tensor.dtype)
    std = torch.as_tensor(std, dtype=tensor.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)
