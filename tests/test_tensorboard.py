"""torch.utils.tensorboard.SummaryWriter: event files read back through
ctorch's reader (ctorch.utils.tensorboard._reader, CRCs checked), so the same
tests run against PyTorch's writer (CTORCH_TEST_REFERENCE=torch); NumPy is
the oracle for histogram buckets and image pixels, Pillow decodes the PNGs;
where the tensorboard package is installed, its EventAccumulator reads
ctorch's files (scalars, histograms, images, text)."""
import glob
import importlib
import io
import os
import re
import socket
import struct
import time

import numpy as np
import pytest

import ctorch
from ctorch.utils.tensorboard import _proto
from ctorch.utils.tensorboard._reader import read_events
from ctorch.utils.tensorboard._record import frame, masked_crc32c, read_records
from helpers import REFERENCE, torch

tb = importlib.import_module(torch.__name__ + ".utils.tensorboard")
SummaryWriter = tb.SummaryWriter

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
except ImportError:
    EventAccumulator = None


def event_files(log_dir):
    return sorted(glob.glob(os.path.join(str(log_dir), "events.out.tfevents.*")))


def summaries(log_dir):
    """(step, value dict) of every summary value in the run's event files."""
    out = []
    for path in event_files(log_dir):
        for event in read_events(path):
            for value in event.get("summary", {}).get("value", []):
                out.append((event.get("step", 0), value))
    return out


def tf_default_bins():
    """TensorBoard's default histogram edges, built as its reference loop builds them."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0] + pos


def numpy_histogram(values, bins, max_bins=None):
    """The histogram TensorBoard stores: np.histogram, optional merging of bins,
    the support between the first and last non-empty bin plus one empty bin before."""
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        step = len(counts) // max_bins
        counts = np.pad(counts, (0, (-len(counts)) % step)).reshape(-1, step).sum(-1)
        limits = np.append(limits[:-1:step], limits[-1])
    nz = np.flatnonzero(counts)
    start, end = nz[0], nz[-1] + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    return limits[start:end + 1], counts


# ---- CRC-32C and TFRecord framing ----

@pytest.mark.parametrize("data, crc", [
    (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43), (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C), (b"123456789", 0xE3069283), (b"", 0),
])
def test_crc32c_rfc3720_vectors(data, crc):
    assert ctorch._C._crc32c(data) == crc
    assert ctorch._C._crc32c(bytearray(data)) == crc
    assert ctorch._C._crc32c(memoryview(data)) == crc


def test_crc32c_continues_across_chunks():
    data = np.random.default_rng(0).integers(0, 256, 3 << 20, dtype=np.uint8).tobytes()  # > 1 MiB: GIL released
    whole = ctorch._C._crc32c(data)
    for cut in (0, 1, 7, 8, 1000, len(data) - 3):
        assert ctorch._C._crc32c(data[cut:], ctorch._C._crc32c(data[:cut])) == whole
    assert whole != ctorch._C._crc32c(data[:-1] + bytes([data[-1] ^ 1]))


@pytest.mark.parametrize("bad", ["text", 12, None])
def test_crc32c_rejects_non_bytes(bad):
    with pytest.raises(TypeError):
        ctorch._C._crc32c(bad)


def test_masked_crc_is_tfrecords():
    crc = ctorch._C._crc32c(b"abc")
    assert masked_crc32c(b"abc") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    rec = frame(b"abc")
    assert struct.unpack("<Q", rec[:8])[0] == 3 and rec[12:15] == b"abc" and len(rec) == 19


@pytest.mark.parametrize("damage, match", [
    (lambda b: b[:5] + bytes([b[5] ^ 1]) + b[6:], "corrupted record length"),
    (lambda b: b[:-6] + bytes([b[-6] ^ 1]) + b[-5:], "corrupted record data"),
    (lambda b: b[:-2], "truncated record"),
    (lambda b: b + b"\x01\x02", "truncated record header"),
])
def test_reader_detects_damage(tmp_path, damage, match):
    path = tmp_path / "rec"
    path.write_bytes(frame(b"first") + frame(b"second record"))
    assert read_records(path) == [b"first", b"second record"]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=match):
        read_records(path)


def test_proto_round_trip():
    msg = {"wall_time": 1.5, "step": -3, "file_version": "brain.Event:2",
           "summary": {"value": [{"tag": "é", "simple_value": 0.25}, {"tag": "b", "histo": {
               "min": -1.0, "bucket_limit": [1.0, 2.0], "bucket": ctorch.tensor([3.0, 4.0], dtype=ctorch.float64)}}]}}
    back = _proto.decode(_proto.EVENT, _proto.encode(_proto.EVENT, msg))
    assert back["step"] == -3 and back["wall_time"] == 1.5 and back["file_version"] == "brain.Event:2"
    assert back["summary"]["value"][0] == {"tag": "é", "simple_value": 0.25}
    assert back["summary"]["value"][1]["histo"] == {"min": -1.0, "bucket_limit": [1.0, 2.0], "bucket": [3.0, 4.0]}


# ---- the writer: files, folders, events ----

def test_file_name_and_first_event(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".v2") as w:
        assert w.get_logdir() == tmp_path
    (path,) = event_files(tmp_path)
    name = os.path.basename(path)
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\.%s\.%d\.\d+\.v2" % (re.escape(socket.gethostname()),
                                                                           os.getpid()), name)
    first = read_events(path)[0]
    assert first["file_version"] == "brain.Event:2" and first["wall_time"] > 1e9


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_%s_lr0\.1" % re.escape(socket.gethostname()),
                        w.get_logdir())
    assert len(event_files(tmp_path / w.get_logdir())) == 1


def test_scalars(tmp_path):
    w = SummaryWriter(tmp_path)
    for i in range(5):
        w.add_scalar("loss", 1.0 / (i + 1), i)
    w.add_scalar("tensor", torch.tensor([2.5]), 7, walltime=1234.5)
    w.add_scalar("numpy", np.float64(0.1), 8)
    w.add_scalar("int", 3)
    w.add_scalar("new", 0.75, 9, new_style=True)
    w.add_scalar("new64", 0.1, 10, new_style=True, double_precision=True)
    w.close()
    values = summaries(tmp_path)
    assert [(s, v["tag"], v["simple_value"]) for s, v in values[:5]] == [
        (i, "loss", float(np.float32(1.0 / (i + 1)))) for i in range(5)]
    assert values[5] == (7, {"tag": "tensor", "simple_value": 2.5})
    assert values[6] == (8, {"tag": "numpy", "simple_value": float(np.float32(0.1))})
    assert values[7] == (0, {"tag": "int", "simple_value": 3.0})
    step, new = values[8]
    assert step == 9 and new["tensor"]["dtype"] == 1 and new["tensor"]["float_val"] == [0.75]
    assert new["metadata"]["plugin_data"]["plugin_name"] == "scalars"
    step, new64 = values[9]
    assert step == 10 and new64["tensor"]["dtype"] == 2 and new64["tensor"]["double_val"] == [0.1]
    walltimes = [e["wall_time"] for e in read_events(event_files(tmp_path)[0]) if e.get("step") == 7]
    assert walltimes == [1234.5]


def test_scalar_needs_one_element(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="Tensor should contain one element"):
            w.add_scalar("x", torch.ones(3))


def test_add_scalars_sub_writers(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i in range(3):
            w.add_scalars("run/14h", {"xsinx": i * 0.5, "xcosx": torch.tensor(i * 2.0)}, i)
    for tag, scale in (("xsinx", 0.5), ("xcosx", 2.0)):
        sub = os.path.join(str(tmp_path), "run_14h_" + tag)
        assert os.path.isdir(sub) and len(event_files(sub)) == 1
        assert [(s, v["tag"], v["simple_value"]) for s, v in summaries(sub)] == [
            (i, "run/14h", i * scale) for i in range(3)]
    assert summaries(tmp_path) == []


HIST_CASES = [("tensorflow", None), ("tensorflow", 50), (10, None), (10, 3), (7, 4), ("auto", None),
              ([-2.0, -0.5, 0.0, 0.5, 3.0], None)]


@pytest.mark.parametrize("bins, max_bins", HIST_CASES)
def test_histogram_matches_numpy(tmp_path, bins, max_bins):
    values = np.random.default_rng(1).standard_normal(2000) * 2
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", torch.tensor(values), 3, bins=bins, max_bins=max_bins)
    ((step, value),) = summaries(tmp_path)
    histo = value["histo"]
    limits, counts = numpy_histogram(values, tf_default_bins() if bins == "tensorflow" else bins, max_bins)
    assert step == 3 and value["tag"] == "h"
    np.testing.assert_array_equal(histo["bucket_limit"], limits)
    np.testing.assert_array_equal(histo["bucket"], counts)
    assert (histo["min"], histo["max"], histo["num"]) == (values.min(), values.max(), 2000.0)
    np.testing.assert_allclose([histo["sum"], histo["sum_squares"]], [values.sum(), values @ values], rtol=1e-12)


@pytest.mark.parametrize("name", ["uint8", "int32", "int64", "float32", "float64", "bool"])
def test_histogram_dtypes_and_layouts(tmp_path, name):
    base = np.random.default_rng(2).integers(0, 5, (6, 8)).astype(name)
    t = torch.tensor(base)
    inputs = [t, t.t(), t[::2, 1::3], torch.tensor(base[0, 0]).expand(3, 4)]
    with SummaryWriter(tmp_path) as w:
        for i, x in enumerate(inputs):
            w.add_histogram("h", x, i)
    arrays = [base, base.T, base[::2, 1::3], np.broadcast_to(base[0, 0], (3, 4))]
    for (_, value), arr in zip(summaries(tmp_path), arrays):
        limits, counts = numpy_histogram(arr.reshape(-1).astype(float), tf_default_bins())
        np.testing.assert_array_equal(value["histo"]["bucket_limit"], limits)
        np.testing.assert_array_equal(value["histo"]["bucket"], counts)


def test_histogram_of_numpy_values_and_bad_input(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("np", np.arange(10.0), 0, bins=5)
        with pytest.raises(ValueError, match="The input has no element."):
            w.add_histogram("empty", torch.zeros(0), 0)
        with pytest.raises(NotImplementedError, match="but numpy array or torch tensor are expected"):
            w.add_histogram("list", [1.0, 2.0], 0)
    ((_, value),) = summaries(tmp_path)
    assert value["histo"]["bucket"] == [0.0, 2.0, 2.0, 2.0, 2.0, 2.0]


def decode_png(image):
    from PIL import Image
    img = Image.open(io.BytesIO(image["encoded_image_string"]))
    assert img.format == "PNG" and img.size == (image["width"], image["height"])
    return np.asarray(img)


def numpy_grid(nchw, ncols=8):
    n, c, h, w = nchw.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((c, h * nrows, w * ncols), nchw.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = nchw[i]
    return canvas


def test_images(tmp_path):
    rng = np.random.default_rng(3)
    chw = rng.random((3, 5, 7)).astype(np.float32) * 1.2 - 0.1  # out of [0, 1]: clipped
    hwc = rng.integers(0, 256, (4, 6, 4), dtype=np.uint8)  # RGBA, uint8 unscaled
    hw = rng.random((5, 3))
    nchw = rng.random((10, 1, 4, 3)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", torch.tensor(chw), 0)
        w.add_image("hwc", torch.tensor(hwc), 1, dataformats="HWC")
        w.add_image("hw_transposed", torch.tensor(hw).t(), 2, dataformats="WH")
        w.add_images("batch", torch.tensor(nchw), 3)
        w.add_images("nhwc", torch.tensor(nchw).permute(0, 2, 3, 1), 4, dataformats="NHWC")
    to8 = lambda a: (a.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)  # noqa: E731
    expected = [to8(chw.transpose(1, 2, 0)), hwc, to8(np.stack([hw] * 3, 2)),
                to8(numpy_grid(np.repeat(nchw, 3, 1)).transpose(1, 2, 0))]
    expected.append(expected[-1])
    values = summaries(tmp_path)
    assert [v["tag"] for _, v in values] == ["chw", "hwc", "hw_transposed", "batch", "nhwc"]
    for (_, value), exp in zip(values, expected):
        assert value["image"]["colorspace"] == exp.shape[2]
        np.testing.assert_array_equal(decode_png(value["image"]), exp)


@pytest.mark.parametrize("shape, fmt, match", [
    ((3, 4, 5), "NCHW", "size of input tensor and input format are different"),
    ((3, 4, 5), "CCW", "You can not use the same dimension shorthand twice"),
    ((2, 4, 5, 5), "NCHW", "Input should be a 4D numpy array with 3 channels"),
])
def test_image_bad_formats(tmp_path, shape, fmt, match):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match=match):
            w.add_images("x", torch.zeros(*shape), 0, dataformats=fmt)


def test_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "héllo **markdown**", 5)
    ((step, value),) = summaries(tmp_path)
    assert step == 5 and value["tag"] == "notes/text_summary"
    assert value["tensor"]["dtype"] == 7 and value["tensor"]["string_val"] == ["héllo **markdown**".encode()]
    assert value["tensor"]["tensor_shape"] == {"dim": [{"size": 1}]}
    assert value["metadata"]["plugin_data"]["plugin_name"] == "text"


def test_hparams(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "opt": "sgd", "bsize": 32, "skip": None, "t": torch.tensor([0.5])},
                      {"hparam/accuracy": 0.9}, hparam_domain_discrete={"opt": ["sgd", "adam"]}, run_name="run1")
    values = summaries(os.path.join(str(tmp_path), "run1"))
    assert [v["tag"] for _, v in values] == ["_hparams_/experiment", "_hparams_/session_start_info",
                                             "_hparams_/session_end_info", "hparam/accuracy"]
    content = [_proto.decode(_proto.HPARAMS_PLUGIN_DATA, v["metadata"]["plugin_data"]["content"])
               for _, v in values[:3]]
    assert all(v["metadata"]["plugin_data"]["plugin_name"] == "hparams" for _, v in values[:3])
    assert content[0]["experiment"] == {
        "hparam_infos": [{"name": "lr", "type": 3}, {"name": "opt", "type": 1, "domain_discrete": {
            "values": [{"string_value": "sgd"}, {"string_value": "adam"}]}}, {"name": "bsize", "type": 3},
            {"name": "t", "type": 3}],
        "metric_infos": [{"name": {"tag": "hparam/accuracy"}}]}
    # a protobuf map: its entries in any order
    assert {e["key"]: e["value"] for e in content[1]["session_start_info"]["hparams"]} == {
        "lr": {"number_value": 0.1}, "opt": {"string_value": "sgd"}, "bsize": {"number_value": 32.0},
        "t": {"number_value": 0.5}}
    assert content[2]["session_end_info"] == {"status": 1}
    assert values[3][1]["simple_value"] == pytest.approx(0.9)


@pytest.mark.parametrize("args, exc, match", [
    (([("lr", 0.1)], {"acc": 1.0}), TypeError, "hparam_dict and metric_dict should be dictionary."),
    (({"lr": [0.1]}, {"acc": 1.0}), ValueError, "value should be one of int, float, str, bool, or torch.Tensor"),
    (({"lr": 0.1}, {"acc": 1.0}, {"lr": [1]}), TypeError, r"hparam_domain_discrete\[lr\] should be a list of same"),
])
def test_hparams_bad_input(tmp_path, args, exc, match):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(exc, match=match):
            w.add_hparams(*args, run_name="r")


def test_purge_step(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i in range(10):
            w.add_scalar("x", i, i)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        w.add_scalar("x", 50, 5)
    files = [read_events(f) for f in event_files(tmp_path)]
    assert len(files) == 2
    (second,) = [events for events in files if any("session_log" in e for e in events)]
    assert second[1]["step"] == 5 and second[1]["file_version"] == "brain.Event:2"
    assert second[2]["step"] == 5 and second[2]["session_log"] == {"status": 1}
    assert second[3]["step"] == 5 and second[3]["summary"]["value"][0]["simple_value"] == 50.0


def test_flush_close_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=1000, flush_secs=1000)
    w.add_scalar("a", 1.0, 0)
    w.flush()
    assert [v["simple_value"] for _, v in summaries(tmp_path)] == [1.0]
    w.close()
    w.close()  # closing twice is fine
    w.add_scalar("a", 2.0, 1)  # a closed writer starts a new file
    w.close()
    assert len(event_files(tmp_path)) == 2
    assert sorted(v["simple_value"] for _, v in summaries(tmp_path)) == [1.0, 2.0]


@pytest.mark.skipif(REFERENCE, reason="PyTorch traces the model with its JIT")
def test_add_graph_is_not_implemented(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(NotImplementedError, match="make_dot"):
            w.add_graph(torch.nn.Linear(2, 2), torch.zeros(1, 2))


# ---- parity: TensorBoard's own reader ----

@pytest.mark.parity
@pytest.mark.skipif(EventAccumulator is None, reason="needs the tensorboard package")
def test_tensorboard_event_accumulator_reads_our_files(tmp_path):
    values = np.random.default_rng(4).standard_normal(500)
    img = np.random.default_rng(5).random((3, 6, 9)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        for i in range(4):
            w.add_scalar("loss", 0.5 * i, i)
        w.add_histogram("weights", torch.tensor(values), 2)
        w.add_image("picture", torch.tensor(img), 3)
        w.add_text("note", "hello", 4)
    acc = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0, "images": 0, "histograms": 0, "scalars": 0})
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(i, 0.5 * i) for i in range(4)]
    (hist,) = acc.Histograms("weights")
    limits, counts = numpy_histogram(values, tf_default_bins())
    assert hist.step == 2 and hist.histogram_value.num == 500
    np.testing.assert_array_equal(hist.histogram_value.bucket_limit, limits)
    np.testing.assert_array_equal(hist.histogram_value.bucket, counts)
    (image,) = acc.Images("picture")
    assert (image.step, image.width, image.height) == (3, 9, 6)
    np.testing.assert_array_equal(decode_png({"encoded_image_string": image.encoded_image_string, "width": 9,
                                              "height": 6}),
                                  (img.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8))
    (text,) = acc.Tensors("note/text_summary")
    assert text.step == 4 and text.tensor_proto.string_val == [b"hello"]


def test_flush_secs_flushes_in_the_background(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=1000, flush_secs=0.05)
    w.add_scalar("a", 1.0, 0)
    deadline = time.time() + 5
    while not summaries(tmp_path) and time.time() < deadline:
        time.sleep(0.02)
    assert [v["simple_value"] for _, v in summaries(tmp_path)] == [1.0]
    w.close()
