"""A small protobuf codec for TensorBoard's event files (no protobuf package).

A message is a dict {field name: value}; a schema maps each field name to
(number, kind[, sub-schema]). Kinds: "double", "float", "int" (varint:
int32/int64/enum), "string", "bytes", "msg", and packed repeated "doubles";
a kind ending in "*" is a repeated field (a list). Fields whose value is None
are left out. Packed doubles may be given as a float64 ctorch tensor: its
buffer is written as it is (no Python loop over the values)."""
import struct
from array import array

__all__ = ["encode", "decode"]

_WIRE = {"int": 0, "double": 1, "float": 5, "string": 2, "bytes": 2, "msg": 2, "doubles": 2}


def _varint(n):
    n &= (1 << 64) - 1  # negative int64: ten bytes of two's complement
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _doubles(values):
    if hasattr(values, "contiguous"):  # a ctorch tensor
        return bytes(memoryview(values.detach().double().contiguous()))
    return array("d", values).tobytes()


def _encode_one(kind, value, sub):
    if kind == "int":
        return _varint(int(value))
    if kind == "double":
        return struct.pack("<d", value)
    if kind == "float":
        return struct.pack("<f", value)
    if kind == "string":
        value = value.encode("utf-8")
    elif kind == "msg":
        value = encode(sub, value)
    elif kind == "doubles":
        value = _doubles(value)
    return _varint(len(value)) + value


def encode(schema, message):
    """The wire bytes of `message` (a dict) under `schema`."""
    out = []
    for name, value in message.items():
        if value is None:
            continue
        number, kind, *sub = schema[name]
        repeated = kind.endswith("*")
        kind = kind.rstrip("*")
        key = _varint(number << 3 | _WIRE[kind])
        for v in (value if repeated else [value]):
            out.append(key + _encode_one(kind, v, sub[0] if sub else None))
    return b"".join(out)


def _read_varint(buf, pos):
    shift = result = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated protobuf message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """(field number, wire type, raw value) of each field of a message."""
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 2:
            size, pos = _read_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated protobuf message")
        yield number, wire, value


def _decode_one(kind, raw, sub):
    if kind == "int":
        return raw - (1 << 64) if raw >= 1 << 63 else raw
    if kind == "double":
        return struct.unpack("<d", raw)[0]
    if kind == "float":
        return struct.unpack("<f", raw)[0]
    if kind == "string":
        return bytes(raw).decode("utf-8")
    if kind == "msg":
        return decode(sub, raw)
    if kind == "doubles":
        return array("d", bytes(raw)).tolist()
    return bytes(raw)


def decode(schema, buf):
    """The dict of a message's known fields (unknown fields are skipped)."""
    by_number = {spec[0]: (name, spec) for name, spec in schema.items()}
    message = {}
    for number, _, raw in _fields(memoryview(buf)):
        if number not in by_number:
            continue
        name, (_, kind, *sub) = by_number[number]
        value = _decode_one(kind.rstrip("*"), raw, sub[0] if sub else None)
        if kind.endswith("*"):
            message.setdefault(name, []).append(value)
        else:
            message[name] = value
    return message


# ---- the messages TensorBoard reads (field numbers of its .proto files) ----
PLUGIN_DATA = {"plugin_name": (1, "string"), "content": (2, "bytes")}
SUMMARY_METADATA = {"plugin_data": (1, "msg", PLUGIN_DATA)}
HISTOGRAM = {"min": (1, "double"), "max": (2, "double"), "num": (3, "double"), "sum": (4, "double"),
             "sum_squares": (5, "double"), "bucket_limit": (6, "doubles"), "bucket": (7, "doubles")}
IMAGE = {"height": (1, "int"), "width": (2, "int"), "colorspace": (3, "int"), "encoded_image_string": (4, "bytes")}
TENSOR_SHAPE = {"dim": (2, "msg*", {"size": (1, "int")})}
TENSOR = {"dtype": (1, "int"), "tensor_shape": (2, "msg", TENSOR_SHAPE), "float_val": (5, "float*"),
          "double_val": (6, "double*"), "string_val": (8, "bytes*")}
SUMMARY_VALUE = {"tag": (1, "string"), "simple_value": (2, "float"), "image": (4, "msg", IMAGE),
                 "histo": (5, "msg", HISTOGRAM), "tensor": (8, "msg", TENSOR),
                 "metadata": (9, "msg", SUMMARY_METADATA)}
SUMMARY = {"value": (1, "msg*", SUMMARY_VALUE)}
EVENT = {"wall_time": (1, "double"), "step": (2, "int"), "file_version": (3, "string"), "summary": (5, "msg", SUMMARY),
         "session_log": (7, "msg", {"status": (1, "int")}), "source_metadata": (10, "msg", {"writer": (1, "string")})}

# google.protobuf.Value / ListValue, and the hparams plugin's messages
LIST_VALUE = {}
VALUE = {"number_value": (2, "double"), "string_value": (3, "string"), "bool_value": (4, "int"),
         "list_value": (6, "msg", LIST_VALUE)}
LIST_VALUE["values"] = (1, "msg*", VALUE)
HPARAM_INFO = {"name": (1, "string"), "type": (4, "int"), "domain_discrete": (5, "msg", LIST_VALUE)}
METRIC_INFO = {"name": (1, "msg", {"group": (1, "string"), "tag": (2, "string")})}
EXPERIMENT = {"hparam_infos": (4, "msg*", HPARAM_INFO), "metric_infos": (5, "msg*", METRIC_INFO)}
SESSION_START = {"hparams": (1, "msg*", {"key": (1, "string"), "value": (2, "msg", VALUE)})}
HPARAMS_PLUGIN_DATA = {"version": (1, "int"), "experiment": (2, "msg", EXPERIMENT),
                       "session_start_info": (3, "msg", SESSION_START),
                       "session_end_info": (4, "msg", {"status": (1, "int")})}
