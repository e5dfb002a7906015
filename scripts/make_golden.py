#!/usr/bin/env python3
"""Generate the golden vectors of the shared/ suite (run once, commit the output):
shared/tests/golden/features.json (windows -> features, int16 features, predictions) and
shared/tests/golden/model.csv (a small ExtraTrees model in our format).

Expected float features come from an independent numpy implementation (float64, numpy FFT),
so the golden test also checks shared/features.py against a second implementation. Golden
windows are drawn until every int16-quantised feature sits at least MARGIN steps away from a
rounding boundary, both in the float64 reference and in shared/features.py's float32 output,
and no sample sits near the mean (mean crossings): 32- vs 64-bit float differences and the
C-vs-Python FFT cannot flip them. Usage: .venv/bin/python scripts/make_golden.py
"""
import json
import os
import sys
from array import array

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared import features as F  # noqa: E402
from shared.model import TreeModel  # noqa: E402
from shared import modelformat as MF  # noqa: E402
from shared.quant import Quantizer, quantize_value  # noqa: E402

N_CH, N, RATE = 3, 128, 50
SCALE = 1.0 / 512          # raw int16 counts -> m/s^2 (exact in binary and decimal)
MARGIN = 0.05              # min distance of a golden int16 pre-rounding value from x.5
RTOL, ATOL_REL = 1e-5, 2e-6  # float tolerance: rtol*|want| + ATOL_REL*(1 + axis variance)
CLASSES = ["still", "walk", "shake"]
OUT = os.path.join(ROOT, "shared", "tests", "golden")


def ref_features(x, rate=RATE, bands=F.BANDS_HZ):
    """Independent float64 reference of the documented feature list; x is (channels, n); the
    spectrum is of the window zero-padded to m, the next power of two."""
    n = x.shape[1]
    m = 1 << max(1, (n - 1).bit_length())
    mag = np.float32(np.sqrt((x.astype(np.float64) ** 2).sum(axis=0)))  # stored as float32
    rows = []
    for a in list(x.astype(np.float64)) + [mag.astype(np.float64)]:
        mean = a.mean()
        d = a - mean
        zc = np.count_nonzero((a[1:] >= 0) != (a[:-1] >= 0))
        mc = np.count_nonzero((d[1:] >= 0) != (d[:-1] >= 0))
        spec = np.abs(np.fft.rfft(d, m)) ** 2 / (n * m)
        spec[1:m // 2] *= 2
        k = np.arange(m // 2 + 1)
        bp = [spec[(k >= 1) & (bands[b] * m <= k * rate) & (k * rate < bands[b + 1] * m)].sum()
              for b in range(len(bands) - 1)]
        rows += [mean, d.std(), a.min(), a.max(), np.sqrt((a * a).mean()), zc, mc,
                 a.max() - a.min()] + bp
    return np.array(rows)


def synth(rs, cls, nch=N_CH, n=N, rate=RATE, scale=SCALE):
    """One raw int16 window (channels, n) of class cls: gravity on z plus motion and noise."""
    t = np.arange(n) / rate
    g = rs.normal(0, 0.3, nch)
    g[min(2, nch - 1)] += 9.81
    x = np.tile(g[:, None], (1, n)) + rs.normal(0, 0.04, (nch, n))
    if cls == "walk":
        f = rs.uniform(1.5, 2.3)
        for c in range(nch):
            x[c] += rs.uniform(1, 3) * np.sin(2 * np.pi * f * t + rs.uniform(0, 6)) + \
                rs.uniform(0.2, 1) * np.sin(4 * np.pi * f * t + rs.uniform(0, 6))
    elif cls == "shake":
        f = rs.uniform(4.5, 9) * min(1.0, rate / 20.0)    # below Nyquist
        for c in range(nch):
            x[c] += rs.uniform(4, 12) * np.sin(2 * np.pi * f * t + rs.uniform(0, 6))
        x += rs.normal(0, 0.8, (nch, n))
    return np.clip(np.round(x / scale), -32768, 32767).astype(np.int64)


def ours(raw, dtype="h"):
    fe = F.FeatureExtractor(N_CH, N, RATE, fft="python")
    if dtype == "h":
        return list(fe.compute(array("h", raw.ravel().tolist()), fe.new_output(), SCALE))
    return list(fe.compute(array("f", (raw.ravel() * SCALE).tolist()), fe.new_output()))


def margins_ok(qz, vals):
    for j, x in enumerate(vals):
        v = x * qz.factors[j] - qz.offsets[j]
        if -32768 < v < 32767 and abs(abs(v - np.floor(v)) - 0.5) < MARGIN:
            return False
    return True


def crossings_ok(raw, scale=SCALE):
    x = raw * scale
    mag = np.float32(np.sqrt((x ** 2).sum(axis=0))).astype(np.float64)
    for a in list(x) + [mag]:
        if np.min(np.abs(a - a.mean())) < 1e-6 * (1 + abs(a.mean())):
            return False
    return True


def from_sklearn(est, n_features, n_classes):
    """Flatten a fitted sklearn forest into our TreeModel: sklearn sends x <= t left; for int16
    x that is x < floor(t) + 1, the threshold we store (exact, unlike emlearn's int(t))."""
    nodes, roots, leaves = [], [], []
    for tree in est.estimators_:
        t = tree.tree_
        base = len(nodes)
        order = [i for i in range(t.node_count) if t.children_left[i] != -1]
        index = {old: base + k for k, old in enumerate(order)}
        roots.append(index[0])

        def child(c):
            if t.children_left[c] == -1:
                leaves.append(int(np.argmax(t.value[c][0])))
                return -len(leaves)
            return index[c]
        for old in order:
            thr = int(np.floor(t.threshold[old])) + 1
            nodes.append((int(t.feature[old]), max(-32768, min(32767, thr)),
                          child(t.children_left[old]), child(t.children_right[old])))
    return TreeModel(n_features, n_classes, nodes, roots, leaves)


# Windows of other shapes (any length: the FFT is zero-padded to a power of two): float
# features only, checked within the same tolerance. (channels, samples, rate, scale)
OTHER_SHAPES = [(6, 50, 10, 1.0 / 256), (3, 100, 100, 1.0 / 2048), (1, 37, 25, 1.0 / 1024),
                (2, 2, 1, 1.0 / 64)]


def other_shapes(rs):
    out = []
    for nch, n, rate, scale in OTHER_SHAPES:
        fe = F.FeatureExtractor(nch, n, rate, fft="python")
        wins = []
        for cls in CLASSES:
            while True:
                raw = synth(rs, cls, nch, n, rate, scale)
                if crossings_ok(raw, scale):
                    break
            ref = ref_features(raw * scale, rate)
            got = fe.compute(array("h", raw.ravel().tolist()), fe.new_output(), scale)
            assert len(got) == len(ref) == fe.n_features
            wins.append({"name": "%s_%dx%d" % (cls, nch, n), "class": cls, "dtype": "h",
                         "samples": [int(v) for v in raw.ravel()],
                         "features": [float(v) for v in ref]})
        out.append({"settings": {"n_channels": nch, "n_samples": n, "rate": rate,
                                 "scale": scale, "fft_n": fe.fft_n},
                    "feature_names": fe.names, "windows": wins})
    return out


def main():
    from sklearn.ensemble import ExtraTreesClassifier
    rs = np.random.RandomState(2026)
    names = F.feature_names(N_CH)
    train_raw = [(synth(rs, c), k) for k, c in enumerate(CLASSES) for _ in range(60)]
    train = [ref_features(r * SCALE) for r, _ in train_raw]
    qz = Quantizer.fit([list(map(float, f)) for f in train])
    Xq = np.array([qz.quantize([float(v) for v in f]) for f in train])
    y = np.array([k for _, k in train_raw])
    est = ExtraTreesClassifier(n_estimators=5, max_depth=5, random_state=0).fit(Xq, y)
    model = from_sklearn(est, len(names), len(CLASSES))
    assert (model.predict(list(Xq[0])) == est.predict(Xq[:1])[0])
    window = {"n_channels": N_CH, "n_samples": N, "rate": RATE, "scale": SCALE,
              "bands": list(F.BANDS_HZ), "magnitude": True}
    meta = MF.make_meta(names, CLASSES, qz, window)
    text = MF.dumps(model, meta)
    with open(os.path.join(OUT, "model.csv"), "w") as f:
        f.write(text)

    wanted = [("still", "h"), ("walk", "h"), ("walk", "f"), ("shake", "h"), ("shake", "f"),
              ("still", "f")]
    windows, tries = [], 0
    worst = 0.0
    for cls, dtype in wanted:
        while True:
            tries += 1
            raw = synth(rs, cls)
            ref = ref_features(raw * SCALE)
            if not (crossings_ok(raw) and margins_ok(qz, ref)):
                continue
            got = ours(raw, dtype)
            if not margins_ok(qz, got):
                continue
            break
        var = [ref[a * 13 + 1] ** 2 for a in range(4)]
        for j, (g, w) in enumerate(zip(got, ref)):
            tol = RTOL * abs(w) + ATOL_REL * (1 + var[j // 13])
            worst = max(worst, abs(g - w) / tol)
        q = [quantize_value(float(v), qz.factors[j], qz.offsets[j]) for j, v in enumerate(ref)]
        assert q == qz.quantize(got)
        votes = model.votes(q)
        windows.append({
            "name": "%s_%d" % (cls, len(windows)), "class": cls, "dtype": dtype,
            "samples": [int(v) for v in raw.ravel()] if dtype == "h"
            else [float(v) * SCALE for v in raw.ravel()],
            "features": [float(v) for v in ref], "quantised": q,
            "votes": votes, "prediction": model.predict(q)})
    print("golden windows: %d accepted of %d tries; worst float error %.3g of tolerance"
          % (len(windows), tries, worst))
    doc = {"about": "generated by scripts/make_golden.py; do not edit",
           "settings": window, "feature_names": names, "classes": CLASSES,
           "tolerance": {"rtol": RTOL, "atol_rel_axis_variance": ATOL_REL, "int16": "exact",
                         "prediction": "exact", "int16_margin_steps": MARGIN},
           "quant": qz.to_dict(), "windows": windows,
           "other_shapes": other_shapes(np.random.RandomState(2027))}
    with open(os.path.join(OUT, "features.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.join(OUT, "features.json"), "and model.csv; predictions",
          [w["prediction"] for w in windows])


if __name__ == "__main__":
    main()
