# Feature-extraction benchmark body, run unchanged on CPython, MicroPython and WASM (driven by
# scripts/bench_features.py): time per 3x128 window for each FFT path, one JSON line each.
# Each sample times BATCH windows (the WASM clock ticks in whole ms); median of RUNS samples.
# Memory: one extractor, one window and one output array per FFT path.
import sys
from array import array

try:
    import ujson as json
except ImportError:
    import json

from shared import features as F
from shared.compat import Rng

try:
    from time import ticks_us, ticks_diff

    def _us():
        return ticks_us()

    def _since(t0):
        return ticks_diff(ticks_us(), t0)
except ImportError:
    from time import perf_counter

    def _us():
        return perf_counter()

    def _since(t0):
        return (perf_counter() - t0) * 1e6

N_CH, N, RATE, RUNS, BATCH = 3, 128, 50, 21, 10


def main(report=print, runs=RUNS):
    rng = Rng(5)
    window = array("h", [rng.randint(-4000, 4000) for _ in range(N_CH * N)])
    results = []
    for impl in F.fft_impls():
        fe = F.FeatureExtractor(N_CH, N, RATE, fft=impl)
        out = fe.new_output()
        fe.compute(window, out, 1.0 / 512)   # warm-up
        times = []
        for _ in range(runs):
            t0 = _us()
            for _ in range(BATCH):
                fe.compute(window, out, 1.0 / 512)
            times.append(_since(t0) / BATCH)
        times.sort()
        r = {"runtime": "%s-%s" % (sys.implementation.name, sys.platform), "fft": impl,
             "median_ms": round(times[len(times) // 2] / 1000.0, 3),
             "min_ms": round(times[0] / 1000.0, 3), "runs": runs * BATCH,
             "features": fe.n_features}
        report(json.dumps(r))
        results.append(r)
    return results


if __name__ == "__main__":
    main()
