# Static files per manifest (gzip, ETag, Cache-Control, 304), config + token surviving a
# device restart, and the replay sensor playing a CSV (and refusing a broken one clearly).
import gzip
import hashlib
import importlib.util
import json
import socket
import time
from pathlib import Path


def _write_manifest(d, m):
    # as scripts/build_www.py writes it (the device reads it one line per entry)
    spec = importlib.util.spec_from_file_location(
        "build_www", Path(__file__).resolve().parents[2] / "scripts" / "build_www.py")
    bw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bw)
    (d / "manifest.json").write_bytes(bw.manifest_bytes(m))


_HTML = b"<!doctype html><title>motebook</title>" + b"<p>hello</p>" * 400


def _standin_www(d):
    d.mkdir()
    (d / "index.html.gz").write_bytes(gzip.compress(_HTML))
    (d / "data.bin").write_bytes(bytes(range(256)) * 40)
    etag = hashlib.sha256(_HTML).hexdigest()[:16]
    _write_manifest(d, {
        "/index.html": {"file": "index.html.gz", "type": "text/html; charset=utf-8",
                        "etag": etag, "gzip": True, "cache": "no-cache"},
        "/assets/data.bin": {"file": "data.bin", "type": "application/octet-stream",
                             "etag": "abc123", "gzip": False,
                             "cache": "public, max-age=31536000, immutable"},
    })
    return etag


def test_static_files_gzip_etag_cache_and_304(make_dev, tmp_path):
    etag = _standin_www(tmp_path / "www")
    dev = make_dev(www=tmp_path / "www").start()
    st, h, body = dev.get("/")
    assert st == 200
    assert h["content-encoding"] == "gzip" and h["content-type"].startswith("text/html")
    assert h["etag"] == '"%s"' % etag and h["cache-control"] == "no-cache"
    assert int(h["content-length"]) == len(body) and gzip.decompress(body) == _HTML
    assert dev.get("/index.html")[2] == body
    st, h2, body2 = dev.get("/", headers={"If-None-Match": '"%s"' % etag})
    assert st == 304 and body2 == b"" and h2["etag"] == h["etag"]
    st, h, body = dev.get("/assets/data.bin")
    assert st == 200 and body == bytes(range(256)) * 40     # 10 KB: several 4 KB chunks
    assert "content-encoding" not in h and "immutable" in h["cache-control"]
    assert dev.get("/assets/data.bin", headers={"If-None-Match": '"other"'})[0] == 200
    st, h, body = dev.get("/nope.js")
    assert st == 404 and "not found" in json.loads(body)["error"]
    st, h, body = dev.get("/manifest.json")       # only manifest entries are served
    assert st == 404


def test_a_manifest_not_written_by_build_www_is_named_not_half_served(make_dev, tmp_path):
    # the device reads the manifest one line per entry; a one-line JSON (hand-made) is
    # refused by name instead of serving some entries
    www = tmp_path / "www"
    _standin_www(www)
    m = json.loads((www / "manifest.json").read_text())
    (www / "manifest.json").write_text(json.dumps(m))
    dev = make_dev(www=www).start()
    st, h, body = dev.get("/")
    assert st == 404 and "manifest.json: no entries" in json.loads(body)["error"]
    assert dev.get("/assets/data.bin")[0] == 404
    assert dev.json("GET", "/api/status")[0] == 200


def test_many_parallel_downloads_fit_in_the_heap(make_dev, tmp_path):
    # A browser opens ~6 connections at once; every file must arrive whole (the device
    # streams through a bounded buffer pool instead of allocating per chunk).
    import os
    from concurrent.futures import ThreadPoolExecutor
    www = tmp_path / "www"
    _standin_www(www)
    blob = os.urandom(150 * 1024)
    (www / "big.bin").write_bytes(blob)
    m = json.loads((www / "manifest.json").read_text())
    m["/big.bin"] = {"file": "big.bin", "type": "application/octet-stream", "etag": "b1",
                     "gzip": False, "cache": "no-cache"}
    _write_manifest(www, m)
    dev = make_dev(www=www).start()

    def slow_get(i):
        # small receive buffer, slow reader: the device's socket writes back up
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(20)
        s.connect(("127.0.0.1", dev.port))
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while True:
            c = s.recv(8192)
            if not c:
                break
            data += c
            time.sleep(0.002)
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split()[1], body

    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(slow_get, range(8)))
    assert [r[0] for r in results] == [b"200"] * 8
    assert all(r[1] == blob for r in results)
    assert "MemoryError" not in dev.output()
    assert dev.json("GET", "/api/status")[0] == 200


def test_config_and_token_survive_a_restart(make_dev, tmp_path):
    dev = make_dev().start()
    token = dev.token
    assert dev.put("/api/config", {"rate": 250, "window": 256, "hop": 128})[0] == 200
    dev.stop()
    dev2 = make_dev(data=dev.data).start()
    assert dev2.token == token
    cfg = {"rate": 250, "window": 256, "hop": 128, "sensor": "sim"}
    assert dev2.json("GET", "/api/config") == (200, cfg)
    _, s = dev2.json("GET", "/api/status")
    assert (s["rate"], s["window"], s["hop"]) == (250, 256, 128)
    assert "token %s" % token in dev2.output()     # printed on the console every boot


def test_replay_plays_the_csv_at_its_rate_and_loops(make_dev, tmp_path):
    csv = tmp_path / "rec.csv"
    rows = ["t,ax,gyro"] + ["%.3f,%.4f,%d" % (i / 50, (i % 20) / 10, i % 7) for i in range(40)]
    csv.write_text("\n".join(rows) + "\n")
    dev = make_dev(replay=csv).start()
    assert dev.put("/api/config", {"window": 16, "hop": 16})[0] == 200
    _, s = dev.json("GET", "/api/status")
    assert s["sensor"] == "replay" and s["channels"] == ["ax", "gyro"] and s["rate"] == 50
    ws = dev.ws()
    hello = ws.recv_json("hello")
    assert hello["channels"] == ["ax", "gyro"] and hello["rate"] == 50
    got = []
    for _ in range(6):                               # 96 samples: loops the 40-row file
        (seq, t, nch, dt, ns, rate, scale), samples = ws.recv_frame()
        assert (nch, ns, rate) == (2, 16, 50)
        got.append((seq, [round(v * scale, 3) for v in samples]))
    seqs = [g[0] for g in got]
    assert seqs == list(range(seqs[0], seqs[0] + 6))
    # consecutive windows continue the recording: the ax channel is (k % 20) / 10
    flat_ax = sum((g[1][:16] for g in got), [])
    k0 = round(flat_ax[0] * 10)
    assert flat_ax == [round(((k0 + i) % 20) / 10, 3) for i in range(96)]
    st, body = dev.put("/api/sim", {"activity": "running"})
    assert st == 409 and "replay" in body["error"]
    ws.close()


def test_bad_replay_csv_gives_a_clear_error(make_dev, tmp_path):
    for text, words in (("time,x\n0,1\n0.1,2\n", "header"),
                        ("t,x\n0,1\n0.1,abc\n", "line 3"),
                        ("t,x\n0,1\n0.1\n", "line 3"),
                        ("t,x\n0,1\n", "at least 2")):
        csv = tmp_path / "bad.csv"
        csv.write_text(text)
        dev = make_dev(replay=csv, data=tmp_path / "d")
        try:
            dev.start(timeout=5)
        except RuntimeError as e:
            assert words in str(e), (words, str(e))
        else:
            raise AssertionError("device started with %r" % text)
        assert dev.proc.returncode == 2
