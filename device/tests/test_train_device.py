# The node learns on its own (issue 22.3, POST /api/train, device/api_train.py, train_run.py) on the real
# frozen firmware (192 KB heap, a model running, the stream going on): labelled sessions of
# simulated activities recorded at 8 x real time (6 sessions, 102 windows), bad input refused
# with the old model kept, a training that would not fit refused up front (507, 4 sessions
# more: 170 windows) with how many windows fit, and that many do train; a second train
# meanwhile -> 409; a 5-fold-by-session
# training of the 102 windows live (GET /api/model names it, predictions follow the activity,
# nothing dropped meanwhile), its file byte for byte what shared.pipeline makes on CPython from
# the same windows (downloaded as the page does) and parameters; its heap high-water and time
# printed (NODE.md); GET /api/model keeps the training's evaluation ("trained_on_device") until
# another model is sent or the model deleted.
import re
import threading
import time

import pytest

from device.tests import models as M
from shared import dataset as D
from shared import pipeline as P

T = None
PARAMS = {"n_trees": 3, "max_depth": 8, "seed": 3}
ACTS = ("idle", "shaking")
PER_SESSION = 18          # records per session (17 windows): 6 sessions -> 102 windows (204
                          # train once after boot at a 93 % peak, not reliably: NODE.md)
BIG = {"n_trees": 32, "max_depth": 16}   # ~256 bytes a window more: 170 windows do not fit


def _until(cond, timeout=60, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _record(dev, act, windows):
    assert dev.put("/api/sim", {"activity": act})[0] == 200
    st, m = dev.json("POST", "/api/sessions", {"label": act}, token=dev.token)
    assert st == 201, m
    sid = m["id"]
    _until(lambda: dev.json("GET", "/api/sessions/%d" % sid)[1]["windows"] >= windows,
           what="%d windows of session %d" % (windows, sid))
    st, m = dev.json("POST", "/api/sessions/%d/stop" % sid, token=dev.token)
    assert st == 200 and m["error"] is None, m
    return sid


def _train(dev, body, token=True):
    return dev.json("POST", "/api/train", body, token=dev.token if token else None)


def _kept(dev, r):
    """GET /api/model carries the training's evaluation (model_store's trained.json)."""
    st, m = dev.json("GET", "/api/model")
    assert st == 200 and m["hash"] == r["hash"], m
    t = m.get("trained_on_device")
    assert t is not None, m
    for k in ("hash", "classes", "windows", "sessions", "validation", "accuracy",
              "balanced_accuracy", "per_session", "baseline", "params", "impl"):
        assert t[k] == r[k], (k, t.get(k), r[k])
    return t


def _model_hash(dev):
    st, b = dev.json("GET", "/api/model")
    return b.get("hash") if st == 200 else None


class _Rec:
    """A session downloaded as the page does (GET .../windows, shared.dataset.deblock)."""

    def __init__(self, dev, sid):
        st, meta = dev.json("GET", "/api/sessions/%d" % sid)
        assert st == 200
        st, _, raw = dev.request("GET", "/api/sessions/%d/windows" % sid, timeout=20)
        assert st == 200
        self.samples, nch, self.n_samples, self.rate, self.scale, gaps = D.deblock(
            raw, meta["windows"], meta["frame_size"])
        assert gaps == 0
        self.sid, self.channels = sid, meta["channels"]
        st, lab = dev.json("GET", "/api/sessions/%d/labels" % sid)
        self.segments = [(s["start"], s["end"], s["label"]) for s in lab["segments"]]


@pytest.fixture(scope="module")
def recorded(dev):
    assert dev.put("/api/sim", {"speed": 8})[0] == 200
    old = M.trained(n_trees=3, seed=1)
    st, _, _ = dev.request("PUT", "/api/model", old["text"],
                           {"Authorization": "Bearer " + dev.token,
                            "Content-Type": "text/csv"}, timeout=20)
    assert st == 200
    sids = {}
    for k in range(3):
        for act in ACTS:
            sids.setdefault(act, []).append(_record(dev, act, PER_SESSION))
    return {"old": old["hash"], "sids": sids}


def test_bad_input_is_refused_and_the_old_model_stays(dev, recorded):
    old, sids = recorded["old"], recorded["sids"]
    assert _train(dev, {"sessions": "all"}, token=False)[0] == 401
    cases = [({}, "sessions must be"), ({"sessions": []}, "sessions must be"),
             ({"sessions": [999]}, "no session 999"),
             ({"sessions": sids["idle"]}, "at least two classes"),
             ({"sessions": "all", "n_trees": 0}, "n_trees must be"),
             ({"sessions": "all", "max_depth": 99}, "max_depth must be"),
             ({"sessions": "all", "bogus": 1}, "unknown field"),
             ({"sessions": "all", "method": "svm"}, "method must be")]
    for body, why in cases:
        st, b = _train(dev, body)
        assert st == 400 and why in b["error"], (body, st, b)
        assert _model_hash(dev) == old
    # a second train while one runs: 409 (its body could never train otherwise: 400)
    out = {}

    def run():
        out["r"] = _train(dev, dict(PARAMS, sessions="all"))   # 6 sessions: 5-fold

    t = threading.Thread(target=run)
    t.start()
    busy = _until(lambda: (not t.is_alive() and "done") or
                  (_train(dev, {"sessions": "all", "n_trees": 0})[0] == 409 and "409"),
                  what="a 409 or the end of the training")
    t.join(120)
    st, b = out["r"]
    assert busy == "409", ("no 409 while the first training ran", out.get("r"))
    print("device training, 6 sessions, 5-fold:", st, b.get("windows"), b.get("ms"),
          b.get("heap"), b.get("error"))
    assert st == 200, (b, dev.output()[-1500:])
    v = b["validation"]
    assert v["estimate"] is True and v["folds"] == 5 and len(b["per_session"]) == 6, b
    assert b["windows"] == 6 * (PER_SESSION - 1), b
    assert b["accuracy"] >= 0.8 and _model_hash(dev) == b["hash"] != old, b


def test_train_on_the_device_matches_cpython_and_runs_live(dev, recorded):
    """102 windows of 6 sessions, 5-fold by session, with the model running and the stream
    going on: the 75 % heap budget is not met on this simulator (NODE.md), the share is
    printed and must stay under 97 %."""
    sids = recorded["sids"]
    every = sids["idle"] + sids["shaking"]
    st, s0 = dev.json("GET", "/api/status")
    st, r = _train(dev, dict(PARAMS, sessions="all"))
    st1, s1 = dev.json("GET", "/api/status")
    assert st == 200, (r, dev.output()[-1500:])
    print("device training:", {k: r[k] for k in ("windows", "ms", "heap", "accuracy",
                                                   "balanced_accuracy", "impl")})
    assert r["windows"] == 6 * (PER_SESSION - 1) and r["classes"] == sorted(ACTS)
    assert r["heap"]["peak_share"] < 0.97, r["heap"]   # NODE.md: not the 75 % budget
    assert r["validation"]["estimate"] is True and r["accuracy"] >= 0.8, r
    assert _model_hash(dev) == r["hash"]
    _kept(dev, r)
    # the node ran on meanwhile: every window classified by the running model, none dropped
    assert s1["dropped"] == s0["dropped"], (s0["dropped"], s1["dropped"])
    assert s1["windows"] > s0["windows"] and \
        s1["inference_classified"] - s0["inference_classified"] >= \
        s1["windows"] - s0["windows"] - 2, (s0, s1)

    # the same windows (downloaded as the page does) and parameters on CPython
    recs = [_Rec(dev, sid) for sid in sorted(every)]
    W, hop = s1["window"], s1["hop"]
    lw = D.labelled_windows(recs, r["classes"], W, hop)
    assert len(lw) == r["windows"]
    window = {"rate": lw.rate, "window": W, "hop": hop, "channels": lw.channels}
    p = P.Pipeline(lw.windows, lw.labels, r["classes"], window, groups=lw.groups,
                   scales=lw.scales, validation={"method": "kfold", "folds": 5}, fft="python",
                   **PARAMS).run()
    st, _, text = dev.request("GET", "/api/model/file", timeout=20)
    assert st == 200
    assert text.decode() == p["text"]
    assert p["hash"] == r["hash"]
    # the same k-fold figures (floats within MicroPython's JSON printing of 16 digits)
    assert abs(p["metrics"]["accuracy"] - r["accuracy"]) < 1e-12, (p["metrics"], r)
    assert [(x["session"], x["n"], x["correct"]) for x in p["per_session"]] == \
        [(x["session"], x["n"], x["correct"]) for x in r["per_session"]], r["per_session"]
    assert p["baseline"]["class"] == r["baseline"]["class"] and \
        abs(p["baseline"]["accuracy"] - r["baseline"]["accuracy"]) < 1e-12, r["baseline"]
    assert p["validation"]["description"] == r["validation"]["description"]

    # live: the predictions follow the activity
    for act in ("shaking", "idle"):
        assert dev.put("/api/sim", {"activity": act})[0] == 200
        ws = dev.ws(timeout=10)
        try:
            got = [ws.recv_json("prediction", limit=2000)["class"] for _ in range(12)]
        finally:
            ws.close()
        assert got[-6:].count(act) >= 5, (act, got)
    print("mem_free before/after training:", s0.get("mem_free"), s1.get("mem_free"))


def test_the_windows_said_to_fit_do_train(dev, recorded):
    """A training that would not fit the heap is refused before it starts, saying how many
    windows fit (170 windows of 10 sessions with 32 trees: ~384 bytes a window, more than the
    node has free even when its resting heap gains some KB), the old model kept; and the
    count is honest: two sessions (34 windows, fewer than it said fit) with the same large
    trees train."""
    sids = recorded["sids"]
    more = [_record(dev, act, PER_SESSION) for act in ACTS for _ in range(2)]
    old = _model_hash(dev)
    st, b = _train(dev, dict(BIG, sessions="all"))
    assert st == 507 and "170 labelled windows do not fit" in b["error"], (st, b)
    fit = int(re.search(r"about (\d+) windows fit", b["error"]).group(1))
    assert 2 * (PER_SESSION - 1) <= fit < 10 * (PER_SESSION - 1), b
    assert _model_hash(dev) == old
    recorded["more"] = more
    pair = [sids["idle"][0], sids["shaking"][0]]
    st, r = _train(dev, dict(BIG, sessions=pair))
    print("device training, 2 sessions, 32 trees depth 16:", st, r.get("windows"), fit,
          r.get("ms"), r.get("heap"))
    assert st == 200 and r["windows"] == 2 * (PER_SESSION - 1) <= fit, (st, r, fit)
    assert _model_hash(dev) == r["hash"]


def test_the_evaluation_is_kept_with_the_model_and_dropped_with_it(dev, recorded):
    """GET /api/model says how good a device-trained model is after the answer is gone; a
    model sent by a page has none, nor has the device after DELETE."""
    sids = recorded["sids"]
    pair = [sids["idle"][1], sids["shaking"][1]]    # 2 sessions: no estimate, with its why
    st, r = _train(dev, dict(PARAMS, sessions=pair))
    assert st == 200, r
    t = _kept(dev, r)
    assert t["validation"]["estimate"] is False and t["accuracy"] is None and \
        "session" in t["validation"]["why"], t["validation"]
    every = sids["idle"] + sids["shaking"]                # (not test 3's 4 more)
    st, r = _train(dev, dict(PARAMS, sessions=every))     # another training replaces it
    assert st == 200, r
    assert _kept(dev, r)["validation"]["estimate"] is True
    assert _train(dev, {"sessions": every, "n_trees": 0})[0] == 400   # refused: kept
    _kept(dev, r)
    page = M.trained(n_trees=3, seed=2)
    st, _, _ = dev.request("PUT", "/api/model", page["text"],
                           {"Authorization": "Bearer " + dev.token,
                            "Content-Type": "text/csv"}, timeout=20)
    assert st == 200
    st, m = dev.json("GET", "/api/model")
    assert st == 200 and m["hash"] == page["hash"] and "trained_on_device" not in m, m
    st, r = _train(dev, dict(PARAMS, sessions=pair))
    assert st == 200, r
    _kept(dev, r)
    assert dev.json("DELETE", "/api/model", token=dev.token)[0] == 200
    assert dev.json("GET", "/api/model")[0] == 404
