# inference.Inference in-process on the real MicroPython unix interpreter (PyPI build: pure
# Python FFT and trees): windows arriving faster than they are classified are skipped and
# counted, only the newest waiting window is classified, and no window buffer is reallocated.
import json
import subprocess

from device.tests import models as M
from device.tests.simdev import ROOT

_MP = ROOT / ".venv" / "bin" / "micropython"

_SCRIPT = r"""
import asyncio, json, gc
from array import array
import model_store
from inference import Inference

class Sensor:
    channels = ("x", "y", "z")
    scale = 1 / 4096
class Framer:
    samples = array("h", [(i * 37) % 2000 - 1000 for i in range(384)])
class Acq:
    framer = Framer()
    sensor = Sensor()
    cfg = {"window": 128}
    def rate(self):
        return 100

store = model_store.Store(DATA, "python")
sent = []
inf = Inference(Acq(), store, sent.append)
inf.notify(1)                    # no model: ignored
out = {"no_model": inf.skipped + inf.classified}
asyncio.run(store.boot())
task = None
async def main():
    t = asyncio.create_task(inf.run())
    inf.notify(10); inf.notify(11); inf.notify(12)     # faster than the task runs
    buf = inf._next
    await asyncio.sleep_ms(20)
    out["after_burst"] = [inf.skipped, inf.classified, [m["seq"] for m in sent]]
    inf.notify(13)
    await asyncio.sleep_ms(20)
    out["same_buffers"] = inf.window is buf or inf._next is buf
    out["last"] = sent[-1]
    out["status"] = inf.status()
    t.cancel()
asyncio.run(main())
print(json.dumps(out))
"""


def test_inference_skips_windows_it_cannot_keep_up_with(tmp_path):
    good = M.trained(n_trees=3, seed=4)
    (tmp_path / "model.csv").write_text(good["text"])
    r = subprocess.run([str(_MP), "-X", "heapsize=192k", "-c",
                        "DATA = %r\n" % str(tmp_path) + _SCRIPT],
                       capture_output=True, text=True, timeout=60,
                       env={"MICROPYPATH": ".frozen:" + str(ROOT / "build" / "fw" / "lib")})
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["no_model"] == 0
    assert out["after_burst"] == [2, 1, [12]]        # 10 and 11 skipped, the newest classified
    assert out["same_buffers"] is True
    last = out["last"]
    assert last["seq"] == 13 and last["hash"] == good["hash"] and last["class"] in M.CLASSES
    st = out["status"]
    assert st["inference_skipped"] == 2 and st["inference_classified"] == 2
    assert st["model_hash"] == good["hash"] and st["prediction"]["seq"] == 13


_SAME = r"""
import asyncio, json
from array import array
import model_store
from inference import Inference
from hal.sim_accel import SimAccel

class Framer:
    samples = array("h", [0] * 384)
class Acq:
    framer = Framer()
    sensor = SimAccel(100, "idle", seed=9)
    cfg = {"window": 128}
    def rate(self):
        return 100

store = model_store.Store(DATA, "python")
sent = []
acq = Acq()
inf = Inference(acq, store, sent.append)
windows = []
async def main():
    await store.boot()
    t = asyncio.create_task(inf.run())
    buf = array("h", [0, 0, 0])
    seq = 0
    for act in ("idle", "walking", "running", "shaking"):
        acq.sensor.set_activity(act)
        for w in range(4):
            for i in range(128):
                acq.sensor.read_into(buf, 0)
                for c in range(3):
                    acq.framer.samples[c * 128 + i] = buf[c]
            print("W", json.dumps(list(acq.framer.samples)))
            inf.notify(seq)
            seq += 1
            await asyncio.sleep_ms(5)
    t.cancel()
asyncio.run(main())
print(json.dumps({"pred": [[m["seq"], m["raw"]] for m in sent],
                  "skipped": inf.skipped, "impl": store.current.impl}))
"""


def test_pure_python_device_classes_equal_cpython_window_by_window(tmp_path):
    # The PyPI interpreter has no C modules: FFT and trees are the shared/ Python code on
    # MicroPython; CPython classifies the same windows with the same model and code.
    from array import array
    from shared import pipeline as P
    good = M.trained(n_trees=5, seed=1)
    (tmp_path / "model.csv").write_text(good["text"])
    # 256k, not the device's 192k: here the device and shared modules are .mpy files loaded
    # into the heap (93 KB of it for this script's imports); on the device they are frozen
    # and cost no heap (the simulator's heap tests measure that). At 192k the pure-Python
    # model load failed once the spectral feature set grew shared/features.
    r = subprocess.run([str(_MP), "-X", "heapsize=256k", "-c",
                        "DATA = %r\n" % str(tmp_path) + _SAME],
                       capture_output=True, text=True, timeout=120,
                       env={"MICROPYPATH": ".frozen:" + str(ROOT / "build" / "fw" / "lib")})
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout.splitlines()[-1])
    out["windows"] = [json.loads(line[2:]) for line in r.stdout.splitlines()
                      if line.startswith("W ")]
    assert out["impl"] == "python" and out["skipped"] == 0 and len(out["pred"]) == 16
    clf = P.Classifier(good["model"], fft="python")
    classes = set()
    for seq, raw in out["pred"]:
        want = clf.classify(array("h", out["windows"][seq]), 1 / 4096)
        assert raw == want, (seq, raw, want)
        classes.add(want)
    assert len(classes) >= 3
