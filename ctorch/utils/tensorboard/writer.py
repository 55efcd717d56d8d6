"""SummaryWriter: torch.utils.tensorboard's writer of TensorBoard event files
(TFRecord-framed protobuf Events), without tensorflow or protobuf."""
import itertools
import os
import socket
import threading
import time
from datetime import datetime

from . import _proto
from . import summary as _summary
from ._record import frame

__all__ = ["FileWriter", "SummaryWriter"]

_file_ids = itertools.count()  # the last part of event file names, one per file in this process
_SESSION_START = 1


class FileWriter:
    """Writes Events to one new event file in log_dir. Records are queued and
    written out when max_queue are pending, every flush_secs (a daemon thread,
    as TensorBoard's writer thread), on flush() and on close()."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        log_dir = str(log_dir)
        os.makedirs(log_dir, exist_ok=True)
        self._log_dir = log_dir
        self._max_queue, self._flush_secs = max_queue, flush_secs
        name = "events.out.tfevents.%010d.%s.%s.%s" % (time.time(), socket.gethostname(), os.getpid(), next(_file_ids))
        self._path = os.path.join(log_dir, name) + filename_suffix
        self._lock = threading.Lock()
        self._pending = []
        self._file = None
        self.reopen()
        self.add_event({"file_version": "brain.Event:2", "source_metadata": {"writer": "ctorch.utils.tensorboard"}})
        self.flush()

    def get_logdir(self):
        return self._log_dir

    def add_event(self, event, step=None, walltime=None):
        """Queue an Event (a dict of _proto.EVENT fields), stamped with walltime (default: now) and step."""
        event = dict(event, wall_time=time.time() if walltime is None else float(walltime))
        if step is not None:
            event["step"] = int(step)
        record = frame(_proto.encode(_proto.EVENT, event))
        if self._file is None:
            self.reopen()
        with self._lock:
            self._pending.append(record)
            if len(self._pending) >= self._max_queue:
                self._write_pending()

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event({"summary": summary}, global_step, walltime)

    def _write_pending(self):
        """(with the lock held) the queued records to the file, and the file to the OS."""
        if self._file is not None:
            self._file.write(b"".join(self._pending))
            self._file.flush()
            self._pending.clear()

    def flush(self):
        with self._lock:
            self._write_pending()

    def _flush_every(self, stop):
        while not stop.wait(self._flush_secs):
            self.flush()

    def close(self):
        if self._file is None:
            return
        self._stop.set()
        self._flusher.join()
        with self._lock:
            self._write_pending()
            self._file.close()
            self._file = None

    def reopen(self):
        """Open the file (again, appending, after close()) and start the periodic flush."""
        if self._file is not None:
            return
        self._file = open(self._path, "ab")
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_every, args=(self._stop,), daemon=True,
                                         name="ctorch-tensorboard-flush")
        self._flusher.start()


class SummaryWriter:
    """Logs scalars, histograms, images, text and hyperparameters for TensorBoard
    under log_dir (default runs/<date>_<host><comment>)."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self._default_bins = None

    def _get_file_writer(self):
        """The writer of log_dir, made again after close(). With purge_step, its file
        starts at that step, so TensorBoard discards the events logged after it before."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                self.file_writer.add_event({"file_version": "brain.Event:2"}, step=self.purge_step)
                self.file_writer.add_event({"session_log": {"status": _SESSION_START}}, step=self.purge_step)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        summary = _summary.scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves in one chart: each tag goes to its own writer in the
        sub-folder <log_dir>/<main_tag>_<tag>, under the tag main_tag."""
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            sub_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(sub_dir)
            if writer is None:
                writer = self.all_writers[sub_dir] = FileWriter(sub_dir, self.max_queue, self.flush_secs,
                                                                self.filename_suffix)
            writer.add_summary(_summary.scalar(main_tag, value), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        if isinstance(bins, str) and bins == "tensorflow":
            if self._default_bins is None:
                self._default_bins = _summary.default_bins()
            bins = self._default_bins
        self._get_file_writer().add_summary(_summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._get_file_writer().add_summary(_summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._get_file_writer().add_summary(_summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._get_file_writer().add_summary(_summary.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Hyperparameters and their metrics, in the run <log_dir>/<run_name> (default: the time)."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        experiment, start, end = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        log_dir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=log_dir) as run:
            for summary in (experiment, start, end):
                run.file_writer.add_summary(summary, global_step)
            for k, v in metric_dict.items():
                run.add_scalar(k, v, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        raise NotImplementedError("ctorch's SummaryWriter.add_graph is not implemented: ctorch has no JIT tracer "
                                  "to build the graph from; ctorch.utils.viz.make_dot draws the autograd graph")

    def flush(self):
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
