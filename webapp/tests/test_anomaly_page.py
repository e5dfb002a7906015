# Train's "normal vs anomaly" mode without a browser: the bridge's train.mode and train.go
# actions over recordings of the simulated machine (device/hal/sim_machine.py), the dataset
# and module loading faked: no session chosen, one session (need more, nothing to send), three
# normal sessions and a faulty one (a promise, the table by session next to the RMS baseline,
# a model file the one reader takes, Deploy's fit and Send's file), and the classes result
# kept apart from the anomaly one. CPython (pytest); the page runs the same code in WASM.
import asyncio
import json
import types
from array import array

from test_dataset_page import _fake  # noqa: E402,F401  installs the fake `pyscript` module
from app import anomaly as AN  # noqa: E402
from app import deploy, net, train  # noqa: E402
from app.bridge import Bridge  # noqa: E402
from device.hal.sim_machine import SimMachine  # noqa: E402
from shared import anomalyformat as AF  # noqa: E402

RATE, WINDOW, HOP = 100, 128, 16
_RECS = {}


def _rec(sid, seconds, seed, fault_at=None, fault="imbalance"):
    key = (sid, seconds, seed, fault_at)
    if key in _RECS:
        return _RECS[key]
    m = SimMachine(RATE, seed=seed)
    n = int(seconds * RATE)
    one = array("h", bytes(6))
    ch = [array("h", bytes(2 * n)) for _ in range(3)]
    for i in range(n):
        if fault_at is not None and i == int(fault_at * RATE):
            m.set_fault(fault)
        m.read_into(one, 0)
        for c in range(3):
            ch[c][i] = one[c]
    samples = array("h")
    for c in ch:
        samples.extend(c)
    segs = [(0, n, "normal")] if fault_at is None else [
        (0, int(fault_at * RATE), "normal"), (int(fault_at * RATE), n, fault)]
    r = types.SimpleNamespace(sid=sid, name="#%d" % sid, samples=samples, n_samples=n,
                              channels=["x", "y", "z"], rate=RATE, scale=m.scale, segments=segs)
    _RECS[key] = r
    return r


class _DS:
    def __init__(self, recs):
        self.recs = dict((r.sid, r) for r in recs)

    async def load_many(self, sids):
        return [self.recs[s] for s in sids]


class _T:                      # window.motebook (not debug)
    debug = False
    plots = 1


def _bridge(recs, monkeypatch):
    async def need(*names):
        return None

    async def preload(self):
        return None
    monkeypatch.setattr(net, "need", need)
    monkeypatch.setattr(train.Trainer, "preload", preload)
    ds = _DS(recs)
    monkeypatch.setattr(train, "dataset", lambda: ds)
    if not hasattr(asyncio, "sleep_ms"):     # (MicroPython's; the page yields with it)
        monkeypatch.setattr(asyncio, "sleep_ms", lambda ms: asyncio.sleep(ms / 1000),
                            raising=False)
    B = Bridge(_T())
    stream = types.SimpleNamespace(info={"rate": RATE, "window": WINDOW, "hop": 64,
                                         "channels": ["x", "y", "z"], "sensor": "machine",
                                         "sensors": ["sim", "machine"]})

    async def setup():
        tr = train.install(B, stream, None)
        dep = deploy.install(B, stream, tr)
        return tr, dep
    tr, dep = asyncio.run(setup())
    B.update("train", sessions=[{"id": r.sid, "name": r.name, "classes": []} for r in recs],
             picked=[r.sid for r in recs])
    return B, tr, dep


FORM = {"window": str(WINDOW), "hop": str(HOP), "a_kind": "envelope", "a_fah": "1",
        "a_n": "3", "a_m": "5"}


def test_mode_switch_and_careless_paths(monkeypatch):
    B, tr, dep = _bridge([_rec(1, 6, 11)], monkeypatch)
    out, err = asyncio.run(B.act("train.mode", {"mode": "sideways"}))
    assert err and "classes" in err and B.state["train"]["mode"] == "classes"
    asyncio.run(B.act("train.mode", {"value": "anomaly"}))
    assert B.state["train"]["mode"] == "anomaly" and tr.mode == "anomaly"
    # no session chosen: said, nothing trained
    B.update("train", picked=[])
    out, err = asyncio.run(B.act("train.go", FORM))
    assert err == "cannot train: choose the sessions of normal running (the list above)"
    assert B.state["train"]["message"] == err and tr.result is None
    # one short session: no promise, no model, how many more sessions
    B.update("train", picked=[1])
    out, err = asyncio.run(B.act("train.go", FORM))
    assert err is None, err
    a = B.state["train"]["anomaly"]
    assert a["promise"] is None and a["model"] is False
    assert "record 2 more sessions of normal running (3 in all" in a["need_more"]
    assert "No false-alarm promise" in AN.render(a) and a["need_more"] in AN.render(a)
    assert tr.result is None                 # nothing to send
    assert B.state["deploy"]["fit"] is None
    # a window longer than the session: the session is named, with why
    out, err = asyncio.run(B.act("train.go", dict(FORM, window="1024", hop="64")))
    assert err == ("cannot train: no chosen session is as long as the window: #1 gave no "
                   "window of 1024 samples; shorten the window or record longer sessions")
    assert B.state["train"]["anomaly"] is None and tr.result is None
    # the classes mode keeps its own (here: no) result
    asyncio.run(B.act("train.mode", {"mode": "classes"}))
    assert tr.result is None and B.state["train"]["summary"] is None


def trained(monkeypatch):
    """(recs, bridge, train, deploy) after training in anomaly mode on three normal sessions
    and one with a fault (imbalance from 12 s)."""
    recs = [_rec(1, 25, 11), _rec(2, 25, 12), _rec(3, 25, 13), _rec(4, 30, 14, fault_at=12)]
    B, tr, dep = _bridge(recs, monkeypatch)
    asyncio.run(B.act("train.mode", {"mode": "anomaly"}))
    out, err = asyncio.run(B.act("train.go", FORM))
    assert err is None, err
    return recs, B, tr, dep


def test_result_promise_table_and_model_file(monkeypatch):
    recs, B, tr, dep = trained(monkeypatch)
    a = B.state["train"]["anomaly"]
    json.dumps(a)                           # the state stays plain JSON
    assert a["faulty"] == ["#4"] and a["scorer"] == "envelope"
    p = a["promise"]
    assert a["need_more"] is None and p["false_alarms_per_hour"] == 1.0
    assert p["measured_minutes"] > 1.0 and p["sessions"] == 3
    rows = dict((r["name"], r) for r in a["rows"])
    assert sorted(rows) == ["#1", "#2", "#3", "#4"]
    assert rows["#1"]["normal"] and "false_alarms_per_hour" in rows["#1"]["baseline"]
    f = rows["#4"]["model"]
    assert f["episodes"] == 1 and f["detection_rate"] == 1.0 and f["roc_auc"] > 0.95
    assert 0 < f["time_to_detect_max"] < 10
    html = AN.render(a)
    assert "Promise: at most 1 false alarm per hour" in html and "RMS baseline" in html
    assert 'id="anomaly-plot"' in html
    # the model file: the one reader takes it, for these settings
    r = tr.result
    m = AF.loads(r["text"])
    assert m.meta["window"]["rate"] == RATE and m.meta["window"]["window"] == WINDOW
    assert m.meta["hysteresis"] == [3, 5] and abs(m.threshold - a["threshold"]) < 1e-3 * abs(
        a["threshold"])
    # the timeline: every session's windows, fault windows apart, the threshold
    tl = AN.timeline(r)
    names = [t["name"] for t in tl["traces"]]
    assert names == ["#1", "#2", "#3", "#4", "#4: fault windows"]  # (as chosen)
    assert tl["traces"][1]["x"][0] > tl["traces"][0]["x"][-1]     # one after another
    assert tl["threshold"] == r["threshold"]
    # Deploy: fits the device (its hop differs: offered, not a problem); Send's file
    f = B.state["deploy"]["fit"]
    assert f is not None and f["problems"] == [] and B.state["deploy"]["switch"] == {"hop": HOP}
    # the classes mode's result is its own: switching back offers nothing to send
    asyncio.run(B.act("train.mode", {"mode": "classes"}))
    assert tr.result is None and B.state["deploy"]["fit"] is None
    asyncio.run(B.act("train.mode", {"mode": "anomaly"}))
    assert tr.result["hash"] == a["hash"]
    # Explore's colour by score: the same scores for the same windows
    from shared import dataset as D
    w = [D.cut_window(recs[0].samples, 3, recs[0].n_samples, k, WINDOW) for k in (0, 160)]
    s = AN.scores_of(tr.result, w, [recs[0].scale] * 2)
    assert len(s) == 2 and all(v == v for v in s)


def test_only_fault_sessions_is_refused(monkeypatch):
    B, tr, dep = _bridge([_rec(4, 30, 14, fault_at=12)], monkeypatch)
    asyncio.run(B.act("train.mode", {"mode": "anomaly"}))
    out, err = asyncio.run(B.act("train.go", FORM))
    assert "every chosen session is labelled with a fault (#4)" in err
