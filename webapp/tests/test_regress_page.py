# Train's "value" mode without a browser: the bridge's train.mode/train.go over recordings of
# the simulated spectrometer (device/hal/sim_spectrometer.py) whose value labels come from a
# faked GET /api/sessions/<id>/value: too few sessions (no estimate, the sessions named, no
# model, Send off with why), several sessions at several concentrations (an estimate on values
# never trained on, beside the mean-value baseline, per-session errors, the plot's points; the
# file the one reader takes, kind regress with the unit, fitting the device), the report's
# HTML and the live value's drawing. CPython (pytest); the page runs the same code in WASM.
import asyncio
import json
import types
from array import array

from test_dataset_page import _fake  # noqa: E402,F401  installs the fake `pyscript` module
from app import deploy, net, train  # noqa: E402
from app import view_regress as VR  # noqa: E402
from app.bridge import Bridge  # noqa: E402
from device.hal.sim_spectrometer import SimSpectrometer  # noqa: E402
from shared import dye  # noqa: E402
from shared import modelformat as MF  # noqa: E402

RATE, WINDOW, HOP = 10, 20, 20
CH = list(dye.CHANNELS)


def _rec(sid, c, seconds=40):
    s = SimSpectrometer(RATE, c, seed=sid * 7919)
    n = seconds * RATE
    nb = len(CH)
    row = array("h", [0] * nb)
    samples = array("h", bytes(2 * nb * n))
    for i in range(n):
        s.read_into(row, 0)
        for j in range(nb):
            samples[j * n + i] = row[j]
    return types.SimpleNamespace(sid=sid, name="#%d" % sid, samples=samples, n_samples=n,
                                 channels=CH, rate=RATE, scale=1.0, segments=[], c=c)


class _DS:
    def __init__(self, recs):
        self.recs = dict((r.sid, r) for r in recs)

    async def load_many(self, sids):
        return [self.recs[s] for s in sids]

    def meta(self, sid):
        return {"id": sid, "value": {"name": "concentration"}}


class _T:
    debug = False
    plots = 1


def _bridge(recs, monkeypatch):
    async def need(*names):
        return None

    async def preload(self):
        return None

    by = dict((r.sid, r) for r in recs)

    async def call(method, path, body=None, what=None):
        sid = int(path.split("/")[3])
        return {"name": "concentration", "value": by[sid].c, "unit": dye.UNIT, "segments": []}
    monkeypatch.setattr(net, "need", need)
    monkeypatch.setattr(net, "call", call)
    monkeypatch.setattr(train.Trainer, "preload", preload)
    ds = _DS(recs)
    monkeypatch.setattr(train, "dataset", lambda: ds)
    if not hasattr(asyncio, "sleep_ms"):
        monkeypatch.setattr(asyncio, "sleep_ms", lambda ms: asyncio.sleep(ms / 1000),
                            raising=False)
    B = Bridge(_T())
    stream = types.SimpleNamespace(info={"rate": RATE, "window": WINDOW, "hop": HOP,
                                         "channels": CH, "sensor": "spectrometer",
                                         "sensors": ["sim", "spectrometer"]})

    async def setup():
        tr = train.install(B, stream, None)
        dep = deploy.install(B, stream, tr)
        return tr, dep
    tr, dep = asyncio.run(setup())
    B.update("train", sessions=[{"id": r.sid, "name": r.name, "classes": []} for r in recs],
             picked=[r.sid for r in recs])
    asyncio.run(B.act("train.mode", {"mode": "value"}))
    return B, tr, dep


FORM = {"window": str(WINDOW), "hop": str(HOP), "n_trees": "10", "max_depth": "8",
        "folds": "5"}


def test_too_few_sessions_no_estimate_no_model(monkeypatch):
    B, tr, dep = _bridge([_rec(1, 0.0), _rec(2, 1.0)], monkeypatch)
    assert B.state["train"]["mode"] == "value"
    out, err = asyncio.run(B.act("train.go", FORM))
    assert err is None, err
    v = B.state["train"]["value"]
    assert v["model"] is False and v["estimate"] is None
    assert "too few sessions" in v["reason"] and "#1 (0 mmol/L)" in v["reason"], v["reason"]
    assert "#2 (1 mmol/L)" in v["reason"]
    assert tr.result is None and B.state["deploy"]["fit"] is None
    assert "No estimate" in VR.render(v) and "#1 (0 mmol/L)" in VR.render(v)
    B.update("train", picked=[])
    out, err = asyncio.run(B.act("train.go", FORM))
    assert err == "cannot train: choose the sessions with values (the list above)"


def test_estimate_on_unseen_values_and_the_model_file(monkeypatch):
    recs = [_rec(10 * k + i, c) for k, c in enumerate((0.0, 0.5, 1.0, 1.5, 2.0))
            for i in (1, 2)]
    B, tr, dep = _bridge(recs, monkeypatch)
    out, err = asyncio.run(B.act("train.go", FORM))
    assert err is None, err
    v = B.state["train"]["value"]
    json.dumps(v)
    assert v["model"] and v["by_value"] and v["values_n"] == 5 and v["folds"] == 5
    e = v["estimate"]
    assert e["n"] == v["windows"] == 10 * 20 and e["r2"] > 0.8, e
    assert e["baseline_mae"] > 2 * e["mae"], e
    assert v["promise"] == "on unseen values expect errors of about %.4g mmol/L (MAE)" % e["mae"]
    assert len(v["sessions"]) == 10 and len(v["points"]) == 200
    assert v["feature_set"] == "spectral" and v["n_features"] == 33
    r = tr.result
    m = MF.loads(r["text"])
    assert m.meta["kind"] == "regress" and m.meta["unit"] == dye.UNIT
    assert m.meta["target"] == "concentration" and m.meta["range"] == [0.0, 2.0]
    assert m.meta["window"]["sensor"] == "spectrometer" and m.meta["feature_set"] == "spectral"
    assert B.state["deploy"]["fit"]["problems"] == []
    html = VR.render(v)
    assert "Concentration: on unseen values expect errors" in html and "regress-plot" in html
    traces, layout = VR.plot(v)
    assert len(traces[0]["x"]) == 200 and "true concentration" in layout["xaxis"]["title"]["text"]
    # the live value: the number with its unit and a timeline
    live = VR.live_html({"value": 1.1234, "unit": "mmol/L", "target": "concentration",
                         "seq": 7, "hash": "ab"}, [[1, 1.0], [2, 1.2], [3, 1.1]])
    assert '<b>1.123</b> mmol/L' in live and 'id="live-value-trace"' in live
