# The dataset as CSV: one row per sample, "session,t,<channel>...,label" (t in seconds from the
# session start, channels in physical units = int16 count * scale, label empty when none).
# export_chunks() writes it; parse() reads it back (or a file from elsewhere) with line-numbered
# errors and a row limit checked before anything is split. Memory: parse keeps one int16
# array per session (+ the text the caller holds); export yields text in chunks of CHUNK rows.
from array import array

MAX_ROWS = 200000
MAX_CHANNELS = 16
MAX_LABEL_LEN = 32
MAX_ERRORS = 20
CHUNK = 2000
BASE_SCALE = 1 / 4096    # like the replay sensor: 1/4096 per count, doubled until it fits


class CsvError(ValueError):
    """errors: [(line number, message)], the first MAX_ERRORS problems."""

    def __init__(self, errors):
        self.errors = errors
        more = "" if len(errors) < MAX_ERRORS else " (first %d problems shown)" % MAX_ERRORS
        super().__init__("; ".join(("line %d: %s" % e) if e[0] else e[1] for e in errors)
                         + more)


def _fmt(v):
    s = "%.7g" % v
    return "0" if s == "-0" else s


def header(channels):
    return "session,t,%s,label\n" % ",".join(channels)


def export_chunks(name, samples, n_channels, n_samples, rate, scale, labels, classes):
    """Rows of one session as text chunks. samples: channel-major int16 counts; labels: one
    class index per sample (-1 none) or None."""
    rows = []
    for k in range(n_samples):
        vals = [_fmt(samples[c * n_samples + k] * scale) for c in range(n_channels)]
        lab = labels[k] if labels is not None else -1
        rows.append("%s,%.4f,%s,%s\n" % (name, k / rate, ",".join(vals),
                                         classes[lab] if lab >= 0 else ""))
        if len(rows) >= CHUNK:
            yield "".join(rows)
            rows = []
    if rows:
        yield "".join(rows)


def count_rows(data):
    """Data rows of CSV bytes (lines after the header; a final newline ends the last row)."""
    if isinstance(data, str):
        data = data.encode()
    n = data.count(b"\n")
    if data and data[-1] != 10:
        n += 1
    return max(0, n - 1)


def _scale_for(peak, scale):
    if scale is None:
        scale = BASE_SCALE
        while peak / scale > 32767:
            scale *= 2
    return scale


def _num(s):
    """float of s, or None when it is not a finite number."""
    try:
        v = float(s)
    except ValueError:
        return None
    if v != v or v in (float("inf"), float("-inf")):
        return None
    return v


class _Session:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.t = []
        self.lines = []
        self.values = None    # per channel: array('f') (boxed floats would need ~5x more)
        self.labels = []


def parse(data, max_rows=MAX_ROWS, scale=None):
    """CSV bytes (or str) -> list of dicts {name, channels, rate, scale, samples (channel-major
    array('h')), n_samples, classes, segments [(start, end, class name)]}, sessions in file
    order. Each session: rows contiguous, t increasing by 1/rate (within 2 %, at least 2
    rows); values are stored as int16 counts of `scale` (default: 1/4096 doubled until the
    session's peak fits). Raises CsvError.
    (Bytes, not str: MicroPython's str indexes by walking its UTF-8, so text.find(x, pos) on
    a big str costs O(pos) and the loop would be quadratic; bytes find/slice are O(1).)"""
    if isinstance(data, str):
        data = data.encode()
    rows = count_rows(data)
    if rows > max_rows:
        raise CsvError([(0, "the CSV has %d rows; at most %d rows can be imported (split the "
                            "file)" % (rows, max_rows))])
    errors = []

    def bad(line, msg):
        errors.append((line, msg))
        if len(errors) >= MAX_ERRORS:
            raise CsvError(errors)

    n = len(data)
    pos = 0
    line = 0
    cols = None
    sessions = []
    cur = None
    seen = {}
    while pos < n:
        end = data.find(b"\n", pos)
        if end < 0:
            end = n
        stop = end - 1 if end > pos and data[end - 1] == 13 else end
        line += 1
        try:
            raw = data[pos:stop].decode()
        except UnicodeError:
            raw = None
        pos = end + 1
        if raw is None:
            bad(line, "not UTF-8 text")
            continue
        if cols is None:
            cols = [c.strip() for c in raw.split(",")]
            if len(cols) < 4 or cols[0] != "session" or cols[1] != "t" or cols[-1] != "label":
                raise CsvError([(1, "the header must be session,t,<channel>...,label (got %r)"
                                 % raw[:80])])
            chans = cols[2:-1]
            if len(chans) > MAX_CHANNELS:
                raise CsvError([(1, "too many channels (%d, max %d)"
                                 % (len(chans), MAX_CHANNELS))])
            for c in chans:
                if not c or chans.count(c) > 1:
                    raise CsvError([(1, "channel names must be non-empty and different")])
            continue
        if not raw.strip():
            if pos < n:
                bad(line, "empty line")
            continue
        f = raw.split(",")
        if len(f) != len(cols):
            bad(line, "expected %d fields (%s), got %d" % (len(cols), ",".join(cols), len(f)))
            continue
        name = f[0].strip()
        if not name or len(name) > MAX_LABEL_LEN:
            bad(line, "session name must be 1..%d characters" % MAX_LABEL_LEN)
            continue
        if cur is None or name != cur.name:
            if name in seen:
                bad(line, "rows of session %r must be together (it also starts at line %d)"
                    % (name, seen[name]))
                continue
            cur = _Session(name, line)
            cur.values = [array("f") for _ in chans]
            seen[name] = line
            sessions.append(cur)
        t = _num(f[1])
        if t is None:
            bad(line, "t: %r is not a number" % f[1][:20])
            continue
        vals = []
        for c in range(len(chans)):
            v = _num(f[2 + c])
            if v is None:
                bad(line, "%s: %r is not a number" % (chans[c], f[2 + c][:20]))
                break
            vals.append(v)
        if len(vals) != len(chans):
            continue
        lab = f[-1].strip()
        if len(lab) > MAX_LABEL_LEN:
            bad(line, "label longer than %d characters" % MAX_LABEL_LEN)
            continue
        cur.t.append(t)
        cur.lines.append(line)
        for c in range(len(chans)):
            cur.values[c].append(vals[c])
        cur.labels.append(lab)
    if cols is None:
        raise CsvError([(0, "the CSV is empty (expected a header session,t,<channel>...,label)")])
    if errors:           # (sessions are checked as a whole only when every row parsed)
        raise CsvError(errors)
    out = []
    for s in sessions:
        r = _finish(s, chans, scale, bad)
        if r is not None:
            out.append(r)
    if errors:
        raise CsvError(errors)
    if not out:
        raise CsvError([(0, "the CSV has no rows")])
    return out


def _finish(s, chans, scale, bad):
    m = len(s.t)
    if m < 2:
        bad(s.line, "session %r needs at least 2 rows to know its sample rate" % s.name)
        return None
    dt = s.t[1] - s.t[0]
    if dt <= 0:
        bad(s.lines[1], "t must increase within a session")
        return None
    rate = int(1 / dt + 0.5)
    if not 1 <= rate <= 10000:
        bad(s.lines[1], "sample rate %.3g Hz is out of range (1..10000)" % (1 / dt))
        return None
    step = 1 / rate
    for i in range(1, m):
        d = s.t[i] - s.t[i - 1]
        if abs(d - step) > 0.02 * step:
            bad(s.lines[i], "time step %.6g s, expected %.6g s (rate %d Hz): rows must be "
                "evenly spaced, without gaps" % (d, step, rate))
            return None
    peak = 0.0
    for col in s.values:
        for v in col:
            if abs(v) > peak:
                peak = abs(v)
    sc = _scale_for(peak, scale)
    samples = array("h", bytes(2 * len(chans) * m))
    inv = 1 / sc
    for c in range(len(chans)):
        col = s.values[c]
        o = c * m
        for k in range(m):
            q = col[k] * inv
            q = int(q + 0.5) if q >= 0 else -int(-q + 0.5)
            if not -32768 <= q <= 32767:
                bad(s.lines[k], "%s: %g does not fit int16 counts of scale %g"
                    % (chans[c], col[k], sc))
                return None
            samples[o + k] = q
    s.values = None
    classes = []
    segments = []
    start = 0
    for k in range(1, m + 1):
        if k == m or s.labels[k] != s.labels[start]:
            name = s.labels[start]
            if name:
                if name not in classes:
                    classes.append(name)
                segments.append((start, k, name))
            start = k
    return {"name": s.name, "channels": list(chans), "rate": rate, "scale": sc,
            "samples": samples, "n_samples": m, "classes": classes, "segments": segments}
