# Synthetic labelled accelerometer windows for the trainer tests (not a test module): integer-only
# synthesis from shared.compat.Rng, so every runtime gets the same int16 samples.
# Memory: one array('h') of channels x n per window.
from array import array

from shared import dye
from shared.compat import Rng

# per class: (cycles per window, amplitude in counts, noise in counts)
CLASSES = ("still", "walk", "shake")
_KINDS = ((0, 0, 30), (4, 900, 150), (13, 2500, 600))
_SIN = None


def _sin(i):
    """sin(2*pi*i/256) * 16384 for int i, from a table built once (float-free per sample)."""
    global _SIN
    if _SIN is None:
        import math
        _SIN = array("h", [int(math.floor(math.sin(2 * math.pi * k / 256) * 16384 + 0.5))
                           for k in range(256)])
    return _SIN[i & 255]


def window(rng, kind, n=64, channels=3):
    """One channel-major int16 window of class number kind (gravity on the last channel)."""
    cycles, amp, noise = _KINDS[kind]
    out = array("h", [0] * (channels * n))
    for c in range(channels):
        a = amp * rng.randint(60, 140) // 100
        phase = rng.randbelow(256)
        g = 4096 if c == channels - 1 else rng.randint(-300, 300)
        for i in range(n):
            v = g + (a * _sin(phase + cycles * 256 * i // n) >> 14) + \
                rng.randint(-noise, noise)
            out[c * n + i] = max(-32768, min(32767, v))
    return out


def dataset(per_class=20, n=64, seed=7):
    """(windows, labels) with per_class windows of each class, interleaved."""
    rng = Rng(seed)
    windows, labels = [], []
    for i in range(per_class):
        for k in range(len(CLASSES)):
            windows.append(window(rng, k, n))
            labels.append(k)
    return windows, labels


def table(n=150, n_features=6, n_classes=3, seed=5, noise_pct=10):
    """Flat int16 feature table (X, y) with a class rule on features 0..2 and some label noise."""
    rng = Rng(seed)
    X = array("h", [0] * (n * n_features))
    y = bytearray(n)
    for i in range(n):
        for j in range(n_features):
            X[i * n_features + j] = rng.randint(-1000, 1000)
        b = i * n_features
        c = ((X[b] > 100) + (X[b + 1] + X[b + 2] > 300)) % n_classes
        if rng.randbelow(100) < noise_pct:
            c = rng.randbelow(n_classes)
        y[i] = c
    return X, y


def blobs(n=240, n_features=6, n_classes=3, seed=9, informative=3):
    """Separable (X, y): class c centred at 1000*c on the first `informative` features (+-400),
    the other features uniform noise."""
    rng = Rng(seed)
    X = array("h", [0] * (n * n_features))
    y = bytearray(n)
    for i in range(n):
        c = i % n_classes
        y[i] = c
        for j in range(n_features):
            v = 1000 * c + rng.randint(-400, 400) if j < informative else rng.randint(-2000, 2000)
            X[i * n_features + j] = v
    return X, y


def correlated(n, d, seed, shift=0.0, step=10.0):
    """n rows of d correlated float features (array('f'), row-major) for the anomaly tests:
    feature j = step*j + two noises a, b shared by the row ((j+1)*a + j*b/2) + its own small
    noise + shift."""
    rng = Rng(seed)
    X = array("f", [0.0] * (n * d))
    for r in range(n):
        a, b = rng.uniform(-1, 1), rng.uniform(-1, 1)
        for j in range(d):
            X[r * d + j] = step * j + a * (j + 1) + 0.5 * b * j + 0.2 * rng.uniform(-1, 1) + shift
    return X


def spectra(levels, per_level=3, windows=12, seed=3, noise=60, drift=0.05):
    """(X, y, groups): a spectrometer reading a dye at each concentration of `levels` (mmol/L),
    per_level sessions each, `windows` windows per session. Band j reads shared.dye.counts
    (Beer–Lambert, path 1 cm) + noise, g the lamp's gain: per session within
    +-drift, creeping by drift/4 over the session. X: int16 counts (11 features, row-major);
    y: the true concentration of each window; groups: session names "s1", "s2", ..."""
    rng = Rng(seed)
    nb = len(dye.EPS)
    X = array("h", [0] * (len(levels) * per_level * windows * nb))
    y, groups = [], []
    r = 0
    s = 0
    for k in range(per_level):
        for c in levels:
            s += 1
            name = "s%d" % s     # one string per session: per window they pinned the heap apart
            g0 = 1 + rng.uniform(-drift, drift)
            for w in range(windows):
                g = g0 * (1 + drift / 4 * w / windows)
                for j in range(nb):
                    v = dye.counts(j, c, g) + rng.uniform(-noise, noise)
                    X[r * nb + j] = max(-32768, min(32767, int(v)))
                y.append(c)
                groups.append(name)
                r += 1
    return X, y, groups
