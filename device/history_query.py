# Reading the history back: every logged window with from <= t < to, as JSON, CSV or a .npy
# structured array, and per-bucket summaries (windows per class, mean confidence and RMS) for
# the page's timeline and the counts per hour. Everything streams: rows are generated from
# one record at a time and sent in pieces of at most PIECE bytes from one buffer made when the
# query starts (joining strings of 1 KB failed on a fragmented heap). Memory: that buffer,
# one record buffer, the class table (<= 16 contexts).
# A regression model's windows (contexts "kind": "regress") have no class and no confidence
# but a value: when the history holds such a context every format gains a "value" column (the
# newest regression context's target and unit; a window of a regression with another target
# or unit has none) and the summary min/mean/max per bucket; without one the output is as
# before, byte for byte.
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
        self.value = None            # {"target", "unit"} of the newest regression context
        self._vmap = {}              # its contexts' id -> (lo, step) to decode a window's byte
        for c in reversed(hist.contexts):
            if c.get("kind") == "regress":
                if self.value is None:
                    self.value = {"target": c["target"], "unit": c["unit"]}
                if (c["target"], c["unit"]) == (self.value["target"], self.value["unit"]):
                    lo, hi = c["range"]
                    self._vmap[c["id"]] = (lo, (hi - lo) / 254)
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
        """Generator of (t in ms, seq, union class or None, confidence, value) per window in
        range (a regression's window: class and confidence None, its value or None; any other
        window's value None); the record's mean RMS (physical units) is in self._rms while
        its windows are yielded."""
        rms = self._rms
        vm = self._vmap
        for rec in self._records():
            seq0, t0, ms, period, n, cid = struct.unpack_from(HS.HEAD, rec, 0)
            base = t0 * 1000 + ms
            m = self._map.get(cid)
            reg = m is not None and not m and self.value is not None   # a regression's
            lo_step = vm.get(cid)
            scale = self._scale.get(cid, 1.0)
            for c in range(HS.N_RMS):
                rms[c] = struct.unpack_from("<H", rec, HS.RMS_OFF + 2 * c)[0] * scale
            for i in range(n):
                t = base + i * period
                if not self.t_from <= t < self.t_to:
                    continue
                code = rec[HS.CLS_OFF + i]
                if reg:
                    yield t, (seq0 + i) & 0xFFFFFFFF, None, None, None if \
                        code == HS.VNONE or lo_step is None else \
                        lo_step[0] + code * lo_step[1]
                    continue
                k = code & 0x1F
                cls = None if k == HS.NONE or m is None or k >= len(m) else m[k]
                yield t, (seq0 + i) & 0xFFFFFFFF, cls, (code >> 5) / 7, None

    def count(self):
        n = 0
        for _ in self.windows():
            n += 1
        return n

    # -- formats
    def _vhead(self):
        return ', "value": %s' % json.dumps(self.value) if self.value else ""

    def json_rows(self):
        vc = self.value is not None
        yield ('{"from": %s, "to": %s, "classes": %s, "channels": %s%s, "columns": '
               '["t", "seq", "class", "confidence", "rms"%s], "rows": [' % (
                   _sec(self.t_from), _sec(self.t_to), json.dumps(self.classes),
                   json.dumps(self.channels), self._vhead(), ', "value"' if vc else ""))
        n = 0
        rms = self._rms
        for t, seq, cls, conf, v in self.windows():
            b = ('%s[%s, %d, %s, %s, [%s]%s]' % (
                ", " if n else "", _sec(t), seq, "null" if cls is None else cls,
                "null" if conf is None else "%.3f" % conf,
                ", ".join("%.5g" % rms[c] for c in range(self.n_rms)),
                (", null" if v is None else ", %.5g" % v) if vc else "")).encode()
            n += 1
            if self._full(len(b)):
                yield self._take()
            self._put(b)
        yield self._take()
        yield '], "count": %d}' % n

    def csv_rows(self):
        vc = self.value
        yield "t,seq,class,confidence%s%s\n" % ("".join(",rms_" + c for c in self.channels),
                                              ",%s[%s]" % (vc["target"], vc["unit"]) if vc
                                              else "")
        names = self.classes
        rms = self._rms
        for t, seq, cls, conf, v in self.windows():
            b = ("%s,%d,%s,%s%s%s\n" % (
                _sec(t), seq, "" if cls is None else names[cls],
                "" if conf is None else "%.3f" % conf,
                "".join(",%.5g" % rms[c] for c in range(self.n_rms)),
                ("," if v is None else ",%.5g" % v) if vc else "")).encode()
            if self._full(len(b)):
                yield self._take()
            self._put(b)
        if self._k:
            yield self._take()

    def npy_descr(self):
        return ("[('t_ms', '<i8'), ('seq', '<u4'), ('class', '<i2'), ('confidence', '<f4'), "
                "('rms', '<f4', (%d,))%s]" % (max(1, self.n_rms),
                                              ", ('value', '<f4')" if self.value else ""))

    def row_bytes(self):
        """Bytes of one .npy row (NaN: no confidence / no value)."""
        return 18 + 4 * max(1, self.n_rms) + (4 if self.value else 0)

    def npy_bytes(self, n):
        """The .npy file of the first n windows in range (n from count(), taken before: a
        window logged since is not included, so the size in the header holds)."""
        yield npy.header(self.npy_descr(), (n,))
        k = max(1, self.n_rms)
        row = self.row_bytes()
        per = max(1, PIECE // row)
        buf = self._piece
        rms = self._rms
        i = 0
        vc = self.value is not None
        fmt = "<qIhf%df" % k
        nan = float("nan")
        for t, seq, cls, conf, v in self.windows():
            if n <= 0:
                break
            n -= 1
            struct.pack_into(fmt, buf, i * row, t, seq, -1 if cls is None else cls,
                             nan if conf is None else conf, *[rms[c] for c in range(k)])
            if vc:
                struct.pack_into("<f", buf, i * row + row - 4, nan if v is None else v)
            i += 1
            if i == per:
                yield self._mv[:per * row]
                i = 0
        if i:
            yield self._mv[:i * row]

    def summary(self, bucket):
        """bucket: ms. JSON pieces: per bucket [start, windows, [count per class], no prediction,
        mean confidence, [mean RMS per channel]] (and with a regression context [min, mean,
        max] of the values, or null); buckets without windows are left out."""
        vc = self.value is not None
        yield ('{"from": %s, "to": %s, "bucket": %s, "classes": %s, "channels": %s%s, '
               '"columns": ["t", "windows", "counts", "none", "confidence", "rms"%s], "rows": ['
               % (_sec(self.t_from), _sec(self.t_to), _sec(bucket), json.dumps(self.classes),
                  json.dumps(self.channels), self._vhead(), ', "value"' if vc else ""))
        nc = len(self.classes)
        counts = array("I", [0] * (nc + 1))
        sums = array("f", [0.0] * (HS.N_RMS + 1))
        self._vs = array("f", [0.0] * 5)     # values: count, sum, min, max; regression windows
        cur, n, rows = None, 0, 0
        rms = self._rms
        vs = self._vs
        for t, seq, cls, conf, v in self.windows():
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
                vs[0] = vs[1] = vs[4] = 0.0
            n += 1
            if v is not None:
                if not vs[0] or v < vs[2]:
                    vs[2] = v
                if not vs[0] or v > vs[3]:
                    vs[3] = v
                vs[0] += 1
                vs[1] += v
            for c in range(self.n_rms):
                sums[c] += rms[c]
            if conf is None:          # a regression's window: no class, no confidence
                vs[4] += 1
                continue
            counts[nc if cls is None else cls] += 1
            sums[HS.N_RMS] += conf
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
        vs = self._vs
        k = n - int(vs[4])            # windows with a confidence (all but a regression's)
        return "%s[%s, %d, [%s], %d, %s, [%s]%s]" % (
            ", " if rows else "", _sec(self.t_from + b * bucket), n,
            ", ".join(str(counts[i]) for i in range(nc)), counts[nc],
            "%.3f" % (sums[HS.N_RMS] / k) if k else "null",
            ", ".join("%.5g" % (sums[c] / n) for c in range(self.n_rms)),
            "" if self.value is None else ", null" if not vs[0] else
            ", [%.5g, %.5g, %.5g]" % (vs[2], vs[1] / vs[0], vs[3]))


def _sec(ms):
    """ms since 1970 as seconds with 3 decimals, from ints (exact on every port)."""
    return "%d.%03d" % (ms // 1000, ms % 1000)
