"""Configuration: version strings, the cuda / cudnn queries and switches,
and the thread count."""
import re

import numpy as np
import pytest

from helpers import torch


def test_version():
    assert isinstance(torch.__version__, str)
    assert re.match(r"^\d+\.\d+", str(torch.__version__))
    cuda = torch.version.cuda
    assert cuda is None or (isinstance(cuda, str) and re.match(r"^\d+\.\d+", cuda))


def test_cuda_queries():
    available = torch.cuda.is_available()
    assert type(available) is bool
    count = torch.cuda.device_count()
    assert type(count) is int and count >= 0
    assert available == (count > 0)
    if torch.version.cuda is None:  # built without the CUDA backend
        assert available is False and count == 0


def test_cudnn_queries():
    cudnn = torch.backends.cudnn
    avail = cudnn.is_available()
    assert type(avail) is bool
    version = cudnn.version()
    assert version is None or (type(version) is int and version > 0)
    if not avail:
        assert version is None
    if torch.version.cuda is None:
        assert not avail


@pytest.mark.parametrize("flag, default", [("enabled", True), ("benchmark", False), ("deterministic", False)])
def test_cudnn_flags_settable(flag, default):
    cudnn = torch.backends.cudnn
    old = getattr(cudnn, flag)
    assert type(old) is bool and old is default
    try:
        setattr(cudnn, flag, not old)
        assert getattr(cudnn, flag) is (not old)
        assert getattr(torch.backends.cudnn, flag) is (not old)
        setattr(cudnn, flag, old)
        assert getattr(cudnn, flag) is old
    finally:
        setattr(cudnn, flag, old)


def test_num_threads_round_trip():
    old = torch.get_num_threads()
    assert type(old) is int and old >= 1
    try:
        for n in (1, 2, 3, old):
            torch.set_num_threads(n)
            assert torch.get_num_threads() == n
        # computations still work with one thread
        torch.set_num_threads(1)
        t = torch.arange(1_000_000).reshape(1000, 1000).t().contiguous().double()
        np.testing.assert_array_equal(t.numpy(), np.arange(1_000_000.0).reshape(1000, 1000).T)
    finally:
        torch.set_num_threads(old)
    assert torch.get_num_threads() == old


def test_set_num_threads_rejects_non_positive():
    old = torch.get_num_threads()
    try:
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            torch.set_num_threads(0)
        assert torch.get_num_threads() == old
    finally:
        torch.set_num_threads(old)
