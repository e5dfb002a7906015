#!/usr/bin/env python3
"""A replay file of the simulated rotating machine (device/hal/sim_machine.py) whose faults
switch on and off: the dataset CSV layout the page imports and the replay sensor plays,
"session,t,x,y,z,label", values in g, the label of every row = the machine's state then
("normal" or the fault: imbalance, bearing, looseness). A session recorded on a device
playing it gets those labels (device/recorder.py, labels_from "replay file"); the page's CSV
import gets them too. Each session is one continuous run of the machine (its own seed, speed
and load drifting) through the schedule, so a switch happens mid-run as on the device.

Usage: scripts/make_machine_csv.py OUT.csv [--rate 100] [--sessions 1] [--seed 1]
       [--schedule normal:20,imbalance:10,normal:10,bearing:10,normal:10,looseness:10]
       (schedule: state:seconds, comma-separated)
"""
import argparse
import os
import sys
from array import array

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from device.hal.sim_machine import CLASSES, SCALE, SimMachine  # noqa: E402

DEFAULT_SCHEDULE = "normal:20,imbalance:10,normal:10,bearing:10,normal:10,looseness:10"


def parse_schedule(text):
    out = []
    for part in text.split(","):
        name, _, secs = part.strip().partition(":")
        if name not in CLASSES:
            raise ValueError("state %r: one of %s" % (name, ", ".join(CLASSES)))
        out.append((name, float(secs)))
    return out


def rows(rate, schedule, seed):
    """(t, x, y, z in g, label) of one run through the schedule."""
    m = SimMachine(rate, seed=seed)
    buf = array("h", [0, 0, 0])
    k = 0
    for name, secs in schedule:
        m.set_fault(None if name == "normal" else name)
        for _ in range(int(secs * rate)):
            m.read_into(buf, 0)
            yield k / rate, buf[0] * SCALE, buf[1] * SCALE, buf[2] * SCALE, name
            k += 1


def write(path, rate=100, sessions=1, seed=1, schedule=DEFAULT_SCHEDULE):
    sched = parse_schedule(schedule) if isinstance(schedule, str) else schedule
    with open(path, "w") as f:
        f.write("session,t,x,y,z,label\n")
        for s in range(sessions):
            for t, x, y, z, lab in rows(rate, sched, seed + s):
                f.write("run-%d,%.4f,%.6f,%.6f,%.6f,%s\n" % (s, t, x, y, z, lab))
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--schedule", default=DEFAULT_SCHEDULE)
    a = ap.parse_args(argv)
    write(a.out, a.rate, a.sessions, a.seed, a.schedule)
    print(a.out)


if __name__ == "__main__":
    main()
