#!/usr/bin/env python3
"""Labelled recordings as another tool would export them, for tests and demos: an IMU with 6
channels (ax, ay, az in m/s^2, gx, gy, gz in deg/s: a peak of several hundred, unlike the
simulator's 3 channels in g) at 10 Hz, in cases of 10 s of one activity each (idle, walking,
running, cycling), in the dataset CSV layout the page imports and the replay sensor plays:
"session,t,<channel>...,label". Every case has its own placement (gravity direction), pace and
intensity, so sessions differ as real ones do. Two files with other seeds: train and test.

Usage: scripts/make_activity_csv.py OUT_DIR [--cases 40] [--seconds 10] [--rate 10]
       [--seed 1] [--gain 1.0]     (writes OUT_DIR/train.csv and OUT_DIR/test.csv)
"""
import argparse
import math
import os
import random

CHANNELS = ("ax", "ay", "az", "gx", "gy", "gz")
ACTIVITIES = ("idle", "walking", "running", "cycling")
# per activity: step frequency (Hz), acceleration amplitude (m/s^2), rotation amplitude (deg/s)
_KIND = {"idle": (0.3, 0.05, 2.0), "walking": (1.8, 2.5, 60.0), "running": (2.4, 4.5, 110.0),
         "cycling": (1.2, 0.8, 250.0)}


def case(rng, activity, n, rate, gain):
    """n rows of one case: (ax, ay, az, gx, gy, gz) tuples."""
    f0, acc, rot = _KIND[activity]
    f = f0 * rng.uniform(0.8, 1.2)
    acc *= rng.uniform(0.6, 1.4) * gain
    rot *= rng.uniform(0.6, 1.4) * gain
    # placement: gravity along a random direction near -z (the device lies or hangs a bit
    # differently in every recording)
    tilt, turn = rng.uniform(0, 0.6), rng.uniform(0, 2 * math.pi)
    g = (9.81 * math.sin(tilt) * math.cos(turn), 9.81 * math.sin(tilt) * math.sin(turn),
         9.81 * math.cos(tilt))
    ph = [rng.uniform(0, 2 * math.pi) for _ in range(6)]
    rows = []
    for k in range(n):
        t = k / rate
        w = 2 * math.pi * f * t
        a = (acc * 0.5 * math.sin(w / 2 + ph[0]), acc * 0.4 * math.sin(w + ph[1]),
             acc * math.sin(w + ph[2]) + acc * 0.3 * math.sin(2 * w + ph[3]))
        r = (rot * math.sin(w + ph[3]), rot * 0.6 * math.sin(w + ph[4]),
             rot * 0.3 * math.sin(w / 2 + ph[5]))
        noise_a, noise_r = 0.05 + 0.05 * acc, 1.0 + 0.05 * rot
        rows.append(tuple(g[c] + a[c] + rng.gauss(0, noise_a) for c in range(3)) +
                    tuple(r[c] + rng.gauss(0, noise_r) for c in range(3)))
    return rows


def write(path, prefix, cases, seconds, rate, seed, gain):
    rng = random.Random(seed)
    n = int(seconds * rate)
    with open(path, "w") as f:
        f.write("session,t,%s,label\n" % ",".join(CHANNELS))
        for i in range(cases):
            act = ACTIVITIES[i % len(ACTIVITIES)]
            for k, row in enumerate(case(rng, act, n, rate, gain)):
                f.write("%s-%d,%.4f,%s,%s\n" % (prefix, i, k / rate,
                                                ",".join("%.4f" % v for v in row), act))
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gain", type=float, default=1.0, help="scales every amplitude (peak)")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    for name, seed in (("train", a.seed), ("test", a.seed + 1000)):
        p = write(os.path.join(a.out, name + ".csv"), name, a.cases, a.seconds, a.rate,
                  seed, a.gain)
        print(p)


if __name__ == "__main__":
    main()
