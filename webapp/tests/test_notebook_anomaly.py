# The Notebook's motebook.anomaly() on CPython, on recordings of the simulated machine
# (device/hal/sim_machine.py, labelled with its truth as the device labels them): normal
# sessions -> a promised threshold set on held-out sessions, each fault raised with its time to
# detect next to the RMS baseline, the timeline plot with its threshold line, the report's table
# escaped; too few sessions -> no promise and what to record; bad input refused. The device's
# HTTP answers are stood in for at motebook's status/sessions/load (their own tests are e2e).
import asyncio
import os
import sys
import types
from array import array

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "nb"))
sys.modules.setdefault("js", types.ModuleType("js"))
import motebook     # noqa: E402  (webapp/nb/motebook.py: a top module in the worker)

from device.hal.sim_machine import SCALE, SimMachine   # noqa: E402

RATE = 100


def _recording(sid, seed, seconds, fault=None, onset_s=None, name=None):
    """A Recording of the machine: channel-major samples, labels from its truth()."""
    m = SimMachine(RATE, seed=seed)
    n = seconds * RATE
    buf = array("h", bytes(6 * n))
    for k in range(n):
        if fault and k == onset_s * RATE:
            m.set_fault(fault)
        m.read_into(buf, 3 * k)
    samples = array("h", bytes(6 * n))
    for c in range(3):
        samples[c * n:(c + 1) * n] = buf[c::3]
    segs = [{"start": s, "end": e, "label": c} for s, e, c in m.truth(0, n)]
    meta = {"id": sid, "name": name or "#%d" % sid, "channels": ["x", "y", "z"], "rate": RATE,
            "scale": SCALE}
    return motebook.Recording(meta, samples, n, {"classes": ["normal", fault or "normal"],
                                                 "segments": segs})


@pytest.fixture(scope="module")
def device():
    recs = {}
    for i in range(4):                                    # 4 x 70 s of normal running
        recs[i + 1] = _recording(i + 1, 500 + i, 70, name="normal <%d>" % (i + 1))
    recs[10] = _recording(10, 610, 60, "imbalance", 30, "imbalance run")
    recs[11] = _recording(11, 611, 60, "looseness", 25)
    return recs


@pytest.fixture
def shown(device, monkeypatch):
    out = []

    async def status():
        return {"window": 128, "hop": 64}

    async def find(x):
        for sid, r in device.items():
            if x in (sid, r.name):
                return sid
        raise KeyError(x)

    async def load(sid):
        return device[sid]
    monkeypatch.setattr(motebook, "status", status)
    monkeypatch.setattr(motebook, "_find", find)
    monkeypatch.setattr(motebook, "load", load)
    monkeypatch.setattr(motebook, "show", out.append)
    if not hasattr(asyncio, "sleep_ms"):            # (MicroPython's: motebook yields with it)
        monkeypatch.setattr(asyncio, "sleep_ms", lambda ms: asyncio.sleep(ms / 1000),
                            raising=False)
    return out


def test_anomaly_promises_on_held_out_sessions_and_reports_faults_beside_the_baseline(shown):
    a = asyncio.run(motebook.anomaly(sessions=[1, 2, 3, "normal <4>"],
                                     faults=["imbalance run", 11], kind="envelope"))
    assert a["need_more"] is None and a["promise"]["sessions"] == 4
    assert a["promise"]["measured_minutes"] > 4 and a["promise"]["heldout_alarms"] == 0
    by = dict((s["id"], s) for s in a["sessions"])
    for sid in (1, 2, 3, 4):
        assert by[sid]["held_out"] and by[sid]["false_alarms"] == 0
    for sid in (10, 11):
        f = by[sid]
        assert f["episodes"] == 1 and f["detected"] == 1, f
        assert f["roc_auc"] > 0.95 and f["false_alarms"] == 0, f
        assert f["time_to_detect"][0] < 10.0, f
    # the windows wholly after the onset (30 s at hop 0.64 s: window 47 on) are over it
    assert sum(1 for v in a["scores"][10][47:] if v > a["threshold"]) > 0.9 * len(
        a["scores"][10][47:])
    assert a["baseline"]["threshold"] > 0 and len(a["baseline"]["sessions"]) == 6
    # the model keeps the threshold the report promises
    assert a["model"].threshold == a["threshold"]
    html = a._repr_html_()
    assert "normal &lt;1&gt;" in html and "<1>" not in html and "imbalance run" in html
    assert "at most 1 false alarm per hour" in repr(a)
    a.plot()
    fig = shown[-1].figure()
    names = [t["name"] for t in fig["data"]]
    assert names[-1] == "threshold" and "imbalance run" in names and len(names) == 7
    assert fig["data"][-1]["y"] == [a["threshold"]] * 2
    x = fig["data"][0]["x"]
    assert abs(x[1] - x[0] - 0.64) < 1e-9


def test_too_few_normal_sessions_promise_nothing_and_say_what_to_record(shown):
    a = asyncio.run(motebook.anomaly(sessions=[1, 2], kind="envelope"))
    assert a["promise"] is None and a["need"]["sessions"] == 1
    assert "record 1 more session" in repr(a) and "record 1 more session" in a._repr_html_()


def test_training_yields_between_fits(shown, monkeypatch):
    # the worker stays responsive: motebook awaits after each model fit (final + one per
    # held-out session = 5 for 4 normal sessions and one kind)
    waits = []

    async def sleep_ms(ms):
        waits.append(ms)
    monkeypatch.setattr(asyncio, "sleep_ms", sleep_ms, raising=False)
    asyncio.run(motebook.anomaly(sessions=[1, 2, 3, 4], kind="envelope"))
    assert len(waits) == 5


def test_bad_input_is_refused(shown):
    with pytest.raises(ValueError, match="name the sessions"):
        asyncio.run(motebook.anomaly())
    with pytest.raises(ValueError, match="at least 2 sessions"):
        asyncio.run(motebook.anomaly(sessions=[1]))
    with pytest.raises(ValueError, match="kind must be"):
        asyncio.run(motebook.anomaly(sessions=[1, 2, 3], kind="forest"))
