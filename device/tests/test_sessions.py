# Recorded sessions on the real simulated device over real sockets: recording while switching
# the simulated activity, listing, range downloads decoded with shared/protocol and compared
# with the WebSocket frames, labels (validation, versions), restarts, storage budget, kill -9.
import json
import os
import random
import signal
import struct
import time
import zlib
from array import array


from shared import protocol

CHUNK_BYTES = 32768   # = device/session_store.py


def disk_frames(sdir, rs):
    """Read a session's chunk files as SESSIONS.md describes them, checking every record:
    whole records only, CRC-32 valid, a protocol frame; returns the frames (bytes)."""
    per = max(1, CHUNK_BYTES // rs)
    files = sorted(sdir.glob("*.rec"))
    frames = []
    for i, p in enumerate(files):
        assert p.name == "%04d.rec" % i, files
        b = p.read_bytes()
        assert len(b) % rs == 0, "%s: %d bytes is not whole %d-byte records" % (p, len(b), rs)
        assert len(b) == per * rs or i == len(files) - 1, "short chunk before the last"
        for k in range(0, len(b), rs):
            fr = b[k:k + rs - 4]
            assert zlib.crc32(fr) == struct.unpack("<I", b[k + rs - 4:k + rs])[0], (p, k)
            protocol.decode_header(fr)
            frames.append(fr)
    return frames


def split_frames(body, fs):
    assert len(body) % fs == 0
    out = []
    for k in range(0, len(body), fs):
        fr = body[k:k + fs]
        h = protocol.decode_header(fr)
        a = array("h", bytes(2 * h[2] * h[4]))
        protocol.decode_window_into(fr, a)
        out.append((h, a))
    return out


def windows(dev, sid, query=""):
    st, h, body = dev.get("/api/sessions/%s/windows%s" % (sid, query))
    return st, h, body


def test_record_two_sessions_while_switching_activity(dev):
    """Two sessions recorded with a page connected: the stored records are, sample for sample,
    the first `hop` samples of the windows the WebSocket delivered, with consecutive seqs."""
    T = dev.token
    ws = dev.ws()
    ws.recv_json("hello")
    assert dev.put("/api/sim", {"activity": "walking"})[0] == 200
    st, m = dev.json("POST", "/api/sessions", {"label": "walking"}, token=T)
    assert st == 201 and m["recording"] and m["label"] == "walking", m
    sid1 = m["id"]
    assert ws.recv_json("recording") == {"type": "recording", "state": "started",
                                         "id": sid1, "label": "walking"}
    seen = {}
    while len(seen) < 6:
        h, a = ws.recv_frame()
        seen[h[0]] = (h, a)
    st, m1 = dev.json("POST", "/api/sessions/%d/stop" % sid1, token=T)
    assert st == 200 and not m1["recording"] and m1["error"] is None
    msg = ws.recv_json("recording")
    assert msg == {"type": "recording", "state": "stopped", "id": sid1, "error": None}

    # second session: idle, then shaking half way (no record-time label)
    assert dev.put("/api/sim", {"activity": "idle"})[0] == 200
    st, m = dev.json("POST", "/api/sessions", token=T)
    assert st == 201 and m["label"] is None
    sid2 = m["id"]
    assert sid2 > sid1
    dev.wait_data(1.5)
    assert dev.put("/api/sim", {"activity": "shaking"})[0] == 200
    dev.wait_data(1.5)
    st, m2 = dev.json("POST", "/api/sessions/%d/stop" % sid2, token=T)
    assert st == 200
    ws.close()

    st, lst = dev.json("GET", "/api/sessions")
    assert st == 200 and [s["id"] for s in lst["sessions"]] == [sid1, sid2]
    assert lst["recording"] is None and lst["storage_used"] > 0
    for s in lst["sessions"]:
        for k in ("id", "started", "duration_s", "rate", "channels", "window", "hop",
                  "windows", "bytes", "labels", "recording", "record_size", "frame_size"):
            assert k in s, k
        assert s["channels"] == ["x", "y", "z"] and s["rate"] == 100 and s["hop"] == 64
        assert s["bytes"] == s["windows"] * s["record_size"]
        assert s["samples"] == s["windows"] * s["hop"]
        assert abs(s["duration_s"] - s["windows"] * 64 / 100) < 1e-6
    assert lst["sessions"][0]["labels"]["counts"] == {"walking": m1["windows"] * 64}

    # whole session 1, decoded with shared/protocol
    st, h, body = windows(dev, sid1)
    assert st == 200 and h["content-type"] == "application/octet-stream"
    fs = m1["frame_size"]
    assert int(h["content-length"]) == len(body) == m1["windows"] * fs
    frames = split_frames(body, fs)
    seqs = [fh[0] for fh, _ in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[0] == m1["first_seq"]
    compared = 0
    for fh, a in frames:
        assert fh[2:6] == (3, protocol.DTYPE_INT16, 64, 100)
        if fh[0] in seen:   # same window on the WebSocket: the record holds its first hop
            wh, wa = seen[fh[0]]
            assert fh[1] == wh[1]                      # timestamp of the first sample
            for c in range(3):
                assert list(a[c * 64:(c + 1) * 64]) == list(wa[c * 128:c * 128 + 64])
            compared += 1
    assert compared >= 3, (sorted(seen), seqs)
    # consecutive records tile the sample stream: timestamps advance by hop / rate
    ts = [fh[1] for fh, _ in frames]
    assert all(abs((b - a) - 640) <= 1 for a, b in zip(ts, ts[1:]))

    # a range of session 2, and the activity switch is visible in the data
    st, h, body = windows(dev, sid2, "?start=1&count=3")
    assert st == 200 and h["x-count"] == "3" and h["x-start"] == "1"
    part = split_frames(body, m2["frame_size"])
    assert [fh[0] for fh, _ in part] == [m2["first_seq"] + i for i in (1, 2, 3)]
    allf = split_frames(windows(dev, sid2)[2], m2["frame_size"])
    assert [x[1] for x in part] == [x[1] for x in allf[1:4]]

    def spread(a):   # largest per-channel range
        return max(max(a[c * 64:(c + 1) * 64]) - min(a[c * 64:(c + 1) * 64]) for c in range(3))
    assert spread(allf[-1][1]) > 4 * spread(allf[0][1])   # shaking vs idle
    # count past the end is clipped; start at the end is an empty range
    st, h, body = windows(dev, sid2, "?start=%d&count=99" % (m2["windows"] - 1))
    assert st == 200 and h["x-count"] == "1" and len(body) == m2["frame_size"]
    st, h, body = windows(dev, sid2, "?start=%d" % m2["windows"])
    assert st == 200 and body == b""
    # the files on flash agree with the API
    assert disk_frames(dev.data / "sessions" / str(sid1), m1["record_size"]) == \
        [body[i:i + fs] for body in [windows(dev, sid1)[2]] for i in range(0, len(body), fs)]


def test_labels_get_put_validation_and_versions(dev):
    T = dev.token
    st, lst = dev.json("GET", "/api/sessions")
    s1, s2 = lst["sessions"][0], lst["sessions"][1]
    n1 = s1["windows"] * 64
    st, lab = dev.json("GET", "/api/sessions/%d/labels" % s1["id"])
    assert st == 200 and lab == {"version": 2, "classes": ["walking"], "samples": n1,
                                 "segments": [{"start": 0, "end": n1, "label": "walking"}]}
    n2 = s2["windows"] * 64
    path = "/api/sessions/%d/labels" % s2["id"]
    assert dev.json("GET", path)[1] == {"version": 1, "classes": [], "segments": [],
                                        "samples": n2}
    body = {"version": 1, "classes": ["idle", "shaking"],
            "segments": [{"start": 0, "end": 128, "label": "idle"},
                         {"start": 200, "end": n2, "label": "shaking"}]}
    st, r = dev.json("PUT", path, body, token=T)
    assert st == 200 and r["version"] == 2 and r["counts"] == {"idle": 128,
                                                               "shaking": n2 - 200}
    got = dev.json("GET", path)[1]
    assert got["version"] == 2 and got["segments"] == body["segments"]
    assert got["classes"] == ["idle", "shaking"]

    # a second page still based on version 1 loses nothing silently: 409 + current version
    st, r = dev.json("PUT", path, dict(body, segments=[]), token=T)
    assert st == 409 and r["version"] == 2 and "version" in r["error"]
    assert dev.json("GET", path)[1]["segments"] == body["segments"]

    def bad(b, words, status=400):
        st, r = dev.request("PUT", path, b, {"Authorization": "Bearer " + T})[::2]
        r = json.loads(r)
        assert st == status and words in r["error"], (b, st, r)

    ok = {"version": 2, "classes": ["idle", "shaking"]}
    bad(dict(ok, segments=[{"start": 0, "end": n2 + 1, "label": "idle"}]), "out of bounds")
    bad(dict(ok, segments=[{"start": 5, "end": 5, "label": "idle"}]), "start < end")
    bad(dict(ok, segments=[{"start": -1, "end": 5, "label": "idle"}]), "start < end")
    bad(dict(ok, segments=[{"start": 0, "end": 5, "label": "running"}]), "unknown class 'running'")
    bad(dict(ok, segments=[{"start": 0, "end": 50, "label": "idle"},
                           {"start": 40, "end": 60, "label": "idle"}]), "overlaps")
    bad(dict(ok, segments=[{"start": "0", "end": 5, "label": "idle"}]), "start must be an integer")
    bad(dict(ok, segments=[{"start": 0, "end": 5, "label": "idle", "x": 1}]), "unknown field 'x'")
    bad(dict(ok, segments=[[0, 5, "idle"]]), "list of objects")
    bad(dict(ok, segments={"a": 1}), "must be a list")
    bad({"version": 2, "classes": ["a", "a"], "segments": []}, "listed twice")
    bad({"version": 2, "classes": "idle", "segments": []}, "list of class names")
    bad({"version": 2}, '"segments"')
    bad({"classes": [], "segments": []}, '"version"')
    bad({"version": 2, "segments": [], "extra": 1}, "unknown field 'extra'")
    bad('{"version": 2, "segments": [{"start": 0, "end": 5, "label": "idle"},]}', "JSON")
    bad('{"version": 2, "segments": [{"start": 0, "end": 5, "label": "idle"}', "JSON")
    bad('{"version": 2, "segments": [{"start": 0, "end": 5, "label": idle}]}', "not valid JSON")
    bad("not json", "JSON object")
    bad("[1, 2]", "JSON object")
    bad({"version": 2, "segments": [{"start": i, "end": i + 1, "label": "idle"}
                                    for i in range(257)]}, "too many segments")
    # missing/wrong token, unknown session
    st, r = dev.json("PUT", path, dict(ok, segments=[]))
    assert st == 401 and "missing token" in r["error"]
    st, r = dev.json("PUT", path, dict(ok, segments=[]), token="0" * 32)
    assert st == 401 and r["error"] == "wrong token"
    st, r = dev.json("PUT", "/api/sessions/999/labels", dict(ok, segments=[]), token=T)
    assert st == 404 and "unknown session" in r["error"]
    assert dev.json("GET", path)[1]["version"] == 2     # nothing changed by the bad ones
    # 256 segments fit in Microdot's 16 KB body limit and are accepted
    many = [{"start": i, "end": i + 1, "label": "idle"} for i in range(256)]
    st, r = dev.json("PUT", path, dict(ok, segments=many), token=T)
    assert st == 200 and r["segments"] == 256 and r["counts"] == {"idle": 256}
    got = dev.json("GET", path)[1]
    assert got["segments"] == many and got["version"] == 3
    st, s = dev.json("GET", "/api/sessions/%d" % s2["id"])
    assert s["labels"]["version"] == 3 and s["labels"]["counts"] == {"idle": 256}


def test_bad_requests_get_clear_errors(dev):
    T = dev.token
    sid = dev.json("GET", "/api/sessions")[1]["sessions"][0]["id"]
    for method, path in (("GET", "/api/sessions/77"), ("GET", "/api/sessions/abc"),
                         ("GET", "/api/sessions/77/windows"), ("GET", "/api/sessions/77/labels"),
                         ("POST", "/api/sessions/77/stop"), ("DELETE", "/api/sessions/77")):
        st, r = dev.json(method, path, token=T)
        assert st == 404 and "unknown session" in r["error"], (method, path, r)
    for q, words in (("?start=-1", "start must be"), ("?start=abc", "start must be"),
                     ("?count=1.5", "count must be"), ("?start=100000", "out of range")):
        st, h, b = windows(dev, sid, q)
        assert st == 400 and words in json.loads(b)["error"], q
    for method, path in (("POST", "/api/sessions"), ("POST", "/api/sessions/%d/stop" % sid),
                         ("DELETE", "/api/sessions/%d" % sid)):
        st, r = dev.json(method, path)
        assert st == 401, (method, path)
        st, r = dev.json(method, path, token="f" * 32)
        assert st == 401 and r["error"] == "wrong token"
    for body, words in (("nope", "JSON object"), ({"label": 5}, "label must be"),
                        ({"label": ""}, "label must be"), ({"colour": 1}, "unknown field"),
                        ({"time": "now"}, "time must be")):
        st, h, b = dev.request("POST", "/api/sessions", body, {"Authorization": "Bearer " + T})
        assert st == 400 and words in json.loads(b)["error"], body
    st, r = dev.json("POST", "/api/sessions/%d/stop" % sid, token=T)
    assert st == 409 and "not recording" in r["error"]
    # one recording at a time; a recording session cannot be deleted
    st, m = dev.json("POST", "/api/sessions", {"label": "idle", "time": 1.7e9}, token=T)
    assert st == 201 and m["started"] == 1.7e9 and m["clock"] == "client"
    st, r = dev.json("POST", "/api/sessions", token=T)
    assert st == 409 and "already recording" in r["error"]
    st, r = dev.json("DELETE", "/api/sessions/%d" % m["id"], token=T)
    assert st == 409 and "stop it first" in r["error"]
    st, s = dev.json("GET", "/api/status")
    assert s["recording"] == m["id"] and s["storage_budget"] == 1536 * 1024
    # a config change ends the recording with an error (the stream's shape changes)
    assert dev.put("/api/config", {"hop": 32})[0] == 200
    st, s = dev.json("GET", "/api/sessions/%d" % m["id"])
    assert not s["recording"] and "configuration changed" in s["error"]
    assert dev.json("GET", "/api/status")[1]["recording_error"] == s["error"]
    assert dev.put("/api/config", {"hop": 64})[0] == 200
    # delete
    before = dev.json("GET", "/api/status")[1]["storage_used"]
    st, r = dev.json("DELETE", "/api/sessions/%d" % m["id"], token=T)
    assert st == 200 and r["deleted"] == m["id"] and r["storage_used"] < before
    assert not (dev.data / "sessions" / str(m["id"])).exists()
    assert dev.json("GET", "/api/sessions/%d" % m["id"])[0] == 404


def test_sessions_and_labels_survive_a_restart(dev, make_dev):
    _, before = dev.json("GET", "/api/sessions")
    labels = [dev.json("GET", "/api/sessions/%d/labels" % s["id"])[1]
              for s in before["sessions"]]
    data = [windows(dev, s["id"])[2] for s in before["sessions"]]
    dev.stop()
    try:
        d2 = make_dev(data=dev.data).start()
        _, after = d2.json("GET", "/api/sessions")
        assert after["sessions"] == before["sessions"]
        assert after["storage_used"] == before["storage_used"]
        assert [d2.json("GET", "/api/sessions/%d/labels" % s["id"])[1]
                for s in after["sessions"]] == labels
        assert [windows(d2, s["id"])[2] for s in after["sessions"]] == data
        # new ids never reuse a deleted one; recording needs no page (no WebSocket here)
        st, m = d2.json("POST", "/api/sessions", token=d2.token)
        assert st == 201 and m["id"] > max(s["id"] for s in before["sessions"]) + 1
        d2.wait_data(2.5)
        st, m = d2.json("POST", "/api/sessions/%d/stop" % m["id"], token=d2.token)
        assert st == 200 and m["windows"] >= 2 and d2.json("GET", "/api/status")[1]["clients"] == 0
    finally:
        dev.start()   # the module's device, for any test after this one


def test_storage_budget_stops_recording_with_an_error(make_dev):
    """Small budget, fast records: recording stops with 'storage budget reached' (status,
    list, WebSocket), stays within the budget, every file whole; a new session gets 507."""
    dev = make_dev().start()
    T = dev.token
    assert dev.put("/api/config", {"rate": 1000, "window": 32, "hop": 16,
                                   "storage_budget": 8192})[0] == 200
    ws = dev.ws()
    ws.recv_json("hello")
    st, m = dev.json("POST", "/api/sessions", {"label": "idle"}, token=T)
    assert st == 201
    msg = ws.recv_json("recording")
    assert msg["state"] == "started"
    msg = ws.recv_json("recording", limit=2000)
    assert msg == {"type": "recording", "state": "stopped", "id": m["id"],
                   "error": "storage budget reached"}
    ws.close()
    _, s = dev.json("GET", "/api/status")
    assert s["recording"] is None and s["recording_error"] == "storage budget reached"
    assert s["storage_used"] <= s["storage_budget"] == 8192
    _, lst = dev.json("GET", "/api/sessions")
    sess = lst["sessions"][0]
    assert sess["error"] == "storage budget reached" and not sess["recording"]
    assert lst["recording_error"] == "storage budget reached"
    frames = disk_frames(dev.data / "sessions" / str(m["id"]), sess["record_size"])
    assert len(frames) == sess["windows"] > 30
    assert windows(dev, m["id"])[2] == b"".join(frames)
    lab = dev.json("GET", "/api/sessions/%d/labels" % m["id"])[1]
    assert lab["segments"] == [{"start": 0, "end": sess["windows"] * 16, "label": "idle"}]
    st, r = dev.json("POST", "/api/sessions", token=T)
    assert st == 507 and "storage budget" in r["error"]
    # deleting frees the budget again
    assert dev.json("DELETE", "/api/sessions/%d" % m["id"], token=T)[0] == 200
    st, m2 = dev.json("POST", "/api/sessions", token=T)
    assert st == 201
    dev.json("POST", "/api/sessions/%d/stop" % m2["id"], token=T)


def _device_pid(dev):
    """The MicroPython process under scripts/sim.py."""
    kids = open("/proc/%d/task/%d/children" % (dev.proc.pid, dev.proc.pid)).read().split()
    assert kids, "no device process"
    return int(kids[0])


def test_kill_9_mid_recording_leaves_every_file_whole(make_dev, tmp_path):
    """kill -9 of the device process at random moments (30 times; sometimes with a torn
    record appended as a power cut on another filesystem could leave): after each restart
    every session file is whole records with valid CRCs and reads back through the API."""
    rng = random.Random(5)
    data = tmp_path / "crash"
    dev = make_dev(data=data).start()
    assert dev.put("/api/config", {"rate": 1000, "window": 32, "hop": 16})[0] == 200
    t0 = time.monotonic()
    torn = 0
    for cycle in range(30):
        st, m = dev.json("POST", "/api/sessions", {"label": "walking"}, token=dev.token)
        assert st == 201, m
        time.sleep(rng.uniform(0.02, 0.6))
        os.kill(_device_pid(dev), signal.SIGKILL)
        dev.proc.wait(5)
        dev.stop()
        if cycle % 3 == 0:   # a torn tail: half a record of garbage after the last record
            rs = m["record_size"]
            chunks = sorted((data / "sessions" / str(m["id"])).glob("*.rec"))
            if chunks:
                with open(chunks[-1], "ab") as f:
                    f.write(os.urandom(rs // 2) if cycle % 2 else b"\x57\x01" + bytes(rs - 2))
                torn += 1
        dev = make_dev(data=data).start()
        _, lst = dev.json("GET", "/api/sessions")
        assert lst["recording"] is None
        for s in lst["sessions"]:
            frames = disk_frames(data / "sessions" / str(s["id"]), s["record_size"])
            assert len(frames) == s["windows"] and not s["recording"]
        last = lst["sessions"][-1]
        assert last["id"] == m["id"] and last["error"].startswith("interrupted")
        body = windows(dev, last["id"])[2]
        assert body == b"".join(disk_frames(data / "sessions" / str(last["id"]),
                                            last["record_size"]))
        fr = split_frames(body, last["frame_size"])
        seqs = [h[0] for h, _ in fr]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True
        lab = dev.json("GET", "/api/sessions/%d/labels" % last["id"])[1]
        n = last["windows"] * 16
        assert lab["segments"] == ([{"start": 0, "end": n, "label": "walking"}] if n else [])
    assert torn >= 5
    _, s = dev.json("GET", "/api/status")
    on_disk = sum(p.stat().st_size for p in (data / "sessions").rglob("*") if p.is_file())
    assert s["storage_used"] == on_disk
    assert time.monotonic() - t0 < 60


def _write_session(sdir, sid, n, nch=3, hop=64, rate=100, seq0=1000):
    """A session written from SESSIONS.md alone (not by the device): n records."""
    sdir.mkdir(parents=True)
    fs = protocol.frame_size(nch, hop)
    rs = fs + 4
    per = max(1, CHUNK_BYTES // rs)
    frames = []
    samples = array("h", bytes(2 * nch * hop))
    buf = bytearray(fs)
    for i in range(n):
        for k in range(len(samples)):
            samples[k] = (i * 7 + k * 13) % 4001 - 2000
        protocol.encode_window_into(buf, seq0 + i, 5000 + i * hop * 1000 // rate, samples,
                                    nch, hop, rate, 1 / 4096)
        frames.append(bytes(buf))
    for c in range(0, n, per):
        with open(sdir / ("%04d.rec" % (c // per)), "wb") as f:
            for fr in frames[c:c + per]:
                f.write(fr + struct.pack("<I", zlib.crc32(fr)))
    meta = {"id": sid, "started": 1.7e9, "clock": "client", "rate": rate,
            "channels": ["x", "y", "z"][:nch], "window": 2 * hop, "hop": hop,
            "scale": 1 / 4096, "sensor": "sim", "record_size": rs, "frame_size": fs,
            "label": None, "recording": False, "error": None, "windows": n, "bytes": n * rs,
            "duration_s": n * hop / rate, "first_seq": seq0, "gaps": 0,
            "labels": {"version": 1, "classes": [], "segments": 0, "counts": {}}}
    (sdir / "meta.json").write_text(json.dumps(meta))
    (sdir / "labels.json").write_text('{"version": 1, "classes": [], "segments": []}')
    return frames


def test_a_session_bigger_than_the_heap_streams_in_ranges(make_dev, tmp_path):
    """1300 records (530 KB, the heap is 192 KB) download whole and in ranges while the
    device keeps streaming windows; a labels.json newer than its summary is resynced."""
    data = tmp_path / "big"
    frames = _write_session(data / "sessions" / "3", 3, 1300)
    sdir = data / "sessions" / "3"
    (sdir / "labels.json").write_text(
        '{"version": 4, "classes": ["a", "b"], "segments": [{"start": 0, "end": 10, '
        '"label": "b"}, {"start": 20, "end": 50, "label": "a"}]}')
    (data / "sessions" / "9").mkdir()     # a crash before the first meta write ...
    (data / "sessions" / "9" / "meta.json.tmp").write_text('{"id": 9')
    dev = make_dev(data=data).start()
    assert not (data / "sessions" / "9").exists()   # ... leaves nothing after the boot
    ws = dev.ws()
    ws.recv_json("hello")
    t = time.monotonic()
    st, h, body = windows(dev, 3)
    dt = time.monotonic() - t
    assert st == 200 and len(body) == 1300 * len(frames[0]) > 500000
    assert body == b"".join(frames), "download differs from the records on flash"
    st, h, body = windows(dev, 3, "?start=79&count=3")   # across a chunk boundary (80 / chunk)
    assert body == b"".join(frames[79:82])
    ws.recv_frame()      # still streaming
    _, s = dev.json("GET", "/api/status")
    assert s["storage_used"] >= 1300 * 408 and s["dropped"] == 0
    _, m = dev.json("GET", "/api/sessions/3")
    assert m["labels"] == {"version": 4, "classes": ["a", "b"], "segments": 2,
                           "counts": {"a": 30, "b": 10}}
    assert m["windows"] == 1300 and not m["recording"]
    print("530 KB session downloaded in %.2f s" % dt)
    ws.close()
    # the next id continues after the highest one on flash
    st, m = dev.json("POST", "/api/sessions", token=dev.token)
    assert m["id"] == 10


def test_a_failing_flash_write_stops_recording_and_keeps_files_whole(make_dev):
    """ENOSPC: the session's second chunk file is a link to /dev/full, so its first write
    fails. Recording stops with a clear error (status, meta, WebSocket), the first chunk is
    intact, the failed one is removed, and the session reads back through the API."""
    dev = make_dev().start()
    T = dev.token
    assert dev.put("/api/config", {"rate": 1000, "window": 32, "hop": 16})[0] == 200
    ws = dev.ws()
    ws.recv_json("hello")
    st, m = dev.json("POST", "/api/sessions", token=T)
    sdir = dev.data / "sessions" / str(m["id"])
    os.symlink("/dev/full", sdir / "0001.rec")
    ws.recv_json("recording")
    msg = ws.recv_json("recording", limit=5000)
    assert msg["state"] == "stopped" and msg["error"].startswith("flash write failed"), msg
    ws.close()
    _, s = dev.json("GET", "/api/sessions/%d" % m["id"])
    assert s["error"] == msg["error"] and not s["recording"]
    assert dev.json("GET", "/api/status")[1]["recording_error"] == msg["error"]
    per = CHUNK_BYTES // s["record_size"]
    assert s["windows"] == per and not (sdir / "0001.rec").exists()
    frames = disk_frames(sdir, s["record_size"])
    assert windows(dev, m["id"])[2] == b"".join(frames) and len(frames) == per
    _, lst = dev.json("GET", "/api/sessions")
    on_disk = sum(p.stat().st_size for p in (dev.data / "sessions").rglob("*") if p.is_file())
    assert lst["storage_used"] == on_disk
