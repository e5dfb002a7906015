# Live predictions in the page: the device's {"type": "prediction"} messages (live class and a
# history strip; an anomaly model's score, threshold and state, a regression model's value,
# the last HISTORY of each), and the
# same-code check: once this page trained a model, it classifies the windows it receives
# over the WebSocket with it (shared.pipeline.Classifier, the device's code path) and
# compares, window by window (by seq), with the class the device computed ("raw",
# unsmoothed); the Deploy step shows how many agree. state() is the bridge's "live" part.
# Memory: with a page model only, a ring of the last KEEP decoded windows (int16, KEEP x
# channels x samples); the last HISTORY predictions and at most KEEP pending ones.
import array

from shared import protocol


KEEP = 64            # windows kept for comparison (a prediction arrives within a few windows)
HISTORY = 120        # predictions in the history strip / test hook


class WindowLog:
    """The last `keep` windows received over the WebSocket, by sequence number (copies)."""

    def __init__(self, keep=KEEP):
        self.keep = keep
        self._by_seq = {}
        self._order = []
        self._spare = []             # arrays of dropped windows, reused for new ones
        self.scale = None

    def add(self, seq, samples, count, scale):
        """Copy the first `count` values of samples (the decoded window) under seq."""
        if seq in self._by_seq:
            return
        buf = None
        while self._spare and buf is None:
            b = self._spare.pop()
            if len(b) == count:
                buf = b
        if buf is None:
            buf = array.array("h", bytes(2 * count))
        for i in range(count):
            buf[i] = samples[i]
        self._by_seq[seq] = buf
        self._order.append(seq)
        self.scale = scale
        while len(self._order) > self.keep:
            old = self._order.pop(0)
            self._spare.append(self._by_seq.pop(old))
        del self._spare[4:]

    def get(self, seq):
        return self._by_seq.get(seq)

    def seqs(self):
        return list(self._order)

    def clear(self):
        for seq in self._order:
            self._spare.append(self._by_seq[seq])
        del self._spare[4:]
        self._by_seq = {}
        self._order = []


class Live:
    """Prediction messages -> live class, history, and the page-vs-device comparison."""

    def __init__(self, log):
        self.log = log
        self.last = None
        self.history = []            # [seq, class index, hash prefix]
        self.scores = []             # an anomaly model's: [seq, score, state, threshold]
        self.values = []             # a regression model's: [seq, value]
        self.classes = []
        self.count = 0
        self.classifier = None       # (hash, shared.pipeline.Classifier) of the page's model
        self._pending = {}           # seq -> device raw class, waiting for the window
        self.compared = 0
        self.agree = 0
        self.mismatches = []         # [seq, page class, device class] (first 20)
        self.compare_log = []        # last 200 [seq, page, device]
        self.dirty = False

    def use_model(self, model_hash, classifier):
        """The page's model: device predictions carrying this hash are checked window by
        window against the page's own classification (classifier.classify)."""
        self.classifier = (model_hash, classifier)
        self._pending = {}

    def new_connection(self):
        """Sequence numbers may restart: forget device predictions waiting for windows."""
        self._pending = {}

    def on_text(self, text):
        """A WebSocket text message; only predictions are handled here."""
        if '"prediction"' not in text:
            return False
        try:
            msg = protocol.decode_control(text)
        except protocol.ProtocolError:
            return False
        if msg.get("type") != "prediction":
            return False
        self.last = msg
        self.count += 1
        if msg.get("kind") == "anomaly":     # an anomaly model: score, threshold, state
            self.scores.append([msg.get("seq"), msg.get("score"), bool(msg.get("anomaly")),
                                msg.get("threshold")])
            del self.scores[:-HISTORY]
            self.dirty = True
            return True
        if msg.get("kind") == "regress":     # a regression model: the value in its unit
            self.values.append([msg.get("seq"), msg.get("value")])
            del self.values[:-HISTORY]
            self.dirty = True
            return True
        cls = msg.get("class")
        idx = msg.get("index", -1)
        if idx is not None and 0 <= idx < 64:
            while len(self.classes) <= idx:
                self.classes.append("")
            self.classes[idx] = cls
        self.history.append([msg.get("seq"), idx, (msg.get("hash") or "")[:12]])
        if len(self.history) > HISTORY:
            self.history.pop(0)
        self.dirty = True
        c = self.classifier
        if c is not None and msg.get("hash") == c[0]:
            raw = msg.get("raw", idx)
            self._pending[msg.get("seq")] = raw
            self._match()
        return True

    def on_window(self):
        """Called after a new window went into the log: settles waiting comparisons."""
        if self._pending:
            self._match()

    def _match(self):
        h, clf = self.classifier
        for seq in list(self._pending):
            w = self.log.get(seq)
            if w is None:
                if len(self._pending) > self.log.keep:
                    del self._pending[seq]
                continue
            dev = self._pending.pop(seq)
            page = clf.classify(w, self.log.scale)
            self.compared += 1
            if page == dev:
                self.agree += 1
            elif len(self.mismatches) < 20:
                self.mismatches.append([seq, page, dev])
            self.compare_log.append([seq, page, dev])
            if len(self.compare_log) > 200:
                self.compare_log.pop(0)

    def wants_windows(self):
        """True when the page has its own model to compare with (else nothing is copied)."""
        return self.classifier is not None

    def state(self):
        """The bridge's "live" part (JSON values)."""
        self.dirty = False
        return {"last": self.last, "count": self.count, "history": self.history,
                "scores": self.scores, "values": self.values,
                "classes": self.classes, "compared": self.compared, "agree": self.agree,
                "mismatches": self.mismatches,
                "page_hash": self.classifier[0] if self.classifier else None}
