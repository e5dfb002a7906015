# Recordings from other tools, on the real simulator: the replay sensor plays the dataset CSV
# (6 channels, 10 Hz, peaks of hundreds) with exactly the counts and scale of the page's CSV
# import, a session recorded from it carries the file's labels, and the predictions the device
# made while it recorded are kept for the on-device check; an import uploaded to the device
# becomes a session like a recorded one (streamed, checked, within the storage budget).
import json
import struct
import sys
import time

import pytest

from device.tests.simdev import ROOT
from shared import csvio, protocol
from shared import dataset as D
from shared import evaluate as E
from shared import pipeline as P

sys.path.insert(0, str(ROOT / "scripts"))
import make_activity_csv as MK  # noqa: E402

CLASSES = list(MK.ACTIVITIES)


def _csv(tmp_path, gain=1.0, cases=8, seconds=6, seed=3):
    p = tmp_path / ("rec-%g.csv" % gain)
    MK.write(str(p), "case", cases, seconds, 10, seed, gain)
    return p


def _session_samples(dev, sid):
    st, h, body = dev.get("/api/sessions/%d/windows" % sid)
    assert st == 200
    n = int(h["x-count"])
    samples, nch, ns, rate, scale, gaps = D.deblock(body, n, int(h["x-frame-size"]))
    return samples, nch, ns, rate, scale, gaps


def _record(dev, seconds, body=None):
    st, m = dev.json("POST", "/api/sessions", body or {}, token=dev.token)
    assert st == 201, m
    dev.wait_data(seconds)
    st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
    assert st == 200, m
    return m


@pytest.mark.parametrize("gain", [0.05, 1.0, 8.0])
def test_replay_counts_and_labels_equal_the_csv_import(make_dev, tmp_path, gain):
    # the same file through the replay sensor and a device recording, and through the page's
    # CSV import (shared.csvio): same scale, same int16 samples, same labels, at several peaks
    path = _csv(tmp_path, gain)
    parsed = csvio.parse(path.read_bytes())
    stream = [[] for _ in MK.CHANNELS]                 # the file's rows, played in order
    truth = []
    for p in parsed:
        for c in range(6):
            stream[c] += list(p["samples"][c * p["n_samples"]:(c + 1) * p["n_samples"]])
        lab = [None] * p["n_samples"]
        for s, e, name in p["segments"]:
            lab[s:e] = [name] * (e - s)
        truth += lab
    rows = len(truth)
    dev = make_dev(replay=path, data=tmp_path / ("d%g" % gain)).start()
    assert dev.put("/api/config", {"window": 20, "hop": 10})[0] == 200
    _, s = dev.json("GET", "/api/status")
    assert s["channels"] == list(MK.CHANNELS) and s["rate"] == 10
    assert s["scale"] == parsed[0]["scale"], (s["scale"], parsed[0]["scale"])
    assert dev.put("/api/sim", {"speed": 8})[0] == 200   # the same rows, played 8 x sooner
    m = _record(dev, 3.5)
    samples, nch, n, rate, scale, gaps = _session_samples(dev, m["id"])
    assert (nch, rate, scale, gaps) == (6, 10, parsed[0]["scale"], 0) and n >= 20
    # where in the file the recording started: find the offset where channel 0 matches
    ch0 = list(samples[:n])
    offs = [o for o in range(rows) if all(stream[0][(o + k) % rows] == ch0[k]
                                          for k in range(n))]
    assert len(offs) == 1, offs
    o = offs[0]
    for c in range(6):
        assert list(samples[c * n:(c + 1) * n]) == [stream[c][(o + k) % rows]
                                                   for k in range(n)], c
    # the session's labels are the file's labels of the rows it played
    st, lab = dev.json("GET", "/api/sessions/%d/labels" % m["id"])
    assert lab["version"] == 2 and lab["samples"] == n
    got = [None] * n
    for seg in lab["segments"]:
        got[seg["start"]:seg["end"]] = [seg["label"]] * (seg["end"] - seg["start"])
    assert got == [truth[(o + k) % rows] for k in range(n)]
    assert dev.json("GET", "/api/sessions/%d" % m["id"])[1]["labels_from"] == "replay file"
    # a client that reads the labels and writes them back unchanged succeeds
    st, back = dev.put("/api/sessions/%d/labels" % m["id"], lab)
    assert st == 200 and back["version"] == 3, back


def test_predictions_are_kept_while_recording_and_checked_against_labels(make_dev, tmp_path):
    path = _csv(tmp_path, cases=8, seconds=6)
    parsed = csvio.parse(path.read_bytes())
    recs = []
    for p in parsed:
        r = type("R", (), {})()
        r.sid, r.samples, r.n_samples = p["name"], p["samples"], p["n_samples"]
        r.channels, r.rate, r.scale, r.segments = p["channels"], p["rate"], p["scale"], \
            p["segments"]
        recs.append(r)
    lw = D.labelled_windows(recs, CLASSES, 20, 10)
    win = {"rate": 10, "window": 20, "hop": 10, "channels": lw.channels}
    r = P.Pipeline(lw.windows, lw.labels, CLASSES, win, groups=lw.groups, scales=lw.scales,
                   n_trees=8).run()
    dev = make_dev(replay=path).start()
    assert dev.put("/api/config", {"window": 20, "hop": 10})[0] == 200
    st, h, b = dev.request("PUT", "/api/model", r["text"],
                           {"Authorization": "Bearer " + dev.token,
                            "Content-Type": "text/csv", "X-Model-Hash": r["hash"]})
    assert st == 200, b
    st, _, _ = dev.get("/api/sessions/999/predictions")
    assert st == 404
    assert dev.put("/api/sim", {"speed": 8})[0] == 200   # the same rows, played 8 x sooner
    m = _record(dev, 6)
    p = m["predictions"]
    assert p["hash"] == r["hash"] and p["classes"] == CLASSES
    st, h, preds = dev.get("/api/sessions/%d/predictions" % m["id"])
    assert st == 200 and len(preds) == p["windows"] and p["windows"] >= m["windows"] - 3
    assert len([x for x in preds if x == 255]) <= 2        # every window but the lag
    st, lab = dev.json("GET", "/api/sessions/%d/labels" % m["id"])
    segs = [(s["start"], s["end"], s["label"]) for s in lab["segments"]]
    live = E.live_check(preds, p["classes"], segs, lab["samples"], 20, 10)
    assert live["n"] >= 3 and live["accuracy"] >= 0.6, live
    # the device's own predictions equal what the page's code computes on the same windows
    samples, nch, n, rate, scale, gaps = _session_samples(dev, m["id"])
    clf = P.Classifier(r["model"], fft="python")
    for i in range(len(preds)):
        if preds[i] != 255 and i * 10 + 20 <= n:
            w = D.cut_window(samples, 6, n, i * 10, 20)
            assert clf.classify(w, scale) == preds[i], i


def _frames(samples, nch, n, hop, rate, scale, seq0=0):
    """Channel-major samples -> concatenated protocol frames of hop samples (last padded)."""
    from array import array
    out = bytearray()
    k = 0
    seq = seq0
    while k < n:
        blk = array("h", [0] * (nch * hop))
        for c in range(nch):
            for i in range(min(hop, n - k)):
                blk[c * hop + i] = samples[c * n + k + i]
        buf = bytearray(protocol.frame_size(nch, hop))
        protocol.encode_window_into(buf, seq, 0, blk, nch, hop, rate, scale)
        out += buf
        k += hop
        seq += 1
    return bytes(out)


def _import(dev, body, query, token=True):
    h = {"Content-Type": "application/octet-stream"}
    if token:
        h["Authorization"] = "Bearer " + dev.token
    st, hd, b = dev.request("POST", "/api/sessions/import?" + query, body, h)
    return st, json.loads(b)


def test_import_upload_becomes_a_device_session(dev, tmp_path):
    path = _csv(tmp_path, cases=2, seconds=5.3)        # 53 samples: the last frame padded
    p = csvio.parse(path.read_bytes())[1]
    n = p["n_samples"]
    body = _frames(p["samples"], 6, n, 16, 10, p["scale"])
    q = "name=%s&channels=%s&samples=%d&time=1796000000.5" % (p["name"], ",".join(MK.CHANNELS),
                                                              n)
    used0 = dev.json("GET", "/api/sessions")[1]["storage_used"]
    st, m = _import(dev, body, q)
    assert st == 201, m
    assert (m["source"], m["name"], m["samples"], m["rate"], m["channels"]) == \
        ("import", p["name"], 53, 10, list(MK.CHANNELS))
    assert m["started"] == 1796000000.5 and m["windows"] == 4 and m["labels"]["version"] == 1
    assert dev.json("GET", "/api/sessions")[1]["storage_used"] > used0
    samples, nch, ns, rate, scale, gaps = _session_samples(dev, m["id"])
    assert ns == 64 and scale == p["scale"] and gaps == 0
    for c in range(6):
        assert list(samples[c * 64:c * 64 + n]) == list(p["samples"][c * n:(c + 1) * n])
    # labels are versioned like a recorded session's; the end is the real sample count
    segs = [{"start": 0, "end": 53, "label": "walking"}]
    st, s = dev.put("/api/sessions/%d/labels" % m["id"], {"version": 1, "segments": segs,
                                                          "classes": ["walking"]})
    assert st == 200 and s["version"] == 2
    st, s = dev.put("/api/sessions/%d/labels" % m["id"], {"version": 2, "classes": ["walking"],
                    "segments": [{"start": 0, "end": 54, "label": "walking"}]})
    assert st == 400 and "53 samples" in s["error"]


def test_bad_imports_are_refused_and_leave_nothing(dev):
    from array import array
    good = _frames(array("h", range(3 * 40)), 3, 40, 10, 50, 1 / 4096)
    q = "name=x&channels=a,b,c&samples=40"
    before = dev.json("GET", "/api/sessions")[1]
    ids = [s["id"] for s in before["sessions"]]
    fs = protocol.frame_size(3, 10)
    bad_seq = bytearray(good)
    struct.pack_into("<I", bad_seq, fs + 2, 7)          # frame 1 says seq 7
    other = _frames(array("h", range(2 * 30)), 2, 30, 15, 50, 1 / 4096)   # 80-byte frames
    cases = [
        (good, "name=x&channels=a,b&samples=40", 400, "2"),
        (good, "channels=a,b,c&samples=40", 400, "name"),
        (good, "name=x&channels=a,b,c&samples=41", 400, "cannot hold 41"),
        (good[:-3], q, 400, "whole number"),
        (bytes(bad_seq), q, 400, "frame 1: sequence number 7"),
        (good[:fs] + other[fs:2 * fs] + good[2 * fs:], q, 400, "another shape"),
        (b"\x00" * len(good), q, 400, "unknown frame format"),
        (good[:11] + b"\x01" + good[12:], q, 400, "int16"),
        (good, "name=x&channels=a,b,c&samples=40&time=yesterday", 400, "time"),
    ]
    for body, query, status, words in cases:
        st, b = _import(dev, body, query)
        assert st == status and words in b["error"], (query, st, b)
    st, b = _import(dev, good, q, token=False)
    assert st == 401
    after = dev.json("GET", "/api/sessions")[1]
    assert [s["id"] for s in after["sessions"]] == ids
    assert after["storage_used"] == before["storage_used"]


def test_import_beyond_the_budget_is_507_and_a_cut_upload_is_removed(make_dev, tmp_path):
    from array import array
    dev = make_dev().start()
    assert dev.put("/api/config", {"storage_budget": 8192})[0] == 200
    big = _frames(array("h", [1] * (3 * 4000)), 3, 4000, 100, 100, 1 / 4096)
    st, b = _import(dev, big, "name=big&channels=a,b,c&samples=4000")
    assert st == 507 and "storage budget" in b["error"], b
    # a client that stops mid-upload (past the first 16 KB, which the server reads itself):
    # the device answers and keeps nothing
    import socket
    assert dev.put("/api/config", {"storage_budget": 1 << 20})[0] == 200
    body = _frames(array("h", [1] * (3 * 6000)), 3, 6000, 100, 100, 1 / 4096)
    s = socket.create_connection(("127.0.0.1", dev.port), timeout=30)
    s.sendall(("POST /api/sessions/import?name=cut&channels=a,b,c&samples=6000 HTTP/1.1\r\n"
               "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
               % (dev.token, len(body))).encode() + body[:20000])
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        reply += c
    s.close()
    assert b" 400 " in reply and b"cut off" in reply, reply
    assert dev.json("GET", "/api/sessions")[1]["sessions"] == []


def test_clock_is_set_by_the_page_with_the_token(dev):
    st, b = dev.json("PUT", "/api/clock", {"time": 1796000000.25})
    assert st == 401
    st, b = dev.json("PUT", "/api/clock", {"time": 5}, token=dev.token)
    assert st == 400 and b["field"] == "time"
    st, b = dev.json("PUT", "/api/clock", {"time": time.time() + 3600}, token=dev.token)
    assert st == 200 and b["clock"] == "page" and abs(b["time"] - time.time() - 3600) < 5
    _, s = dev.json("GET", "/api/status")
    assert abs(s["time"] - time.time() - 3600) < 5
    st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
    assert st == 201 and abs(m["started"] - time.time() - 3600) < 5 and m["clock"] == "page"
    dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
    dev.json("PUT", "/api/clock", {"time": time.time()}, token=dev.token)


def test_notebooks_are_stored_listed_and_bounded(dev):
    # the page's notebooks on flash: another browser lists and opens them; writes need the token
    doc = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    h = {"Content-Type": "application/json"}
    st, _, b = dev.request("PUT", "/api/notebooks/first%20look", doc, h)
    assert st == 401
    h["Authorization"] = "Bearer " + dev.token
    st, _, b = dev.request("PUT", "/api/notebooks/first%20look", doc, h)
    assert st == 200 and json.loads(b) == {"name": "first look", "bytes": len(doc)}
    st, lst = dev.json("GET", "/api/notebooks")
    assert [n["name"] for n in lst["notebooks"]] == ["first look"]
    st, _, b = dev.get("/api/notebooks/first%20look")
    assert st == 200 and b.decode() == doc
    big = "{" + " " * (70 * 1024) + "}"
    st, _, b = dev.request("PUT", "/api/notebooks/big", big, h)
    assert st == 413 and "65536" in json.loads(b)["error"]
    for name, body, words in ((".hidden", doc, "a notebook name"), ("ok", "[1, 2]", "JSON"),
                              ("a%2Fb", doc, "a notebook name"), ("x" * 41, doc, "1..40")):
        st, _, b = dev.request("PUT", "/api/notebooks/" + name, body, h)
        assert st == 400 and words in json.loads(b)["error"], (name, st, b)
    st, _, b = dev.request("PUT", "/api/notebooks/../x", doc, h)
    assert st in (404, 405)                       # not a notebook route at all
    assert dev.json("GET", "/api/notebooks/ok")[0] == 404          # nothing half stored
    st, _, b = dev.request("DELETE", "/api/notebooks/first%20look", None, h)
    assert st == 200 and dev.json("GET", "/api/notebooks")[1]["notebooks"] == []
