# The simulated machine's faults are what anomaly models can see, and its drift is not (CPython,
# no simulator): sessions of device/hal/sim_machine.py (each its own seed: speed and load drift
# differently), windows as the device cuts them at its default rate/window/hop, the
# classifiers' features (shared.anomaly.feature_table), envelope and gmm fitted on normal
# sessions only (shared.anomaly.fit). Held-out normal sessions are flagged at about the
# contamination rate, not more; every fault separates from them (ROC AUC > 0.9); and a machine
# outside the normal drift (running 20 % fast) is flagged, so the normal check is not vacuous.
# Also: read_into writes the same integers on every call pattern (seeded), set_fault refuses
# unknown names, truth() reports the switches.
from array import array

import pytest

from device.hal.sim_machine import FAULTS, SCALE, SimMachine
from device.tests import machinekit as MK
from shared import anomaly

RATE, WIN, HOP = 100, 128, 64          # device/config.py DEFAULTS
WINDOW = {"rate": RATE, "window": WIN, "channels": 3}
CONTAMINATION = 0.02


def windows(seed, seconds, fault=None, speed=None):
    """Channel-major int16 windows of one run of the machine (fault on from the start)."""
    m = SimMachine(RATE, seed=seed)
    if speed is not None:
        m._inc0 = int(m._inc0 * speed)
    return MK.session(m, seconds, ((0, fault),) if fault else ())[0]


def features(ws):
    return anomaly.feature_table(ws, WINDOW, [SCALE] * len(ws))[0]


def auc(neg, pos):
    """ROC AUC = P(score of a fault window > score of a normal one), ties half."""
    allv = sorted([(v, 0) for v in neg] + [(v, 1) for v in pos])
    rank, i, pos_ranks = 1, 0, 0.0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        r = (rank + rank + j - i - 1) / 2
        pos_ranks += r * sum(1 for k in range(i, j) if allv[k][1])
        rank += j - i
        i = j
    n1, n0 = len(pos), len(neg)
    return (pos_ranks - n1 * (n1 + 1) / 2) / (n1 * n0)


@pytest.fixture(scope="module")
def data():
    train = []
    for s in range(1, 7):                       # 6 normal sessions of 90 s
        train += windows(1000 + s, 90)
    held = [features(windows(2000 + s, 90)) for s in range(4)]
    faults = {f: features(windows(3000 + i, 30, f)) for i, f in enumerate(FAULTS)}
    fast = features(windows(4000, 30, speed=1.2))
    return features(train), held, faults, fast


@pytest.mark.parametrize("kind", ["envelope", "gmm"])
def test_faults_separate_from_drifting_normal_and_normal_is_not_flagged(data, kind):
    X, held, faults, fast = data
    d = anomaly.feature_table(windows(1, 2), WINDOW, [SCALE] * 2)[1]
    m = anomaly.fit(X, d, kind, contamination=CONTAMINATION)

    def scores(F):
        out = array("f", bytes(4 * (len(F) // d)))
        m.score_rows(F, out)
        return list(out)
    normal = [scores(F) for F in held]
    rates = [sum(v > m.threshold for v in s) / len(s) for s in normal]
    pooled = sum(sum(v > m.threshold for v in s) for s in normal) / sum(map(len, normal))
    print("\n%s: held-out normal flagged %s (pooled %.3f, contamination %.2f)"
          % (kind, ["%.3f" % r for r in rates], pooled, CONTAMINATION))
    assert pooled <= 2.5 * CONTAMINATION and max(rates) <= 0.1, rates
    flat = [v for s in normal for v in s]
    for f in FAULTS:
        sf = scores(faults[f])
        a = auc(flat, sf)
        hit = sum(v > m.threshold for v in sf) / len(sf)
        print("  %-10s ROC AUC %.3f, flagged %.2f" % (f, a, hit))
        assert a > 0.9 and hit > 0.5, (f, a, hit)
    # a machine outside the normal drift is flagged: the normal check above can fail
    hit = sum(v > m.threshold for v in scores(fast)) / (len(fast) // d)
    print("  20 %% fast: flagged %.2f" % hit)
    assert hit > 0.5


def test_seeded_faults_truth_and_bad_names():
    a, b = SimMachine(RATE, seed=3), SimMachine(RATE, seed=3)
    c = SimMachine(RATE, seed=4)
    ba, bb, bc = array("h", bytes(6)), array("h", bytes(6 * 3)), array("h", bytes(6))
    same = diff = 0
    for k in range(500):
        a.read_into(ba, 0)
        b.read_into(bb, 3)
        c.read_into(bc, 0)
        same += list(ba) == list(bb[3:6])
        diff += list(ba) != list(bc)
    assert same == 500 and diff > 400
    with pytest.raises(ValueError, match="unknown fault 'rust'"):
        a.set_fault("rust")
    assert a.fault is None
    a.set_fault("bearing")
    for _ in range(100):
        a.read_into(ba, 0)
    a.set_fault(None)
    assert a.truth(450, 200) == [(0, 50, "normal"), (50, 150, "bearing"), (150, 200, "normal")]
    assert a.truth(0, 10) == [(0, 10, "normal")]


_MP_SCRIPT = r"""
import binascii, gc, json
from array import array
from hal.sim_machine import SimMachine, FAULTS
out = {}
for f in (None,) + FAULTS:
    m = SimMachine(100, seed=9)
    m.set_fault(f)
    buf = array("h", bytes(6 * 3000))
    for k in range(100):
        m.read_into(buf, 3 * k)
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for k in range(100, 3000):
        m.read_into(buf, 3 * k)
    used = gc.mem_alloc() - a
    gc.enable()
    out[str(f)] = [used, binascii.crc32(buf)]
print(json.dumps(out))
"""


def test_micropython_writes_the_same_samples_and_allocates_nothing():
    # the device's interpreter (its .mpy lib) against CPython: same integers for every fault,
    # and read_into allocates nothing there (the collector off while it runs)
    import binascii
    import json
    import subprocess
    from device.tests.simdev import ROOT
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "micropython"), "-X", "heapsize=192k",
                        "-c", _MP_SCRIPT], capture_output=True, text=True, timeout=60,
                       env={"MICROPYPATH": ".frozen:" + str(ROOT / "build" / "fw" / "lib")})
    assert r.returncode == 0, r.stderr + r.stdout
    out = json.loads(r.stdout)
    for f in (None,) + FAULTS:
        buf = MK.play(SimMachine(100, seed=9), 3000, ((0, f),))[0]
        used, crc = out[str(f)]
        assert used == 0, (f, used)
        assert crc == binascii.crc32(buf), f


def test_fault_severity_scales_the_fault_only():
    def run(fault, severity=None):
        m = SimMachine(RATE, seed=5)
        if severity is None:
            m.set_fault(fault)
        else:
            m.set_fault(fault, severity)
        data = array("h", bytes(6 * 2000))
        for k in range(2000):
            m.read_into(data, 3 * k)
        return data

    def energy(a, b):
        return sum((a[i] - b[i]) ** 2 for i in range(len(a)))

    normal = run(None)
    assert run(None, 25) == normal                       # no fault: severity changes nothing
    for f in FAULTS:
        assert run(f, 100) == run(f)                     # 100 % is the standard fault
        small, big = energy(run(f, 25), normal), energy(run(f, 100), normal)
        assert 0 < small < 0.3 * big, (f, small, big)
    with pytest.raises(ValueError):
        SimMachine(RATE).set_fault("imbalance", 0)
