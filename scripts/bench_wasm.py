#!/usr/bin/env python3
"""Our emlearn C modules vs pure Python, side by side in one run, on every MicroPython we have:
our unix build, our WASM build under Node, and (pure Python only) the PyPI unix interpreter and
the npm WASM build. Rows: spectral features of one window (3 x 128: FFT + band energies) and
1000-window batch prediction (10 trees). Then gzipped .mjs + .wasm sizes, ours vs npm.
Usage: .venv/bin/python scripts/bench_wasm.py        (not a test; see wasm/tests/mp_bench.py)
"""
import gzip
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "wasm", "tests", "mp_bench.py")
OURS_MJS = os.path.join(ROOT, "build", "wasm", "web", "micropython.mjs")
NPM_MJS = os.path.join(ROOT, "node_modules", "@micropython", "micropython-webassembly-pyscript",
                       "micropython.mjs")
RUNTIMES = [
    ("unix, ours (build/wasm/unix)", os.path.join(ROOT, "build", "wasm", "unix", "micropython"),
     lambda p: [p, BENCH]),
    ("unix, PyPI 1.28", os.path.join(ROOT, ".venv", "bin", "micropython"), lambda p: [p, BENCH]),
    ("WASM/Node, ours (build/wasm/web)", OURS_MJS,
     lambda p: ["node", os.path.join(ROOT, "wasm", "tests", "run_node.mjs"), "--mjs", p, BENCH]),
    ("WASM/Node, npm 1.28", NPM_MJS,
     lambda p: ["node", os.path.join(ROOT, "wasm", "tests", "run_node.mjs"), "--mjs", p, BENCH]),
]


def run(cmd):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError("no BENCH line: %s %s" % (p.stdout[-500:], p.stderr[-500:]))


def ratio(py, c):
    return "%6.1fx" % (py / c) if py and c else "     - "


def fmt(v):
    return "%9.3f" % v if v is not None else "        -"


def gz(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


def main():
    print("%-34s %28s   %28s" % ("", "spectral / window (ms)", "1000-window trees (ms)"))
    print("%-34s %9s %9s %8s   %9s %9s %8s" % ("runtime", "python", "C", "speedup",
                                              "python", "C", "speedup"))
    for label, path, cmd in RUNTIMES:
        if not os.path.exists(path):
            print("%-34s (absent: %s)" % (label, os.path.relpath(path, ROOT)))
            continue
        try:
            r = run(cmd(path))
        except Exception as e:  # report and go on with the other runtimes
            print("%-34s failed: %s" % (label, e))
            continue
        sp, sc = r.get("spectral_window_python_ms"), r.get("spectral_window_c_ms")
        tp, tc = r.get("trees_1000_python_ms"), r.get("trees_1000_c_ms")
        print("%-34s %s %s %s   %s %s %s" % (label, fmt(sp), fmt(sc), ratio(sp, sc),
                                            fmt(tp), fmt(tc), ratio(tp, tc)))
    print()
    for label, mjs in (("ours", OURS_MJS), ("npm ", NPM_MJS)):
        wasm = mjs[:-4] + ".wasm"
        if os.path.exists(mjs) and os.path.exists(wasm):
            a, b = gz(mjs), gz(wasm)
            print("gzipped size %s: .mjs %6d + .wasm %6d = %6d bytes  (raw %d + %d)"
                  % (label, a, b, a + b, os.path.getsize(mjs), os.path.getsize(wasm)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
