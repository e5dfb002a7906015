#!/usr/bin/env python3
"""Window features from log-mel frames (shared.sound_features, 31 frames x 32 bands, ~1 s of
audio): microseconds per window and heap bytes allocated per window (all garbage: compute()
keeps nothing), from float dB frames and from the device's int16 0.01 dB codes. Prints
figures, not a test:
    build/wasm/unix/micropython -X heapsize=192k scripts/bench_sound_features.py
    .venv/bin/python scripts/bench_sound_features.py        (no heap figures on CPython)
Bytes: gc.mem_alloc() before and after one window with the collector disabled, after warm-up
(a MemoryError there says more than the free heap: run with a larger -X heapsize to see it) (64-bit unix build: a boxed float is one 32-byte block; 16 on the
32-bit ESP32)."""
import gc
import sys
from array import array

try:
    from time import ticks_us, ticks_diff
except ImportError:
    import time

    def ticks_us():
        return int(time.perf_counter() * 1e6)

    def ticks_diff(a, b):
        return a - b

sys.path.insert(0, __file__.rsplit("/", 2)[0] if __file__.count("/") >= 2 else ".")
from shared import sound_features as SF  # noqa: E402
from shared.compat import Rng  # noqa: E402


def main(n=200, n_alloc=1):
    fe = SF.SoundFeatures()
    rng = Rng(1)
    nv = fe.n_frames * fe.n_mels
    frames = array("f", bytes(4 * nv))
    codes = array("h", bytes(2 * nv))
    for i in range(nv):
        codes[i] = int(rng.uniform(-90.0, 10.0) * 100)
        frames[i] = codes[i] * 0.01
    out = fe.new_output()
    print("%d features, window %d frames x %d bands, %s" % (
        fe.n_features, fe.n_frames, fe.n_mels, sys.implementation.name))
    for name, src, scale in (("float dB", frames, 1.0), ("int16 codes", codes, 0.01)):
        fe.compute(src, out, scale)         # warm-up
        best = None
        for _ in range(3):
            gc.collect()
            t0 = ticks_us()
            for _ in range(n):
                fe.compute(src, out, scale)
            us = ticks_diff(ticks_us(), t0) / n
            best = us if best is None or us < best else best
        line = "%-12s %8.0f us per window (best of 3 x %d)" % (name, best, n)
        if hasattr(gc, "mem_alloc"):
            gc.collect()
            free = gc.mem_free()
            gc.disable()
            a = gc.mem_alloc()
            try:
                for _ in range(n_alloc):
                    fe.compute(src, out, scale)
                line += ", %8d bytes allocated per window" % ((gc.mem_alloc() - a) // n_alloc)
            except MemoryError:
                line += ", more than the %d bytes free allocated in %d windows" % (free, n_alloc)
            gc.enable()
            gc.collect()
        print(line)


main()
