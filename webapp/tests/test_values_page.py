# The Label step's value labels (app/values_page.py through app/sessions.py's ops) without a
# browser: a fake device answering GET/PUT/DELETE /api/sessions/<id>/value as the device does
# (shared.values checks, one unit per value name across sessions, the token, away). A session's
# value and a stretch's value are saved and read back, the lists show them with the one
# formatter, undo puts the label before back, removing deletes it; not a number, another
# session's unit, a wrong token and the device away are refused with the reason and change
# nothing; a label changed in another tab is read again on the next refresh. CPython (pytest).
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
from app import net  # noqa: E402
from app import sessions as S  # noqa: E402
from app import values_page as VP  # noqa: E402
from fakes import FakeCache  # noqa: E402
from shared import values as V  # noqa: E402

TOKEN = "tok"
N = 100      # samples per session


class _Device(FakeCache):
    """window.motebook: the device's session list and value labels (checked as
    device/api_sessions.py does), a token, and a switch for 'away'."""

    def __init__(self):
        self.db, self.store = {}, {}
        self.values = {2: {"name": "concentration", "value": 0.5, "unit": "mmol/L",
                           "segments": []}}
        self.token, self.away, self.writes = TOKEN, False, 0

    def nowS(self):
        return "1000"

    def _meta(self, sid):
        v = self.values.get(sid)
        return {"id": sid, "started": 100.0, "rate": 10, "channels": ["x"], "windows": 5,
                "hop": 20, "window": 20, "samples": N, "duration_s": N / 10,
                "recording": False, "labels": None,
                "value": None if v is None else {"name": v["name"], "value": v["value"],
                                                 "unit": v["unit"],
                                                 "segments": len(v["segments"])}}

    @staticmethod
    def _ans(status, obj):
        return json.dumps({"status": status, "text": json.dumps(obj)})

    async def request(self, method, path, body=None):
        if self.away:
            return json.dumps({"status": 0, "text": ""})
        if path == "/api/sessions":
            return self._ans(200, {"sessions": [self._meta(s) for s in (1, 2, 3)],
                                   "storage_used": 0, "storage_budget": 1 << 20,
                                   "recording": None})
        sid = int(path.split("/")[3])
        if method == "GET":
            v = self.values.get(sid)
            return self._ans(200, v) if v else self._ans(404, {"error": "no value label"})
        if self.token != TOKEN:
            return self._ans(401, {"error": "wrong token"})
        self.writes += 1
        if method == "DELETE":
            return self._ans(200, {"deleted": "value"}) if self.values.pop(sid, None) else \
                self._ans(404, {"error": "session %d has no value label" % sid})
        b = json.loads(body)
        try:
            segs = V.check_segments([tuple(x) for x in b.pop("segments", [])], N, sid)
            lab = V.check_label(b, sid)
            for o, ov in self.values.items():
                if o != sid and ov["name"] == lab["name"] and ov["unit"] != lab["unit"]:
                    raise ValueError("session #%d: %s in %r, but session #%d has %s in %r: "
                                     "use one unit" % (sid, lab["name"], lab["unit"], o,
                                                       ov["name"], ov["unit"]))
        except ValueError as e:
            return self._ans(400, {"error": str(e)})
        lab["segments"] = [list(x) for x in segs]
        self.values[sid] = lab
        return self._ans(200, lab)

    def getItem(self, k):
        return self.store.get(k)

    def setItem(self, k, v):
        self.store[k] = v

    def removeItem(self, k):
        self.store.pop(k, None)


def _panel(sid=1):
    dev = _Device()
    _fake.window.motebook = types.SimpleNamespace(request=dev.request, ds=dev, nowS=dev.nowS)
    _fake.window.localStorage = dev
    S.window = DS.window = net.window = _fake.window
    DS._ONE.clear()
    p = S.Panel()
    run(p.op_refresh({}))
    p.rec = types.SimpleNamespace(sid=sid, n_samples=N, name="#%d" % sid, rate=10,
                                  channels=["x"], meta={}, version=1, imported=False, gaps=0)
    run(p.values.load(sid, p.ds.meta(sid)))
    return p, dev


def run(c):
    return asyncio.run(c)


def _refused(p, op, a, match):
    try:
        run(getattr(p, "op_" + op)(a))
    except (ValueError, net.DeviceError) as e:
        assert match in str(e), str(e)
        return str(e)
    raise AssertionError("%s %r was not refused" % (op, a))


def test_the_form_is_prefilled_with_the_unit_other_sessions_use():
    p, dev = _panel(1)
    st = p.state()
    assert st["value_names"] == [["concentration", "mmol/L"]]
    assert st["cur"]["value"]["label"] is None
    assert [m["value"] for m in st["sessions"]] == ["", "0.5 mmol/L", ""]


def test_a_session_value_then_a_stretch_read_back_undo_and_remove():
    p, dev = _panel(1)
    run(p.op_value_set({"name": "concentration", "value": " 0.25 ", "unit": "mmol/L"}))
    assert dev.values[1] == {"name": "concentration", "value": 0.25, "unit": "mmol/L",
                             "segments": []}
    assert p.notice == "session #1: value 0.25 mmol/L"
    assert [m["value"] for m in p.state()["sessions"]][0] == "0.25 mmol/L"
    # a stretch (the selection) gets another value; the session's value stays
    p.sel = (20, 60)
    run(p.op_value_segment({"value-name": "concentration", "value-number": "0.75",
                            "value-unit": "mmol/L"}))
    assert dev.values[1]["segments"] == [[20, 60, 0.75]] and dev.values[1]["value"] == 0.25
    # a second stretch overlapping the first cuts it
    p.sel = (40, 80)
    run(p.op_value_segment({"value-number": "1"}))
    assert dev.values[1]["segments"] == [[20, 40, 0.75], [40, 80, 1.0]]
    # undo: the label before the last change is back on the device
    run(p.op_value_undo({}))
    assert dev.values[1]["segments"] == [[20, 60, 0.75]]
    assert p.state()["cur"]["value"]["undo"] is False
    _refused(p, "value_undo", {}, "no value change to undo")
    # an empty number clears the selection's values
    p.sel = (0, 100)
    run(p.op_value_segment({"value-number": ""}))
    assert dev.values[1]["segments"] == []
    run(p.op_value_delete({}))
    assert 1 not in dev.values and p.notice == "session #1: no value"
    assert p.state()["sessions"][0]["value"] == ""
    run(p.op_value_undo({}))                    # undo a removal: the value is back
    assert dev.values[1]["value"] == 0.25


def test_refusals_say_why_and_change_nothing():
    p, dev = _panel(1)
    e = _refused(p, "value_set", {"name": "concentration", "value": "lots", "unit": "mmol/L"},
                 "session #1: value 'lots' is not a number")
    assert dev.writes == 0, "checked in the page first: nothing sent"
    _refused(p, "value_set", {"name": "concentration", "value": "nan", "unit": "mmol/L"},
             "is not a number")
    _refused(p, "value_set", {"name": "", "value": "1", "unit": "mmol/L"}, "name must be")
    # another session's unit: the device refuses, naming both sessions
    e = _refused(p, "value_set", {"name": "concentration", "value": "250", "unit": "umol/L"},
                 "but session #2 has concentration in 'mmol/L': use one unit")
    assert "session #1" in e and 1 not in dev.values
    _refused(p, "value_segment", {"value-number": "1"}, "select a stretch")
    # a wrong token: the device's 401 said (and the page forgets the token: app/device.py)
    dev.token = "other"
    _refused(p, "value_set", {"name": "concentration", "value": "1", "unit": "mmol/L"},
             "wrong token")
    dev.token = TOKEN
    # the device away
    dev.away = True
    _refused(p, "value_set", {"name": "concentration", "value": "1", "unit": "mmol/L"},
             "device unreachable")
    dev.away = False
    assert 1 not in dev.values and dev.values[2]["value"] == 0.5
    assert p.values.label is None and p.values.undo is None, "nothing changed in the page"


def test_a_change_made_in_another_tab_is_read_on_refresh():
    p, dev = _panel(2)
    assert p.state()["cur"]["value"]["text"] == "0.5 mmol/L"
    dev.values[2] = {"name": "concentration", "value": 0.5, "unit": "mmol/L",
                     "segments": [[0, 40, 1.5]]}          # another tab added a stretch
    run(p.op_refresh({}))                                # (sync runs it on "changed")
    assert p.values.label["segments"] == [[0, 40, 1.5]]
    assert p.state()["cur"]["value"]["text"] == "0.5 mmol/L"


def test_the_one_formatter():
    assert VP.text(None) == "" and VP.text({}) == ""
    assert VP.text({"name": "c", "value": 0.25, "unit": "mmol/L", "segments": 0}) == \
        "0.25 mmol/L"
    assert VP.text({"name": "lux", "value": 3, "unit": ""}) == "3"
    assert VP.text({"name": "c", "value": None, "unit": "u", "segments": 2}) == \
        "c in segments"
