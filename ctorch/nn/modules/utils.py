"""_ntuple and its instances, as torch.nn.modules.utils: an argument as an
n-tuple (a sequence as it is, a number repeated)."""
import collections.abc

__all__ = []


def _ntuple(n, name="parse"):
    def parse(x):
        return tuple(x) if isinstance(x, collections.abc.Iterable) else (x,) * n
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")
