"""autograd.profiler: profile() records every kernel call of the C core (op,
self time, shapes) and record_function() ranges; key_averages().table()
prints PyTorch's table layout (Name, Self CPU %, Self CPU, CPU total %, CPU
total, CPU time avg, # of Calls, Input Shapes)."""
import collections
import threading

from .. import _C

__all__ = ["profile", "record_function", "FunctionEvent", "EventList"]

_ranges = threading.local()   # the open record_function ranges of this thread


class FunctionEvent:
    """One op call or range: name, start (us), cpu_time_total (us), self_cpu_time_total (us), input_shapes."""

    def __init__(self, name, start_us, total_us, input_shapes=""):
        self.name, self.start_us, self.cpu_time_total = name, start_us, total_us
        self.self_cpu_time_total = total_us
        self.input_shapes = input_shapes
        self.count = 1

    @property
    def key(self):
        return self.name

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEvent name={self.name} self_cpu_time_total={self.self_cpu_time_total:.3f} "
                f"cpu_time_total={self.cpu_time_total:.3f} input_shapes={self.input_shapes}>")


def _fmt_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _share(us, total_us):
    return f"{100 * us / total_us:.2f}%" if total_us else "NaN"


class EventList(list):
    """A list of FunctionEvents with PyTorch's table()."""

    def __init__(self, events=(), with_shapes=False):
        super().__init__(events)
        self._with_shapes = with_shapes

    def key_averages(self, group_by_input_shape=False):
        groups = collections.OrderedDict()
        for e in self:
            key = (e.name, e.input_shapes if group_by_input_shape else "")
            if key not in groups:
                groups[key] = FunctionEvent(e.name, e.start_us, 0.0, key[1])
                groups[key].self_cpu_time_total = 0.0
                groups[key].count = 0
            g = groups[key]
            g.cpu_time_total += e.cpu_time_total
            g.self_cpu_time_total += e.self_cpu_time_total
            g.count += 1
        return EventList(groups.values(), with_shapes=group_by_input_shape)

    def total_average(self):
        total = FunctionEvent("Total", 0.0, sum(e.cpu_time_total for e in self))
        total.self_cpu_time_total = sum(e.self_cpu_time_total for e in self)
        total.count = sum(e.count for e in self)
        return total

    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, header=None, top_level_events_only=False):
        if not self:
            return ""
        keys = {None: None, "self_cpu_time_total": "self_cpu_time_total", "cpu_time_total": "cpu_time_total",
                "cpu_time": "cpu_time", "count": "count", "self_cpu_memory_usage": None, "cpu_memory_usage": None}
        rows = list(self)
        attr = keys.get(sort_by, sort_by)
        if attr:
            rows.sort(key=lambda e: getattr(e, attr), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        self_total = self.self_cpu_time_total()
        # PyTorch's layout: every column right-aligned and followed by two spaces; the name column as
        # wide as the longest name + 4 (at most max_name_column_width), the others 12
        name_w = min(max([len(e.name) for e in self] + [0]) + 4, max_name_column_width)
        cols = [("Name", name_w)] + [(c, 12) for c in ("Self CPU %", "Self CPU", "CPU total %", "CPU total",
                                                       "CPU time avg", "# of Calls")]
        if self._with_shapes:
            cols.append(("Input Shapes", min(max([len(e.input_shapes) for e in self] + [0]) + 4, 80)))
        sep = "".join("-" * w + "  " for _, w in cols)
        fmt_row = (lambda vals: "".join(f"{v:>{w}}  " for v, (_, w) in zip(vals, cols)))
        out = [] if header is None else ["=" * (len(sep) - 2), header]
        out += [sep, fmt_row([c for c, _ in cols]), sep]
        for e in rows:
            long = len(e.name) >= max_name_column_width - 3
            name = e.name[:max_name_column_width - 3] + "..." if long else e.name
            vals = [name, _share(e.self_cpu_time_total, self_total), _fmt_time(e.self_cpu_time_total),
                    _share(e.cpu_time_total, self_total), _fmt_time(e.cpu_time_total), _fmt_time(e.cpu_time),
                    str(e.count)]
            if self._with_shapes:
                vals.append(e.input_shapes)
            out.append(fmt_row(vals))
        out += [sep, f"Self CPU time total: {_fmt_time(self_total)}", ""]
        return "\n".join(out)

    def __str__(self):
        return self.table()


class profile:
    """with profile(record_shapes=True) as prof: ...; print(prof.key_averages().table(sort_by="self_cpu_time_total"))"""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled, self.record_shapes = enabled, record_shapes
        self.function_events = None
        self._ranges = []

    def __enter__(self):
        if self.enabled:
            _ranges.sink = self._ranges
            _C._profiler_start(self.record_shapes)
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return False
        raw = _C._profiler_stop()
        _ranges.sink = None
        ops = [FunctionEvent("aten::" + name, start, dur, shapes) for name, start, dur, shapes in raw]
        ranges = [FunctionEvent(name, start, end - start) for name, start, end in self._ranges]
        # a range's self time: its total minus the events directly inside it
        everything = sorted(ops + ranges, key=lambda e: (e.start_us, -e.cpu_time_total))
        for r in ranges:
            inside = [e for e in everything if e is not r and r.start_us <= e.start_us
                      and e.start_us + e.cpu_time_total <= r.start_us + r.cpu_time_total]
            direct = [e for e in inside if not any(o is not e and o in ranges and o.start_us <= e.start_us
                                                   and e.start_us + e.cpu_time_total <= o.start_us + o.cpu_time_total
                                                   for o in inside)]
            r.self_cpu_time_total = max(0.0, r.cpu_time_total - sum(e.cpu_time_total for e in direct))
        self.function_events = EventList(everything, with_shapes=self.record_shapes)
        return False

    def _events(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    @property
    def events(self):
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        return self._events().key_averages(group_by_input_shape)

    def total_average(self):
        return self._events().total_average()

    @property
    def self_cpu_time_total(self):
        return self._events().self_cpu_time_total()

    def table(self, *args, **kwargs):
        return self._events().table(*args, **kwargs)

    def __str__(self):
        return self.key_averages().table(sort_by="self_cpu_time_total") if self.function_events is not None else \
            "<unfinished profile>"


class record_function:
    """A named range in the profile (a context manager or decorator)."""

    def __init__(self, name, args=None):
        self.name = name

    def __enter__(self):
        self._start = _C._profiler_now()
        return self

    def __exit__(self, *exc):
        sink = getattr(_ranges, "sink", None)
        if sink is not None:
            sink.append((self.name, self._start, _C._profiler_now()))
        return False

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return wrapped
