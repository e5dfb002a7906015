# Predictions of a recording session: while a model runs during a recording, the class the
# device computed for every recorded window (one byte: the model's class number, 255 = none)
# goes to <session>/pred.bin beside the records, so the page can compare the device's own
# live predictions with the session's labels (shared.evaluate.live_check): the accuracy that
# counts. Memory: one 64-byte buffer made at boot; the file is appended to when it fills.
NONE = 255
_BUF = 64


class PredLog:
    def __init__(self, store):
        self.store = store
        self._buf = bytearray(_BUF)
        self.sid = None
        self.meta = None

    def start(self, sid):
        self.sid = sid
        self.meta = None       # {"hash", "classes"} of the model whose classes are logged
        self._first = None     # seq of the session's first window (window 0)
        self._n = 0            # bytes buffered
        self._count = 0        # windows logged (file + buffer)

    def first_window(self, seq):
        self._first = seq

    def add(self, seq, raw, model):
        """The prediction of window seq; True when it is the session's first one (the caller
        persists summary() then, so a restart keeps what the bytes mean)."""
        if self.sid is None or self._first is None:
            return False
        i = (seq - self._first) & 0xFFFFFFFF
        if i < self._count or i >= 1 << 24:
            return False       # before the session, or logged already
        first = self.meta is None
        if first:
            self.meta = {"hash": model.hash, "classes": list(model.classes)}
        elif self.meta["hash"] != model.hash:
            self.meta["changed"] = True   # another model: its numbers mean other classes
            return False
        while self._count < i:
            self._put(NONE)
        self._put(raw if 0 <= raw < NONE else NONE)
        return first

    def _put(self, b):
        self._buf[self._n] = b
        self._n += 1
        self._count += 1
        if self._n == _BUF:
            self.flush()

    def flush(self):
        if not self._n or self.sid is None:
            return
        try:
            with open(self.store.path(self.sid, "pred.bin"), "ab") as f:
                f.write(memoryview(self._buf)[:self._n])
            self.store.used += self._n
        except OSError as e:   # flash full: the recording goes on without predictions
            if self.meta is not None:
                self.meta["error"] = "could not write predictions (%s)" % e
        self._n = 0

    def summary(self):
        if self.meta is None:
            return None
        s = dict(self.meta)
        s["windows"] = self._count
        return s

    def finish(self):
        """Flush; returns summary() for the session's meta (None: nothing was predicted)."""
        self.flush()
        s = self.summary()
        self.sid = None
        return s
