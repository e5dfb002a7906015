# app/dataset.py without a browser: a fake window.motebook.ds stands in for glue.js (device
# replies scripted, IndexedDB a dict, the FS a temp file). Checks download + cache reuse,
# labels saved with versions, the 409 reload, edits refused while the device is away, and
# labelled windows. CPython (pytest); the page runs the same code in MicroPython-WASM.
import asyncio
import json
import sys
import types
from array import array

from shared import protocol as P

_fake = types.ModuleType("pyscript")
_fake.window = types.SimpleNamespace(motebook=None)
sys.modules.setdefault("pyscript", _fake)

from app import dataset as DS  # noqa: E402
from fakes import FakeCache  # noqa: E402

_SCALE = 1 / 4096


class _Ds(FakeCache):
    """glue.js's mb.request(method, path, body) -> JSON {status, text} and mb.ds (windows(),
    the IndexedDB cache)."""

    def __init__(self, n_rec=4, hop=8, nch=3):
        self.db = {}
        self.fetched = 0
        self.up = True
        self.version = 1
        self.segments = []
        self.nch, self.hop, self.n_rec = nch, hop, n_rec
        self.meta = {"id": 1, "started": 100.0, "rate": 100, "channels": ["x", "y", "z"][:nch],
                     "window": 2 * hop, "hop": hop, "scale": _SCALE, "windows": n_rec,
                     "recording": False, "labels": {"version": 1, "classes": [], "counts": {}}}

    async def request(self, method, path, body=None):
        if not self.up:
            return json.dumps({"status": 0, "text": ""})
        if path == "/api/sessions":
            return self._ok({"sessions": [self.meta], "storage_used": 1, "recording": None})
        if path.endswith("/labels") and method == "GET":
            return self._ok({"version": self.version, "classes": ["a", "b"],
                             "segments": self.segments})
        if path.endswith("/labels") and method == "PUT":
            b = json.loads(body)
            if b["version"] != self.version:
                return json.dumps({"status": 409, "text": json.dumps({"error": "conflict"})})
            self.version += 1
            self.segments = b["segments"]
            return self._ok({"version": self.version, "classes": b["classes"], "counts": {}})
        return json.dumps({"status": 404, "text": "{}"})

    def _ok(self, obj):
        return json.dumps({"status": 200, "text": json.dumps(obj)})

    async def windows(self, sid, started, total, path):
        cached = self.db.get("win:%d" % sid)
        fs = P.frame_size(self.nch, self.hop)
        if cached is None:
            raw = bytearray()
            buf = bytearray(fs)
            for i in range(total):
                a = array("h", [c * 1000 + i * self.hop + k for c in range(self.nch)
                                for k in range(self.hop)])
                P.encode_window_into(buf, 7 + i, 0, a, self.nch, self.hop, 100, _SCALE)
                raw += buf
            self.fetched += len(raw)
            self.db["win:%d" % sid] = bytes(raw)
            cached = raw
        with open(path, "wb") as f:
            f.write(cached)
        return json.dumps({"n": total, "frame_size": fs, "fetched": 0, "cached": 0})



def _run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def _setup(**kw):
    ds = _Ds(**kw)
    _fake.window.motebook = types.SimpleNamespace(ds=ds, request=ds.request)
    DS._STAGE = "/tmp/motebook_test_ds_stage.bin"
    return ds, DS.Dataset()


def test_load_decodes_and_reuses_the_cache():
    fake, d = _setup()
    _run(d.refresh())
    assert [m["id"] for m in d.sessions()] == [1]
    r = _run(d.load(1))
    assert (r.n_samples, r.rate, r.channels, r.scale) == (32, 100, ["x", "y", "z"], _SCALE)
    assert list(r.samples[:3]) == [0, 1, 2] and r.samples[32] == 1000
    d2 = DS.Dataset()           # a reload: the windows come from the cache
    n = fake.fetched
    _run(d2.refresh())
    assert list(_run(d2.load(1)).samples) == list(r.samples) and fake.fetched == n


def test_save_versions_conflict_and_offline():
    fake, d = _setup()
    _run(d.refresh())
    r = _run(d.load(1))
    _run(d.save_labels(r, ["a", "b"], [(0, 10, 1)]))
    assert r.version == 2 and r.segments == [(0, 10, "b")]
    fake.version = 5                                   # another page saved meanwhile
    fake.segments = [{"start": 3, "end": 4, "label": "a"}]
    try:
        _run(d.save_labels(r, ["a", "b"], [(0, 12, 1)]))
        raise AssertionError("no conflict")
    except DS.Conflict as e:
        assert "changed elsewhere" in str(e)
    assert r.version == 5 and r.segments == [(3, 4, "a")], "reloaded the device's labels"
    fake.up = False
    try:
        _run(d.save_labels(r, ["a", "b"], [(0, 12, 1)]))
        raise AssertionError("saved while offline")
    except DS.DeviceError as e:
        assert e.status == 0 and "not saved" in str(e)
    assert r.segments == [(3, 4, "a")] and fake.version == 5


def test_bad_segments_are_refused_before_sending():
    fake, d = _setup()
    _run(d.refresh())
    r = _run(d.load(1))
    for segs, text in (([(0, 33, 0)], "out of bounds"), ([(0, 5, 4)], "unknown class id 4")):
        try:
            _run(d.save_labels(r, ["a", "b"], segs))
            raise AssertionError("accepted")
        except DS.D.DatasetError as e:
            assert text in str(e)
    assert fake.version == 1


def test_labelled_windows_through_the_dataset():
    fake, d = _setup(n_rec=8)
    fake.segments = [{"start": 0, "end": 32, "label": "a"}, {"start": 32, "end": 64,
                                                             "label": "b"}]
    _run(d.refresh())
    lw = _run(d.labelled_windows([1], ["b", "a"], 16, 8))
    w = lw.windows
    assert lw.labels == [1, 1, 1, 0, 0, 0] and len(w[0]) == 48 and lw.groups == [1] * 6
    assert list(w[1][:2]) == [8, 9] and w[1][16] == 1008
    assert lw.scales == [_SCALE] * 6 and lw.rate == 100
    for window, classes, words in ((128, ["a", "b"], "the sessions are 64 samples long"),
                                   (16, ["a"], "labelled windows of one class only")):
        try:      # nothing to train on: the reason, not an empty list
            _run(d.labelled_windows([1], classes, window, 8))
        except DS.D.DatasetError as e:
            assert str(e).startswith(words), str(e)
        else:
            raise AssertionError("no error")
