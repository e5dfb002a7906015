# shared.anomaly_train on every runtime: a threshold set on held-out normal sessions that keeps
# its promise on new normal sessions, faults detected with their times, the RMS baseline beside
# it, "need more" when the normal data are too few, and bad input refused with a clear reason.
# Memory: synthetic sessions of at most 60 windows of 64 int16 samples (26 features).
from array import array
import gc

from shared import anomaly_train as AT
from shared.compat import Rng
from shared.hysteresis import alarms
from shared.tests.synth import _sin
from shared.windowing import zeros

# one channel (26 features): the pure-Python fits allocate a float per covariance term, and the
# WASM interpreter collects only between the calls JavaScript makes (the page awaits between
# fits; a suite run is one call), so every fit's garbage stays until the suite ends
CH = 1
WINDOW = {"rate": 100, "window": 64, "channels": CH}
HOP = 64


def _window(rng, cycles, amp, noise, harmonics=0, spikes=0):
    """A rotating-machine-like channel-major window: 1x at `cycles` per window with drifting
    amplitude, optional harmonics (looseness) and impulses (bearing)."""
    n, ch = 64, CH
    out = zeros("h", ch * n)
    for c in range(ch):
        a = amp * rng.randint(90, 110) // 100
        ph = rng.randbelow(256)
        for i in range(n):
            v = (a * _sin(ph + cycles * 256 * i // n) >> 14) + rng.randint(-noise, noise)
            for h in range(2, 2 + harmonics):
                v += (a // 2) * _sin(ph * h + h * cycles * 256 * i // n) >> 14
            if spikes and i % 16 == 0:
                v += spikes
            out[c * n + i] = max(-32768, min(32767, v + (4096 if c == 2 else 0)))
    return out


def _session(sid, seed, n=90, fault=None, onset=None, drift=0):
    """A session of n windows; speed/amplitude drift by `drift`; fault from window `onset`."""
    rng = Rng(seed)
    ws, lab = [], []
    for i in range(n):
        cyc = 8 + (drift + i // 30) % 2
        amp = 900 + 40 * drift
        f = fault is not None and onset is not None and i >= onset
        if f and fault == "imbalance":
            ws.append(_window(rng, cyc, amp * 3, 120))
        elif f and fault == "looseness":
            ws.append(_window(rng, cyc, amp, 120, harmonics=4))
        else:
            ws.append(_window(rng, cyc, amp, 120))
        lab.append(1 if f else 0)
    gc.collect()            # (MicroPython: survivors packed, so feature tables find room)
    return {"id": sid, "windows": ws, "scale": 0.001, "normal": fault is None,
            "fault_windows": lab if fault is not None else None}


def _normals(k, n=40):
    return [_session(i + 1, 100 + i, n, drift=i % 3) for i in range(k)]


def _train(*a, **kw):
    """AT.train with the tail's minimum at 10 windows (100 held-out windows give a promise):
    the rule at a scale MicroPython's 2 MB test heap fits (the machine-data test runs it at
    full scale on CPython)."""
    keep = AT.MIN_TAIL
    AT.MIN_TAIL = 10
    try:
        return AT.train(*a, **kw)
    finally:
        AT.MIN_TAIL = keep


def test_threshold_promised_on_held_out_sessions_and_faults_detected():
    ss = _normals(3) + [_session(10, 7, 30, "imbalance", 10),
                        _session(11, 8, 30, "looseness", 15)]
    r = _train(ss, WINDOW, kind="envelope", hop=HOP)
    assert r["need_more"] is None, r["need_more"]
    p = r["promise"]
    assert p["false_alarms_per_hour"] == 1.0 and p["sessions"] == 3
    assert abs(p["measured_minutes"] - 120 * 0.64 / 60) < 0.01
    assert p["heldout_alarms"] == 0
    # a rate per window below 1/N held-out windows: above every held-out normal score
    assert p["window_rate"] < 1.0 / p["heldout_windows"]
    assert max(max(r["scores"][i]) for i in (1, 2, 3)) < r["threshold"]
    assert r["threshold"] >= r["rule"]["tail_threshold"] > r["rule"]["tail"]["u"]
    assert r["model"].threshold == r["threshold"]
    assert r["model"].kind == "envelope" and r["kind"] == "envelope"
    by = dict((f["id"], f) for f in r["sessions"])
    for sid in (1, 2, 3):
        assert by[sid]["held_out"] and by[sid]["false_alarms"] == 0
        assert by[sid]["false_alarms_per_hour"] == 0.0
    for sid, onset in ((10, 10), (11, 15)):
        f = by[sid]
        assert f["episodes"] == 1 and f["detected"] == 1 and f["detection_rate"] == 1.0
        assert f["roc_auc"] > 0.95, f
        # state known when the n-th window over the threshold is complete
        assert 0.64 <= f["time_to_detect"][0] <= 0.64 * 5, f
        assert f["false_alarms"] == 0
    # the scores: held-out for normal sessions, and the state the model computes agrees
    sc = r["scores"][10]
    flags = bytearray(1 if v > r["threshold"] else 0 for v in sc)
    assert alarms(flags, 3, 5)[0] == 1
    m_scores = array("f", [0.0] * len(sc))
    assert r["model"].predict_rows(_features(ss[3]), bytearray(len(sc))) == sum(flags)
    # the baseline beside it: imbalance raises the RMS, looseness barely
    b = dict((f["id"], f) for f in r["baseline"]["sessions"])
    assert b[10]["roc_auc"] > 0.95 and b[10]["detected"] == 1
    assert r["baseline"]["threshold"] > 0 and r["overall"]["roc_auc"] > 0.95
    assert m_scores is not None


def _features(s):
    from shared import anomaly
    X, _ = anomaly.feature_table(s["windows"], WINDOW, [s["scale"]] * len(s["windows"]))
    return X


def test_a_new_normal_session_keeps_the_promise():
    r = _train(_normals(3), WINDOW, kind="envelope", hop=HOP)
    assert r["promise"] is not None
    new = _session(20, 555, 40, drift=1)
    s = array("f", [0.0] * 40)
    r["model"].score_rows(_features(new), s)
    flags = bytearray(1 if v > r["threshold"] else 0 for v in s)
    assert alarms(flags, 3, 5)[0] == 0


def test_too_few_sessions_or_minutes_promise_nothing_and_say_how_many_more():
    r = _train(_normals(2, n=60), WINDOW, kind="envelope", hop=HOP)
    assert r["promise"] is None and r["need"]["minutes"] == 0
    assert r["need"]["sessions"] == 1 and "1 more session" in r["need_more"], r["need_more"]
    assert r["model"] is not None and r["scores"][1]          # still shown, not promised
    r = AT.train(_normals(3, n=40), WINDOW, kind="envelope", hop=HOP)
    assert r["promise"] is None and r["need"]["sessions"] == 0
    want = (AT.MIN_TAIL / AT.TAIL - 120) * 0.64 / 60
    assert abs(r["need"]["minutes"] - want) < 0.02, r["need"]
    assert "more minutes" in r["need_more"]
    # a stricter target needs more data still
    r2 = _train(_normals(3), WINDOW, kind="envelope", hop=HOP, false_alarms_per_hour=0.01)
    assert r2["promise"] is None and r2["need"]["minutes"] > 10, r2["need"]


def test_auto_picks_by_held_out_evidence():
    ss = _normals(3, n=24) + [_session(10, 7, 20, "looseness", 10)]
    r = AT.train(ss, WINDOW, hop=HOP, ks=(1,), types=("diag",))
    assert r["kind"] in AT.AUTO_KINDS and set(r["kinds"]) == set(AT.AUTO_KINDS)
    best = max(v["roc_auc"] for v in r["kinds"].values())
    assert r["kinds"][r["kind"]]["roc_auc"] == best
    assert "ROC AUC" in r["kind_reason"]
    r = AT.train(_normals(3, n=24), WINDOW, hop=HOP, ks=(1,), types=("diag",))
    assert "even" in r["kind_reason"] and r["kinds"][r["kind"]]["evenness"] >= 1.0


def test_bad_input_is_refused_with_a_reason():
    def refused(why, *a, **kw):
        try:
            AT.train(*a, **kw)
        except ValueError as e:
            assert why in str(e), str(e)
            return
        raise AssertionError("accepted: %s" % why)
    ss = _normals(3, n=30)
    refused("at least 2 sessions", ss[:1], WINDOW)
    refused("hysteresis n", ss, WINDOW, hysteresis=(6, 5))
    refused("kind must be", ss, WINDOW, kind="forest")
    refused("positive", ss, WINDOW, false_alarms_per_hour=0)
    bad = _normals(3, n=30)
    bad[1]["fault_windows"] = [0] * 3
    refused("fault labels", bad, WINDOW)
    flat = [{"id": i, "windows": [array("h", [5] * 64 * CH)] * 20, "scale": 1.0, "normal": True}
            for i in range(3)]
    refused("all the same", flat, WINDOW, kind="envelope")
    nan = _normals(3, n=30)
    nan[2]["scale"] = float("nan")                   # NaN features: the session is named
    refused("session 3", nan, WINDOW, kind="envelope")
    nan[2]["scale"] = float("inf")
    refused("session 3", nan, WINDOW, kind="envelope")
    dup = _normals(3, n=30)
    dup[1]["id"] = dup[0]["id"]
    refused("same id", dup, WINDOW)


def test_roc_auc_and_episodes():
    assert AT.roc_auc([3, 4], [1, 2]) == 1.0
    assert AT.roc_auc([1], [1]) == 0.5
    assert AT.roc_auc([], [1]) is None
    assert abs(AT.roc_auc([2, 0], [1, 1]) - 0.5) < 1e-12
    assert AT.episodes([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]
    assert AT.quantile([1, 2, 3, 4, 5], 0.5) == 3


def test_fault_flags_mark_every_window_holding_a_fault_sample():
    segs = [(0, 300, "normal"), (300, 420, "bearing"), (420, 1000, "normal")]
    # windows of 128 every 64 over 1000 samples: starts 0..832
    f = AT.fault_flags(segs, 1000, 128, 64)
    assert len(f) == 14
    assert [k * 64 for k in range(14) if f[k]] == [192, 256, 320, 384]
    assert AT.fault_flags([(0, 1000, "normal")], 1000, 128, 64) is None
    assert AT.fault_flags([], 1000, 128, 64) is None
    assert AT.fault_flags([(0, 50, "idle")], 1000, 128, 64, normal="idle") is None
