"""Test helpers (CPython) for the node on its own: a simulated device running a model trained
on its own simulated sensor (any window settings), kill -9 of the MicroPython process, and an
independent reader of the history files (format in device/NODE.md)."""
import json
import os
import signal
import struct
import time
import zlib

from device.tests import models as M
from device.tests.simdev import SimDevice

REC = 78
FAST = {"rate": 1000, "window": 32, "hop": 4, "channels": 3, "scale": 1 / 4096}
_MODELS = {}


def model_for(window):
    key = tuple(sorted(window.items()))
    if key not in _MODELS:
        _MODELS[key] = M.trained(n_trees=3, seed=4, per_class=12, window=window)
    return _MODELS[key]


def start(data, window=None, env=None, **kw):
    """A started SimDevice configured for window (dict as models.WINDOW) with its model."""
    dev = SimDevice(data, env=env, **kw).start()
    if window is not None:
        install(dev, window)
    return dev


def install(dev, window, m=None):
    """Configure dev for window and install m (default: trained on the simulated sensor)."""
    cfg = {k: window[k] for k in ("rate", "window", "hop")}
    st, body = dev.put("/api/config", cfg)
    assert st == 200, body
    m = m or model_for(window)
    st, h, b = dev.request("PUT", "/api/model", m["text"], {
        "Authorization": "Bearer " + dev.token, "Content-Type": "text/csv"})
    assert st == 200, b
    return m


def kill9(dev):
    """SIGKILL the MicroPython process (the firmware) under scripts/sim.py, then reap both."""
    pid = dev.proc.pid
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        kids = [int(k) for k in f.read().split()]
    for k in kids:
        os.kill(k, signal.SIGKILL)
    dev.proc.wait(10)
    dev._logf.close()


def records(path):
    """(records, tail bytes) of one chunk file: each record (seq0, t, n, ctx, codes, rms,
    crc_ok); tail = bytes after the last whole record."""
    data = path.read_bytes()
    out = []
    for i in range(len(data) // REC):
        r = data[i * REC:(i + 1) * REC]
        seq0, t0, ms, period, n, ctx = struct.unpack_from("<IIHHBB", r, 0)
        ok = zlib.crc32(r[:74]) == struct.unpack_from("<I", r, 74)[0]
        out.append((seq0, t0 + ms / 1000, period, n, ctx, r[14:14 + 48],
                    struct.unpack_from("<6H", r, 62), ok))
    return out, len(data) % REC


def contexts(data):
    """The history's contexts (ctx.json) by id."""
    return {c["id"]: c for c in json.loads((data / "history" / "ctx.json").read_text())}


def values(codes, n, ctx):
    """The first n window bytes of a regression context's record as values (None: no
    estimate, code 255): lo + code x (hi - lo) / 254 over the context's range."""
    assert ctx.get("kind") == "regress", ctx
    lo, hi = ctx["range"]
    return [None if c == 255 else lo + c * (hi - lo) / 254 for c in codes[:n]]


def chunks(data):
    d = data / "history"
    return sorted((p for p in d.glob("*.hr")), key=lambda p: int(p.stem))


def wait_for(pred, timeout=20, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting")


def drive(dev, until, acts=("walking", "shaking", "running", "idle"), timeout=60, step=8):
    """Switch the simulated activity through acts, round and round, each time waiting (at
    most step s) for one more class change in the history, until until() holds; fails at the
    deadline. Drives class changes at the device's own pace, not at a guessed one."""
    deadline = time.monotonic() + timeout
    i = 0
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("timed out driving class changes (%d made)" % len(changes(dev)))
        n = len(changes(dev))
        dev.put("/api/sim", {"activity": acts[i % len(acts)]})
        i += 1
        end = min(deadline, time.monotonic() + step)
        while len(changes(dev)) <= n and time.monotonic() < end:
            time.sleep(0.1)


def changes(dev):
    """(seq, class name) of every class change in the device's history (/api/history)."""
    st, h, b = dev.get("/api/history")
    js = json.loads(b)
    out, last = [], None
    for row in js["rows"]:            # (t, seq, class, confidence, rms[, value])
        seq, cls = row[1], row[2]
        if cls is not None and cls != last:
            out.append((seq, js["classes"][cls]))
            last = cls
    return out
