#!/usr/bin/env python3
"""Where the node's idle heap goes (benchmark, not a test), on the frozen firmware
(build/fw/micropython -X heapsize=192k, as scripts/sim.py runs it):
1. each module's own import cost (gc.collect + mem_free around every import main.py makes,
   its not yet loaded imports subtracted; asyncio and microdot, whose relative imports the
   hook cannot follow, measured whole), then main()'s steps one by one: Device() (each part),
   acquisition, create_app (each install and its routes);
2. the running node's /api/status mem_free (after a collection) at boot without a model, with
   the classes model (device/tests/nodekit.py), and with one streaming WebSocket client: the
   median of --runs fresh starts.
Usage: scripts/heap_idle.py [--runs N] [--no-imports] [--no-node]"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests import models as M  # noqa: E402
from device.tests import nodekit as K  # noqa: E402

FW = ROOT / "build" / "fw" / "micropython"

# Runs inside the firmware (MicroPython): prints "name bytes" lines.
PROBE = r'''
import gc, sys, builtins
def f():
    gc.collect(); return gc.mem_free()
_imp = builtins.__import__
stack, cost = [], {}
def hook(name, *a):
    if name in sys.modules or (len(a) > 3 and a[3]):
        return _imp(name, *a)
    stack.append(0)
    m0 = f()
    try:
        return _imp(name, *a)
    finally:
        used = m0 - f()
        cost[name] = cost.get(name, 0) + used - stack.pop()
        if stack:
            stack[-1] += used
t0 = f()
import asyncio
cost["asyncio (package)"] = t0 - f()
m = f()
import microdot
cost["microdot (package)"] = m - f()
builtins.__import__ = hook
import main
builtins.__import__ = _imp
t1 = f()
for k, v in sorted(cost.items(), key=lambda kv: -kv[1]):
    if v:
        print("import %-26s %6d" % (k, v))
print("import %-26s %6d" % ("= all imports", t0 - t1))
import api, board, config
import main as MN
parts = []
def timed(mod, cls):
    C = getattr(__import__(mod), cls)
    class W(C):
        def __init__(self, *a, **k):
            m0 = f(); C.__init__(self, *a, **k); parts.append((cls, m0 - f()))
    setattr(MN, cls, W)
for mod, cls in (("acquisition", "Acquisition"), ("wshub", "Hub"), ("static", "Static"),
                 ("model_store", "Store"), ("inference", "Inference"),
                 ("recorder", "Recorder"), ("node", "Node")):
    timed(mod, cls)
inst = []
def wrap(mod):
    orig = mod.install
    def w(app, dev):
        m0 = f(); n0 = len(app.url_map)
        orig(app, dev)
        inst.append((mod.__name__, m0 - f(), len(app.url_map) - n0))
    mod.install = w
for n in ("api_model", "api_sessions", "api_notebooks", "api_wifi", "api_node", "api_train"):
    try:
        wrap(__import__(n))
    except ImportError:
        pass
async def go():
    m = f(); dev = MN.Device(); d = m - f()
    for k, v in parts:
        print("boot   %-26s %6d" % (k + "()", v))
    print("boot   %-26s %6d" % ("= Device()", d))
    cfg, w = config.load(board.DATA, board.SENSORS)
    m = f(); await dev.acq.apply(cfg); print("boot   %-26s %6d" % ("acq.apply(config)", m - f()))
    m = f(); dev.node.start(); print("boot   %-26s %6d" % ("node.start()", m - f()))
    m = f(); await dev.model.boot(); print("boot   %-26s %6d" % ("model.boot()", m - f()))
    m = f(); app = api.create_app(dev); c = m - f()
    for k, v, n in inst:
        print("routes %-26s %6d  (%d routes)" % (k + ".install", v, n))
    print("routes %-26s %6d  (%d routes in all)" % ("= create_app", c, len(app.url_map)))
    print("free   %-26s %6d" % ("after create_app", f()))
asyncio.run(go())
'''


def imports():
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.py"
        probe.write_text(PROBE)
        (Path(tmp) / "data").mkdir()
        env = {"MICROPYPATH": ".frozen", "MOTEBOOK_DATA": str(Path(tmp) / "data"),
               "MOTEBOOK_WWW": str(ROOT / "build" / "fw" / "www"), "PATH": "/usr/bin:/bin"}
        r = subprocess.run([str(FW), "-X", "heapsize=192k", str(probe)], cwd=tmp, env=env,
                           capture_output=True, text=True, timeout=60)
        sys.stdout.write(r.stdout)
        if r.returncode:
            sys.stdout.write(r.stderr)


def free(dev):
    st, s = dev.json("GET", "/api/status")
    assert st == 200, s
    return s["mem_free"]


def node(runs):
    got = {"boot": [], "model": [], "model + ws": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            dev = K.start(Path(tmp) / "data")
            try:
                time.sleep(2)
                got["boot"].append(free(dev))
                K.install(dev, M.WINDOW)
                time.sleep(2)
                got["model"].append(free(dev))
                ws = dev.ws()
                ws.recv_json("hello")
                for _ in range(20):
                    ws.recv()
                got["model + ws"].append(free(dev))
                ws.close()
            finally:
                dev.stop()
    for k, v in got.items():
        print("node   mem_free %-12s median %6d  (%s)" % (k, statistics.median(v),
                                                        " ".join(str(x) for x in v)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-imports", action="store_true")
    ap.add_argument("--no-node", action="store_true")
    a = ap.parse_args()
    if not a.no_imports:
        imports()
    if not a.no_node:
        node(a.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
