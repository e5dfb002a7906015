"""Runs of the simulated machine (device/hal/sim_machine.py) on a host, cut into windows as the
device cuts them: the one helper of the tests, the host tests and scripts/bench_anomaly.py
(CPython only; not in the firmware: the device's own loop is acquisition.py).
Memory: a run's samples (6 bytes a sample) and its windows (6 bytes x window each)."""
from array import array

from device.hal.sim_machine import SimMachine

RATE, WIN, HOP = 100, 128, 64                      # device/config.py DEFAULTS


def play(m, n, switches=(), severity=100):
    """n samples of machine m (x, y, z interleaved int16, read_into's layout) and, per sample,
    1 where a fault was on. switches: [(second, fault or None)], each set (with severity)
    just before the sample at that second."""
    rate = m._rate
    at = dict((int(s * rate), f) for s, f in switches)
    data = array("h", bytes(6 * n))
    on = bytearray(n)
    for k in range(n):
        if k in at:
            m.set_fault(at[k], severity)
        on[k] = 1 if m.fault else 0
        m.read_into(data, 3 * k)
    return data, on


def session(m, seconds, switches=(), severity=100, window=WIN, hop=HOP):
    """(windows, fault flags) of a run of m for seconds: channel-major int16 windows at hop as
    the device cuts them; a window's flag is 1 when the fault was on for all of it."""
    n = int(seconds * m._rate)
    data, on = play(m, n, switches, severity)
    ws, flags = [], []
    for s in range(0, n - window + 1, hop):
        w = array("h", bytes(6 * window))
        for c in range(3):
            w[c * window:(c + 1) * window] = data[3 * s + c:3 * (s + window) + c:3]
        ws.append(w)
        flags.append(1 if all(on[s:s + window]) else 0)
    return ws, flags


def windows(seed, seconds, switches=(), rate=RATE):
    """The windows alone of a run of a machine seeded seed."""
    return session(SimMachine(rate, seed=seed), seconds, switches)[0]
