# app/sessions.py's class edits without a browser: a fake device with three sessions (labels
# with versions, PUT checked like the device's), a class renamed, merged and deleted across
# them and undone; an undo never overwrites a session changed since (it names it). CPython
# (pytest); the page runs the same code in MicroPython-WASM.
import asyncio
import json
import sys
import types

_fake = sys.modules.get("pyscript")
if _fake is None:
    _fake = types.ModuleType("pyscript")
    _fake.window = types.SimpleNamespace(motebook=None)
    sys.modules["pyscript"] = _fake

from app import dataset as DS  # noqa: E402
from app import sessions as S  # noqa: E402
from fakes import FakeCache  # noqa: E402


class _Device(FakeCache):
    """window.motebook: request() answers like the device (sessions, labels GET/PUT with a
    version), ds is the IndexedDB cache, localStorage a dict."""

    def __init__(self):
        self.labels = {
            1: {"version": 1, "classes": ["walk"], "segments": [[0, 50, "walk"]]},
            2: {"version": 1, "classes": ["walk", "idle"],
                "segments": [[0, 20, "idle"], [20, 60, "walk"]]},
            3: {"version": 1, "classes": ["idle"], "segments": [[0, 40, "idle"]]},
        }
        self.db = {}
        self.store = {}

    # glue.js
    def nowS(self):
        return "1000"

    async def request(self, method, path, body=None):
        if path == "/api/sessions":
            return self._ok({"sessions": [self._meta(s) for s in sorted(self.labels)],
                             "storage_used": 0, "storage_budget": 1 << 20, "recording": None})
        sid = int(path.split("/")[3])
        lab = self.labels[sid]
        if method == "GET":
            return self._ok(self._json(lab))
        b = json.loads(body)
        if b["version"] != lab["version"]:
            return json.dumps({"status": 409, "text": json.dumps({"error": "version %d is "
                               "not the current %d" % (b["version"], lab["version"])})})
        lab["version"] += 1
        lab["classes"] = b["classes"]
        lab["segments"] = [[g["start"], g["end"], g["label"]] for g in b["segments"]]
        return self._ok(self._summary(lab))

    def _json(self, lab):
        return {"version": lab["version"], "classes": list(lab["classes"]),
                "segments": [{"start": s, "end": e, "label": c} for s, e, c in lab["segments"]]}

    def _summary(self, lab):
        counts = {}
        for s, e, c in lab["segments"]:
            counts[c] = counts.get(c, 0) + e - s
        return {"version": lab["version"], "classes": list(lab["classes"]), "counts": counts,
                "segments": len(lab["segments"])}

    def _meta(self, sid):
        return {"id": sid, "started": 100.0, "rate": 10, "channels": ["x"], "windows": 10,
                "hop": 10, "window": 20, "samples": 100, "duration_s": 10.0,
                "recording": False, "labels": self._summary(self.labels[sid])}

    def _ok(self, obj):
        return json.dumps({"status": 200, "text": json.dumps(obj)})

    # localStorage
    def getItem(self, k):
        return self.store.get(k)

    def setItem(self, k, v):
        self.store[k] = v


def _panel():
    dev = _Device()
    _fake.window.motebook = types.SimpleNamespace(request=dev.request, ds=dev, nowS=dev.nowS)
    _fake.window.localStorage = dev
    S.window = DS.window = _fake.window
    from app import net
    net.window = _fake.window
    DS._ONE.clear()
    p = S.Panel()
    asyncio.run(p.op_refresh({}))
    return p, dev


def _names(dev, sid):
    return [tuple(g) for g in dev.labels[sid]["segments"]]


def test_rename_merge_delete_and_undo_across_sessions():
    p, dev = _panel()
    before = {s: _names(dev, s) for s in dev.labels}
    out = asyncio.run(p.op_class_edit({"name": "walk", "to": "walking"}))
    assert out["sessions"] == [1, 2] and out["samples"] == 90
    assert _names(dev, 2) == [(0, 20, "idle"), (20, 60, "walking")]
    assert "walking" in p.classes and "walk" not in p.classes
    assert p.notice == "renamed walk to walking: 2 sessions, 90 samples"
    asyncio.run(p.op_class_undo({}))
    assert {s: _names(dev, s) for s in dev.labels} == before
    assert "walk" in p.classes and "walking" not in p.classes
    # merge: idle into walk (touching segments of one class become one)
    asyncio.run(p.op_class_edit({"name": "idle", "to": "walk"}))
    assert _names(dev, 2) == [(0, 60, "walk")] and dev.labels[2]["classes"] == ["walk"]
    assert "idle" not in p.classes
    asyncio.run(p.op_class_undo({}))
    assert {s: _names(dev, s) for s in dev.labels} == before
    # delete
    asyncio.run(p.op_class_edit({"name": "idle", "op": "delete"}))
    assert _names(dev, 3) == [] and _names(dev, 2) == [(20, 60, "walk")]
    asyncio.run(p.op_class_undo({}))
    assert {s: _names(dev, s) for s in dev.labels} == before


def test_undo_names_a_session_changed_since_and_leaves_it():
    p, dev = _panel()
    asyncio.run(p.op_class_edit({"name": "walk", "to": "walking"}))
    dev.labels[1]["version"] += 1                     # another tab edited session 1 since
    dev.labels[1]["segments"] = [[0, 10, "walking"]]
    try:
        asyncio.run(p.op_class_undo({}))
        raise AssertionError("the undo should say it could not undo session 1")
    except ValueError as e:
        assert "except in #1" in str(e)
    assert _names(dev, 1) == [(0, 10, "walking")]     # not overwritten
    assert _names(dev, 2) == [(0, 20, "idle"), (20, 60, "walk")]   # undone


def test_bad_edits_change_nothing():
    p, dev = _panel()
    for a in ({"name": "nope", "to": "x"}, {"name": "walk", "to": ""},
              {"name": "walk", "to": "a,b"}, {"name": "walk", "to": "walk"}):
        try:
            asyncio.run(p.op_class_edit(a))
            raise AssertionError(a)
        except ValueError:
            pass
    assert all(dev.labels[s]["version"] == 1 for s in dev.labels)
