"""ctorch.utils.viz.make_dot: the torchviz package's drawing of an autograd
graph as Graphviz DOT. Backward nodes are gray boxes named by their class,
leaf tensors that get a .grad are light blue (named by `params`), the output
is darkolivegreen1. Returns a graphviz.Digraph when the graphviz package is
installed, else a Digraph of this module with the same .source."""
import re

import ctorch as torch

__all__ = ["make_dot", "Digraph"]

_NODE_ATTR = {"style": "filled", "shape": "box", "align": "left", "fontsize": "10", "ranksep": "0.1",
              "height": "0.2", "fontname": "monospace"}
_SAVED_PREFIX = "_saved_"
_DOT_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_DOT_BARE_ID = re.compile(r"[a-zA-Z_\x80-\U0010ffff][a-zA-Z_0-9\x80-\U0010ffff]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)")


def _quote(s):
    """A DOT ID: bare when it is a plain word or number, else double-quoted (as graphviz quotes)."""
    s = str(s)
    if _DOT_BARE_ID.fullmatch(s) and s.lower() not in _DOT_KEYWORDS:
        return s
    return '"' + s.replace('"', '\\"') + '"'


def _attrs(attrs, sort=False):
    items = sorted(attrs.items()) if sort else attrs.items()
    return " [" + " ".join(f"{k}={_quote(v)}" for k, v in items) + "]" if attrs else ""


class Digraph:
    """The part of graphviz.Digraph that make_dot uses: node(), edge(), body,
    graph_attr, .source (DOT text), save(); render() needs graphviz itself."""

    def __init__(self, node_attr=None, graph_attr=None):
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.body = []

    def node(self, name, label=None, **attrs):
        attrs = dict({"label": label} if label is not None else {}, **attrs)
        self.body.append(f"\t{_quote(name)}{_attrs(attrs)}\n")

    def edge(self, tail_name, head_name, **attrs):
        self.body.append(f"\t{_quote(tail_name)} -> {_quote(head_name)}{_attrs(attrs)}\n")

    @property
    def source(self):
        head = ["digraph {\n"]
        if self.graph_attr:
            head.append(f"\tgraph{_attrs(self.graph_attr, sort=True)}\n")
        if self.node_attr:
            head.append(f"\tnode{_attrs(self.node_attr, sort=True)}\n")
        return "".join(head + self.body) + "}\n"

    def __str__(self):
        return self.source

    def save(self, filename="Digraph.gv", directory=None):
        """Write the DOT source to a file; returns its path."""
        import os
        path = os.path.join(directory, filename) if directory else filename
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    def render(self, *args, **kwargs):
        raise RuntimeError("rendering a graph needs the graphviz package (pip install graphviz) and the Graphviz "
                           "programs; .source holds the DOT text and save() writes it")


def _new_digraph(node_attr, graph_attr):
    try:
        from graphviz import Digraph as GraphvizDigraph
    except ImportError:
        return Digraph(node_attr=node_attr, graph_attr=graph_attr)
    return GraphvizDigraph(node_attr=node_attr, graph_attr=graph_attr)


def _size_to_str(size):
    return "(" + ", ".join("%d" % v for v in size) + ")"


def _fn_label(fn, show_attrs, max_attr_chars):
    """The node's class name, with a table of its saved attributes when asked
    (only those a node exposes as _saved_*)."""
    name = type(fn).__name__
    saved = {a[len(_SAVED_PREFIX):]: getattr(fn, a) for a in dir(fn) if a.startswith(_SAVED_PREFIX)}
    if not show_attrs or not saved:
        return name
    shown = {k: "[saved tensor]" if isinstance(v, torch.Tensor) else
             "[saved tensors]" if isinstance(v, tuple) and any(isinstance(t, torch.Tensor) for t in v) else str(v)
             for k, v in saved.items()}
    max_attr_chars = max(max_attr_chars, 3)
    key_width = max(len(k) for k in shown)
    value_width = min(max(len(v) for v in shown.values()), max_attr_chars)
    rule = "-" * max(key_width + value_width + 2, len(name))
    cut = lambda s: s[:value_width - 3] + "..." if len(s) > value_width else s  # noqa: E731
    rows = "\n".join("%-*s: %*s" % (key_width, k, value_width, cut(v)) for k, v in shown.items())
    return name + "\n" + rule + "\n" + rows


class _GraphBuilder:
    """Walks grad_fn -> next_functions from the outputs, adding each node once.
    Backward-node objects compare equal (and hash alike) per graph node, so
    they key `seen`; their DOT names come from that hash, tensors' from id().
    ctorch gives a leaf one AccumulateGrad per use: they are drawn as one
    node per leaf, as PyTorch's graph has."""

    def __init__(self, dot, param_map, show_attrs, show_saved, max_attr_chars):
        self.dot, self.param_map = dot, param_map
        self.show_attrs, self.show_saved, self.max_attr_chars = show_attrs, show_saved, max_attr_chars
        self.seen = set()

    def tensor_label(self, t, name=None):
        return "%s\n %s" % (name or self.param_map.get(id(t), ""), _size_to_str(t.size()))

    def add_saved(self, fn):
        for attr in dir(fn):
            if not attr.startswith(_SAVED_PREFIX):
                continue
            value, name = getattr(fn, attr), attr[len(_SAVED_PREFIX):]
            tensors = ([(name, value)] if isinstance(value, torch.Tensor) else
                       [(f"{name}[{i}]", t) for i, t in enumerate(value) if isinstance(t, torch.Tensor)]
                       if isinstance(value, tuple) else [])
            for label, t in tensors:
                self.seen.add(id(t))
                self.dot.edge(_fn_id(fn), str(id(t)), dir="none")
                self.dot.node(str(id(t)), self.tensor_label(t, label), fillcolor="orange")

    def add_fn(self, fn):
        if _fn_key(fn) in self.seen:
            return
        self.seen.add(_fn_key(fn))
        if self.show_saved:
            self.add_saved(fn)
        variable = getattr(fn, "variable", None)
        if variable is not None:  # AccumulateGrad: draw its leaf tensor
            self.seen.add(id(variable))
            self.dot.node(str(id(variable)), self.tensor_label(variable), fillcolor="lightblue")
            self.dot.edge(str(id(variable)), _fn_id(fn))
        self.dot.node(_fn_id(fn), _fn_label(fn, self.show_attrs, self.max_attr_chars))
        for next_fn, _ in getattr(fn, "next_functions", ()):
            if next_fn is not None:
                self.dot.edge(_fn_id(next_fn), _fn_id(fn))
                self.add_fn(next_fn)

    def add_output(self, var):
        if id(var) in self.seen:
            return
        self.seen.add(id(var))
        self.dot.node(str(id(var)), self.tensor_label(var), fillcolor="darkolivegreen1")
        if var.grad_fn is not None:
            self.add_fn(var.grad_fn)
            self.dot.edge(_fn_id(var.grad_fn), str(id(var)))


def _fn_key(fn):
    variable = getattr(fn, "variable", None)
    return fn if variable is None else ("AccumulateGrad", id(variable))


def _fn_id(fn):
    key = _fn_key(fn)
    return "fn%x" % (hash(fn) & ((1 << 64) - 1)) if key is fn else "acc%d" % key[1]


def _resize(dot, size_per_element=0.15, min_size=12):
    """Scale the drawing with its number of statements, as torchviz does."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=f"{size},{size}")


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The autograd graph that produced var (a tensor or a tuple of tensors) as a Digraph.

    params: {name: tensor} naming the leaf tensors; show_attrs / show_saved:
    also draw the nodes' saved attributes / tensors where they expose them."""
    if params is not None:
        if not all(isinstance(p, torch.Tensor) for p in params.values()):
            raise AssertionError("make_dot: every value of params must be a tensor")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    dot = _new_digraph(_NODE_ATTR, {"size": "12,12"})
    builder = _GraphBuilder(dot, param_map, show_attrs, show_saved, max_attr_chars)
    for v in (var if isinstance(var, tuple) else (var,)):
        builder.add_output(v)
    _resize(dot)
    return dot
