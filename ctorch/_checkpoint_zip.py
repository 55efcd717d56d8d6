"""PyTorch's checkpoint container (docs/interop-formats.md section 1).

ZipWriter lays the archive out byte for byte as PyTorch's writer does (miniz
under caffe2/serialize/inline_container.cc): stored records named
'<archive>/<name>'; each local header carries zeroed sizes, a zip64 field when
an offset or size needs one and an 'FB' padding field so the data starts on a
64-byte boundary; a data descriptor (CRC and sizes) follows each non-empty
record; the central directory ends with zip64 end records. It never seeks,
so any writable stream works. ZipReader reads such archives (and any other
zip PyTorch can read) with PyTorch's checks and messages.
"""
import struct
import zipfile
import zlib

ALIGNMENT = 64
_U32 = 0xFFFFFFFF   # a 32-bit field holding this means "see the zip64 field"
ZIP64_FROM = _U32   # sizes and offsets from here on need zip64 fields (a test lowers it)
_SMALL = 1 << 16   # records below this size go out in one write with their header and descriptor
_MINIZ_HINT = (". This is an internal miniz error. If you are seeing this error, there is a high likelihood that your "
               "checkpoint file is corrupted. This can happen if the checkpoint was not saved properly, was "
               "transferred incorrectly, or the file was modified after saving.")


def _hash_combine(seed, value):
    """c10::hash_combine on uint64: how PyTorch folds the records' CRCs into the serialization id."""
    mask = (1 << 64) - 1
    return (seed ^ ((value + 0x9E3779B9 + ((seed << 6) & mask) + (seed >> 2)) & mask)) & mask


def _zip64_field(sizes, offset):
    """The zip64 extra field holding the given sizes and offset (None: not needed), or b''."""
    body = b"".join(struct.pack("<Q", v) for v in (*sizes, offset) if v is not None)
    return struct.pack("<HH", 1, len(body)) + body if body else b""


class ZipWriter:
    def __init__(self, f, archive):
        self._f, self._prefix = f, archive + "/"
        self._pos = 0
        self._central = []   # central directory entries
        self._crc_hash = 0   # the records' CRCs folded, for .data/serialization_id

    def _write(self, data):
        view = memoryview(data).cast("B")
        while view.nbytes:
            n = self._f.write(view)
            n = view.nbytes if n is None else n   # file-likes that return None wrote everything
            self._pos += n
            view = view[n:]

    def write_record(self, name, data):
        """data: bytes or a C-contiguous buffer (a tensor's memory is written without a copy)."""
        view = memoryview(data).cast("B")
        size, offset = view.nbytes, self._pos
        fname = (self._prefix + name).encode()
        big_size, big_offset = size >= ZIP64_FROM, offset >= ZIP64_FROM
        local64 = central64 = b""
        if big_size or big_offset:   # miniz's local field holds the sizes known before the data: (size, 0)
            local64 = _zip64_field((size, 0) if big_size else (), offset if big_offset else None)
            central64 = _zip64_field((size, size) if big_size else (), offset if big_offset else None)
        pad = -(offset + 30 + len(fname) + len(local64) + 4) % ALIGNMENT
        extra = local64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = 0x0808 if size else 0x0800   # UTF-8 names; a data descriptor follows non-empty data
        crc = zlib.crc32(view)
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(fname), len(extra))
        descriptor = struct.pack("<IIQQ" if local64 else "<IIII", 0x08074B50, crc, size, size) if size else b""
        if size < _SMALL:
            self._write(b"".join((header, fname, extra, view, descriptor)))
        else:
            self._write(header + fname + extra)
            self._write(view)
            self._write(descriptor)
        self._central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc,
                                         _U32 if big_size else size, _U32 if big_size else size, len(fname),
                                         len(central64), 0, 0, 0, 0, _U32 if big_offset else offset)
                            + fname + central64)
        if size:   # PyTorch folds in the CRCs of non-empty records only
            self._crc_hash = _hash_combine(self._crc_hash, crc)

    def finish(self, id_prefix):
        """The version record, the serialization id (20 digits of id_prefix, then 20 of the records'
        CRCs folded, as PyTorch writes it) and the central directory."""
        self.write_record("version", b"3\n")
        self.write_record(".data/serialization_id", b"%020d%020d" % (id_prefix, self._crc_hash))
        cd_offset, n = self._pos, len(self._central)
        self._write(b"".join(self._central))
        cd_size, eocd64_offset = self._pos - cd_offset, self._pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, n, n, cd_size, cd_offset)
                    + struct.pack("<IIQI", 0x07064B50, 0, eocd64_offset, 1)
                    + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                  _U32 if cd_size >= ZIP64_FROM else cd_size,
                                  _U32 if cd_offset >= ZIP64_FROM else cd_offset, 0))


def _corrupt(what):
    return RuntimeError(f"PytorchStreamReader failed reading zip archive: {what}{_MINIZ_HINT}")


class ZipReader:
    """Records of a checkpoint archive in a seekable binary file object."""

    def __init__(self, f):
        self._f = f
        try:
            self._zip = zipfile.ZipFile(f)
            infos = self._zip.infolist()
        except zipfile.BadZipFile as e:
            raise _corrupt("failed finding central directory" if "not a zip file" in str(e)
                           else "invalid header or archive is corrupted") from e
        except (ValueError, OSError, EOFError, OverflowError, struct.error, NotImplementedError,
                zipfile.LargeZipFile) as e:
            raise _corrupt("invalid header or archive is corrupted") from e
        self._prefix = ""
        if infos:
            first = infos[0].filename
            if "/" not in first:
                raise RuntimeError(f"file in archive is not in a subdirectory: {first}")
            self._prefix = first.split("/", 1)[0] + "/"
        self._infos = {i.filename: i for i in infos}
        f.seek(0, 2)
        self._file_size = f.tell()
        self._check_version()

    def _check_version(self):
        name = next((n for n in ("version", ".data/version") if self.has_record(n)), None)
        if name is None:
            raise RuntimeError('Expected hasRecord("version") to be true, but got false.  (Could this error message '
                               'be improved?  If so, please report an enhancement request to PyTorch.)')
        text = self.get_record(name)
        try:
            version = int(text.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            raise RuntimeError(f"PytorchStreamReader failed reading the version record: {text[:40]!r}") from None
        if version > 10:
            raise RuntimeError(f"Attempted to read a PyTorch file with version {version}, but the maximum supported "
                               "version for reading is 10. The version of your PyTorch installation may be too old, "
                               "please upgrade PyTorch to latest version to mitigate this issue.")
        if version < 1:
            raise RuntimeError(f"Attempted to read a PyTorch file with version {version}, but the minimum supported "
                               "version for reading is 1. Your PyTorch script module file is too old. Please "
                               "regenerate it with latest version of PyTorch to mitigate this issue.")

    def has_record(self, name):
        return self._prefix + name in self._infos

    def record_size(self, name):
        """The record's size, checked against the file's (a corrupted size must not make a reader
        allocate more than the file could hold)."""
        info = self._info(name)
        limit = self._file_size if info.compress_type == zipfile.ZIP_STORED else 1032 * info.compress_size + 1024
        if info.file_size > limit:   # deflate expands at most ~1032x
            raise _corrupt("invalid header or archive is corrupted")
        return info.file_size

    def _info(self, name):
        info = self._infos.get(self._prefix + name)
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found{_MINIZ_HINT}")
        if not 0 <= info.header_offset <= self._file_size - 30:
            raise _corrupt("invalid header or archive is corrupted")
        return info

    def data_offset(self, name):
        """Where a stored record's bytes start in the file (None when it is compressed)."""
        info = self._info(name)
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        self._f.seek(info.header_offset)
        header = self._f.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise _corrupt("invalid header or archive is corrupted")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len

    def get_record(self, name):
        out = bytearray(self.record_size(name))
        self.read_into(name, out)
        return bytes(out)

    def read_into(self, name, buffer):
        """Fill buffer (of the record's size) with the record: one read into it for stored records."""
        view = memoryview(buffer).cast("B")
        start = self.data_offset(name)
        try:
            if start is None:
                with self._zip.open(self._info(name)) as member:
                    got = _read_fully(member, view)
            else:
                self._f.seek(start)
                got = _read_fully(self._f, view)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError, struct.error) as e:
            raise _corrupt("decompression failed or archive is corrupted") from e
        if got != view.nbytes:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file read failed{_MINIZ_HINT}")


def _read_fully(f, view):
    """Read into view until it is full or the file ends (one read for a real file); the count read."""
    got = 0
    while got < view.nbytes:
        if hasattr(f, "readinto"):
            n = f.readinto(view[got:])
        else:
            chunk = f.read(view.nbytes - got)
            n = len(chunk)
            view[got:got + n] = chunk
        if not n:
            break
        got += n
    return got
