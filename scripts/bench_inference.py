#!/usr/bin/env python3
"""Device-side inference benchmark (not a test). Prints:
1. per-window time of features + quantisation + prediction, in-process on MicroPython
   (-X heapsize=192k, the firmware's .mpy modules from build/fw/lib, the device's model_store
   loader): our unix build (emlearn_fft + emlearn_trees C modules) and the PyPI interpreter
   (pure Python), for a trained 10-tree model and a big 4000-node one; heap free after loading
   the model and classifying;
2. the heap high-water mark of the running simulator while it streams to 2 WebSocket clients
   and classifies every window with a model loaded (status mem_free_min after ~10 s).
Usage: .venv/bin/python scripts/bench_inference.py [--seconds 10]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_MP_SCRIPT = r"""
import gc, sys, time, asyncio
from array import array
gc.collect()
free0 = gc.mem_free()
import model_store
from hal.sim_accel import SimAccel
from shared.features import FeatureExtractor
store = model_store.Store(DATA, IMPL)
asyncio.run(store.boot())
m = store.current
fe = FeatureExtractor(3, 128, 100)
feat = fe.new_output()
q = array("h", [0] * m.n_features)
scores = array("f", [0.0] * m.n_classes)
s = SimAccel(100, "walking", seed=3)
buf = array("h", [0, 0, 0])
win = array("h", [0] * 384)
for i in range(128):
    s.read_into(buf, 0)
    for c in range(3):
        win[c * 128 + i] = buf[c]
tf, tq, tp = [], [], []
for r in range(N):
    t0 = time.ticks_us()
    fe.compute(win, feat, 1 / 4096)
    t1 = time.ticks_us()
    m.quant.quantize_into(feat, q)
    t2 = time.ticks_us()
    m.predict(q, scores)
    t3 = time.ticks_us()
    tf.append(time.ticks_diff(t1, t0)); tq.append(time.ticks_diff(t2, t1)); tp.append(time.ticks_diff(t3, t2))
def med(a):
    a = sorted(a)
    return a[len(a) // 2]
gc.collect()
print("RESULT", {"impl": m.impl, "fft": fe.fft_impl, "nodes": m.nodes, "trees": m.trees,
       "features_us": med(tf), "quant_us": med(tq), "predict_us": med(tp),
       "total_us": med(tf) + med(tq) + med(tp),
       "heap_free_at_start": free0, "heap_free_after": gc.mem_free()})
"""


def run_mp(interp, data, impl, n):
    code = ("DATA = %r\nIMPL = %r\nN = %d\n" % (str(data), impl, n)) + _MP_SCRIPT
    env = dict(os.environ, MICROPYPATH=".frozen:" + str(ROOT / "build" / "fw" / "lib"))
    r = subprocess.run([str(interp), "-X", "heapsize=192k", "-c", code], env=env,
                       capture_output=True, text=True, timeout=300)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return eval(line[7:])   # a dict literal printed by MicroPython
    return {"error": (r.stdout + r.stderr)[-500:]}


def streaming(model_text, seconds):
    from device.tests.simdev import SimDevice
    with tempfile.TemporaryDirectory() as d:
        dev = SimDevice(Path(d) / "dev").start()
        try:
            st, _, body = dev.request("PUT", "/api/model", model_text,
                                      {"Authorization": "Bearer " + dev.token})
            assert st == 200, body
            before = dev.json("GET", "/api/status")[1]
            clients = [dev.ws(), dev.ws()]
            t_end = time.monotonic() + seconds
            n_pred = 0
            while time.monotonic() < t_end:
                for c in clients:
                    op, data = c.recv()
                    if op == 1 and b'"prediction"' in data:
                        n_pred += 1
            s = dev.json("GET", "/api/status")[1]
            for c in clients:
                c.close()
            return {"interpreter": Path(dev_interp()).name + " (" + str(dev_interp()) + ")",
                    "mem_free_idle_with_model": before["mem_free"],
                    "mem_free_min_streaming": s["mem_free_min"], "mem_free_now": s["mem_free"],
                    "windows": s["windows"], "inference_classified": s["inference_classified"],
                    "inference_skipped": s["inference_skipped"],
                    "inference_ms_last": s["inference_ms"], "inference_ms_max": s["inference_ms_max"],
                    "dropped": s["dropped"], "predictions_seen_by_2_clients": n_pred}
        finally:
            dev.stop()


def dev_interp():
    sys.path.insert(0, str(ROOT / "scripts"))
    import sim
    return sim.interpreter()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("-n", type=int, default=50, help="windows per in-process measurement")
    args = ap.parse_args()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_fw.py"), "--lib-only"],
                   check=True, stdout=subprocess.DEVNULL)
    from device.tests import models as M
    small = M.trained(n_trees=10, max_depth=12, per_class=24)
    big = M.big(4000)
    interps = [("our unix build (C modules)", ROOT / "build" / "wasm" / "unix" / "micropython",
                ("auto", "python")),
               ("PyPI micropython (pure Python)", ROOT / ".venv" / "bin" / "micropython",
                ("auto",))]
    print("per-window time, median of %d windows (3 x 128 samples, 52 features):" % args.n)
    for label, model in (("trained 10 trees", small), ("big 4000 nodes", big)):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "model.csv").write_text(model["text"])
            for name, interp, impls in interps:
                if not interp.exists():
                    print("  %s: missing %s" % (name, interp))
                    continue
                for impl in impls:
                    r = run_mp(interp, d, impl, args.n)
                    print("  %-17s %-32s trees=%-6s %s" % (label, name, impl, json.dumps(r)))
    print("simulator heap while streaming to 2 clients + classifying (%.0f s, trained model):"
          % args.seconds)
    print("  " + json.dumps(streaming(small["text"], args.seconds)))


if __name__ == "__main__":
    main()
