"""Checkpoints: torch.save / torch.load in PyTorch's formats.

Round trips of every dtype and structure; the file layout (records, 64-byte
alignment, archive names, pickle opcodes); the fixtures real PyTorch wrote
(tests/fixtures/make_checkpoints.py) load as the recipe that made them
(tests/fixtures/checkpoint_recipe.py) rebuilds them; parity with real PyTorch
both ways (byte-identical files but for the serialization id's random half);
map_location; weights_only refusing code; atomic saves; a table of bad inputs
with PyTorch's errors; a fuzz test over corrupted checkpoints."""
import collections
import fractions
import io
import os
import pickle
import pickletools
import random
import struct
import sys
import zipfile

import numpy as np
import pytest

from helpers import DNAMES, REFERENCE, mk, real_torch, to_numpy, torch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
sys.path.insert(0, FIXTURES)
import checkpoint_recipe as recipe  # noqa: E402

needs_real_torch = pytest.mark.skipif(real_torch is None or REFERENCE, reason="needs real PyTorch beside ctorch")
ctorch_only = pytest.mark.skipif(REFERENCE, reason="a ctorch guarantee that PyTorch does not give")


def fixture(name):
    return os.path.join(FIXTURES, name)


def round_trip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def saved_bytes(lib, obj, **kwargs):
    buf = io.BytesIO()
    lib.save(obj, buf, **kwargs)
    return buf.getvalue()


def is_tensor(x):
    return type(x).__name__ in ("Tensor", "Parameter")


def values_of(t):
    return to_numpy(t.detach())


def base_ptr(t):
    """The address of t's storage (views of one storage share it)."""
    return t.data_ptr() - t.storage_offset() * t.element_size()


def assert_same(got, want, where="obj"):
    """got equals want: same container types and order, tensors with the same dtype, shape, strides,
    offset, requires_grad, Parameter-ness and values (got and want may come from different libraries)."""
    assert type(got).__name__ == type(want).__name__, (where, type(got), type(want))
    if is_tensor(want):
        assert str(got.dtype) == str(want.dtype), where
        assert tuple(got.shape) == tuple(want.shape), where
        assert tuple(got.stride()) == tuple(want.stride()), where
        assert got.storage_offset() == want.storage_offset(), where
        assert got.requires_grad == want.requires_grad, where
        np.testing.assert_array_equal(values_of(got), values_of(want), err_msg=where)
    elif isinstance(want, dict):
        assert list(got) == list(want), where
        for k in want:
            assert_same(got[k], want[k], f"{where}[{k!r}]")
        if hasattr(want, "_metadata"):
            assert_same(got._metadata, want._metadata, f"{where}._metadata")
    elif isinstance(want, (list, tuple)) and type(want).__name__ != "Size":
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif type(want).__name__ in ("device", "dtype"):
        assert str(got) == str(want), where
    else:
        assert got == want, where


def assert_views_share(views):
    """The views of recipe.views share one storage."""
    assert len({base_ptr(views[k]) for k in ("base", "t", "row", "step", "narrow")}) == 1


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("name", DNAMES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "stepped", "0-dim", "empty"])
def test_round_trip_every_dtype_and_layout(name, layout):
    a = np.arange(-6, 18).reshape(4, 6) * 0.75
    t = mk(a if name != "bool" else a > 0, name)
    t = {"contiguous": t, "transposed": t.t(), "stepped": t[::2, 1::3], "0-dim": t[1, 2],
         "empty": t[:, :0]}[layout]
    assert_same(round_trip(t), t)


def test_round_trip_structures_of_the_recipe():
    obj = recipe.everything(torch)
    got = round_trip(obj)
    assert_same(got, obj)
    assert_views_share(got["views"])
    assert got["requires_grad"][1].is_leaf


def test_loaded_views_write_through_their_shared_storage():
    got = round_trip(recipe.views(torch))
    got["base"][2, 1] = -1.0
    assert got["row"][1].item() == -1.0 and got["t"][1, 2].item() == -1.0


def test_a_view_saves_its_whole_storage_as_pytorch_does():
    base = torch.arange(10, dtype=torch.float32)
    data = saved_bytes(torch, base[2:8:2])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("archive/data/0").file_size == 40
    got = torch.load(io.BytesIO(data))
    assert (got.storage_offset(), got.stride()) == (2, (2,))
    assert_same(got, base[2:8:2])


def test_parameters_and_state_dicts():
    model = recipe.model(torch)
    got = round_trip({"params": list(model.parameters()), "sd": model.state_dict()})
    assert all(isinstance(p, torch.nn.Parameter) and p.requires_grad for p in got["params"])
    assert type(got["sd"]) is collections.OrderedDict
    assert got["sd"]._metadata == collections.OrderedDict([("", {"version": 1}), ("0", {"version": 1}),
                                                           ("1", {"version": 1})])


def test_tensor_attributes_survive():
    t = torch.arange(3.0)
    t.note = "kept"
    got = round_trip(t)
    assert got.note == "kept"
    assert_same(got, t)


def test_model_and_optimizer_checkpoint_through_a_path(tmp_path):
    ckpt = recipe.training_checkpoint(torch)
    path = tmp_path / "ckpt.pth"
    torch.save(ckpt, path)
    got = torch.load(str(path), map_location="cpu")
    assert_same(got, ckpt)
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    fresh.load_state_dict(got["model"])
    x = torch.arange(8, dtype=torch.float32).reshape(2, 4)
    np.testing.assert_array_equal(values_of(fresh(x)), values_of(recipe.model(torch)(x)))


def test_whole_modules_need_weights_only_false():
    model = recipe.model(torch)
    data = saved_bytes(torch, model)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(io.BytesIO(data))
    got = torch.load(io.BytesIO(data), weights_only=False)
    x = torch.arange(8, dtype=torch.float32).reshape(2, 4)
    np.testing.assert_array_equal(values_of(got(x)), values_of(model(x)))


def test_file_objects_paths_and_legacy_format(tmp_path):
    obj = recipe.everything(torch)
    with open(tmp_path / "a.pt", "wb") as f:
        torch.save(obj, f)
    with open(tmp_path / "a.pt", "rb") as f:
        assert_same(torch.load(f), obj)
    torch.save(obj, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    legacy = torch.load(tmp_path / "legacy.pt")
    assert_same(legacy, obj)
    assert_views_share(legacy["views"])


def legacy_file(pickled_object, storages):
    """A file in the pre-1.6 format: the headers, the object's pickle, then each (key, bytes) storage."""
    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                                  "type_sizes": {"short": 2, "int": 4, "long": 8}}):
        pickle.dump(header, out, protocol=2)
    out.write(pickled_object)
    pickle.dump([key for key, _ in storages], out, protocol=2)
    for _, data in storages:
        out.write(struct.pack("<q", len(data) // 4) + data)
    return out.getvalue()


def test_legacy_storage_views_of_files_before_pytorch_1_0():
    """A persistent id may name a view of a storage: ('storage', type, root key, location, numel,
    (view key, offset, size)); here elements 2..5 of a 10-float storage, read from its element 1."""
    pid = (b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x04\x00\x00\x00rootX\x03\x00\x00\x00cpuK\x0a"
           b"(X\x04\x00\x00\x00viewK\x02K\x04ttQ")
    pickled = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"K\x01K\x02\x85K\x01\x85\x89"
               b"ccollections\nOrderedDict\n)RtR.")
    data = legacy_file(pickled, [("root", np.arange(10, dtype=np.float32).tobytes())])
    assert torch.load(io.BytesIO(data)).tolist() == [3.0, 4.0]


def test_mmap_loads_a_private_map(tmp_path):
    obj = recipe.views(torch)
    path = str(tmp_path / "m.pt")
    torch.save(obj, path)
    got = torch.load(path, mmap=True)
    assert_same(got, obj)
    got["base"].zero_()
    assert_same(torch.load(path), obj)


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_storage_objects():
    s = torch.UntypedStorage(8)
    assert (s.nbytes(), len(s), s.element_size(), s.device.type, len(s[2:6])) == (8, 8, 1, "cpu", 4)
    f = torch.FloatStorage(3)
    assert (f.size(), f.element_size(), f.dtype, f.untyped().nbytes()) == (3, 4, torch.float32, 12)


# ---------------------------------------------------------------- the file format

def records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i), i.header_offset) for i in z.infolist()]


def test_records_order_values_and_alignment():
    data = saved_bytes(torch, recipe.views(torch))
    recs = records(data)
    names = [n for n, _, _ in recs]
    assert names == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
                     "archive/byteorder", "archive/data/0", "archive/data/1", "archive/data/2", "archive/data/3",
                     "archive/version", "archive/.data/serialization_id"]
    values = {n: v for n, v, _ in recs}
    assert values["archive/.format_version"] == b"1" and values["archive/.storage_alignment"] == b"64"
    assert values["archive/byteorder"] == b"little" and values["archive/version"] == b"3\n"
    assert len(values["archive/.data/serialization_id"]) == 40 and values["archive/.data/serialization_id"].isdigit()
    for name, value, header in recs:   # each record's bytes start on a 64-byte boundary
        name_len, extra_len = struct.unpack("<HH", data[header + 26:header + 30])
        start = header + 30 + name_len + extra_len
        assert start % 64 == 0 and data[start:start + len(value)] == value, name


@pytest.mark.parametrize("filename,archive", [("model.pt", "model"), ("x.tar.gz", "x.tar"), ("noext", "noext"),
                                              ("weird name.pth", "weird name"), ("x.", "x"),
                                              ("\u00fc.pt", "archive")])
def test_archive_folder_is_named_after_the_file(tmp_path, filename, archive):
    torch.save([1], tmp_path / filename)
    with zipfile.ZipFile(tmp_path / filename) as z:
        assert {n.split("/")[0] for n in z.namelist()} == {archive}


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_other_pickle_protocols(protocol):
    obj = {"w": recipe.model(torch).state_dict(), "dt": torch.float64, "s": torch.Size([3])}
    assert_same(round_trip(obj, weights_only=protocol == 2), obj)
    got = torch.load(io.BytesIO(saved_bytes(torch, obj, pickle_protocol=protocol)), weights_only=protocol == 2)
    assert_same(got, obj)


def test_a_string_that_looks_like_a_global_stays_a_string():
    obj = [torch.float32, "cctorch\nfloat32\n", "ctorch\nfloat32\n", torch.ones(1)]
    assert_same(round_trip(obj), obj)


def test_pickle_is_protocol_2_with_pytorchs_globals():
    data = saved_bytes(torch, {"p": recipe.model(torch)[0].weight, "sd": recipe.model(torch).state_dict(),
                               "x": torch.ones(2, dtype=torch.bfloat16), "s": torch.Size([1]),
                               "d": torch.device("cpu"), "dt": torch.float64})
    pkl = dict((n, v) for n, v, _ in records(data))["archive/data.pkl"]
    ops = list(pickletools.genops(pkl))
    assert ops[0][0].name == "PROTO" and ops[0][1] == 2
    globals_ = {arg for op, arg, _ in ops if op.name == "GLOBAL"}
    assert globals_ == {"torch._utils _rebuild_parameter", "torch._utils _rebuild_tensor_v2", "torch FloatStorage",
                        "torch BFloat16Storage", "collections OrderedDict", "torch Size", "torch device",
                        "torch float64"}
    # only opcodes PyTorch's weights_only unpickler accepts
    accepted = {"PROTO", "STOP", "GLOBAL", "REDUCE", "BUILD", "NEWOBJ", "MARK", "TUPLE", "TUPLE1", "TUPLE2",
                "TUPLE3", "EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "APPEND", "APPENDS", "SETITEM",
                "SETITEMS", "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT",
                "BINUNICODE", "SHORT_BINSTRING", "BINPERSID", "BINGET", "LONG_BINGET", "BINPUT", "LONG_BINPUT"}
    assert {op.name for op, _, _ in ops} <= accepted


@ctorch_only
def test_zip64_fields_as_miniz_writes_them(monkeypatch):
    """Records past 4 GiB get zip64 fields; with the threshold lowered, every record has them."""
    import ctorch._checkpoint_zip

    monkeypatch.setattr(ctorch._checkpoint_zip, "ZIP64_FROM", 100)
    obj = recipe.views(torch)
    data = saved_bytes(torch, obj)
    for name, value, header in records(data):
        name_len, extra_len = struct.unpack("<HH", data[header + 26:header + 30])
        zip64 = header >= 100 or len(value) >= 100
        assert data[header + 30 + name_len:header + 32 + name_len] == (b"\x01\x00" if zip64 else b"FB")
        assert (header + 30 + name_len + extra_len) % 64 == 0
    assert_same(torch.load(io.BytesIO(data)), obj)
    if real_torch is not None:
        assert_same(real_torch.load(io.BytesIO(data)), recipe.views(real_torch))


def test_saving_the_same_object_twice_gives_the_same_bytes():
    obj = recipe.everything(torch)
    assert saved_bytes(torch, obj) == saved_bytes(torch, obj)


# ---------------------------------------------------------------- fixtures written by real PyTorch

@pytest.mark.parametrize("name", ["checkpoint_zip.pt", "checkpoint_legacy.pt", "checkpoint_deflated.pt"])
def test_fixtures_written_by_pytorch_load(name):
    got = torch.load(fixture(name))
    assert_same(got, recipe.everything(torch))
    assert_views_share(got["views"])


def test_fixture_needing_a_full_pickle():
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)Weights only load failed.*GLOBAL fractions.Fraction was "
                                                     r"not an allowed global by default"):
        torch.load(fixture("checkpoint_fraction.pt"))
    for kwargs in ({"weights_only": False}, {"pickle_module": pickle}):
        got = torch.load(fixture("checkpoint_fraction.pt"), **kwargs)
        assert got["ratio"] == fractions.Fraction(1, 3)
    with torch.serialization.safe_globals([fractions.Fraction]):
        assert torch.load(fixture("checkpoint_fraction.pt"))["ratio"] == fractions.Fraction(1, 3)
    assert fractions.Fraction not in torch.serialization.get_safe_globals()


@ctorch_only
def test_a_dtype_ctorch_lacks_is_a_clear_error():
    with pytest.raises(RuntimeError, match="ctorch cannot load torch.ComplexFloatStorage"):
        torch.load(fixture("checkpoint_complex.pt"))


# ---------------------------------------------------------------- parity with real PyTorch

@pytest.mark.parity
@needs_real_torch
@pytest.mark.parametrize("part", ["dtype_tensors", "views", "training_checkpoint", "plain_values", "everything"])
def test_files_are_byte_identical_to_pytorchs(part):
    """Only the first 20 digits of .data/serialization_id (PyTorch: from its RNG seed) and that
    record's CRC may differ."""
    assert_same_file(saved_bytes(torch, getattr(recipe, part)(torch)),
                     saved_bytes(real_torch, getattr(recipe, part)(real_torch)))


def assert_same_file(ours, theirs):
    """The same records at the same offsets, but for the serialization id's first 20 digits."""
    ours, theirs = records(ours), records(theirs)
    assert [(n, o) for n, _, o in ours] == [(n, o) for n, _, o in theirs]
    for (name, a, _), (_, b, _) in zip(ours, theirs):
        assert (a[20:] if name.endswith("serialization_id") else a) == \
               (b[20:] if name.endswith("serialization_id") else b), name


@pytest.mark.parity
@needs_real_torch
@pytest.mark.parametrize("zip_format", [True, False])
def test_ctorch_files_load_in_pytorch_with_weights_only(zip_format):
    data = saved_bytes(torch, recipe.everything(torch), _use_new_zipfile_serialization=zip_format)
    got = real_torch.load(io.BytesIO(data), weights_only=True)
    assert_same(got, recipe.everything(real_torch))
    assert_views_share(got["views"])


@pytest.mark.parity
@needs_real_torch
@pytest.mark.parametrize("zip_format", [True, False])
def test_pytorch_files_load_in_ctorch(zip_format):
    data = saved_bytes(real_torch, recipe.everything(real_torch), _use_new_zipfile_serialization=zip_format)
    got = torch.load(io.BytesIO(data))
    assert_same(got, recipe.everything(torch))
    assert_views_share(got["views"])


@pytest.mark.parity
@needs_real_torch
def test_other_protocols_and_lookalike_strings_load_in_pytorch():
    obj = [recipe.model(torch).state_dict(), torch.float32, "cctorch\nfloat32\n", "ctorch\nfloat32\n"]
    want = [recipe.model(real_torch).state_dict(), real_torch.float32, "cctorch\nfloat32\n", "ctorch\nfloat32\n"]
    assert_same_file(saved_bytes(torch, obj), saved_bytes(real_torch, want))
    for protocol in (3, 4, 5):
        got = real_torch.load(io.BytesIO(saved_bytes(torch, obj, pickle_protocol=protocol)), weights_only=False)
        assert_same(got, want)


@pytest.mark.parity
@needs_real_torch
def test_a_whole_pytorch_module_loads_as_ctorchs():
    got = torch.load(io.BytesIO(saved_bytes(real_torch, recipe.model(real_torch))), weights_only=False)
    assert isinstance(got, torch.nn.Sequential)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(values_of(got(torch.tensor(x))), values_of(recipe.model(torch)(torch.tensor(x))))


@pytest.mark.parity
@needs_real_torch
def test_tensor_attributes_load_in_pytorch():
    t = torch.arange(3.0)
    t.note = "kept"
    got = real_torch.load(io.BytesIO(saved_bytes(torch, t)), weights_only=True)
    assert got.note == "kept" and got.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parity
@needs_real_torch
def test_weights_only_refusals_match_pytorchs_messages(tmp_path):
    for obj in (Evil(str(tmp_path / "pwned")), fractions.Fraction(1, 2)):
        messages = []
        for lib in (torch, real_torch):
            with pytest.raises(pickle.UnpicklingError) as info:
                lib.load(io.BytesIO(saved_bytes(real_torch, obj)))
            messages.append(str(info.value))
        assert messages[0] == messages[1]


# ---------------------------------------------------------------- map_location

def with_location(data, location):
    """The checkpoint with its storages tagged `location` instead of 'cpu'."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            value = src.read(info)
            if info.filename.endswith("data.pkl"):
                value = value.replace(b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(location))
                                      + location.encode())
            dst.writestr(info.filename, value)
    return out.getvalue()


@pytest.mark.parametrize("map_location", ["cpu", "device", "dict", "callable", "callable returning None"])
def test_map_location_forms(map_location):
    obj = recipe.training_checkpoint(torch)
    seen = []
    forms = {"cpu": "cpu", "device": torch.device("cpu"), "dict": {"cuda:0": "cpu"},
             "callable": lambda storage, loc: seen.append((type(storage).__name__, loc)) or storage,
             "callable returning None": lambda storage, loc: seen.append((type(storage).__name__, loc))}
    data = saved_bytes(torch, obj)
    if map_location in ("dict", "callable"):
        data = with_location(data, "cuda:0")
    assert_same(torch.load(io.BytesIO(data), map_location=forms[map_location]), obj)
    if map_location.startswith("callable"):
        assert set(seen) == {("UntypedStorage", "cuda:0" if map_location == "callable" else "cpu")}


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_tagged_storages_without_cuda():
    data = with_location(saved_bytes(torch, torch.ones(2)), "cuda:0")
    with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False"):
        torch.load(io.BytesIO(data))
    with pytest.raises(RuntimeError, match=r"don't know how to restore data location of "
                                           r"torch.storage.UntypedStorage \(tagged with elsewhere\)"):
        torch.load(io.BytesIO(saved_bytes(torch, torch.ones(2))), map_location="elsewhere")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_map_location_to_cuda_and_back():
    obj = recipe.views(torch)
    got = torch.load(io.BytesIO(saved_bytes(torch, obj)), map_location="cuda:0")
    assert got["base"].is_cuda
    back = torch.load(io.BytesIO(saved_bytes(torch, got)), map_location="cpu")
    assert_same(back, obj)


# ---------------------------------------------------------------- weights_only

class Evil:
    """Unpickling it would create a file: weights_only must never run it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class Harmless:
    def __reduce__(self):
        return fractions.Fraction, (2, 3)


def test_weights_only_refuses_code_and_never_runs_it(tmp_path):
    marker = tmp_path / "pwned"
    for make in (lambda: Evil(str(marker)), lambda: [torch.ones(2), {"x": Evil(str(marker))}]):
        with pytest.raises(pickle.UnpicklingError, match=r"(?s)Weights only load failed.*"
                                                         r"GLOBAL (posix|os|nt)\.system whose module \w+ is blocked"):
            torch.load(io.BytesIO(saved_bytes(torch, make())))
        assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL exec was not an allowed global by default"):
        torch.load(io.BytesIO(saved_bytes(torch, EvalCall())))
    assert round_trip(Harmless(), weights_only=False) == fractions.Fraction(2, 3)


class EvalCall:
    def __reduce__(self):
        return exec, ("raise SystemExit",)


def test_weights_only_with_a_pickle_module_is_refused():
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        torch.load(io.BytesIO(saved_bytes(torch, [1])), pickle_module=pickle, weights_only=True)


def test_weights_only_by_environment(monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(pickle.UnpicklingError, match="fractions.Fraction"):
        torch.load(fixture("checkpoint_fraction.pt"), weights_only=False)


# ---------------------------------------------------------------- atomic saves

@ctorch_only
def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"v": torch.ones(3)}, path)
    with pytest.raises((pickle.PicklingError, AttributeError), match="Can't pickle"):
        torch.save({"v": torch.zeros(3), "bad": lambda: 0}, path)
    assert_same(torch.load(path), {"v": torch.ones(3)})
    assert os.listdir(tmp_path) == ["ckpt.pt"]


@ctorch_only
def test_a_crash_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    torch.save({"v": torch.ones(3)}, path)

    def fail(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        torch.save({"v": torch.zeros(1000)}, path)
    monkeypatch.undo()
    assert_same(torch.load(path), {"v": torch.ones(3)})
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_saving_over_a_file_keeps_its_mode_and_symlinks(tmp_path):
    target = tmp_path / "real.pt"
    torch.save([1], target)
    os.chmod(target, 0o600)
    os.symlink("real.pt", tmp_path / "link.pt")
    torch.save([2], tmp_path / "link.pt")
    assert os.path.islink(tmp_path / "link.pt") and torch.load(target) == [2]
    assert os.stat(target).st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- bad inputs

def zip_with(mod, extra=()):
    """A checkpoint of torch.ones(3) whose records went through mod(name, value) (None drops one),
    plus the (name, value) records of extra."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved_bytes(torch, torch.ones(3)))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            value = mod(info.filename.split("/", 1)[1], src.read(info))
            if value is not None:
                dst.writestr(info.filename, value)
        for name, value in extra:
            dst.writestr("archive/" + name, value)
    return out.getvalue()


class NoSeek(io.RawIOBase):
    def readable(self):
        return True

    def seekable(self):
        return False

    def tell(self):
        raise io.UnsupportedOperation("tell")


def flat_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("flat", b"x")
    return out.getvalue()


def legacy_with_magic(magic):
    out = io.BytesIO()
    pickle.dump(magic, out, protocol=2)
    return out.getvalue()


BAD_LOADS = [
    (b"", EOFError, ""),
    (b"PK\x03\x04garbage", RuntimeError, "PytorchStreamReader failed reading zip archive"),
    (lambda: saved_bytes(torch, torch.ones(3))[:-30], RuntimeError,
     "PytorchStreamReader failed reading zip archive: failed finding central directory"),
    (lambda: zip_with(lambda n, v: None if n == "version" else v), RuntimeError,
     r'Expected hasRecord\("version"\) to be true'),
    (lambda: zip_with(lambda n, v: b"99\n" if n == "version" else v), RuntimeError,
     "Attempted to read a PyTorch file with version 99, but the maximum supported version for reading is 10"),
    (lambda: zip_with(lambda n, v: None if n == "data.pkl" else v), RuntimeError,
     "PytorchStreamReader failed locating file data.pkl: file not found"),
    (lambda: zip_with(lambda n, v: None if n == "data/0" else v), RuntimeError,
     "PytorchStreamReader failed locating file data/0: file not found"),
    (lambda: zip_with(lambda n, v: v[:8] if n == "data/0" else v), RuntimeError,
     r"record size \(8 bytes\) does not match expected size \(12 bytes = 12 elements \* 1 bytes/element\) "
     "for dtype Byte"),
    (lambda: zip_with(lambda n, v: b"middle" if n == "byteorder" else v), ValueError,
     "Unknown endianness type: middle"),
    (flat_zip, RuntimeError, "file in archive is not in a subdirectory: flat"),
    (lambda: legacy_with_magic(12345), RuntimeError, "Invalid magic number; corrupt file"),
    (lambda: saved_bytes(torch, torch.ones(3), _use_new_zipfile_serialization=False)[:-3], RuntimeError,
     "unexpected EOF, expected 3 more bytes. The file might be corrupted."),
]


@pytest.mark.parametrize("k", range(len(BAD_LOADS)))
def test_bad_files_raise_pytorchs_errors(k):
    data, cls, msg = BAD_LOADS[k]
    with pytest.raises(cls, match=msg or None):
        torch.load(io.BytesIO(data() if callable(data) else data))


BAD_CALLS = [
    (lambda tmp: torch.save([1], 42), AttributeError,
     "expected 'f' to be string, path, or a file-like object with a 'write' attribute"),
    (lambda tmp: torch.save([1], str(tmp / "nodir" / "x.pt")), RuntimeError, "Parent directory .*nodir does not exist"),
    (lambda tmp: torch.save([1], str(tmp / ".pt")), RuntimeError, "invalid file name: .*\\.pt"),
    (lambda tmp: torch.load(str(tmp / "missing.pt")), FileNotFoundError, "No such file or directory"),
    (lambda tmp: torch.load(NoSeek()), io.UnsupportedOperation, "You can only torch.load from a file that is seekable"),
    (lambda tmp: torch.load(io.BytesIO(saved_bytes(torch, [1])), mmap=True), ValueError,
     "f must be a file path in order to use the mmap argument"),
    (lambda tmp: torch.load(io.BytesIO(saved_bytes(torch, [1], _use_new_zipfile_serialization=False)), mmap=True),
     RuntimeError, "mmap can only be used with files saved with"),
    (lambda tmp: torch.load(io.BytesIO(zip_with(lambda n, v: v, [("constants.pkl", b"")]))),
     RuntimeError, r"Cannot use ``weights_only=True`` with TorchScript archives passed to ``torch.load``"),
]


@pytest.mark.parametrize("k", range(len(BAD_CALLS)))
def test_bad_calls_raise_pytorchs_errors(k, tmp_path):
    fn, cls, msg = BAD_CALLS[k]
    with pytest.raises(cls, match=msg):
        fn(tmp_path)


# ---------------------------------------------------------------- fuzz: corrupted checkpoints

def corrupted(data, rng):
    """data with 1-4 bytes overwritten, or cut short (never to nothing)."""
    if rng.random() < 0.3:
        return data[:rng.randrange(1, len(data))]
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


@ctorch_only
@pytest.mark.parametrize("name", ["checkpoint_zip.pt", "checkpoint_legacy.pt", "checkpoint_deflated.pt"])
def test_corrupted_checkpoints_raise_only_clear_errors(name):
    """PyTorch lets KeyError, EOFError, ... escape here; ctorch raises RuntimeError or UnpicklingError
    (or PyTorch's ValueError for a bad byte order), or loads what is left intact."""
    with open(fixture(name), "rb") as f:
        data = f.read()
    rng = random.Random(name)
    outcomes = collections.Counter()
    for _ in range(120):
        try:
            torch.load(io.BytesIO(corrupted(data, rng)))
            outcomes["loaded"] += 1
        except (RuntimeError, pickle.UnpicklingError) as e:
            outcomes[type(e).__name__] += 1
        except ValueError as e:
            assert str(e).startswith("Unknown endianness type"), repr(e)
            outcomes["ValueError"] += 1
    assert outcomes["loaded"] < 100


# ---------------------------------------------------------------- whole-model pickles

# (class under torch.nn / torch.optim, the module PyTorch keeps it in)
MODULE_PATHS = [
    ("nn.Module", "nn.modules.module"), ("nn.Linear", "nn.modules.linear"), ("nn.Identity", "nn.modules.linear"),
    ("nn.Conv2d", "nn.modules.conv"), ("nn.ConvTranspose2d", "nn.modules.conv"),
    ("nn.Sequential", "nn.modules.container"), ("nn.ModuleList", "nn.modules.container"),
    ("nn.ReLU", "nn.modules.activation"), ("nn.GELU", "nn.modules.activation"),
    ("nn.Softmax", "nn.modules.activation"), ("nn.PReLU", "nn.modules.activation"),
    ("nn.BatchNorm2d", "nn.modules.batchnorm"), ("nn.InstanceNorm2d", "nn.modules.instancenorm"),
    ("nn.LayerNorm", "nn.modules.normalization"), ("nn.GroupNorm", "nn.modules.normalization"),
    ("nn.MaxPool2d", "nn.modules.pooling"), ("nn.AdaptiveAvgPool2d", "nn.modules.pooling"),
    ("nn.Dropout", "nn.modules.dropout"), ("nn.Dropout2d", "nn.modules.dropout"),
    ("nn.CrossEntropyLoss", "nn.modules.loss"), ("nn.MSELoss", "nn.modules.loss"),
    ("nn.Embedding", "nn.modules.sparse"), ("nn.Flatten", "nn.modules.flatten"),
    ("nn.ZeroPad2d", "nn.modules.padding"), ("nn.ReflectionPad1d", "nn.modules.padding"),
    ("nn.Upsample", "nn.modules.upsampling"), ("nn.CosineSimilarity", "nn.modules.distance"),
    ("nn.Parameter", "nn.parameter"), ("optim.SGD", "optim.sgd"), ("optim.Adam", "optim.adam"),
    ("optim.AdamW", "optim.adamw"), ("optim.lr_scheduler.StepLR", "optim.lr_scheduler"),
]


@pytest.mark.parametrize("name,module", MODULE_PATHS)
def test_classes_have_pytorchs_module_paths(name, module):
    import importlib
    cls = torch
    for part in name.split("."):
        cls = getattr(cls, part)
    assert cls.__module__ == f"{torch.__name__}.{module}"
    assert getattr(importlib.import_module(cls.__module__), cls.__name__) is cls


def whole_model_output(obj):
    with torch.no_grad():
        return values_of(obj["model"](recipe.whole_model_input(torch)))


def assert_same_whole_model(got, want):
    assert [type(m).__name__ for m in got["model"]] == [type(m).__name__ for m in want["model"]]
    np.testing.assert_allclose(whole_model_output(got), whole_model_output(want), rtol=1e-5, atol=1e-5)
    assert type(got["optimizer"]).__name__ == "SGD"
    got_state, want_state = got["optimizer"].state_dict(), want["optimizer"].state_dict()
    assert got_state["param_groups"] == want_state["param_groups"]
    for i in want_state["state"]:
        np.testing.assert_allclose(values_of(got_state["state"][i]["momentum_buffer"]),
                                   values_of(want_state["state"][i]["momentum_buffer"]), rtol=1e-5, atol=1e-6)
    assert repr(got["embedding"]) == "Embedding(4, 2, padding_idx=0)"
    assert got["loss"].label_smoothing == 0.1


def test_whole_model_round_trip():
    want = recipe.whole_model(torch)
    got = round_trip(want, weights_only=False)
    assert_same_whole_model(got, want)
    got["model"](recipe.whole_model_input(torch)).sum().backward()
    got["optimizer"].step()   # the loaded optimizer drives the loaded model's parameters
    assert not torch.equal(got["model"][0].weight, want["model"][0].weight)


def test_whole_model_needs_weights_only_false():
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        round_trip(recipe.whole_model(torch))


def test_whole_model_fixture_written_by_pytorch_loads():
    got = torch.load(fixture("checkpoint_whole_model.pt"), weights_only=False)
    assert isinstance(got["model"], torch.nn.Sequential) and isinstance(got["optimizer"], torch.optim.SGD)
    assert_same_whole_model(got, recipe.whole_model(torch))


def pickle_globals(data):
    """The 'module name' of every GLOBAL in a checkpoint's pickle (protocol 2 writes GLOBAL)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    return {arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"}


@ctorch_only
def test_whole_model_pickle_names_ctorch_classes_or_torch_under_compat():
    import ctorch.compat
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    ours = pickle_globals(saved_bytes(torch, model))
    assert {"ctorch.nn.modules.container Sequential", "ctorch.nn.modules.linear Linear"} <= ours
    ctorch.compat.install()
    try:
        data = saved_bytes(torch, model)
    finally:
        ctorch.compat.uninstall()
    theirs = pickle_globals(data)
    assert not any(name.startswith("ctorch") for name in theirs)
    assert {"torch.nn.modules.container Sequential", "torch.nn.modules.linear Linear"} <= theirs
    assert isinstance(torch.load(io.BytesIO(data), weights_only=False)[0], torch.nn.Linear)


@pytest.mark.parity
@needs_real_torch
def test_whole_model_by_ctorch_under_compat_loads_in_pytorch():
    import ctorch.compat
    obj = recipe.whole_model(torch)
    ctorch.compat.install()
    try:
        data = saved_bytes(torch, obj)
    finally:
        ctorch.compat.uninstall()
    got = real_torch.load(io.BytesIO(data), weights_only=False)
    assert type(got["model"][0]) is real_torch.nn.Conv2d and type(got["optimizer"]) is real_torch.optim.SGD
    with real_torch.no_grad():
        out = got["model"](real_torch.tensor(values_of(recipe.whole_model_input(torch)))).numpy()
    np.testing.assert_allclose(out, whole_model_output(obj), rtol=1e-5, atol=1e-5)
    got["optimizer"].zero_grad()
    got["model"](recipe.whole_model_input(real_torch)).sum().backward()
    got["optimizer"].step()   # PyTorch trains the model ctorch pickled


@pytest.mark.parity
@needs_real_torch
def test_whole_model_by_pytorch_loads_in_ctorch():
    got = torch.load(io.BytesIO(saved_bytes(real_torch, recipe.whole_model(real_torch))), weights_only=False)
    assert type(got["model"][1]) is torch.nn.BatchNorm2d and type(got["optimizer"]) is torch.optim.SGD
    assert_same_whole_model(got, recipe.whole_model(torch))
