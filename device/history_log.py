# What the model saw, kept while it runs: each classified window's class and confidence go
# into the open block (one history_store record: up to 48 consecutive windows, the block's
# mean RMS per channel), which is appended to flash when full, after a gap, on another model
# or configuration, or when it is MAX_OPEN_MS old. Contexts (model hash, classes, channels,
# scale, timing) are numbered and kept in <data>/history/ctx.json so a record stays readable.
# An anomaly model logs its state as the class ("normal" 0 / "anomaly" 1; the context says
# "kind": "anomaly" and its "threshold") and its score as the confidence code: level() maps
# the score to 0..1 around the threshold (0.5 = at it; format in device/NODE.md). A
# regression model logs each window's estimate as the whole byte: value_code() over the
# model's range, 0..254 (255 = no estimate; the context has "kind": "regress", "target",
# "unit", "range").
# Memory: the open record (78 bytes) and 6 float sums made once; contexts: a small list.
# (Not named history.py: the simulator runs in the data folder, whose history/ directory
# would shadow a module of that name.)
import json
import os
import struct
import time
from array import array

import clock
import history_store as HS

MAX_OPEN_MS = 60000      # an open block older than this is written (slow window rates)
MAX_CONTEXTS = 16        # contexts kept in ctx.json (older records show classes as "?")


def level(score, threshold):
    """An anomaly score as a 0..1 "confidence": 0.5 + (score - threshold) / (2 s), s =
    |threshold| (at least 1e-6), clipped: 0.5 at the threshold, 1 at twice its distance from 0."""
    s = abs(threshold)
    if s < 1e-6:
        s = 1e-6
    v = 0.5 + (score - threshold) / (2 * s)
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def value_code(v, lo, hi):
    """A regression estimate as a byte code 0..254 over [lo, hi] (read back as lo + code x
    (hi - lo) / 254; HS.VNONE = no estimate)."""
    if hi <= lo:
        return 0
    k = int((v - lo) * 254 / (hi - lo) + 0.5)
    return 0 if k < 0 else 254 if k > 254 else k


def _conf(top):
    """Confidence code 0..7 = round(7 x top score); read back as code / 7."""
    k = int(top * 7 + 0.5)
    return 0 if k < 0 else 7 if k > 7 else k


class History:
    def __init__(self, data_dir, budget, chunk_bytes):
        self.root = data_dir + "/history"
        self.store = HS.Store(self.root, budget, chunk_bytes)
        self.contexts = self._load_ctx()
        self._ctx_key = None
        self._ctx = None           # current context entry
        self._rec = bytearray(HS.REC)
        self._rms = array("f", [0.0] * HS.N_RMS)
        self._n = 0                # windows in the open block
        self._none = HS.NONE       # the open block's code of a window without a prediction
        self._seq0 = 0
        self._opened = 0
        self.windows = 0           # windows logged since boot
        self.error = None          # last write error (flash), or None
        self.on_append = None      # fn() after a block reached flash (the pages are told)

    # -- contexts
    def _load_ctx(self):
        try:
            with open(self.root + "/ctx.json") as f:
                v = json.load(f)
            if isinstance(v, list):
                return v
        except (OSError, ValueError):
            pass
        return []

    def _save_ctx(self):
        p = self.root + "/ctx.json"
        with open(p + ".tmp", "w") as f:
            f.write(json.dumps(self.contexts))
        os.rename(p + ".tmp", p)

    def ctx(self, cid):
        for c in self.contexts:
            if c["id"] == cid:
                return c
        return None

    def _context(self, model, acq):
        """The context entry of this model and configuration, made (and saved) if new."""
        cfg = acq.cfg
        rate = acq.rate()
        key = (model.hash, rate, cfg["window"], cfg["hop"], acq.sensor.scale)
        if key == self._ctx_key:
            return self._ctx
        chans = list(acq.sensor.channels)
        for c in self.contexts:
            if (c["hash"], c["rate"], c["window"], c["hop"], c["scale"]) == key and \
                    c["channels"] == chans:
                break
        else:
            cid = (self.contexts[-1]["id"] + 1) % 255 if self.contexts else 0
            self.contexts = [c for c in self.contexts if c["id"] != cid][-(MAX_CONTEXTS - 1):]
            c = {"id": cid, "hash": model.hash, "classes": list(model.classes),
                 "channels": chans, "scale": acq.sensor.scale, "rate": rate,
                 "window": cfg["window"], "hop": cfg["hop"]}
            kind = getattr(model, "kind", "classes")
            if kind == "anomaly":
                c["kind"] = "anomaly"
                c["threshold"] = model.threshold
            elif kind == "regress":
                c["kind"] = "regress"
                c["target"], c["unit"], c["range"] = model.target, model.unit, list(model.range)
            self.contexts.append(c)
            self._save_ctx()
        self._ctx_key, self._ctx = key, c
        return c

    # -- logging (the inference task)
    def add(self, seq, idx, top, feat, per_axis, model, acq, code=None, at=4):
        """Window seq was classified as class idx with top score top (or code: the window's
        byte as is, a regression's value_code); feat holds its features (RMS of channel c at
        c * per_axis + at, physical units; the "spectral" set's: the channel's mean)."""
        ctx = self._context(model, acq)
        rec = self._rec
        gap = (seq - self._seq0 - self._n) & 0xFFFFFFFF
        if self._n and (rec[13] != ctx["id"] or gap >= HS.BLOCK - self._n):
            self.flush()
        elif self._n:
            for _ in range(gap):                  # windows not classified (skipped)
                rec[HS.CLS_OFF + self._n] = self._none
                self._n += 1
        if not self._n:
            self._open(seq, ctx)
        rec[HS.CLS_OFF + self._n] = code if code is not None else \
            (idx if 0 <= idx < HS.NONE else HS.NONE) | (_conf(top) << 5)
        self._n += 1
        scale = ctx["scale"]
        rms = self._rms
        for c in range(min(len(ctx["channels"]), HS.N_RMS)):
            rms[c] += feat[c * per_axis + at] / scale
        self.windows += 1
        if self._n >= HS.BLOCK:
            self.flush()

    def _open(self, seq, ctx):
        rec = self._rec
        t = clock.now_ms() or 0
        period = int(ctx["hop"] * 1000 / ctx["rate"])   # (rate may be below 1 Hz)
        struct.pack_into(HS.HEAD, rec, 0, seq & 0xFFFFFFFF, t // 1000, t % 1000,
                         min(period, 65535), 0, ctx["id"])
        for i in range(HS.N_RMS):
            self._rms[i] = 0.0
        self._seq0 = seq
        self._none = HS.VNONE if ctx.get("kind") == "regress" else HS.NONE
        self._opened = time.ticks_ms()

    def tick(self):
        """Write the open block when it is MAX_OPEN_MS old (called every few seconds)."""
        if self._n and time.ticks_diff(time.ticks_ms(), self._opened) >= MAX_OPEN_MS:
            self.flush()

    def _finish(self, rec):
        """Count, unused slots, mean RMS and CRC of the open block into rec."""
        n = self._n
        rec[12] = n
        for i in range(n, HS.BLOCK):
            rec[HS.CLS_OFF + i] = self._none
        for c in range(HS.N_RMS):
            v = int(self._rms[c] / n + 0.5)
            struct.pack_into("<H", rec, HS.RMS_OFF + 2 * c, v if v < 65535 else 65535)
        HS.seal(rec)

    def flush(self):
        if not self._n:
            return
        self._finish(self._rec)
        self._n = 0
        try:
            self.store.append(self._rec)
            self.error = None
            if self.on_append is not None:
                self.on_append()
        except OSError as e:      # flash full or failing: the block is lost, logging goes on
            self.error = "history write failed (%s)" % e

    def open_record(self):
        """A sealed copy of the open block (readers see the newest windows), or None."""
        if not self._n:
            return None
        b = bytearray(self._rec)
        self._finish(b)
        return b

    def status(self):
        s = self.store
        return {"history_windows": self.windows, "history_records": s.records() +
                (1 if self._n else 0), "history_bytes": s.bytes(),
                "history_budget": s.budget, "history_error": self.error}
