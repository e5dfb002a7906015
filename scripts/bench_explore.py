#!/usr/bin/env python3
"""Explore benchmark (prints figures; not a test): features + PCA + k-means (shared.explore) of
a simulated recording, on CPython, our MicroPython unix build and our MicroPython-WASM build
under Node (the page's interpreter), timing the whole and the longest step between two yields.

Sessions (device/hal/sim_accel.py, 100 Hz, 3 channels, windows of 128 every 64 samples, four
activities of 2.5 minutes each, repeated):
  "10min": 10 minutes (60000 samples, 936 windows)  target <= 1.5 s in the page
  "10k":   10000 windows (640064 samples)           target <= 10 s, no step > 200 ms
Usage: .venv/bin/python scripts/bench_explore.py [10min] [10k] [--runtimes cpython,unix,wasm]
(wrap it in `flock /tmp/motebook-heavy.lock` on a shared machine)
"""
import json
import os
import subprocess
import sys
import tempfile
from array import array

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from device.hal.sim_accel import SimAccel, ACTIVITIES  # noqa: E402

RATE, WINDOW, HOP, PER_ACTIVITY = 100, 128, 64, 15000
SESSIONS = {"10min": 60000, "10k": (10000 - 1) * HOP + WINDOW}
ORDER = ("idle", "walking", "running", "shaking")
UNIX = os.path.join(ROOT, "build/wasm/unix/micropython")
MJS = os.path.join(ROOT, "build/wasm/web/micropython.mjs")


def recording(n, path):
    """Channel-major int16 file of n samples: the activities of ORDER, PER_ACTIVITY samples
    each, in turn (seeded, so every run benchmarks the same data)."""
    assert set(ORDER) == set(ACTIVITIES)
    cols = [array("h", [0]) * n for _ in range(3)]
    buf = array("h", [0, 0, 0])
    sensors = [SimAccel(RATE, a, seed=100 + i) for i, a in enumerate(ORDER)]
    for t in range(n):
        s = sensors[(t // PER_ACTIVITY) % 4]
        s.read_into(buf, 0)
        for c in range(3):
            cols[c][t] = buf[c]
    with open(path, "wb") as f:
        for c in cols:
            f.write(c.tobytes())


def _shared_files():
    files = ["shared/__init__.py", "shared/tests/__init__.py", "shared/tests/bench_explore.py"]
    files += ["shared/" + f for f in sorted(os.listdir(os.path.join(ROOT, "shared")))
              if f.endswith(".py") and f != "__init__.py"]
    return files


def run(runtime, data):
    if runtime == "cpython":
        from shared.tests import bench_explore
        return bench_explore.main(data, report=lambda line: None)
    with tempfile.TemporaryDirectory() as tmp:
        if runtime == "unix":
            if not os.path.exists(UNIX):
                return {"skipped": "%s not built" % UNIX}
            drv = os.path.join(tmp, "drv.py")
            with open(drv, "w") as f:
                f.write("import sys\nsys.path.insert(0, %r)\nfrom shared.tests import "
                        "bench_explore\nbench_explore.main(%r)\n" % (ROOT, data))
            env = dict(os.environ, MICROPYPATH=".frozen")
            cmd = [UNIX, "-X", "heapsize=64M", drv]
        else:
            if not os.path.exists(MJS):
                return {"skipped": "%s not built" % MJS}
            drv = os.path.join(tmp, "drv.py")
            with open(drv, "w") as f:
                f.write("from shared.tests import bench_explore\n"
                        "bench_explore.main('/data.bin')\n")
            cmd = ["node", os.path.join(ROOT, "wasm/tests/run_node.mjs"), "--mjs", MJS,
                   "--file", "%s:/data.bin" % data]
            for p in _shared_files():
                cmd += ["--file", "%s:/%s" % (os.path.join(ROOT, p), p)]
            cmd.append(drv)
            env = dict(os.environ)
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            return {"failed": (p.stdout + p.stderr)[-800:]}
        return json.loads(lines[-1])


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runtimes = ["cpython", "unix", "wasm"]
    for a in sys.argv[1:]:
        if a.startswith("--runtimes="):
            runtimes = a.split("=", 1)[1].split(",")
    sessions = args or list(SESSIONS)
    with tempfile.TemporaryDirectory() as tmp:
        for name in sessions:
            data = os.path.join(tmp, name + ".bin")
            recording(SESSIONS[name], data)
            for rt in runtimes:
                r = run(rt, data)
                if "total_ms" in r:
                    print("%-6s %-8s %5d windows  total %6d ms  longest step %4d ms (%s)  "
                          "ARI %.3f  explained %s" % (name, rt, r["windows"], r["total_ms"],
                                                      r["longest_step_ms"], r["longest_stage"],
                                                      r["ari"], r["explained"]))
                    print("       stages ms: %s" % json.dumps(r["stages_ms"], sort_keys=True))
                else:
                    print("%-6s %-8s %s" % (name, rt, r))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
