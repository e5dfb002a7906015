#!/usr/bin/env python3
"""Per-window feature extraction time (3 channels x 128 samples, median of 21 samples
of 10 windows each) on each
runtime we have: CPython, MicroPython unix (PyPI and our build), MicroPython-WASM under Node
(our build and the npm one); each FFT path the runtime offers. Not a test.
Usage: .venv/bin/python scripts/bench_features.py
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

NPM_MJS = "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs"
MP_SNIPPET = ("import sys\nsys.path.insert(0, '.')\n"
              "from shared.tests import bench_features\nbench_features.main()\n")
RUNNERS = [
    ("MicroPython unix (PyPI)", ".venv/bin/micropython",
     [".venv/bin/micropython", "-c", MP_SNIPPET]),
    ("MicroPython unix (ours)", "build/wasm/unix/micropython",
     ["build/wasm/unix/micropython", "-c", MP_SNIPPET]),
    ("MicroPython-WASM Node (ours)", "build/wasm/web/micropython.mjs",
     ["node", "shared/tests/wasm_run.mjs", "--bench", "--mjs", "build/wasm/web/micropython.mjs"]),
    ("MicroPython-WASM Node (npm)", NPM_MJS,
     ["node", "shared/tests/wasm_run.mjs", "--bench", "--mjs", NPM_MJS]),
]


def show(label, rows):
    for r in rows:
        print("%-30s fft=%-6s median %8.3f ms  (min %.3f, %d windows, %d features)"
              % (label, r["fft"], r["median_ms"], r["min_ms"], r["runs"], r["features"]))


def main():
    from shared.tests import bench_features
    show("CPython %s" % sys.version.split()[0], bench_features.main(report=lambda line: None))
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    for label, exe, cmd in RUNNERS:
        if not os.path.exists(os.path.join(ROOT, exe)):
            print("%-30s skipped: %s not built" % (label, exe))
            continue
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        if not rows:
            print("%-30s failed: %s" % (label, (p.stdout + p.stderr).strip()[-300:]))
        show(label, rows)


if __name__ == "__main__":
    main()
