"""motebook_client: the device's HTTP API from CPython, with NumPy arrays out.

    from motebook_client import Device
    dev = Device("http://motebook-1a2b.local", token="...")   # token: only for writes
    x, meta = dev.samples(3)          # float32 (channels, samples) in physical units
    y, classes = dev.labels(3)        # int16 per sample: index into classes, -1 unlabelled
    h = dev.history(t_from, t_to)     # structured array: t, seq, class, confidence, rms
    model = dev.model()               # summary, metadata and the model file's text

Every route is described in API.md at the repository's root. Standard library + NumPy.
"""
import io
import json
import urllib.error
import urllib.parse
import urllib.request

import numpy as np

__version__ = "0.1.0"


class DeviceError(Exception):
    """The device answered an error: .status (HTTP) and the device's message."""

    def __init__(self, status, message):
        super().__init__("HTTP %d: %s" % (status, message))
        self.status = status
        self.message = message


class Device:
    def __init__(self, url="http://127.0.0.1:8080", token=None, timeout=30):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # -- transport
    def request(self, method, path, body=None, params=None):
        """(bytes, headers) of a request; DeviceError on an error answer."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items()
                                                 if v is not None})
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token and method != "GET":
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.read(), r.headers
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                msg = json.loads(raw).get("error") or raw.decode()
            except ValueError:
                msg = raw.decode(errors="replace")
            raise DeviceError(e.code, msg) from None

    def get_json(self, path, params=None):
        return json.loads(self.request("GET", path, params=params)[0])

    def _npy(self, path, params=None):
        raw, headers = self.request("GET", path, params=params)
        return np.load(io.BytesIO(raw)), headers

    # -- the device
    def status(self):
        return self.get_json("/api/status")

    def config(self):
        return self.get_json("/api/config")

    # -- sessions
    def sessions(self):
        """The sessions' metadata (list of dicts, oldest first)."""
        return self.get_json("/api/sessions")["sessions"]

    def session(self, sid):
        return self.get_json("/api/sessions/%d" % sid)

    def samples(self, sid, raw=False):
        """(array of shape (channels, samples), meta): float32 in physical units (int16
        counts with raw=True)."""
        arr, headers = self._npy("/api/sessions/%d/samples.npy" % sid)
        meta = self.session(sid)
        if raw:
            return arr, meta
        return arr.astype(np.float32) * np.float32(float(headers["X-Scale"])), meta

    def labels(self, sid):
        """(int16 array of one class index per sample, -1 where unlabelled; classes)."""
        lab = self.get_json("/api/sessions/%d/labels" % sid)
        y = np.full(lab["samples"], -1, dtype=np.int16)
        classes = lab["classes"]
        for seg in lab["segments"]:
            y[seg["start"]:seg["end"]] = classes.index(seg["label"])
        return y, classes

    # -- history and flagged windows
    def history(self, t_from=None, t_to=None):
        """Every logged window with t_from <= t < t_to (seconds since 1970): a structured
        array with fields t (float seconds), seq, class (index into .classes, -1: none),
        confidence (top score, steps of 1/7) and rms (block mean per channel), plus the
        attributes-like dict returned second: {"classes", "channels"}."""
        arr, headers = self._npy("/api/history", {"from": _sec(t_from), "to": _sec(t_to),
                                                  "format": "npy"})
        info = {"classes": json.loads(headers["X-Classes"]),
                "channels": json.loads(headers["X-Channels"])}
        out = np.empty(arr.shape, dtype=[("t", "<f8"), ("seq", "<u4"), ("class", "<i2"),
                                         ("confidence", "<f4"),
                                         ("rms", "<f4", arr.dtype["rms"].shape)])
        out["t"] = arr["t_ms"] / 1000.0
        for f in ("seq", "class", "confidence", "rms"):
            out[f] = arr[f]
        return out, info

    def history_summary(self, t_from=None, t_to=None, bucket=3600):
        """Per bucket of `bucket` seconds: windows per class, mean confidence and RMS."""
        return self.get_json("/api/history/summary", {"from": _sec(t_from),
                                                      "to": _sec(t_to), "bucket": bucket})

    def flagged(self):
        return self.get_json("/api/flagged")["flagged"]

    def flagged_samples(self, fid):
        arr, headers = self._npy("/api/flagged/%d/samples.npy" % fid)
        return arr.astype(np.float32) * np.float32(float(headers["X-Scale"]))

    def label_flagged(self, fid, label):
        """The flagged window becomes a session labelled `label` (needs the token)."""
        raw, _ = self.request("POST", "/api/flagged/%d/label" % fid, {"label": label})
        return json.loads(raw)

    # -- model
    def model(self):
        """The running model (None when there is none): its summary and metadata (dict, as
        GET /api/model), "text" (the model file) and its trees as arrays: "nodes" (int32,
        one row per decision node: feature, threshold, left, right; a child < 0 is leaf
        -child - 1), "leaves" (class per leaf), "roots" (first node of each tree); thresholds
        compare the int16-quantised features ("meta" -> "quant")."""
        try:
            m = self.get_json("/api/model")
        except DeviceError as e:
            if e.status == 404:
                return None
            raise
        text = self.request("GET", "/api/model/file")[0].decode()
        nodes, leaves, roots = [], [], []
        for line in text.splitlines():
            p = line.split(",")
            if p[0] == "n":
                nodes.append([int(v) for v in p[1:5]])
            elif p[0] == "l":
                leaves.append(int(p[1]))
            elif p[0] == "r":
                roots.append(int(p[1]))
        m["text"] = text
        m["nodes"] = np.array(nodes, dtype=np.int32).reshape(-1, 4)
        m["leaves"] = np.array(leaves, dtype=np.int32)
        m["roots"] = np.array(roots, dtype=np.int32)
        return m


def _sec(t):
    return None if t is None else "%.3f" % t
