# Flagged windows: a window the model is unsure about (top score below the threshold) keeps
# its raw samples in <data>/flagged/<id>.win (int16, channel-major, as classified) beside
# <id>.json (time, seq, class, scores, model, shape); at most `max` of them (the oldest goes),
# at most one per min_interval_s. An anomaly model's windows that start or hold the anomaly
# state are kept the same way (anomaly(): "reason": "anomaly", "score", "threshold"; "class"
# "anomaly", "top" 0). Labelled (to_session), a window becomes a recorded session
# labelled with that class: the way from deployment back to the training data.
# Memory: nothing kept but the list of ids; a window is written from the inference's buffer.
# (Not flagged.py: the data folder's flagged/ directory would shadow it in the simulator.)
import json
import os
import time
from array import array

import clock
from shared import protocol
from shared.limits import IMPORT_MAX_RECORD


class Flagged:
    def __init__(self, data_dir, settings):
        self.root = data_dir + "/flagged"
        self.s = settings
        try:
            os.mkdir(self.root)
        except OSError:
            pass
        ids = []
        for e in os.ilistdir(self.root):
            n = e[0]
            if n.endswith(".json"):
                try:
                    ids.append(int(n[:-5]))
                except ValueError:
                    pass
            elif n.endswith(".tmp"):
                os.remove(self.root + "/" + n)
        ids.sort()
        self.ids = ids
        self.next_id = ids[-1] + 1 if ids else 1
        self.count = 0            # windows flagged since boot
        self._last = None         # ticks_ms of the last one
        self.error = None

    def path(self, i, ext):
        return "%s/%d.%s" % (self.root, i, ext)

    def check(self, seq, idx, top, scores, samples, model, acq):
        """Keep window seq when the model is unsure (inference task); True when kept."""
        if top >= self.s["threshold"] or not self._due():
            return False
        return self._keep({"class": model.classes[idx], "top": round(top, 4),
                           "scores": [round(scores[c], 4) for c in range(len(scores))]},
                          seq, samples, model, acq)

    def anomaly(self, seq, score, samples, model, acq):
        """Keep window seq of an anomaly (its score over the threshold while the state is
        on), at most one per min_interval_s; True when kept."""
        if not self._due():
            return False
        return self._keep({"class": "anomaly", "top": 0.0, "scores": [], "reason": "anomaly",
                           "score": round(score, 4), "threshold": round(model.threshold, 4)},
                          seq, samples, model, acq)

    def _due(self):
        now = time.ticks_ms()
        if self._last is not None and \
                time.ticks_diff(now, self._last) < self.s["min_interval_s"] * 1000:
            return False
        self._last = now
        return True

    def _keep(self, meta, seq, samples, model, acq):
        s = self.s
        i = self.next_id
        meta["id"], meta["seq"], meta["t"] = i, seq, clock.now()
        meta["classes"], meta["hash"] = list(model.classes), model.hash
        meta["channels"], meta["rate"] = list(acq.sensor.channels), acq.rate()
        meta["window"], meta["scale"] = acq.cfg["window"], acq.sensor.scale
        try:
            while len(self.ids) >= s["max"]:
                self.delete(self.ids[0])
            with open(self.path(i, "win"), "wb") as f:
                f.write(samples)
            with open(self.path(i, "tmp"), "w") as f:
                f.write(json.dumps(meta))
            os.rename(self.path(i, "tmp"), self.path(i, "json"))   # the meta marks it whole
        except OSError as e:
            self.error = "could not keep a flagged window (%s)" % e
            return False
        self.ids.append(i)
        self.next_id = i + 1
        self.count += 1
        return True

    def meta(self, i):
        if i not in self.ids:
            return None
        try:
            with open(self.path(i, "json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def delete(self, i):
        for ext in ("json", "win"):
            try:
                os.remove(self.path(i, ext))
            except OSError:
                pass
        if i in self.ids:
            self.ids.remove(i)

    def samples(self, m):
        """The window's int16 samples (channel-major) as an array."""
        n = len(m["channels"]) * m["window"]
        a = array("h", bytes(2 * n))
        with open(self.path(m["id"], "win"), "rb") as f:
            f.readinto(a)
        return a

    def to_session(self, m, label, store, budget, flash_free):
        """A new session holding window m, labelled `label` over its whole length; returns
        the session's meta (raises session_import's ValueError with a status)."""
        import label_file
        import session_import
        w = self.samples(m)
        nch, n = len(m["channels"]), m["window"]
        f = n   # samples per frame: the whole window when a record of it fits
        while protocol.frame_size(nch, f) + 4 > IMPORT_MAX_RECORD:
            f = (f + 1) // 2
        frames = (n + f - 1) // f
        fs = protocol.frame_size(nch, f)
        up = session_import.Upload(store, budget, flash_free, "flagged %d" % m["id"],
                                   m["channels"], n, m["t"], "device" if m["t"] else None)
        buf = bytearray(fs + 4)
        part = array("h", bytes(2 * nch * f))
        try:
            for j in range(frames):
                for c in range(nch):
                    for k in range(f):
                        i = j * f + k
                        part[c * f + k] = w[c * n + i] if i < n else 0
                protocol.encode_window_into(buf, m["seq"] + j, 0, part, nch, f, m["rate"],
                                            m["scale"])
                if j == 0:
                    up.start(buf, frames * fs)
                up.frame(buf)
            meta = up.finish()
        except Exception:
            up.abort()
            raise
        meta["labels"] = label_file.summary(2, [label], (0,), (n,), (0,))
        label_file.write(store, meta["id"], 2, [label], (0,), (n,), (0,))
        meta["flagged"] = {"id": m["id"], "seq": m["seq"], "class": m["class"],
                           "hash": m["hash"]}
        store.write_json(meta["id"], "meta.json", meta)
        self.delete(m["id"])
        return meta
