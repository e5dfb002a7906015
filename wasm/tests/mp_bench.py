# motebook: micro-benchmark of our emlearn C modules against pure Python inside one MicroPython
# (run by scripts/bench_wasm.py in the unix build and the WASM build under Node):
#  - spectral features of one window (3 channels x 128 samples: FFT + 4 band energies)
#  - batch prediction of 1000 windows with a 10-tree forest (8 int16 features)
# Prints one line "BENCH {json}" (ms per window / per batch; timer resolution is 1 ms in the
# WASM build, hence the repetitions). The C rows are absent where the modules are missing.
import array
import math
import sys
import time

try:
    import json
except ImportError:
    import ujson as json

N = 128
CHANNELS = 3
BANDS = ((1, 8), (8, 16), (16, 32), (32, 64))


class PyFFT:
    # iterative radix-2 FFT, in place on array('f'), tables made once
    def __init__(self, n):
        self.n = n
        self.cos = array.array("f", [math.cos(2 * math.pi * i / n) for i in range(n // 2)])
        self.sin = array.array("f", [math.sin(2 * math.pi * i / n) for i in range(n // 2)])
        levels = 0
        while (1 << levels) < n:
            levels += 1
        self.rev = []
        for i in range(n):
            r = 0
            for b in range(levels):
                r = (r << 1) | ((i >> b) & 1)
            self.rev.append(r)

    def run(self, re, im):
        n = self.n
        rev = self.rev
        for i in range(n):
            j = rev[i]
            if j > i:
                re[i], re[j] = re[j], re[i]
                im[i], im[j] = im[j], im[i]
        cos = self.cos
        sin = self.sin
        size = 2
        while size <= n:
            half = size // 2
            step = n // size
            for i in range(0, n, size):
                k = 0
                for j in range(i, i + half):
                    l = j + half
                    c = cos[k]
                    s = sin[k]
                    tre = re[l] * c + im[l] * s
                    tim = -re[l] * s + im[l] * c
                    re[l] = re[j] - tre
                    im[l] = im[j] - tim
                    re[j] += tre
                    im[j] += tim
                    k += step
            size *= 2


def spectral(fft, window, re, im, out):
    pos = 0
    for ch in range(CHANNELS):
        for i in range(N):
            re[i] = window[ch * N + i]
            im[i] = 0.0
        fft.run(re, im)
        for lo, hi in BANDS:
            e = 0.0
            for k in range(lo, hi):
                e += re[k] * re[k] + im[k] * im[k]
            out[pos] = e
            pos += 1


def _time_ms(fn, reps):
    t0 = time.ticks_us()
    for _ in range(reps):
        fn()
    return time.ticks_diff(time.ticks_us(), t0) / 1000.0 / reps


def bench_spectral(result):
    window = array.array("f", [math.sin(0.3 * i) + 0.1 * (i % 7) for i in range(CHANNELS * N)])
    re = array.array("f", [0.0] * N)
    im = array.array("f", [0.0] * N)
    out = array.array("f", [0.0] * (CHANNELS * len(BANDS)))
    py = PyFFT(N)
    result["spectral_window_python_ms"] = _time_ms(lambda: spectral(py, window, re, im, out), 50)
    ref = list(out)
    try:
        import emlearn_fft
    except ImportError:
        return
    c = emlearn_fft.FFT(N)
    result["spectral_window_c_ms"] = _time_ms(lambda: spectral(c, window, re, im, out), 500)
    for a, b in zip(ref, out):
        assert abs(a - b) <= 1e-3 * (abs(a) + 1.0), (a, b)


class _Rng:
    def __init__(self, s):
        self.s = s

    def next(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s


def _forest(rng, n_features, n_classes, n_trees, depth):
    nodes, leaves, roots = [], [], []

    def grow(d):
        idx = len(nodes)
        nodes.append(None)
        kids = []
        for _ in range(2):
            if d == 0:
                leaves.append(rng.next() % n_classes)
                kids.append(-len(leaves))
            else:
                kids.append(grow(d - 1) - idx)
        nodes[idx] = (rng.next() % n_features, (rng.next() % 40001) - 20000, kids[0], kids[1])
        return idx

    for _ in range(n_trees):
        roots.append(grow(depth))
    return nodes, roots, leaves


def py_predict(nodes, roots, leaves, n_classes, x, out):
    for c in range(n_classes):
        out[c] = 0.0
    for r in roots:
        i = r
        while i >= 0:
            f, t, left, right = nodes[i]
            child = left if x[f] < t else right
            i = i + child if child >= 0 else child
        out[leaves[-i - 1]] += 1.0
    for c in range(n_classes):
        out[c] /= len(roots)


def bench_trees(result):
    rng = _Rng(99)
    n_features, n_classes = 8, 4
    nodes, roots, leaves = _forest(rng, n_features, n_classes, 10, 6)
    X = [array.array("h", [(rng.next() % 65536) - 32768 for _ in range(n_features)]) for _ in range(1000)]
    out = array.array("f", [0.0] * n_classes)

    def run_py():
        for x in X:
            py_predict(nodes, roots, leaves, n_classes, x, out)
    result["trees_1000_python_ms"] = _time_ms(run_py, 3)
    try:
        import emlearn_trees
    except ImportError:
        return
    m = emlearn_trees.new(len(roots), len(nodes), len(leaves))
    m.setdata(n_features, n_classes)
    for f, t, left, right in nodes:
        m.addnode(left, right, f, t)
    for r in roots:
        m.addroot(r)
    for v in leaves:
        m.addleaf(v)

    def run_c():
        for x in X:
            m.predict(x, out)
    result["trees_1000_c_ms"] = _time_ms(run_c, 20)


def main():
    result = {"runtime": "%s-%s" % (sys.implementation.name, sys.platform)}
    bench_spectral(result)
    bench_trees(result)
    print("BENCH " + json.dumps(result))


main()
