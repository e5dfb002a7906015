# The simulated rotating machine on the real simulator (device/hal/sim_machine.py): the sensor
# "machine" is chosen like any other, PUT /api/sim {"fault": ...} switches its faults (token,
# 400 unknown fault, 409 when the sensor is not the machine), GET /api/sim logs each change
# (the truth: wall ms, first window all in the new state, fault), a session recorded while
# faults switch is labelled with the machine's state, sample-exact: the device's samples equal
# CPython's SimMachine run through the same switches (integer synthesis, same on both).
# A replay file of the machine (scripts/make_machine_csv.py) carries its faults as labels.
# Prints the heap cost of the machine sensor and of the truth log (status mem_free).
import statistics
import sys
import time
from array import array

import numpy as np

from device.hal.sim_machine import FAULTS, SimMachine
from device.tests.simdev import ROOT
from shared import dataset as D

sys.path.insert(0, str(ROOT / "scripts"))
import make_machine_csv as MK  # noqa: E402


def _free(dev, n=5):
    """Median free heap over n status reads (each collects first)."""
    return statistics.median(dev.json("GET", "/api/status")[1]["mem_free"] for _ in range(n))


def _samples(dev, sid):
    st, h, body = dev.get("/api/sessions/%d/windows" % sid)
    assert st == 200
    return D.deblock(body, int(h["x-count"]), int(h["x-frame-size"]))


def _labels(dev, sid, n):
    st, lab = dev.json("GET", "/api/sessions/%d/labels" % sid)
    assert st == 200 and lab["samples"] == n, lab
    got = [None] * n
    for seg in lab["segments"]:
        got[seg["start"]:seg["end"]] = [seg["label"]] * (seg["end"] - seg["start"])
    return lab, got


def test_machine_faults_api_truth_and_labelled_recording(dev):
    st, s = dev.json("GET", "/api/sim")
    assert st == 200 and s["scene"] == "activity" and s["fault"] is None
    assert s["faults"] == list(FAULTS) and s["truth"] == []
    assert "machine" in dev.json("GET", "/api/status")[1]["sensors"]
    # the fault needs the machine: 409 with the reason; the token is checked first
    st, body = dev.put("/api/sim", {"fault": "imbalance"})
    assert st == 409 and "machine" in body["error"], body
    assert dev.json("PUT", "/api/sim", {"fault": "imbalance"})[0] == 401
    free_sim = _free(dev)
    st, cfg = dev.put("/api/config", {"sensor": "machine"})
    assert st == 200 and cfg["sensor"] == "machine", cfg
    dev.wait_data(1)
    free_machine = _free(dev)
    st, s = dev.json("GET", "/api/sim")
    assert s["scene"] == "machine" and s["active"] is False and s["fault"] is None
    assert 11.5 < s["speed_hz"] < 13.5 and 0.8 < s["load"] < 1.2, s
    # bad input: unknown names, wrong types, the activity of the machine
    for body, word in (({"fault": "rust"}, "rust"), ({"fault": 3}, "unknown fault"),
                       ({"fault": ["bearing"]}, "unknown fault"), ({}, "activity"),
                       ({"fault": ""}, "unknown fault")):
        st, r = dev.put("/api/sim", body)
        assert st == 400 and word in r["error"] and "imbalance" in r["error"], (body, r)
    st, r = dev.put("/api/sim", [])
    assert st == 400 and "JSON object" in r["error"], r
    st, r = dev.put("/api/sim", {"activity": "walking"})
    assert st == 409 and "'sim'" in r["error"], r
    assert dev.json("PUT", "/api/sim", {"fault": "bearing"}, token="0" * 32)[0] == 401
    assert dev.json("GET", "/api/sim")[1]["truth"] == []
    # the truth log's cost: made at the first change (imbalance on and off: 2 entries)
    free_before_truth = _free(dev)
    for name in ("imbalance", None):
        assert dev.put("/api/sim", {"fault": name})[0] == 200
    free_after_truth = _free(dev)
    truth = dev.json("GET", "/api/sim")[1]["truth"]
    assert [f for _, _, f in truth] == ["imbalance", None], truth
    # a recording while the faults switch
    st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
    assert st == 201, m
    dev.wait_data(2)
    for name in FAULTS + (None,):
        before = dev.json("GET", "/api/status")[1]["seq"]
        t0 = time.time()
        st, s = dev.put("/api/sim", {"fault": name})
        after = dev.json("GET", "/api/status")[1]["seq"]
        assert st == 200 and s["fault"] == name and s["truth"][-1][2] == name, s
        t_ms, seq, f = s["truth"][-1]
        assert abs(t_ms / 1000 - t0) < 5, (t_ms, t0)
        assert before <= seq <= after + 2, (before, seq, after)
        assert dev.json("GET", "/api/status")[1]["fault"] == name
        truth.append(s["truth"][-1])
        dev.wait_data(2)
    st, s = dev.put("/api/sim", {"fault": None})   # no change: nothing logged
    assert st == 200 and s["truth"] == truth, s
    st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
    assert st == 200, m
    st, meta = dev.json("GET", "/api/sessions/%d" % m["id"])
    assert meta["labels_from"] == "simulated machine" and meta["sensor"] == "machine"
    samples, nch, n, rate, scale, gaps = _samples(dev, m["id"])
    assert (nch, rate, gaps) == (3, 100, 0) and n >= 1000, (nch, rate, gaps, n)
    lab, got = _labels(dev, m["id"], n)
    assert set(lab["classes"]) >= {"normal"} | set(FAULTS), lab
    # the label changes fall in the window before the one the truth log names (hop 64)
    changes = [k for k in range(1, n) if got[k] != got[k - 1]]
    assert [got[k] for k in changes] == list(FAULTS) + ["normal"], changes
    first_seq = meta["first_seq"]
    for k, (t_ms, seq, f) in zip(changes, truth[2:]):
        assert (seq - first_seq - 1) * 64 < k <= (seq - first_seq) * 64, (k, seq, first_seq)
    # sample-exact: CPython's SimMachine (the device's seed) through the same switches; the
    # session's first sample is the sensor's row0: find it (all normal before the first switch;
    # the imbalance before the recording changed amplitudes only, not the drift or the noise)
    ref = SimMachine(100)
    buf = array("h", bytes(6 * 40000))
    for k in range(40000):
        ref.read_into(buf, 3 * k)
    x0 = [samples[k] for k in range(changes[0])]
    row0 = [o for o in range(40000 - len(x0)) if buf[3 * o] == x0[0] and
            all(buf[3 * (o + k)] == x0[k] for k in range(len(x0)))]
    assert len(row0) == 1, row0
    ref = SimMachine(100)
    one = array("h", [0, 0, 0])
    for k in range(row0[0]):
        ref.read_into(one, 0)
    for k in range(n):
        if k in changes:
            ref.set_fault(None if got[k] == "normal" else got[k])
        ref.read_into(one, 0)
        assert [samples[c * n + k] for c in range(3)] == list(one), (k, got[k])
    # each fault shows in the signal (against the normal stretch before the first switch):
    # imbalance in x's spread, bearing impulses in z's peaks, looseness in y's half orders
    # (power at 4..8 Hz, where 0.5x lies)
    def stat(c, a, b, what):
        x = np.array([samples[c * n + k] for k in range(a, b)], dtype=float)
        x -= x.mean()
        if what == "peak":
            return abs(x).max()
        if what == "std":
            return x.std()
        f = np.fft.rfftfreq(len(x), 1 / 100)
        return (abs(np.fft.rfft(x)) ** 2)[(f >= 4) & (f < 8)].sum() / len(x)
    for i, (name, c, what, k) in enumerate((("imbalance", 0, "std", 1.4),
                                            ("bearing", 2, "peak", 1.4),
                                            ("looseness", 1, "half", 5))):
        normal = stat(c, 0, changes[0], what)
        fault = stat(c, changes[i] + 64, changes[i + 1], what)
        assert fault > k * normal, (name, fault, normal)
    print("\nheap: sensor sim %d B free, machine %d B free (machine costs %d B); truth log "
          "(first change) %d B" % (free_sim, free_machine, free_sim - free_machine,
                                   free_before_truth - free_after_truth))
    # back to the simulated activity: the fault is kept for the machine but not reported
    assert dev.put("/api/config", {"sensor": "sim"})[0] == 200
    st, s = dev.json("GET", "/api/sim")
    assert s["scene"] == "activity" and s["truth"] == truth
    assert dev.json("GET", "/api/status")[1]["fault"] is None
    assert dev.put("/api/sim", {"activity": "walking"})[0] == 200
    assert dev.put("/api/sim", {"activity": "idle"})[0] == 200


def test_machine_replay_file_carries_its_faults(make_dev, tmp_path):
    # a replay of the machine (faults as the label column) labels the session recorded from it
    path = MK.write(str(tmp_path / "machine.csv"), rate=100, seed=5,
                    schedule="normal:3,bearing:2,normal:2,looseness:2,imbalance:2")
    rows = [line.rsplit(",", 1)[1].strip() for line in open(path).read().splitlines()[1:]]
    x = [float(line.split(",")[2]) for line in open(path).read().splitlines()[1:]]
    dev = make_dev(replay=path, data=tmp_path / "d").start()
    assert dev.put("/api/sim", {"speed": 8})[0] == 200   # the same rows, 8 x sooner
    st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
    assert st == 201, m
    dev.wait_data(6)
    st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
    assert st == 200, m
    samples, nch, n, rate, scale, gaps = _samples(dev, m["id"])
    assert (nch, rate, gaps) == (3, 100, 0) and n >= 500
    lab, got = _labels(dev, m["id"], n)
    # where the recording started in the (looping) file: channel x matches at one offset
    counts = [round(v / scale) for v in x]
    offs = [o for o in range(len(rows)) if all(abs(counts[(o + k) % len(rows)] - samples[k])
                                                 <= 1 for k in range(min(n, 300)))]
    assert len(offs) == 1, offs
    assert got == [rows[(offs[0] + k) % len(rows)] for k in range(n)]
    assert dev.json("GET", "/api/sessions/%d" % m["id"])[1]["labels_from"] == "replay file"
