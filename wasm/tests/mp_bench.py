# motebook: our emlearn C modules against the pure-Python path of shared/, inside one
# MicroPython (run by scripts/bench_wasm.py in the unix build and the WASM build under Node).
# Every row runs the project's own code: shared.features (FFT path "python" vs "c") and the
# golden model through shared.model's predictor vs emlearn_trees. Rows:
#  - spectral features of one 3 x 128 window (4 axes incl. magnitude: FFT + band energies)
#  - all features of one window (statistics + spectral)
#  - batch prediction of 1000 quantised feature vectors with a 10-tree model trained here by
#    shared.trainer (extra trees, depth <= 10, on noisy synthetic data so the trees are full)
# Prints one line "BENCH {json}" (ms; the WASM clock ticks in whole ms, hence repetitions).
import sys
import time
from array import array

for p in (".", "/"):
    if p not in sys.path:
        sys.path.insert(0, p)

try:
    import json
except ImportError:
    import ujson as json

from shared import features as F
from shared import modelformat as MF
from shared.compat import Rng
from shared.quant import Quantizer
from shared.trainer import train

N_CH, N, RATE = 3, 128, 50
N_FEATURES, N_CLASSES = 52, 4


def _time_ms(fn, reps):
    t0 = time.ticks_us()
    for _ in range(reps):
        fn()
    return time.ticks_diff(time.ticks_us(), t0) / 1000.0 / reps


def _axes(fe, window, scale):
    # each axis (channels, then the magnitude) as a float array, centred (the FFT input)
    n = fe.n_samples
    nch = fe.n_channels
    out = []
    for a in range(fe.n_axes):
        src = [window[a * n + i] * scale for i in range(n)] if a < nch \
            else [sum(window[c * n + i] ** 2 for c in range(nch)) ** 0.5 * scale
                  for i in range(n)]
        m = sum(src) / n
        out.append(array("f", [v - m for v in src]))
    return out


def _spectral(fe, axes, zeros):
    # the spectral features of every axis: FFT + band energies (the buffers are refilled
    # with C-speed slice copies, so the row measures the FFT path, not a Python loop)
    out = fe.new_output()
    nst = len(F.STATS)
    for a in range(fe.n_axes):
        fe._re[:] = axes[a]
        fe._im[:] = zeros
        fe.fft.run(fe._re, fe._im)
        F._bands(fe._rev, fe._im, fe.fft_n // 2, fe._bins, 1.0, fe._nn, out, a * fe.per_axis + nst)
    return out


def bench_features(result):
    rng = Rng(5)
    window = array("h", [rng.randint(-4000, 4000) for _ in range(N_CH * N)])
    ref = None
    for impl in F.fft_impls():
        fe = F.FeatureExtractor(N_CH, N, RATE, fft=impl)
        out = fe.new_output()
        reps = 20 if impl == "python" else 100
        axes = _axes(fe, window, 1.0 / 512)
        zeros = array("f", [0.0] * N)
        result["spectral_window_%s_ms" % impl] = _time_ms(lambda: _spectral(fe, axes, zeros), reps)
        result["features_window_%s_ms" % impl] = _time_ms(
            lambda: fe.compute(window, out, 1.0 / 512), reps)
        if ref is None:
            ref = list(out)
        else:  # both paths compute the same features
            for a, b in zip(ref, out):
                assert abs(a - b) <= 1e-3 * (abs(a) + 1.0), (a, b)


def _model(rng):
    n = 600
    X = array("h", [rng.randint(-2000, 2000) for _ in range(n * N_FEATURES)])
    y = bytearray(n)
    for i in range(n):  # a class from two features, 20% label noise
        c = (1 if X[i * N_FEATURES] > 0 else 0) + (2 if X[i * N_FEATURES + 7] > 300 else 0)
        y[i] = c if rng.randint(0, 9) > 1 else rng.randint(0, N_CLASSES - 1)
    return train(X, y, N_FEATURES, N_CLASSES, n_trees=10, max_depth=10, seed=3)


def bench_trees(result):
    rng = Rng(99)
    model = _model(rng)
    text = MF.dumps(model, MF.make_meta(F.feature_names(N_CH), ["a", "b", "c", "d"],
                                        Quantizer([0] * N_FEATURES, [0] * N_FEATURES)))
    X = [array("h", [rng.randint(-2000, 2000) for _ in range(N_FEATURES)]) for _ in range(1000)]
    py = [0] * len(X)

    def run_py():
        for i in range(len(X)):
            py[i] = model.predict(X[i])
    result["trees_1000_python_ms"] = _time_ms(run_py, 2)
    result["trees"] = {"trees": len(model.roots), "nodes": model.n_nodes,
                       "features": model.n_features}
    try:
        import emlearn_trees
    except ImportError:
        return
    m = emlearn_trees.new(len(model.roots), model.n_nodes + 1, len(model.leaves) + 1)
    emlearn_trees.load_model(m, _Lines(text))
    out = array("f", [0.0] * m.outputs())

    def run_c():
        for x in X:
            m.predict(x, out)
    result["trees_1000_c_ms"] = _time_ms(run_c, 10)
    for i in range(len(X)):  # and they agree
        m.predict(X[i], out)
        best = 0
        for c in range(len(out)):
            if out[c] > out[best]:
                best = c
        assert best == py[i], (i, best, py[i])


class _Lines:
    # the file-like object load_model reads (readline / iteration) over text in memory
    def __init__(self, text):
        self._lines = text.split("\n")
        self._i = 0

    def readline(self):
        if self._i >= len(self._lines):
            return ""
        self._i += 1
        return self._lines[self._i - 1] + "\n"

    def __iter__(self):
        return iter([l + "\n" for l in self._lines])


def main():
    result = {"runtime": "%s-%s" % (sys.implementation.name, sys.platform)}
    bench_features(result)
    bench_trees(result)
    print("BENCH " + json.dumps(result))


main()
