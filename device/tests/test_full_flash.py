# A full flash on the real simulated device: its data folder is a small tmpfs (a real
# filesystem that really runs out of space; mounting needs root, as scripts/setup does).
# Config, labels and model writes answer 507 with a message and nothing that could not be
# saved is applied; once there is room again, the same requests work.
import json
import os
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
