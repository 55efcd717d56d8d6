"""Reading event files back: read_events(path) -> a list of Event dicts
(wall_time, step, file_version, summary {"value": [...]}, session_log), each
record's CRCs checked. Values keep the field names of TensorBoard's protos
(simple_value, histo, image, tensor, metadata)."""
from . import _proto
from ._record import read_records

__all__ = ["read_events"]


def read_events(path):
    """Every Event of the file at `path`, in order."""
    return [_proto.decode(_proto.EVENT, record) for record in read_records(path)]
