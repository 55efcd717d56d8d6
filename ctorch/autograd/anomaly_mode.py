"""Anomaly detection: a backward that produces NaN raises, naming the node."""
from .. import _C


class set_detect_anomaly:
    """set_detect_anomaly(mode): on or off at once, and back at the end of a `with` block."""

    def __init__(self, mode, check_nan=True):
        self._prev = _C.is_anomaly_enabled()
        _C._set_detect_anomaly(bool(mode))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _C._set_detect_anomaly(self._prev)
        return False


class detect_anomaly(set_detect_anomaly):
    """Anomaly detection on inside a `with` block."""

    def __init__(self, check_nan=True):
        super().__init__(True)
