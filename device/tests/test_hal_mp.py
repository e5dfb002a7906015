# HAL sensors in-process on the real MicroPython unix interpreter (no sockets): the simulated
# accelerometer is deterministic per seed and its activities differ clearly; replay streams.
import json
import subprocess

from device.tests.simdev import ROOT

_MP = ROOT / ".venv" / "bin" / "micropython"

_SCRIPT = r"""
import json, math
from array import array
from hal.sim_accel import SimAccel, ACTIVITIES
buf = array('h', [0, 0, 0])
out = {"activities": list(ACTIVITIES)}
for act in ACTIVITIES:
    s = SimAccel(100, act, seed=7)
    mags = []
    for i in range(400):
        s.read_into(buf, 0)
        mags.append(math.sqrt(sum((v / 4096) ** 2 for v in buf)))
    m = sum(mags) / len(mags)
    out[act] = [m, math.sqrt(sum((x - m) ** 2 for x in mags) / len(mags)), list(buf)]
a, b = SimAccel(100, "walking", seed=3), SimAccel(100, "walking", seed=3)
same = True
for i in range(200):
    a.read_into(buf, 0); x = list(buf); b.read_into(buf, 0)
    same = same and x == list(buf)
out["deterministic"] = same
try:
    a.set_activity("flying")
except ValueError as e:
    out["bad"] = str(e)
print(json.dumps(out))
"""


def _run(script):
    r = subprocess.run([str(_MP), "-X", "heapsize=192k", "-c", script], capture_output=True,
                       text=True, timeout=30,
                       env={"MICROPYPATH": ".frozen:" + str(ROOT / "build" / "fw" / "lib")})
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(r.stdout)


def test_sim_accel_activities_differ_and_are_seeded():
    out = _run(_SCRIPT)
    assert set(out["activities"]) == {"idle", "walking", "running", "shaking"}
    std = {a: out[a][1] for a in out["activities"]}
    assert 0.95 < out["idle"][0] < 1.05 and std["idle"] < 0.01     # lying still: 1 g
    assert std["idle"] < std["walking"] < std["running"]
    assert std["shaking"] > 1.5 * std["walking"]
    assert out["deterministic"] is True
    assert "flying" in out["bad"] and "walking" in out["bad"]
