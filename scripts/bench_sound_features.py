#!/usr/bin/env python3
"""Window features from log-mel frames (shared.sound_features, 31 frames x 32 bands, ~1 s of
audio) in microseconds per window, from float dB frames and from the device's int16 0.01 dB
codes, and the heap a window leaves (not a test):
    build/wasm/unix/micropython scripts/bench_sound_features.py     (our unix build)
    .venv/bin/python scripts/bench_sound_features.py"""
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


def main(n=200):
    fe = SF.SoundFeatures()
    rng = Rng(1)
    nv = fe.n_frames * fe.n_mels
    frames = array("f", [rng.uniform(-90.0, 10.0) for _ in range(nv)])
    codes = array("h", [int(v * 100) for v in frames])
    out = fe.new_output()
    print("%d features, window %d frames x %d bands" % (fe.n_features, fe.n_frames, fe.n_mels))
    for name, src, scale in (("float dB", frames, 1.0), ("int16 codes", codes, 0.01)):
        fe.compute(src, out, scale)
        best = None
        for _ in range(3):
            gc.collect()
            t0 = ticks_us()
            for _ in range(n):
                fe.compute(src, out, scale)
            us = ticks_diff(ticks_us(), t0) / n
            best = us if best is None or us < best else best
        print("%-12s %8.0f us per window (best of 3 x %d)" % (name, best, n))
    try:
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        fe.compute(codes, out, 0.01)
        left = gc.mem_alloc() - a
        gc.enable()
        print("heap allocated by one window (boxed floats, garbage): %d bytes" % left)
    except AttributeError:
        pass


main()
