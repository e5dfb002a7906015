# A full flash on the real simulated device: its data folder is a small tmpfs (a real
# filesystem that really runs out of space; mounting needs root, as scripts/setup does).
# Config, labels and model writes answer 507 with a message and nothing that could not be
# saved is applied; once there is room again, the same requests work. A restart on the full
# flash boots (nothing boot needs is written), serves the page and says "flash_full".
import binascii
import json
import os
import signal
import struct
import subprocess
import time

import pytest

from device.tests import models as M


@pytest.fixture
def flash(tmp_path):
    mnt = tmp_path / "flash"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.skip("cannot mount a tmpfs here (root needed): %s" % r.stderr.strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=True)


def fill(mnt):
    """Fill the filesystem to the last byte; returns the filler's path."""
    path = mnt / "filler"
    with open(path, "wb", buffering=0) as f:
        for size in (65536, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return path


def test_a_full_flash_answers_507_and_applies_nothing(make_dev, flash):
    data = flash / "data"
    dev = make_dev(data=data).start()
    T = dev.token
    model = M.trained(n_trees=3, seed=2)
    h = {"Authorization": "Bearer " + T, "Content-Type": "text/csv"}
    assert dev.request("PUT", "/api/model", model["text"], h, timeout=20)[0] == 200
    st, rec = dev.json("POST", "/api/sessions", {}, token=T)
    time.sleep(1.5)
    assert dev.json("POST", "/api/sessions/%d/stop" % rec["id"], token=T)[0] == 200
    labels_path = "/api/sessions/%d/labels" % rec["id"]
    labels = dev.json("GET", labels_path)[1]
    ws = dev.ws()
    hello = ws.recv_json("hello")
    before = sorted((p.relative_to(data), p.read_bytes()) for p in data.rglob("*")
                    if p.is_file())

    filler = fill(flash)
    # config: was 500 with the new config running unsaved (it reverted at restart)
    st, body = dev.put("/api/config", {"rate": 200, "hop": 32})
    assert st == 507 and "flash is full" in body["error"], body
    assert dev.json("GET", "/api/config")[1]["rate"] == 100
    assert dev.json("GET", "/api/status")[1]["rate"] == 100
    # labels: was 500
    new = {"version": labels["version"], "classes": ["idle"],
           "segments": [{"start": 0, "end": 10, "label": "idle"}]}
    st, body = dev.json("PUT", labels_path, new, token=T)
    assert st == 507 and "flash is full" in body["error"], body
    assert dev.json("GET", labels_path)[1] == labels
    # model: was "upload cut off after 512 bytes"
    other = M.trained(n_trees=4, seed=3)
    st, _, raw = dev.request("PUT", "/api/model", other["text"], h, timeout=20)
    body = json.loads(raw)
    assert st == 507 and "flash is full" in body["error"] and "previous" in body["error"], body
    assert dev.json("GET", "/api/model")[1]["hash"] == model["hash"]
    # nothing changed on flash (no half-written temp file either), and streaming went on
    after = sorted((p.relative_to(data), p.read_bytes()) for p in data.rglob("*")
                   if p.is_file())
    assert after == before
    n = 0
    while n < 3:
        op, msg = ws.recv()
        assert op != 1 or json.loads(msg)["type"] != "hello", msg   # no restart
        n += op == 2

    os.remove(filler)
    st, _, raw = dev.request("PUT", "/api/model", other["text"], h, timeout=20)
    assert st == 200, raw
    assert dev.json("PUT", labels_path, new, token=T)[0] == 200
    st, body = dev.put("/api/config", {"rate": 200, "hop": 32})
    assert st == 200 and json.loads((data / "config.json").read_text())["rate"] == 200
    assert ws.recv_json("hello")["rate"] == 200
    ws.close()
    assert hello["rate"] == 100


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("not within %g s: %s" % (timeout, what))


def history_chunk(path, records):
    """A history chunk (device/history_store.py format) of valid records and a torn tail."""
    out = b""
    for i in range(records):
        rec = bytearray(78)
        struct.pack_into("<IIHHBB", rec, 0, i * 48, 1765000000 + i * 31, 0, 640, 48, 0)
        rec[14:62] = bytes([31]) * 48
        struct.pack_into("<I", rec, 74, binascii.crc32(rec[:74]) & 0xFFFFFFFF)
        out += rec
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(out + b"torn tail")


def test_a_restart_on_a_full_flash_boots_and_deleting_a_session_makes_room(make_dev, flash,
                                                                          tmp_path):
    # Was: session recovery wrote the interrupted session's meta at boot, met ENOSPC and
    # main.py died, so the page that could delete sessions never came up.
    data = flash / "data"

    def start():
        d = make_dev(data=data)
        d.log = tmp_path / ("device-%d.log" % d.port)   # the console is not on the flash
        return d.start()
    dev = start()
    T = dev.token
    model = M.trained(n_trees=3, seed=2)
    h = {"Authorization": "Bearer " + T, "Content-Type": "text/csv"}
    assert dev.request("PUT", "/api/model", model["text"], h, timeout=20)[0] == 200
    assert dev.put("/api/config", {"rate": 1000})[0] == 200   # sessions of > 16 KB in seconds
    st, a = dev.json("POST", "/api/sessions", {}, token=T)
    assert st == 201, a
    wait_for(lambda: dev.json("GET", "/api/sessions/%d" % a["id"])[1]["windows"] >= 60, 20,
             "session A has 60 windows (24 KB)")
    assert dev.json("POST", "/api/sessions/%d/stop" % a["id"], token=T)[0] == 200
    st, b = dev.json("POST", "/api/sessions", {"label": "walking"}, token=T)
    assert st == 201, b
    chunk = data / "sessions" / str(b["id"]) / "0000.rec"
    wait_for(lambda: chunk.exists() and chunk.stat().st_size >= 2 * b["record_size"], 10,
             "session B has records on flash")
    history_chunk(data / "history" / "0.hr", 2)   # (history is loaded on first use)
    fill(flash)
    assert dev.json("GET", "/api/status")[1]["flash_full"] is True
    os.kill(dev.pid(), signal.SIGKILL)   # power lost while B was recording on the full flash
    dev.stop()
    meta_b = data / "sessions" / str(b["id"]) / "meta.json"
    assert json.loads(meta_b.read_text())["recording"] is True   # boot has to finish B
    kept = {n: (data / n).read_bytes() for n in ("config.json", "model.csv", "token")}
    assert os.statvfs(flash).f_bavail == 0

    dev = start()    # raised "device exited" (OSError 28 in session recovery)
    st, hd, page = dev.get("/")
    assert st == 200 and hd["content-type"].startswith("text/html"), (st, hd)
    s = dev.json("GET", "/api/status")[1]
    assert s["flash_full"] is True and s["flash_free"] < 16384, s
    assert dev.json("GET", "/api/config")[1]["rate"] == 1000
    assert dev.json("GET", "/api/model")[1]["hash"] == model["hash"]
    assert {n: (data / n).read_bytes() for n in kept} == kept
    assert dev.token == T
    # B is served as recovered (from RAM: its meta could not be written yet)
    mb = dev.json("GET", "/api/sessions/%d" % b["id"])[1]
    assert mb["recording"] is False and "interrupted" in mb["error"], mb
    assert json.loads(meta_b.read_text())["recording"] is True
    st, body = dev.json("POST", "/api/sessions", {}, token=T)
    assert st == 507 and "flash full" in body["error"], body
    # the history loads although its torn tail cannot be cut now (was 507: no room to copy)
    st, info = dev.json("GET", "/api/history/info")
    assert st == 200 and info["chunks"] == 1 and info["history_records"] == 2, info

    st, body = dev.json("DELETE", "/api/sessions/%d" % a["id"], token=T)
    assert st == 200, body
    s = dev.json("GET", "/api/status")[1]
    assert s["flash_full"] is False and s["flash_free"] >= 16384, s
    on_flash = json.loads(meta_b.read_text())   # the recovery was written once there was room
    assert on_flash["recording"] is False and "interrupted" in on_flash["error"], on_flash
    assert on_flash["windows"] == mb["windows"] >= 2
    labels = dev.json("GET", "/api/sessions/%d/labels" % b["id"])[1]
    assert labels["segments"] == [{"start": 0, "end": mb["windows"] * mb["hop"],
                                   "label": "walking"}], labels
