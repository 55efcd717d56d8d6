"""Summary messages (as dicts for _proto.SUMMARY) for scalars, histograms,
images, text and hparams, built as torch.utils.tensorboard.summary builds
them. The numbers (histogram bucketing, image scaling and tiling) are
ctorch ops; PNG encoding is Pillow's."""
import io
import numbers

import ctorch as torch

from . import _proto

__all__ = ["scalar", "histogram", "image", "text", "hparams"]

DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7


def _as_tensor(x):
    """What torch.utils.tensorboard accepts (its make_np), as a ctorch tensor: a
    tensor (detached), a NumPy array or scalar, or a Python number (a float
    stays float64, as NumPy holds it)."""
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, (bool, int, float)):
        dtype = torch.bool if isinstance(x, bool) else torch.int64 if isinstance(x, int) else torch.float64
        return torch.tensor([x], dtype=dtype)
    if type(x).__module__ == "numpy":
        return torch.as_tensor(x)
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def scalar(name, value, new_style=False, double_precision=False):
    t = _as_tensor(value)
    if t.numel() != 1:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given size: {t.numel()} and "
                             f"{t.squeeze().dim()} dimensions.")
    value = float(t.reshape(()).item())
    if not new_style:
        return {"value": [{"tag": name, "simple_value": value}]}
    tensor = ({"dtype": DT_DOUBLE, "double_val": [value]} if double_precision else
              {"dtype": DT_FLOAT, "float_val": [value]})
    return {"value": [{"tag": name, "tensor": tensor, "metadata": {"plugin_data": {"plugin_name": "scalars"}}}]}


def default_bins():
    """TensorBoard's default histogram edges: +-1e-12 * 1.1**k up to 1e20, and 0
    (the products accumulate one by one, as the reference loop `v *= 1.1`)."""
    factors = torch.full((800,), 1.1, dtype=torch.float64)
    factors[0] = 1e-12
    pos = factors.cumprod(0)
    pos = pos[pos < 1e20]
    return torch.cat([pos.flip(0).neg(), torch.zeros(1, dtype=torch.float64), pos])


def _uniform_edges(values, n):
    """np.histogram's edges for bins=n: n equal bins over [min, max] (+-0.5 when they are equal)."""
    if not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError("`bins` must be positive, when an integer")
    first, last = values.min().item(), values.max().item()
    if first == last:
        first, last = first - 0.5, last + 0.5
    edges = torch.arange(n + 1, dtype=torch.float64) * ((last - first) / n) + first
    edges[-1] = last
    return edges


def _bin_edges(values, bins):
    if isinstance(bins, str):  # NumPy's bin-count estimators ('auto', 'fd', ...)
        import numpy as np
        return torch.from_numpy(np.histogram_bin_edges(values.numpy(), bins))
    if isinstance(bins, numbers.Integral):
        return _uniform_edges(values, bins)
    return torch.as_tensor(bins, dtype=torch.float64).reshape(-1)


def _counts(values, edges):
    """np.histogram's counts: bin i holds edges[i] <= v < edges[i+1], the last bin
    closed, values outside dropped (torch.histogram's semantics too)."""
    return torch.histogram(values, bins=edges).hist


def _subsample(counts, edges, max_bins):
    """Merge groups of bins so that about max_bins remain (TensorBoard's rule)."""
    nbins = counts.numel()
    step = nbins // max_bins
    if nbins % step:
        counts = torch.cat([counts, counts.new_zeros(step - nbins % step)])
    counts = counts.reshape(-1, step).sum(-1)
    return counts, torch.cat([edges[:-1:step], edges[-1:]])


def histogram(name, values, bins, max_bins=None):
    values = _as_tensor(values).to(torch.float64).reshape(-1)
    if values.numel() == 0:
        raise ValueError("The input has no element.")
    edges = _bin_edges(values, bins)
    counts = _counts(values, edges)
    if max_bins is not None and counts.numel() > max_bins:
        counts, edges = _subsample(counts, edges, max_bins)
    # keep the support [first, last non-empty bin], with one empty bin before it
    # (TensorBoard stores right edges only, so that bin carries the left edge)
    nonempty = (counts > 0).nonzero().reshape(-1)
    if nonempty.numel() == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    start, end = int(nonempty[0]), int(nonempty[-1]) + 1
    counts = counts[start - 1:end] if start > 0 else torch.cat([counts.new_zeros(1), counts[:end]])
    histo = {"min": values.min().item(), "max": values.max().item(), "num": float(values.numel()),
             "sum": values.sum().item(), "sum_squares": values.dot(values).item(),
             "bucket_limit": edges[start:end + 1], "bucket": counts}
    return {"value": [{"tag": name, "histo": histo}]}


def _grid(nchw, ncols=8):
    """N images (N, 3, H, W) tiled row by row, ncols per row, into one (3, H*rows, W*cols) image."""
    n, c, h, w = nchw.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    if nrows * ncols > n:
        nchw = torch.cat([nchw, nchw.new_zeros(nrows * ncols - n, c, h, w)])
    return nchw.reshape(nrows, ncols, c, h, w).permute(2, 0, 3, 1, 4).reshape(c, nrows * h, ncols * w)


def _to_hwc(t, dataformats):
    """An image tensor in `dataformats` (NCHW, CHW, HWC, HW and permutations) as HWC;
    one channel becomes three, a batch becomes a grid."""
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {dataformats}")
    if t.dim() != len(dataformats):
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: "
                             f"{tuple(t.shape)}, input_format: {dataformats}")
    fmt = dataformats.upper()
    if len(fmt) == 4:
        nchw = t.permute(*[fmt.find(c) for c in "NCHW"])
        if nchw.shape[1] == 1:
            nchw = nchw.expand(-1, 3, -1, -1)
        if nchw.shape[1] != 3:
            raise AssertionError("Input should be a 4D numpy array with 3 channels")
        return _grid(nchw).permute(1, 2, 0)
    if len(fmt) == 3:
        hwc = t.permute(*[fmt.find(c) for c in "HWC"])
        return hwc.expand(-1, -1, 3) if hwc.shape[2] == 1 else hwc
    return t.permute(*[fmt.find(c) for c in "HW"]).unsqueeze(2).expand(-1, -1, 3)


_PIL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def image(tag, img, dataformats="NCHW"):
    """Floats in [0, 1] are scaled by 255, uint8 taken as they are; clipped to [0, 255], PNG-encoded."""
    from PIL import Image

    t = _as_tensor(img)
    scale = 1 if t.dtype == torch.uint8 else 255
    hwc = _to_hwc(t, dataformats)
    pixels = (hwc.to(torch.float32) * scale).clip(0, 255).to(torch.uint8).contiguous()
    height, width, channels = pixels.shape
    png = io.BytesIO()
    Image.frombytes(_PIL_MODES[channels], (width, height), bytes(memoryview(pixels))).save(png, format="PNG")
    picture = {"height": height, "width": width, "colorspace": channels, "encoded_image_string": png.getvalue()}
    return {"value": [{"tag": tag, "image": picture}]}


def text(tag, text_string):
    tensor = {"dtype": DT_STRING, "string_val": [text_string.encode("utf-8")],
              "tensor_shape": {"dim": [{"size": 1}]}}
    # the plugin's content, TextPluginData(version=0), has no field set: it is left out
    return {"value": [{"tag": tag + "/text_summary", "tensor": tensor,
                       "metadata": {"plugin_data": {"plugin_name": "text"}}}]}


# hparams plugin: DataType and Status enums, tags
_FLOAT64, _STRING = 3, 1
_STATUS_SUCCESS = 1


def _hparams_summary(tag, **content):
    data = _proto.encode(_proto.HPARAMS_PLUGIN_DATA, content)  # version 0: the default, left out
    return {"value": [{"tag": tag, "metadata": {"plugin_data": {"plugin_name": "hparams", "content": data}}}]}


def _hparam(name, value, domain):
    """(SessionStartInfo entry value, HParamInfo) of one hyperparameter."""
    if isinstance(value, torch.Tensor):
        return {"number_value": float(value.reshape(-1)[0].item())}, {"name": name, "type": _FLOAT64}
    # a bool is an int here: logged as a number, as PyTorch does
    field, kind = (("number_value", _FLOAT64) if isinstance(value, (int, float)) else
                   ("string_value", _STRING) if isinstance(value, str) else (None, None))
    if field is None:
        raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
    info = {"name": name, "type": kind}
    if domain is not None:
        info["domain_discrete"] = {"values": [{field: d} for d in domain]}
    return {field: value}, info


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries of the hparams plugin: experiment, session start, session end."""
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in domains.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as "
                            f"hparam_dict[{k}].")
    entries, infos = [], []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        value, info = _hparam(k, v, domains.get(k))
        entries.append({"key": k, "value": value})
        infos.append(info)
    experiment = {"hparam_infos": infos, "metric_infos": [{"name": {"tag": k}} for k in metric_dict]}
    return (_hparams_summary("_hparams_/experiment", experiment=experiment),
            _hparams_summary("_hparams_/session_start_info", session_start_info={"hparams": entries}),
            _hparams_summary("_hparams_/session_end_info", session_end_info={"status": _STATUS_SUCCESS}))
