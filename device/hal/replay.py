# Replay sensor: plays a CSV recording at its own sample rate, looping. Two layouts: a plain
# recording "t,<ch>,..." (t in seconds), or the dataset CSV the page imports and exports
# "session,t,<ch>...,label" (sessions one after another, t restarting in each; the labels are
# the truth of every row, so a session recorded from the replay is labelled by the file).
# Counts use shared.counts (the file's one scale, rounding half away), exactly as a CSV
# import in the page does: same file, same int16 samples. Memory: the file is streamed one
# line at a time (one pass at the first open for rate, peak and labels, kept for later
# reconfigurations, then while playing); labels are kept as row ranges (three compact arrays,
# at most MAX_SEGMENTS).
from array import array

from shared.counts import clamp16, scale_for, to_count
from shared.limits import MAX_CHANNELS as _MAX_CHANNELS
MAX_SEGMENTS = 256     # label runs kept (= the labels file's limit); more are dropped


class ReplayError(ValueError):
    pass


def _floats(parts, first, n, lineno, path):
    try:
        return [float(parts[i]) for i in range(first, first + n)]
    except ValueError:
        raise ReplayError("%s line %d: not a number in %r" % (path, lineno, ",".join(parts)))


_SCANNED = {}    # path -> (file size, scan results): a reconfiguration does not rescan


def _size(path):
    import os
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


class Replay:
    """Same interface as SimAccel: channels, scale, rate (the recording's), read_into().
    classes / truth(): the file's labels (dataset layout), [] / [] for a plain recording."""
    name = "replay"

    def __init__(self, path):
        self.path = path
        self._f = None
        size = _size(path)
        got = _SCANNED.get(path)
        if got is not None and got[0] == size:
            (self._first, self.channels, self.rate, self.rows, self._peak, self.classes,
             self._st, self._en, self._cl) = got[1]
            self._ready()
            return
        try:
            f = open(path)
        except OSError:
            raise ReplayError("replay file %s cannot be opened" % path)
        try:
            names = [h.strip() for h in f.readline().strip().split(",")]
            if len(names) >= 4 and names[0] == "session" and names[1] == "t" and \
                    names[-1] == "label":
                self._first, chans = 2, names[2:-1]        # the dataset CSV
            elif len(names) >= 2 and names[0] == "t":
                self._first, chans = 1, names[1:]          # a plain recording
            else:
                raise ReplayError("%s line 1: header must be 't,<channel>,...' or "
                                  "'session,t,<channel>,...,label', got %r"
                                  % (path, ",".join(names)[:80]))
            if "" in chans or len(chans) > _MAX_CHANNELS:
                raise ReplayError("%s: 1..%d named channels needed" % (path, _MAX_CHANNELS))
            self._scan(f, len(chans))
        finally:
            f.close()
        self.channels = tuple(chans)
        _SCANNED.clear()
        _SCANNED[path] = (size, (self._first, self.channels, self.rate, self.rows, self._peak,
                                 self.classes, self._st, self._en, self._cl))
        self._ready()

    def _ready(self):
        self.scale = scale_for(self._peak)
        self._inv = 1 / self.scale
        self._nch = len(self.channels)

    def _scan(self, f, nch):
        """One pass: rows, rate (from t, per session), peak |value|, label runs."""
        path, first = self.path, self._first
        width = first + nch + (1 if first == 2 else 0)
        rows, lineno, peak = 0, 1, 0.0
        span, steps = 0.0, 0          # summed duration and sample steps of the sessions
        sess, t0, t_prev, n_sess = None, 0.0, 0.0, 0
        classes, st, en, cl = [], array("I"), array("I"), bytearray()
        lab = None
        while True:
            line = f.readline()
            if not line:
                break
            lineno += 1
            line = line.strip()
            if not line:
                continue
            parts = line.split(",")
            if len(parts) != width:
                raise ReplayError("%s line %d: expected %d comma-separated values, got %d"
                                  % (path, lineno, width, len(parts)))
            v = _floats(parts, first - 1, nch + 1, lineno, path)
            name = parts[0] if first == 2 else None
            if rows == 0 or name != sess:
                if rows:
                    span += t_prev - t0
                    steps += n_sess - 1
                sess, t0, n_sess = name, v[0], 0
                lab = None                       # label runs end at a session's end
            elif v[0] <= t_prev:
                raise ReplayError("%s line %d: time must increase (%g after %g)"
                                  % (path, lineno, v[0], t_prev))
            t_prev = v[0]
            n_sess += 1
            for x in v[1:]:
                if x > peak or -x > peak:
                    peak = abs(x)
            if first == 2:
                lab = self._label(parts[-1].strip(), lab, rows, classes, st, en, cl)
            rows += 1
        if rows < 2:
            raise ReplayError("%s: needs at least 2 data rows" % path)
        span += t_prev - t0
        steps += n_sess - 1
        rate = int(steps / span + 0.5) if span > 0 else 0
        if not 1 <= rate <= 1000:
            raise ReplayError("%s: sample rate %d Hz from the t column is outside 1..1000"
                              % (path, rate))
        self.rate, self.rows, self._peak = rate, rows, peak
        self.classes, self._st, self._en, self._cl = classes, st, en, cl

    def _label(self, name, lab, row, classes, st, en, cl):
        """Extend the current label run to row, or start one; returns the run's class."""
        if not name:
            return None
        if name == lab and len(en) and en[-1] == row:
            en[-1] = row + 1
            return lab
        if len(st) >= MAX_SEGMENTS:
            return None
        if name not in classes:
            classes.append(name)
        st.append(row)
        en.append(row + 1)
        cl.append(classes.index(name))
        return name

    def truth(self, row0, n):
        """The file's labels over n played samples starting at row row0 (the replay loops):
        [(start, end, class name)] in those samples' numbering, at most MAX_SEGMENTS."""
        out = []
        rows, st, en = self.rows, self._st, self._en
        base = -(row0 % rows)         # sample index of row 0 of the current loop
        while base < n and len(out) < MAX_SEGMENTS:
            for i in range(len(st)):
                s, e = max(0, base + st[i]), min(n, base + en[i])
                if s < e and len(out) < MAX_SEGMENTS:
                    out.append((s, e, self.classes[self._cl[i]]))
            base += rows
        return out

    def _next_line(self):
        while True:
            if self._f is None:
                self._f = open(self.path)
                self._f.readline()
            line = self._f.readline()
            if not line:  # loop
                self._f.close()
                self._f = None
                continue
            line = line.strip()
            if line:
                return line

    def read_into(self, buf, off):
        parts = self._next_line().split(",")
        inv, first = self._inv, self._first
        for c in range(self._nch):
            buf[off + c] = clamp16(to_count(float(parts[first + c]), inv))

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None
