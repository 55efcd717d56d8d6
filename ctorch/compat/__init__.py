"""Run PyTorch code unchanged on ctorch: `import torch` and `import torchvision`
(and their submodules) resolve to ctorch and ctorch.vision.

    python -m ctorch.compat script.py [args...]     # a script
    import ctorch.compat; ctorch.compat.install()   # in a notebook, before `import torch`
"""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install", "uninstall", "installed", "ALIASES"]

# top-level names and what they resolve to
ALIASES = {"torch": "ctorch", "torchvision": "ctorch.vision"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass   # already executed: it is the ctorch module itself


class _AliasFinder(importlib.abc.MetaPathFinder):
    """torch[.x.y] -> ctorch[.x.y] (torchvision[.x] -> ctorch.vision[.x]), the same module objects."""

    def find_spec(self, fullname, path=None, target=None):
        top, _, rest = fullname.partition(".")
        if top not in ALIASES:
            return None
        real = ALIASES[top] + ("." + rest if rest else "")
        if importlib.util.find_spec(real) is None:
            return None   # an import error names the torch module the script asked for
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


_finder = _AliasFinder()


def install():
    """Make `import torch` / `import torchvision` give ctorch from now on in this process."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def installed():
    """Whether `import torch` gives ctorch in this process now."""
    return _finder in sys.meta_path


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n.partition(".")[0] in ALIASES]:
        if sys.modules[name].__name__.partition(".")[0] == "ctorch":
            del sys.modules[name]
