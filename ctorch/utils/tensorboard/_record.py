"""TFRecord framing of event files: each record is
    uint64 length, uint32 masked CRC-32C of the length, data, uint32 masked CRC-32C of the data
(little-endian). The CRCs are computed in C (ctorch._C._crc32c)."""
import struct

from ctorch._C import _crc32c

__all__ = ["masked_crc32c", "frame", "read_records"]


def masked_crc32c(data):
    """TFRecord's masked CRC: the CRC rotated right by 15 bits plus a constant."""
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data):
    """One record's bytes."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def read_records(path):
    """The data of every record of a TFRecord file; a CRC mismatch or a cut
    record raises ValueError."""
    with open(path, "rb") as f:
        buf = f.read()
    records, pos = [], 0
    while pos < len(buf):
        if pos + 12 > len(buf):
            raise ValueError(f"{path}: truncated record header at byte {pos}")
        header = buf[pos:pos + 8]
        (length,), (header_crc,) = struct.unpack("<Q", header), struct.unpack("<I", buf[pos + 8:pos + 12])
        if header_crc != masked_crc32c(header):
            raise ValueError(f"{path}: corrupted record length at byte {pos} (CRC mismatch)")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > len(buf):
            raise ValueError(f"{path}: truncated record at byte {pos}")
        data = buf[start:end]
        if struct.unpack("<I", buf[end:end + 4])[0] != masked_crc32c(data):
            raise ValueError(f"{path}: corrupted record data at byte {pos} (CRC mismatch)")
        records.append(data)
        pos = end + 4
    return records
