#!/usr/bin/env python3
"""Our emlearn C modules vs pure Python, side by side in one run, on every MicroPython we have:
our unix build, our WASM build under Node, and (pure Python only) the PyPI unix interpreter and
the npm WASM build. Rows (all the project's own shared/ code): spectral
features of one 3 x 128 window (FFT + band energies), all features of one window, and
1000-vector batch prediction with a 10-tree model trained by shared.trainer. Then gzipped .mjs + .wasm sizes, ours vs npm.
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
# shared/ goes into the WASM interpreter's in-memory FS (the unix builds read it from the checkout)
SHARED = ["--file=%s:/shared/%s" % (os.path.join(ROOT, "shared", f), f)
          for f in sorted(os.listdir(os.path.join(ROOT, "shared"))) if f.endswith(".py")]
RUNTIMES = [
    ("unix, ours (build/wasm/unix)", os.path.join(ROOT, "build", "wasm", "unix", "micropython"),
     lambda p: [p, BENCH]),
    ("unix, PyPI 1.28", os.path.join(ROOT, ".venv", "bin", "micropython"), lambda p: [p, BENCH]),
    ("WASM/Node, ours (build/wasm/web)", OURS_MJS,
     lambda p: ["node", os.path.join(ROOT, "wasm", "tests", "run_node.mjs"), "--mjs", p]
     + [a for f in SHARED for a in ("--file", f.split("=", 1)[1])] + [BENCH]),
    ("WASM/Node, npm 1.28", NPM_MJS,
     lambda p: ["node", os.path.join(ROOT, "wasm", "tests", "run_node.mjs"), "--mjs", p]
     + [a for f in SHARED for a in ("--file", f.split("=", 1)[1])] + [BENCH]),
]


def run(cmd):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError("no BENCH line: %s %s" % (p.stdout[-500:], p.stderr[-500:]))


def ratio(py, c):
    return "%7.1fx" % (py / c) if py and c else "      - "


def fmt(v):
    return "%8.3f" % v if v is not None else "       -"


def gz(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


def main():
    groups = (("spectral", "spectral / window (ms)"), ("features", "all features / window"),
              ("trees_1000", "1000 predictions (ms)"))
    print("%-34s" % "" + "".join("   %-27s" % g[1] for g in groups))
    print("%-34s" % "runtime" + "   %8s %8s %8s" % ("python", "C", "speedup") * len(groups))
    for label, path, cmd in RUNTIMES:
        if not os.path.exists(path):
            print("%-34s (absent: %s)" % (label, os.path.relpath(path, ROOT)))
            continue
        try:
            r = run(cmd(path))
        except Exception as e:  # report and go on with the other runtimes
            print("%-34s failed: %s" % (label, e))
            continue
        row = "%-34s" % label
        for key, _ in groups:
            suffix = "_window" if key != "trees_1000" else ""
            py, c = r.get("%s%s_python_ms" % (key, suffix)), r.get("%s%s_c_ms" % (key, suffix))
            row += "   %s %s %s" % (fmt(py), fmt(c), ratio(py, c))
        print(row)
    if "trees" in r:
        print("model: %(trees)d trees, %(nodes)d nodes, %(features)d features" % r["trees"])
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
