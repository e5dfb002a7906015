# The dataset as CSV: one row per sample, "session,t,<channel>...,label" (t in seconds from the
# session start, channels in physical units = int16 count * scale, label empty when none),
# optionally a value column after the label, headed "<name>[<unit>]" (e.g.
# "concentration[mmol/L]"; shared/values.py): a number per row or empty; runs of one value
# become value segments, a session with one value throughout gets it as its session value.
# export_chunks() writes it; parse() reads it back (or a file from elsewhere) with line-numbered
# errors and a row limit checked before anything is split. Memory: parse keeps one int16
# array per session (+ the text the caller holds); export yields text in chunks of CHUNK rows.
# Counts: every session of a file gets the file's one scale (shared.counts: the rule the
# device's replay sensor uses too), so an import and a replay of a file hold the same counts.
from array import array

from shared.counts import scale_for, to_count

from shared.limits import MAX_CHANNELS, MAX_CLASS_LEN as MAX_LABEL_LEN
from shared.limits import MAX_CSV_ROWS as MAX_ROWS
from shared.limits import PERIOD_S, VALUE_LIMIT

MAX_ERRORS = 20
CHUNK = 2000


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


def header(channels, value=None):
    """value: (name, unit) of a value column, or None."""
    tail = ",%s[%s]" % value if value else ""
    return "session,t,%s,label%s\n" % (",".join(channels), tail)


def value_column(col):
    """(name, unit) of a value column header "name[unit]" (or "name"), else None."""
    if col.endswith("]") and "[" in col:
        i = col.index("[")
        return col[:i].strip(), col[i + 1:-1].strip()
    return (col, "") if col else None


def export_chunks(name, samples, n_channels, n_samples, rate, scale, labels, classes,
                  values=None):
    """Rows of one session as text chunks. samples: channel-major int16 counts; labels: one
    class index per sample (-1 none) or None; values: one number (or None) per sample for the
    value column (header(..., value)), or None: no column."""
    rows = []
    for k in range(n_samples):
        vals = [_fmt(samples[c * n_samples + k] * scale) for c in range(n_channels)]
        lab = labels[k] if labels is not None else -1
        tail = ""
        if values is not None:
            v = values[k]
            tail = "," if v is None else ",%.9g" % v
        rows.append("%s,%.4f,%s,%s%s\n" % (name, k / rate, ",".join(vals),
                                           classes[lab] if lab >= 0 else "", tail))
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
        self.vals = None      # the value column's numbers (None: empty), when there is one


def parse(data, max_rows=MAX_ROWS, scale=None):
    """CSV bytes (or str) -> list of dicts {name, channels, rate, scale, samples (channel-major
    array('h')), n_samples, classes, segments [(start, end, class name)]}, sessions in file
    order. Each session: rows contiguous, t increasing by 1/rate (within 2 %, at least 2
    rows); values are stored as int16 counts of `scale` (default: the file's scale,
    shared.counts.scale_for of its largest |value|). Raises CsvError. (Parser does the same
    in steps.)"""
    p = Parser(data, max_rows, scale)
    while not p.step(1 << 30):
        pass
    return p.result


class Parser:
    """parse() in steps so a page can yield between them: step(n) handles up to n lines (or
    one session's check at the end) and returns True when done; then .result. Bytes, not
    str: MicroPython's str indexes by walking its UTF-8, so text.find(x, pos) on a big str
    costs O(pos) and the loop would be quadratic; bytes find/slice are O(1)."""

    def __init__(self, data, max_rows=MAX_ROWS, scale=None):
        if isinstance(data, str):
            data = data.encode()
        rows = count_rows(data)
        if rows > max_rows:
            raise CsvError([(0, "the CSV has %d rows; at most %d rows can be imported (split "
                                "the file)" % (rows, max_rows))])
        self.rows = rows
        self.data, self.scale = data, scale
        self.errors = []
        self.pos = self.line = 0
        self.cols = self.chans = self.cur = None
        self.value = None        # (name, unit) of the value column, if the file has one
        self.sessions = []
        self.peak = 0.0          # largest |value| of the file: its scale (shared.counts)
        self.seen = {}
        self.result = None
        self._out = []
        self._fin = 0

    def _bad(self, line, msg):
        self.errors.append((line, msg))
        if len(self.errors) >= MAX_ERRORS:
            raise CsvError(self.errors)

    def step(self, max_lines=5000):
        data, n = self.data, len(self.data)
        k = 0
        while self.pos < n and k < max_lines:
            pos = self.pos
            end = data.find(b"\n", pos)
            if end < 0:
                end = n
            stop = end - 1 if end > pos and data[end - 1] == 13 else end
            self.line += 1
            self.pos = end + 1
            k += 1
            try:
                raw = data[pos:stop].decode()
            except UnicodeError:
                self._bad(self.line, "not UTF-8 text")
                continue
            self._row(raw, self.pos < n)
        if self.pos < n:
            return False
        if self.cols is None:
            raise CsvError([(0, "the CSV is empty (expected a header "
                                "session,t,<channel>...,label)")])
        if self.errors:       # (sessions are checked as a whole only when every row parsed)
            raise CsvError(self.errors)
        if self._fin < len(self.sessions):
            if self.scale is None:
                self.scale = scale_for(self.peak)
            r = _finish(self.sessions[self._fin], self.chans, self.scale, self._bad,
                        self.value)
            self.sessions[self._fin] = None
            self._fin += 1
            if r is not None:
                self._out.append(r)
            return False
        if self.errors:
            raise CsvError(self.errors)
        if not self._out:
            raise CsvError([(0, "the CSV has no rows")])
        self.result = self._out
        self.data = None
        return True

    def _row(self, raw, more):
        line, bad = self.line, self._bad
        if self.cols is None:
            cols = [c.strip() for c in raw.split(",")]
            lab = len(cols) - 1
            if len(cols) >= 5 and cols[-1] != "label" and cols[-2] == "label":
                lab -= 1
                self.value = value_column(cols[-1])
                from shared.values import check_name_unit
                from shared.dataset import DatasetError
                try:
                    check_name_unit(self.value[0], self.value[1],
                                    "value column %r" % cols[-1][:40])
                except DatasetError as e:
                    raise CsvError([(1, str(e))])
            if len(cols) < 4 or cols[0] != "session" or cols[1] != "t" or cols[lab] != "label":
                raise CsvError([(1, "the header must be session,t,<channel>...,label (got %r)"
                                 % raw[:80])])
            chans = cols[2:lab]
            if len(chans) > MAX_CHANNELS:
                raise CsvError([(1, "too many channels (%d, max %d)"
                                 % (len(chans), MAX_CHANNELS))])
            for c in chans:
                if not c or chans.count(c) > 1:
                    raise CsvError([(1, "channel names must be non-empty and different")])
            self.cols, self.chans = cols, chans
            return
        cols, chans = self.cols, self.chans
        if not raw.strip():
            if more:
                bad(line, "empty line")
            return
        f = raw.split(",")
        if len(f) != len(cols):
            bad(line, "expected %d fields (%s), got %d" % (len(cols), ",".join(cols), len(f)))
            return
        name = f[0].strip()
        if not name or len(name) > MAX_LABEL_LEN:
            bad(line, "session name must be 1..%d characters" % MAX_LABEL_LEN)
            return
        cur = self.cur
        if cur is None or name != cur.name:
            if name in self.seen:
                bad(line, "rows of session %r must be together (it also starts at line %d)"
                    % (name, self.seen[name]))
                return
            cur = self.cur = _Session(name, line)
            cur.values = [array("f") for _ in chans]
            if self.value:
                cur.vals = []
            self.seen[name] = line
            self.sessions.append(cur)
        t = _num(f[1])
        if t is None:
            bad(line, "t: %r is not a number" % f[1][:20])
            return
        vals = []
        peak = self.peak
        for c in range(len(chans)):
            v = _num(f[2 + c])
            if v is None:
                bad(line, "%s: %r is not a number" % (chans[c], f[2 + c][:20]))
                return
            vals.append(v)
            if v > peak or -v > peak:
                peak = abs(v)
        self.peak = peak
        lab = f[2 + len(chans)].strip()
        if len(lab) > MAX_LABEL_LEN:
            bad(line, "label longer than %d characters" % MAX_LABEL_LEN)
            return
        if self.value:
            cell = f[-1].strip()
            v = _num(cell) if cell else None
            if cell and (v is None or abs(v) > VALUE_LIMIT):
                bad(line, "session %r: %s %r is not a number" % (name, self.value[0], cell[:20]))
                return
            cur.vals.append(v)
        cur.t.append(t)
        cur.lines.append(line)
        for c in range(len(chans)):
            cur.values[c].append(vals[c])
        cur.labels.append(lab)


def _finish(s, chans, sc, bad, value=None):
    m = len(s.t)
    if m < 2:
        bad(s.line, "session %r needs at least 2 rows to know its sample rate" % s.name)
        return None
    dt = s.t[1] - s.t[0]
    if dt <= 0:
        bad(s.lines[1], "t must increase within a session")
        return None
    if dt > 1.5:                  # a slow sensor: one sample every whole number of seconds
        period = int(dt + 0.5)
        if not PERIOD_S[0] <= period <= PERIOD_S[1]:
            bad(s.lines[1], "one sample every %.6g s is out of range (%d..%d s)"
                % (dt, PERIOD_S[0], PERIOD_S[1]))
            return None
        rate, step = 1 / period, period
    else:
        rate = int(1 / dt + 0.5)
        if not 1 <= rate <= 10000:
            bad(s.lines[1], "sample rate %.3g Hz is out of range (1..10000)" % (1 / dt))
            return None
        step = 1 / rate
    for i in range(1, m):
        d = s.t[i] - s.t[i - 1]
        if abs(d - step) > 0.02 * step:
            bad(s.lines[i], "time step %.6g s, expected %.6g s (rate %.6g Hz): rows must be "
                "evenly spaced, without gaps" % (d, step, rate))
            return None
    samples = array("h", bytes(2 * len(chans) * m))
    inv = 1 / sc
    for c in range(len(chans)):
        col = s.values[c]
        o = c * m
        for k in range(m):
            q = to_count(col[k], inv)
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
    out = {"name": s.name, "channels": list(chans), "rate": rate, "scale": sc,
           "samples": samples, "n_samples": m, "classes": classes, "segments": segments}
    if value is not None:         # value runs -> segments; one value throughout -> the session's
        runs = []
        for k in range(m):
            v = s.vals[k]
            if v is None:
                continue
            if runs and runs[-1][2] == v and runs[-1][1] == k:
                runs[-1][1] = k + 1
            else:
                runs.append([k, k + 1, v])
        whole = len(runs) == 1 and runs[0][0] == 0 and runs[0][1] == m
        out["value"] = {"name": value[0], "unit": value[1],
                        "value": runs[0][2] if whole else None}
        out["value_segments"] = [] if whole else [tuple(r) for r in runs]
    return out
