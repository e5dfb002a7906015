# Reading the history back: every logged window with from <= t < to, as JSON, CSV or a .npy
# structured array, and per-bucket summaries (windows per class, mean confidence and RMS) for
# the page's timeline and the counts per hour. Everything streams: rows are generated from
# one record at a time and sent in pieces of at most PIECE bytes from one buffer made when the
# query starts (joining strings of 1 KB failed on a fragmented heap). Memory: that buffer,
# one record buffer, the class table (<= 16 contexts).
import json
import struct
from array import array

import history_store as HS
import npy

PIECE = 1024


class Query:
    def __init__(self, hist, t_from, t_to):
        """t_from, t_to: ms since 1970 (ints)."""
        self.h, self.t_from, self.t_to = hist, t_from, t_to
        self.classes = []            # classes of every known context, each name once
        self._map = {}               # context id -> list: its class index -> union index
        chans = []
        for c in hist.contexts:
            m = []
            for name in c["classes"]:
                if name not in self.classes:
                    self.classes.append(name)
                m.append(self.classes.index(name))
            self._map[c["id"]] = m
            chans = c["channels"]
        self.channels = chans[:HS.N_RMS]
        self.n_rms = len(self.channels)
        self._scale = {c["id"]: c["scale"] for c in hist.contexts}
        self._rms = array("f", [0.0] * HS.N_RMS)
        self._piece = bytearray(PIECE)      # MemoryError here: the route answers 503
        self._mv = memoryview(self._piece)
        self._k = 0

    def _full(self, n):
        """True when n more bytes do not fit: the caller yields _take() first (the piece is
        sent before it is written again)."""
        return self._k + n > PIECE

    def _put(self, b):
        self._mv[self._k:self._k + len(b)] = b
        self._k += len(b)

    def _take(self):
        k, self._k = self._k, 0
        return self._mv[:k]

    def _records(self):
        for r in self.h.store.read(self.t_from, self.t_to):
            yield r
        r = self.h.open_record()
        if r is not None:
            yield r

    def windows(self):
        """Generator of (t in ms, seq, union class or None, confidence) per window in range;
        the record's mean RMS (physical units) is in self._rms while its windows are
        yielded."""
        rms = self._rms
        for rec in self._records():
            seq0, t0, ms, period, n, cid = struct.unpack_from(HS.HEAD, rec, 0)
            base = t0 * 1000 + ms
            m = self._map.get(cid)
            scale = self._scale.get(cid, 1.0)
            for c in range(HS.N_RMS):
                rms[c] = struct.unpack_from("<H", rec, HS.RMS_OFF + 2 * c)[0] * scale
            for i in range(n):
                t = base + i * period
                if not self.t_from <= t < self.t_to:
                    continue
                code = rec[HS.CLS_OFF + i]
                k = code & 0x1F
                cls = None if k == HS.NONE or m is None or k >= len(m) else m[k]
                yield t, (seq0 + i) & 0xFFFFFFFF, cls, (code >> 5) / 7

    def count(self):
        n = 0
        for _ in self.windows():
            n += 1
        return n

    # -- formats
    def json_rows(self):
        yield ('{"from": %s, "to": %s, "classes": %s, "channels": %s, "columns": '
               '["t", "seq", "class", "confidence", "rms"], "rows": [' % (
                   _sec(self.t_from), _sec(self.t_to), json.dumps(self.classes),
                   json.dumps(self.channels)))
        n = 0
        rms = self._rms
        for t, seq, cls, conf in self.windows():
            b = ('%s[%s, %d, %s, %.3f, [%s]]' % (
                ", " if n else "", _sec(t), seq, "null" if cls is None else cls, conf,
                ", ".join("%.5g" % rms[c] for c in range(self.n_rms)))).encode()
            n += 1
            if self._full(len(b)):
                yield self._take()
            self._put(b)
        yield self._take()
        yield '], "count": %d}' % n

    def csv_rows(self):
        yield "t,seq,class,confidence%s\n" % "".join(",rms_" + c for c in self.channels)
        names = self.classes
        rms = self._rms
        for t, seq, cls, conf in self.windows():
            b = ("%s,%d,%s,%.3f%s\n" % (
                _sec(t), seq, "" if cls is None else names[cls], conf,
                "".join(",%.5g" % rms[c] for c in range(self.n_rms)))).encode()
            if self._full(len(b)):
                yield self._take()
            self._put(b)
        if self._k:
            yield self._take()

    def npy_descr(self):
        return ("[('t_ms', '<i8'), ('seq', '<u4'), ('class', '<i2'), ('confidence', '<f4'), "
                "('rms', '<f4', (%d,))]" % max(1, self.n_rms))

    def npy_bytes(self, n):
        """The .npy file of the first n windows in range (n from count(), taken before: a
        window logged since is not included, so the size in the header holds)."""
        yield npy.header(self.npy_descr(), (n,))
        k = max(1, self.n_rms)
        row = 8 + 4 + 2 + 4 + 4 * k
        per = max(1, PIECE // row)
        buf = self._piece
        rms = self._rms
        i = 0
        fmt = "<qIhf%df" % k
        for t, seq, cls, conf in self.windows():
            if n <= 0:
                break
            n -= 1
            struct.pack_into(fmt, buf, i * row, t, seq, -1 if cls is None else cls, conf,
                             *[rms[c] for c in range(k)])
            i += 1
            if i == per:
                yield self._mv[:per * row]
                i = 0
        if i:
            yield self._mv[:i * row]

    def summary(self, bucket):
        """bucket: ms. JSON pieces: per bucket [start, windows, [count per class], no prediction,
        mean confidence, [mean RMS per channel]]; buckets without windows are left out."""
        yield ('{"from": %s, "to": %s, "bucket": %s, "classes": %s, "channels": %s, '
               '"columns": ["t", "windows", "counts", "none", "confidence", "rms"], "rows": ['
               % (_sec(self.t_from), _sec(self.t_to), _sec(bucket), json.dumps(self.classes),
                  json.dumps(self.channels)))
        nc = len(self.classes)
        counts = array("I", [0] * (nc + 1))
        sums = array("f", [0.0] * (HS.N_RMS + 1))
        cur, n, rows = None, 0, 0
        rms = self._rms
        for t, seq, cls, conf in self.windows():
            b = int((t - self.t_from) // bucket)
            if b != cur:
                if n:
                    row = self._bucket_row(rows, cur, bucket, n, counts, sums).encode()
                    rows += 1
                    if self._full(len(row)):
                        yield self._take()
                    self._put(row)
                cur, n = b, 0
                for i in range(nc + 1):
                    counts[i] = 0
                for i in range(HS.N_RMS + 1):
                    sums[i] = 0.0
            n += 1
            counts[nc if cls is None else cls] += 1
            sums[HS.N_RMS] += conf
            for c in range(self.n_rms):
                sums[c] += rms[c]
        if n:
            row = self._bucket_row(rows, cur, bucket, n, counts, sums).encode()
            if self._full(len(row)):
                yield self._take()
            self._put(row)
        if self._k:
            yield self._take()
        yield "]}"

    def _bucket_row(self, rows, b, bucket, n, counts, sums):
        nc = len(self.classes)
        return "%s[%s, %d, [%s], %d, %.3f, [%s]]" % (
            ", " if rows else "", _sec(self.t_from + b * bucket), n,
            ", ".join(str(counts[i]) for i in range(nc)), counts[nc], sums[HS.N_RMS] / n,
            ", ".join("%.5g" % (sums[c] / n) for c in range(self.n_rms)))


def _sec(ms):
    """ms since 1970 as seconds with 3 decimals, from ints (exact on every port)."""
    return "%d.%03d" % (ms // 1000, ms % 1000)
