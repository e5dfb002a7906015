#!/usr/bin/env python3
"""Log-mel frames and regression-tree estimates, our C bindings against the pure-Python paths,
in one run of one interpreter (not a test). Figures in microseconds per frame / per estimate:
    build/wasm/unix/micropython scripts/bench_mel.py      (our unix build: C and Python)
    build/fw/micropython scripts/bench_mel.py                (the firmware image)
    .venv/bin/micropython scripts/bench_mel.py            (PyPI unix: Python only)
Mel: shared.mel.MelFrames (16 kHz, 512-point frames, 32 bands): impl "c" =
emlearn_melspectrogram, "python" with the C FFT (emlearn_fft) and with the Python FFT.
Regression: a 10-tree extra-trees model on 11 spectral bands (shared.tests.synth.spectra),
shared.regress.predictor "c" (emlearn_trees, eml_trees_regress) vs RegressionModel.predict.
A 32 ms hop means 31.25 frames per second of audio: the last column is the CPU share of that."""
import gc
import math
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
from shared import features, mel, regress  # noqa: E402
from shared.tests import synth  # noqa: E402


def _time(fn, n):
    fn()
    gc.collect()
    t0 = ticks_us()
    for _ in range(n):
        fn()
    return ticks_diff(ticks_us(), t0) / n


def bench_mel(n=200):
    x = array("f", [0.3 * math.sin(2 * math.pi * 1000.0 * i / 16000.0) + 0.01 * ((i * 7919) % 97 - 48)
                    for i in range(mel.N_FFT)])
    out = array("f", bytes(4 * mel.N_MELS))
    rows = []
    paths = [("c", "c")] if "c" in mel.impls() else []
    paths += [("python", f) for f in reversed(features.fft_impls())]
    for impl, fft in paths:
        gc.collect()
        free0 = gc.mem_free() if hasattr(gc, "mem_free") else None
        mf = mel.MelFrames(impl=impl, fft=fft)
        gc.collect()
        held = free0 - gc.mem_free() if free0 is not None else None
        us = _time(lambda: mf.compute(x, out), n if impl == "c" else max(10, n // 10))
        rows.append((impl, fft, us, held))
        mf = None           # so the next row's heap figure starts without this one
    return rows


def bench_regress(n=2000):
    X, y, _ = synth.spectra([k / 10 for k in range(10)], 2, 6, noise=3000, drift=0.3)
    m = regress.Regressor(X, y, 11, n_trees=10, method="extra", max_depth=10, seed=3).fit()
    x = X[0:11]
    rows = []
    for impl in ("c", "python"):
        try:
            p, got = regress.predictor(m, impl)
        except ImportError:
            continue
        rows.append((got, _time(lambda: p.predict(x), n if got == "c" else n // 10)))
    return rows, m


def main():
    impl = sys.implementation
    print("runtime: %s %s %s" % (impl.name, sys.platform, sys.version.split()[0]))
    print("mel frame (512 samples -> 32 bands):")
    base = None
    for impl_, fft, us, held in bench_mel():
        base = us if base is None else base
        print("  %-6s fft=%-6s %8.1f us/frame  %5.2f %% of real time  x%.1f  heap held %s"
              % (impl_, fft, us, 100.0 * us * 31.25 / 1e6, us / base,
                 "%d B" % held if held is not None else "-"))
    rows, m = bench_regress()
    print("regression estimate (10 trees, %d nodes, %d leaves, 11 features):"
          % (m.n_nodes, len(m.leaves)))
    base = None
    for got, us in rows:
        base = us if base is None else base
        print("  %-6s %8.2f us/estimate  x%.1f" % (got, us, us / base))


main()
