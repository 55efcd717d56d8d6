"""ctorch.compat: an unmodified PyTorch script runs on ctorch (`import torch`
resolves to ctorch), with PyTorch's numbers where real PyTorch is installed."""
import os
import subprocess
import sys

import pytest

from helpers import REFERENCE, real_torch

SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "pytorch_style_training.py")


def _run(*cmd):
    out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.skipif(REFERENCE, reason="runs ctorch's compat layer")
def test_script_runs_on_ctorch_through_compat():
    words = _run(sys.executable, "-m", "ctorch.compat", SCRIPT, "x", "y")
    assert words[0] == "ctorch" and words[1:3] == ["['x',", "'y']"]
    assert float(words[-1]) > 0.9


@pytest.mark.skipif(REFERENCE, reason="runs ctorch's compat layer")
def test_install_in_process_resolves_submodules():
    code = ("import ctorch.compat as c; c.install(); import torch, torch.nn as nn; "
            "from torch.utils.data import DataLoader; import torch.nn.functional as F; "
            "print(torch.__name__, nn.__name__, F.__name__, DataLoader.__module__)")
    words = _run(sys.executable, "-c", code)
    assert words == ["ctorch", "ctorch.nn", "ctorch.nn.functional", "ctorch.utils.data.dataloader"]


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
def test_same_numbers_as_pytorch():
    ours = _run(sys.executable, "-m", "ctorch.compat", SCRIPT)
    theirs = _run(sys.executable, SCRIPT)
    assert theirs[0] == "torch" and ours[1:] == theirs[1:]
