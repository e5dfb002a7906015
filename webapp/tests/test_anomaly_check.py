# Deploy's on-device check of an anomaly model without a browser: the device's answer to GET
# /api/sessions/<id>/scores (here made on CPython the device's way: the fitted model and
# shared.hysteresis, window by window) for a machine session with a fault is compared with
# what the page computes for the same windows with the same file: "the device agrees: 0 false
# alarms in 30 s, fault detected after ..."; a device score or state that differs is said;
# another model on the device, or none trained here, is refused with what to do.
import asyncio
from array import array

from test_anomaly_page import WINDOW, trained  # noqa: E402  (fakes installed)
from app import anomaly as AN  # noqa: E402
from app import dataset as DSM  # noqa: E402
from app import net  # noqa: E402
from shared import anomaly as A  # noqa: E402
from shared import dataset as D  # noqa: E402
from shared.hysteresis import Hysteresis  # noqa: E402

HOP = 16


def _device_answer(result, rec):
    """What the device answers: its own loop over the windows (fitted model, Hysteresis)."""
    fitted, model = result["fitted"], result["model"]
    h = Hysteresis(*model.hysteresis)
    scores, on = [], []
    one = array("f", [0.0])
    for k in range(0, rec.n_samples - WINDOW + 1, HOP):
        w = D.cut_window(rec.samples, 3, rec.n_samples, k, WINDOW)
        X, d = A.feature_table([w], dict(result["window"], scale=rec.scale))
        fitted.score_rows(X, one)
        h.update(one[0] > model.threshold)
        scores.append(float("%.7g" % one[0]))
        on.append("1" if h.on else "0")
    return {"session": rec.sid, "hash": result["hash"], "threshold": model.threshold,
            "rate": rec.rate, "window": WINDOW, "hop": HOP, "windows": len(scores),
            "scores": scores, "on": "".join(on), "error": None}


class _Sessions:
    def __init__(self, recs):
        self.recs = dict((r.sid, r) for r in recs)

    async def refresh(self):
        return None

    def sessions(self):
        return [{"id": s, "windows": r.n_samples // HOP, "rate": r.rate} for s, r in
                sorted(self.recs.items())]

    def meta(self, sid):
        return {"id": sid}

    async def load(self, sid, labels=True):
        return self.recs[sid]

    async def reload_labels(self, rec):
        return None


def test_device_agrees_or_differs(monkeypatch):
    recs, B, tr, dep = trained(monkeypatch)
    r = tr.result
    answer = {4: _device_answer(r, recs[3])}
    calls = []

    async def call(method, path, body=None, what=None, text=False):
        calls.append(path)
        return dict(answer[int(path.split("/")[3])])
    monkeypatch.setattr(net, "call", call)
    monkeypatch.setattr(DSM, "get", lambda: _Sessions(recs))
    # nothing on the device known yet, the page's model is an anomaly one: every session
    asyncio.run(dep.refresh_checks())
    assert [c["id"] for c in B.state["deploy"]["checks"]] == [4, 3, 2, 1]
    B.update("deploy", device_model={"hash": r["hash"], "kind": "anomaly"})
    out, err = asyncio.run(B.act("deploy.check", {"check-session": "4"}))
    assert err is None, err
    c = B.state["deploy"]["check"]
    assert calls == ["/api/sessions/4/scores"]
    assert c["agree"] and c["windows"] == answer[4]["windows"] and c["worst"] < 1e-4, c
    assert c["device"]["episodes"] == 1 and c["device"]["detected"] == 1, c
    ttd = c["device"]["time_to_detect"][0]
    assert 0 < ttd < 10
    html = AN.render_check(c)
    assert html.startswith('<b class="good">the device agrees: 0 false alarms in 30.0 s, '
                           'fault detected after %.1f s</b>' % ttd), html
    # a score off, and the state after a window flipped: said, not agreed
    bad = dict(answer[4])
    bad["scores"] = list(bad["scores"])
    bad["scores"][3] *= 1.01
    bad["on"] = "1" + bad["on"][1:] if bad["on"][0] == "0" else "0" + bad["on"][1:]
    answer[4] = bad
    out, err = asyncio.run(B.act("deploy.check", {"check-session": "4"}))
    c = B.state["deploy"]["check"]
    assert err is None and not c["agree"] and c["states_differ"] == 1, c
    html = AN.render_check(c)
    assert "the device differs" in html and "scores differ by up to 0.01" in html and \
        "the state differs after 1 window." in html, html
    # another model on the device: refused before asking it, saying what to do
    B.update("deploy", device_model={"hash": "f" * 64, "kind": "anomaly"})
    out, err = asyncio.run(B.act("deploy.check", {"check-session": "4"}))
    assert err and "send this one first" in err and len(calls) == 2, err
    # a classes model on the device: the classes check (not this one) runs
    B.update("deploy", device_model={"hash": "f" * 64, "classes": ["a"]})
    assert not dep.anomaly()
