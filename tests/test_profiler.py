"""autograd.profiler: every kernel call recorded with its time and shapes,
record_function ranges with self times, PyTorch's table layout; the
bottleneck runner."""
import os
import subprocess
import sys

import pytest

from helpers import REFERENCE, real_torch, torch

pytestmark = pytest.mark.skipif(REFERENCE, reason="ctorch's op names (PyTorch's profiler names its own ops)")


def test_profile_records_ops_ranges_and_shapes():
    x = torch.randn(32, 16)
    w = torch.randn(16, 8)
    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        with torch.autograd.profiler.record_function("forward"):
            for _ in range(4):
                (x @ w).relu().sum()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["aten::gemm"].count == 4 and avg["aten::relu"].count == 4 and avg["aten::sum"].count == 4
    assert avg["forward"].count == 1
    fwd = avg["forward"]
    inner = sum(e.cpu_time_total for k, e in avg.items() if k != "forward")
    assert fwd.cpu_time_total >= inner and abs(fwd.self_cpu_time_total - (fwd.cpu_time_total - inner)) < 1e-6
    shapes = {e.input_shapes for e in prof.key_averages(group_by_input_shape=True) if e.key == "aten::relu"}
    assert shapes == {"[[32, 8], [32, 8]]"}
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)
    header = table.splitlines()[1]
    for col in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"):
        assert col in header
    assert "Self CPU time total:" in table and "aten::gemm" in str(prof)


def test_disabled_profile_records_nothing_and_ops_outside_are_not_recorded():
    with torch.autograd.profiler.profile(enabled=False) as prof:
        torch.ones(3).sum()
    assert prof.function_events is None
    with torch.autograd.profiler.profile() as prof:
        pass
    torch.ones(3).sum()
    assert len(prof.function_events) == 0


def test_bottleneck_runner(tmp_path):
    script = tmp_path / "work.py"
    script.write_text("import ctorch as torch\nx = torch.randn(50, 50)\nfor _ in range(5): (x @ x).tanh()\n")
    out = subprocess.run([sys.executable, "-m", "ctorch.utils.bottleneck", str(script)], capture_output=True,
                         text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0, out.stderr
    assert "cProfile output" in out.stdout and "aten::gemm" in out.stdout and "aten::tanh" in out.stdout


# ---------------------------------------------------------------- the printed table's layout is PyTorch's

LONG = "a_range_name_longer_than_the_fifty_five_characters_of_the_name_column"


def table_layout(lib):
    """(lines, the relu row, the long name's row) of a key_averages() table made with `lib`."""
    x = lib.randn(16, 16)
    with lib.autograd.profiler.profile() as prof:
        lib.relu(x)
        with lib.autograd.profiler.record_function(LONG):
            lib.relu(x)
    table = prof.key_averages().table(sort_by="self_cpu_time_total")
    lines = table.split("\n")
    return lines, next(r for r in lines if "aten::relu" in r), next(r for r in lines if r.lstrip().startswith(LONG[:20]))


def test_table_layout():
    lines, relu, long = table_layout(torch)
    sep = "-" * 55 + "  " + "------------  " * 6   # the name column: 55 wide (its maximum), the others 12
    assert lines[0] == lines[2] == lines[-3] == sep and lines[-1] == ""   # every line ends "\n"
    assert lines[1] == f"{'Name':>55}  " + "".join(f"{c:>12}  " for c in ("Self CPU %", "Self CPU", "CPU total %",
                                                                            "CPU total", "CPU time avg", "# of Calls"))
    assert relu.startswith(" " * 45 + "aten::relu  ") and relu.endswith("             2  ")
    assert long.startswith(LONG[:52] + "...  ")   # cut to 52 characters and "..."
    assert lines[-2].startswith("Self CPU time total: ")
    with torch.autograd.profiler.profile() as prof:
        pass
    assert prof.key_averages().table() == ""


@pytest.mark.parity
@pytest.mark.skipif(real_torch is None, reason="needs real PyTorch beside ctorch")
def test_table_layout_is_pytorchs():
    ours, theirs = table_layout(torch), table_layout(real_torch)
    assert [ours[0][i] for i in (0, 1, 2, -3, -1)] == [theirs[0][i] for i in (0, 1, 2, -3, -1)]
    assert ours[1][:57] == theirs[1][:57] and ours[2][:57] == theirs[2][:57]   # the name cells
