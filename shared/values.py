# Value labels ("how much?"): a session, or a stretch of it, can carry a number with a unit
# ("concentration 0.25 mmol/L") besides its class labels. One module checks them for the
# device, the page and the CSV: a value that is not a finite number, a name or unit that is
# not a short string, segments out of order or out of the session, and sessions whose value
# names or units differ are refused with the session (and segment) named. value_windows cuts
# the windows a regression trains on with the class rule's twin: a window gets the value of
# the one value segment covering all of it, else the session's value. Memory: lists of tuples.
# (shared.dataset is imported where needed: the device checks value labels without it)
from shared.limits import MAX_CLASS_LEN, MAX_SEGMENTS, MAX_UNIT_LEN, VALUE_LIMIT

KEYS = ("name", "value", "unit")


def _err(msg):
    """shared.dataset.DatasetError(msg): the page's one error type for dataset problems."""
    from shared.dataset import DatasetError
    return DatasetError(msg)


def where(sid, seg=None, span=None):
    """'session #3' / 'session #3, segment 2 (samples 0..640)': how errors name the place."""
    s = "session %s" % ("#%d" % sid if isinstance(sid, int) else repr(sid))
    if seg is not None:
        s += ", segment %d" % seg
        if span is not None:
            s += " (samples %d..%d)" % span
    return s


def number(v, at):
    """v as a float when it is a finite number within +-VALUE_LIMIT, else DatasetError naming
    `at` (where())."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and \
        -VALUE_LIMIT <= v <= VALUE_LIMIT
    if not ok:
        raise _err("%s: value %s is not a number (a finite number within +-%g)"
                           % (at, _show(v), VALUE_LIMIT))
    return float(v)


def _show(v):
    s = repr(v)
    return s if len(s) <= 24 else s[:21] + "..."


def check_name_unit(name, unit, at):
    """A value's name (1..MAX_CLASS_LEN characters) and unit (at most MAX_UNIT_LEN, "" for
    none); DatasetError starting with `at`."""
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_CLASS_LEN:
        raise _err("%s: the value's name must be 1..%d characters (e.g. "
                           "\"concentration\"), got %s" % (at, MAX_CLASS_LEN, _show(name)))
    if not isinstance(unit, str) or len(unit) > MAX_UNIT_LEN:
        raise _err("%s: the unit of %s must be at most %d characters (\"\" for none), "
                           "got %s" % (at, name, MAX_UNIT_LEN, _show(unit)))


def check_label(d, sid):
    """A session's value label {"name", "value", "unit"} (value may be None: name and unit of
    a session whose values are in its segments). Returns a clean dict; DatasetError naming the
    session and the field."""
    at = where(sid)
    if not isinstance(d, dict):
        raise _err("%s: a value label is an object {\"name\", \"value\", \"unit\"}" % at)
    for k in d:
        if k not in KEYS:
            raise _err("%s: unknown value field %r; valid: %s" % (at, str(k)[:20],
                                                                           ", ".join(KEYS)))
    name, unit = d.get("name"), d.get("unit", "")
    check_name_unit(name, unit, at)
    v = d.get("value")
    return {"name": name, "value": None if v is None else number(v, at), "unit": unit}


def check_segments(segments, n_samples, sid):
    """Value segments [(start, end, value)] of a session: int bounds inside 0..n_samples,
    sorted, not overlapping, at most MAX_SEGMENTS, values numbers. Returns them with float
    values; DatasetError naming the session and segment."""
    if len(segments) > MAX_SEGMENTS:
        raise _err("%s: %d value segments, at most %d" % (where(sid), len(segments),
                                                                 MAX_SEGMENTS))
    out = []
    last = 0
    for i in range(len(segments)):
        seg = segments[i]
        if not isinstance(seg, (list, tuple)) or len(seg) != 3:
            raise _err("%s: a value segment is [start, end, value]" % where(sid, i))
        s, e, v = seg
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in (s, e)):
            raise _err("%s: start and end must be whole sample numbers" % where(sid, i))
        at = where(sid, i, (s, e))
        if not 0 <= s < e <= n_samples:
            raise _err("%s: outside the session's %d samples or empty"
                               % (at, n_samples))
        if s < last:
            raise _err("%s: overlaps or comes before the previous segment" % at)
        last = e
        out.append((s, e, number(v, at)))
    return out


def check_units(recordings):
    """(name, unit) the recordings' values share; DatasetError naming two sessions when the
    names or units differ (sessions without a value label are skipped). (None, None) when
    none has one."""
    first = None
    for r in recordings:
        lab = getattr(r, "value", None)
        if lab is None:
            continue
        if first is None:
            first = r
            continue
        a = first.value
        if (a["name"], a["unit"]) != (lab["name"], lab["unit"]):
            raise _err("%s has %s in %r, %s has %s in %r: values of one quantity in one "
                               "unit can be trained together (convert, or choose sessions)"
                               % (where(first.sid), a["name"], a["unit"], where(r.sid),
                                  lab["name"], lab["unit"]))
    if first is None:
        return None, None
    return first.value["name"], first.value["unit"]


class ValueWindows:
    """What value_windows() returns: windows (channel-major array('h') each), y (the value of
    each), groups (session ids), starts, scales, and the shared channels, rate, name, unit."""

    def __init__(self):
        self.windows, self.y, self.groups, self.starts, self.scales = [], [], [], [], []
        self.channels = self.rate = self.name = self.unit = None

    def __len__(self):
        return len(self.windows)


def value_at(segments, k, window, default):
    """The value of the one segment covering [k, k + window), else default."""
    for s, e, v in segments:
        if s <= k and k + window <= e:
            return v
        if s > k:
            break
    return default


def value_windows(recordings, window, hop):
    """recordings: objects with .sid, .samples, .channels, .rate, .scale, .n_samples, .value
    (check_label's dict or None) and .value_segments [(start, end, value)] (may be empty).
    Windows with a value: inside one value segment, else any window of a session with a
    session value. Raises DatasetError (shapes, names/units, bad values: session named)."""
    from shared.dataset import check_same_shape, cut_window
    check_same_shape(recordings)
    out = ValueWindows()
    out.name, out.unit = check_units(recordings)
    for r in recordings:
        lab = getattr(r, "value", None)
        if lab is None:
            continue
        segs = check_segments(list(getattr(r, "value_segments", None) or ()), r.n_samples,
                              r.sid)
        default = lab["value"]
        nch = len(r.channels)
        out.channels, out.rate = list(r.channels), r.rate
        for k in range(0, r.n_samples - window + 1, hop):
            v = value_at(segs, k, window, default)
            if v is None:
                continue
            out.windows.append(cut_window(r.samples, nch, r.n_samples, k, window))
            out.y.append(v)
            out.groups.append(r.sid)
            out.starts.append(k)
            out.scales.append(r.scale)
    return out
