"""ctorch.utils.summary (torchsummary's table) and ctorch.utils.viz.make_dot
(torchviz's DOT graph). With CTORCH_TEST_REFERENCE=torch the same tests run
the torchsummary and torchviz packages on real PyTorch (skipped where they
are not installed); parity tests compare the two side by side."""
import contextlib
import io
import re

import pytest

from helpers import REFERENCE, real_torch, torch

nn = torch.nn
parity = pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")

if REFERENCE:
    torchsummary = pytest.importorskip("torchsummary")
    torchviz = pytest.importorskip("torchviz")
    make_dot = torchviz.make_dot
else:
    from ctorch.utils.viz import make_dot


def summary_text(model, input_size, **kw):
    """What summary() prints (torchsummary's own print, in the reference run)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if REFERENCE:
            torchsummary.summary(model, input_size, device="cpu", **kw)
        else:
            torch.utils.summary(model, input_size, **kw)
    return out.getvalue().rstrip("\n") + "\n"


def small_cnn(T):
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = T.nn.Conv2d(1, 4, 3)
            self.bn = T.nn.BatchNorm2d(4)
            self.pool = T.nn.MaxPool2d(2)
            self.fc = T.nn.Sequential(T.nn.Linear(4 * 13 * 13, 10), T.nn.ReLU(), T.nn.Linear(10, 3))

        def forward(self, x):
            x = self.pool(T.relu(self.bn(self.conv1(x))))
            return self.fc(x.flatten(1))

    return Net()


CNN_TABLE = """\
----------------------------------------------------------------
        Layer (type)               Output Shape         Param #
================================================================
            Conv2d-1            [-1, 4, 26, 26]              40
       BatchNorm2d-2            [-1, 4, 26, 26]               8
         MaxPool2d-3            [-1, 4, 13, 13]               0
            Linear-4                   [-1, 10]           6,770
              ReLU-5                   [-1, 10]               0
            Linear-6                    [-1, 3]              33
================================================================
Total params: 6,851
Trainable params: 6,851
Non-trainable params: 0
----------------------------------------------------------------
Input size (MB): 0.00
Forward/backward pass size (MB): 0.05
Params size (MB): 0.03
Estimated Total Size (MB): 0.08
----------------------------------------------------------------
"""


def test_summary_of_a_small_cnn():
    model = small_cnn(torch)
    assert summary_text(model, (1, 28, 28)) == CNN_TABLE
    assert "Total params: {:,}".format(sum(p.numel() for p in model.parameters())) in CNN_TABLE


@pytest.mark.skipif(REFERENCE, reason="torchsummary 1.5.1 returns nothing")
def test_summary_returns_the_counts():
    model = small_cnn(torch)
    with contextlib.redirect_stdout(io.StringIO()):
        total, trainable = torch.utils.summary(model, (1, 28, 28))
    assert total == trainable == sum(p.numel() for p in model.parameters())


def test_summary_frozen_layers_and_batch_size():
    model = small_cnn(torch)
    model.conv1.weight.requires_grad_(False)
    text = summary_text(model, (1, 28, 28), batch_size=16)
    assert "Total params: 6,851\nTrainable params: 6,811\nNon-trainable params: 40\n" in text
    assert re.search(r"Conv2d-1\s+\[16, 4, 26, 26\]\s+40\n", text)
    # input 16 * 784 * 4 bytes; outputs 2 (with gradients) * 16 * 6107 numbers * 4 bytes
    assert "Input size (MB): 0.05\nForward/backward pass size (MB): 0.75\n" in text


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 4)
        self.b = nn.Linear(6, 4, bias=False)

    def forward(self, x, y):
        return self.a(x), self.b(y)


def test_summary_of_several_inputs_and_outputs():
    text = summary_text(TwoInputs(), [(6,), (6,)])
    assert re.search(r"Linear-1\s+\[-1, 4\]\s+28\n\s+Linear-2\s+\[-1, 4\]\s+24\n", text)
    assert "Total params: 52\n" in text


@pytest.mark.skipif(REFERENCE, reason="torchsummary 1.5.1 has no dtypes")
def test_summary_dtypes():
    model = nn.Sequential(nn.Embedding(10, 3), nn.Flatten(), nn.Linear(15, 2))
    text = summary_text(model, (5,), dtypes=[torch.long])
    assert re.search(r"Embedding-1\s+\[-1, 5, 3\]\s+30\n", text)
    assert "Total params: 62\n" in text


def test_summary_model_errors_propagate():
    with pytest.raises(RuntimeError):
        summary_text(small_cnn(torch), (2, 28, 28))


def dot_structure(source):
    """(labels, edges between labels) of a DOT text; node ids are arbitrary, labels are not."""
    labels, edges = {}, []
    # statements start a line with a tab; a label's second line does not
    for line in source.rstrip().removesuffix("}").rstrip("\n").split("\n\t")[1:]:
        m = re.fullmatch(r'(\S+) -> (\S+)(?: \[.*\])?', line)
        if m:
            edges.append(m.groups())
        m = re.fullmatch(r'(\S+) \[label=(".*?"|\S+)(.*)\]', line, re.S)
        if m and "->" not in line:
            labels[m.group(1)] = (m.group(2).strip('"'), re.findall(r"fillcolor=(\w+)", m.group(3)))
    return sorted(labels.values()), sorted((labels[a][0], labels[b][0]) for a, b in edges)


def small_graph(T, mk, **kw):
    a = T.randn(2, 3, requires_grad=True)
    w = T.randn(3, 4, requires_grad=True)
    y = (a @ w).tanh().sum() * a.sum()
    return mk(y, params={"a": a, "w": w}, **kw)


def test_make_dot_nodes_and_edges():
    labels, edges = dot_structure(small_graph(torch, make_dot).source)
    assert labels == sorted([("\n ()", ["darkolivegreen1"]), ("MulBackward0", []), ("SumBackward0", []),
                             ("SumBackward0", []), ("TanhBackward0", []), ("MmBackward0", []),
                             ("AccumulateGrad", []), ("AccumulateGrad", []), ("a\n (2, 3)", ["lightblue"]),
                             ("w\n (3, 4)", ["lightblue"])])
    assert edges == sorted([("MulBackward0", "\n ()"), ("SumBackward0", "MulBackward0"),
                            ("SumBackward0", "MulBackward0"), ("TanhBackward0", "SumBackward0"),
                            ("AccumulateGrad", "SumBackward0"), ("MmBackward0", "TanhBackward0"),
                            ("AccumulateGrad", "MmBackward0"), ("AccumulateGrad", "MmBackward0"),
                            ("a\n (2, 3)", "AccumulateGrad"), ("w\n (3, 4)", "AccumulateGrad")])


def test_make_dot_header_and_unnamed_leaves():
    x = torch.ones(3, requires_grad=True)
    dot = make_dot((x * x).sum(), params=None)
    assert dot.source.startswith("digraph {\n\tgraph [size=\"12,12\"]\n\tnode [align=left fontname=monospace "
                                 "fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]\n")
    labels, _ = dot_structure(dot.source)
    assert ("\n (3)", ["lightblue"]) in labels
    assert str(dot) == dot.source


def test_make_dot_several_outputs_and_no_graph():
    x = torch.ones(2, requires_grad=True)
    labels, edges = dot_structure(make_dot((x.exp(), x.sin())).source)
    assert [l for l, _ in labels].count("\n (2)") == 3 and ("AccumulateGrad", "ExpBackward0") in edges
    labels, edges = dot_structure(make_dot(torch.ones(2)).source)
    assert labels == [("\n (2)", ["darkolivegreen1"])] and edges == []


def test_make_dot_graph_grows_with_size():
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(60):
        y = y * 1.5
    dot = make_dot(y.sum())
    size = len(dot.body) * 0.15
    assert size > 12 and f'size="{size},{size}"' in dot.source


@pytest.mark.skipif(REFERENCE, reason="torchviz needs graphviz")
def test_make_dot_without_graphviz(tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("no graphviz")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    dot = small_graph(torch, make_dot)
    assert type(dot).__module__ == "ctorch.utils.viz"
    path = dot.save(str(tmp_path / "g.gv"))
    assert open(path).read() == dot.source
    with pytest.raises(RuntimeError, match="needs the graphviz package"):
        dot.render()


def test_make_dot_bad_params():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(AssertionError):
        make_dot(x.sum(), params={"x": [1, 2]})


# ---- parity with torchsummary / torchviz on real PyTorch ----

@pytest.mark.parity
@parity
def test_summary_parity_with_torchsummary():
    ref = pytest.importorskip("torchsummary")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ref.summary(small_cnn(real_torch), (1, 28, 28), device="cpu")
    assert summary_text(small_cnn(torch), (1, 28, 28)) == out.getvalue()


@pytest.mark.parity
@parity
def test_make_dot_parity_with_torchviz():
    ref = pytest.importorskip("torchviz")
    ours = dot_structure(small_graph(torch, make_dot).source)
    theirs = dot_structure(small_graph(real_torch, ref.make_dot).source)
    assert ours == theirs


@pytest.mark.parity
def test_make_dot_returns_graphviz_digraph_where_installed():
    graphviz = pytest.importorskip("graphviz")
    assert isinstance(small_graph(torch, make_dot), graphviz.Digraph)
    if not REFERENCE:
        from ctorch.utils.viz import Digraph
        ours = Digraph(node_attr={"shape": "box"}, graph_attr={"size": "12,12"})
        theirs = graphviz.Digraph(node_attr={"shape": "box"}, graph_attr={"size": "12,12"})
        for g in (ours, theirs):
            g.node("1", "a\n (2, 3)", fillcolor="lightblue")
            g.node("2", "MulBackward0")
            g.edge("1", "2")
            g.edge("2", "3", dir="none")
        assert ours.source == theirs.source
