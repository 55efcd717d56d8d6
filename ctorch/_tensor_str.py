"""Tensor repr/str, printed exactly as PyTorch 2.x prints it.

Pure Python: the tensor only has to offer dim(), shape, numel(), dtype, device,
tolist(), t[i], narrow(dim, start, length), requires_grad and grad_fn. When a
tensor is summarized (numel > threshold) only the edge items are gathered, piece
by piece, so printing a huge tensor never converts all of it to Python values.
"""
import contextlib
import math

_DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80)
_PROFILES = {
    "default": _DEFAULTS,
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
_OPTS = dict(_DEFAULTS, sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None,
                     linewidth=None, profile=None, sci_mode=None):
    """Same semantics as torch.set_printoptions: a profile first resets the four
    numeric options, explicit arguments then override it, and sci_mode is always
    assigned (passing nothing resets it to automatic)."""
    if profile is not None:
        _OPTS.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _OPTS[key] = value
    _OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """The current options, as a dict that set_printoptions(**d) accepts."""
    return {k: _OPTS[k] for k in ("precision", "threshold", "edgeitems",
                                  "linewidth", "sci_mode")}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def _default_dtype():
    try:
        import ctorch
        return str(ctorch.get_default_dtype())
    except Exception:  # core not built / not importable yet
        return "torch.float32"


class _Skip:
    """Marks the place of the elided items of a summarized dimension."""


_SKIP = _Skip()


def _gather(t, summarize):
    """Nested Python lists of the elements that will be shown (_SKIP where a
    summarized dimension drops its middle)."""
    if not summarize or t.dim() == 0:
        return t.tolist()
    e = _OPTS["edgeitems"]
    if not e:
        return [_SKIP]          # nothing but '...' is printed
    n = int(t.shape[0])
    if t.dim() == 1:
        if n > 2 * e:
            return (t.narrow(0, 0, e).tolist() + [_SKIP]
                    + t.narrow(0, n - e, e).tolist())
        return t.tolist()
    rows = range(n) if n <= 2 * e else [*range(e), None, *range(n - e, n)]
    return [_SKIP if i is None else _gather(t[i], True) for i in rows]


def _leaves(x, out):
    if isinstance(x, list):
        for item in x:
            _leaves(item, out)
    elif x is not _SKIP:
        out.append(x)
    return out


def _map(x, fn):
    if isinstance(x, list):
        return [_map(item, fn) for item in x]
    return x if x is _SKIP else fn(x)


class _Formatter:
    """One common format for all shown elements (PyTorch's _Formatter)."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not floating:
            for v in values:
                self.width = max(self.width, len(str(v)))
            return
        # the decisions look only at finite, non-zero values
        vals = [float(v) for v in values if math.isfinite(v) and v != 0]
        if not vals:
            return
        p = _OPTS["precision"]
        lo = min(abs(v) for v in vals)
        hi = max(abs(v) for v in vals)
        self.int_mode = all(v.is_integer() for v in vals)
        if _OPTS["sci_mode"] is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(_OPTS["sci_mode"])
        if self.sci_mode:
            strs = [f"{v:.{p}e}" for v in vals]
        elif self.int_mode:
            strs = [f"{v:.0f}." for v in vals]   # '.' marks a float dtype
        else:
            strs = [f"{v:.{p}f}" for v in vals]
        self.width = max(self.width, max(len(s) for s in strs))

    def format(self, v):
        if not self.floating:
            s = str(v)
        else:
            v = float(v)
            p = _OPTS["precision"]
            if self.sci_mode:
                s = f"{v:{self.width}.{p}e}"
            elif self.int_mode:
                # integral floats print as '3.'; nan/inf get no dot
                s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                s = f"{v:.{p}f}"
        return s.rjust(self.width)


class _ComplexFormatter:
    """Real and imaginary parts each get their own float formatter."""

    def __init__(self, values):
        self.re = _Formatter([complex(v).real for v in values], True)
        self.im = _Formatter([complex(v).imag for v in values], True)
        self.width = self.re.width + self.im.width + 1   # + 'j'

    def format(self, v):
        v = complex(v)
        im = (self.im.format(v.imag) + "j").lstrip()
        # the imaginary part carries its own sign when negative (or '-0.')
        return self.re.format(v.real) + ("" if im[0] in "+-" else "+") + im


def _vector_str(row, indent, fmt):
    # every element takes its width plus ', '
    per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2)))
    skip = " ..." if _OPTS["edgeitems"] else "..."
    data = [skip if x is _SKIP else fmt.format(x) for x in row]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(x, dim, indent, fmt):
    if dim == 0:
        return fmt.format(x)
    if dim == 1:
        return _vector_str(x, indent, fmt)
    parts = ["..." if s is _SKIP else _nested_str(s, dim - 1, indent + 1, fmt)
             for s in x]
    # sub-tensors of a k-d tensor are separated by k-1 newlines (blank lines)
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(parts) + "]"


def _tensor_str(t, indent, dtype):
    summarize = t.numel() > _OPTS["threshold"]
    shown = _gather(t, summarize)
    if dtype == "torch.bool":           # print True/False even if given 1/0
        shown = _map(shown, bool)
    values = _leaves(shown, [])
    if dtype.startswith("torch.complex"):
        fmt = _ComplexFormatter(values)
    else:
        fmt = _Formatter(values, bool(t.dtype.is_floating_point))
    return _nested_str(shown, t.dim(), indent, fmt)


def _add_suffixes(text, suffixes, indent):
    # PyTorch's own bookkeeping: with no newline yet, this counts len + 2
    last_line_len = len(text) - text.rfind("\n") + 1
    out = [text]
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(out) + ")"


def tensor_repr(t):
    """repr(t) / str(t), as PyTorch prints a plain tensor."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    device = t.device
    if getattr(device, "type", str(device)) != "cpu":
        suffixes.append(f"device='{device}'")

    dtype = str(t.dtype)
    default = _default_dtype()
    default_complex = ("torch.complex128" if default == "torch.float64"
                       else "torch.complex64")
    shape = tuple(int(s) for s in t.shape)
    if t.numel() == 0:
        if t.dim() != 1:                 # NumPy-style: (0,) goes unstated
            suffixes.append(f"size={shape}")
        # no elements to tell int64 from float: any non-default dtype is shown
        if dtype != default:
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not _OPTS["edgeitems"]:
            suffixes.append(f"size={shape}")
        if dtype not in (default, default_complex, "torch.int64", "torch.bool"):
            suffixes.append(f"dtype={dtype}")
        body = _tensor_str(t, indent, dtype)

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        name = grad_fn.name() if callable(getattr(grad_fn, "name", None)) \
            else type(grad_fn).__name__
        suffixes.append(f"grad_fn=<{name.rsplit('::', 1)[-1]}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + body, suffixes, indent)
