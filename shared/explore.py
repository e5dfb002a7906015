# The Explore computation over a set of windows, in steps a page can interleave with drawing:
# features of every window (shared.features), their exact statistics and PCA (shared.moments,
# shared.pca), the 2-D projection, standardised uint8 rows and k-means clusters
# (shared.zscore, shared.clustering); then, on request, other k, silhouettes, few-shot label
# proposals and unusual windows over the same tables. No DOM, no I/O.
# Memory: the feature table (4 * n * d bytes), the projection (8 * n), the uint8 rows (n * d),
# later the int16 rows (2 * n * d) for neighbours; the windows are read once, one at a time.
#
#   ex = Explore(windows, {"rate": 100, "window": 128, "channels": ["x", "y", "z"]},
#                scales=scales, k=4)
#   for p in ex.steps():                 # {"stage", "done", "total", "fraction"}
#       await asyncio.sleep_ms(1)        # each step takes about budget_ms (default 50 ms)
#   ex.xy, ex.explained, ex.clusters, ex.names       # projection, ratios, cluster per window
#   ex.summary(), ex.column(j)                        # facts for the page; feature j per window
#   then, each a generator of progress dicts (or the object's .run()):
#   ex.cluster_steps(k)    ex.choose_k(ks)    ex.int16_steps()
#   ex.proposer(labelled, labels).steps()    ex.outliers().steps()
#
# Rows for the PCA fit: all windows up to pca_rows, else every s-th window (s = ceil(n /
# pca_rows)); the projection, z-scores and clusters always cover every window.
from array import array

from shared.clustering import KMeans
from shared.cluster_metrics import Silhouette
from shared.compat import ticks_ms, ticks_diff
from shared.fewshot import Proposer
from shared.model import zeros_h
from shared.moments import Moments, ranges
from shared.outliers import Outliers
from shared.pca import PCA
from shared.features import FeatureExtractor
from shared.zscore import ZScore

CHUNK = 16            # rows between two looks at the clock
# share of the progress bar per stage (features dominate)
_SPAN = (("features", 0.0, 0.7), ("ranges", 0.7, 0.74), ("moments", 0.74, 0.84),
         ("pca", 0.84, 0.87), ("project", 0.87, 0.92), ("zscore", 0.92, 0.96),
         ("kmeans", 0.96, 1.0))


def _fraction(stage, done, total):
    part = done / total if total else 1.0
    for name, a, b in _SPAN:
        if name == stage:
            return a + (b - a) * part
    return part                 # a follow-up (int16, ...): its own 0..1


class Explore:
    """windows: channel-major int16 arrays (any sequence with len() and [i]); window: the
    settings {"rate", "window", "channels"[, "scale"]}; scales: each window's scale (default
    window["scale"]); k: clusters (0: no k-means); budget_ms: the longest a step should take."""

    def __init__(self, windows, window, scales=None, k=4, n_components=2, seed=1,
                 pca_rows=2048, budget_ms=50, fft="auto", n_init=3):
        if scales is None and not window.get("scale"):
            raise ValueError("give the windows' scales (or window['scale'])")
        if scales is not None and len(scales) != len(windows):
            raise ValueError("%d windows but %d scales" % (len(windows), len(scales)))
        if len(windows) < 2:
            raise ValueError("need at least 2 windows")
        self.windows, self.window, self.scales = windows, window, scales
        self.k, self.n_components, self.seed = k, n_components, seed
        self.pca_rows, self.budget_ms, self.fft, self.n_init = pca_rows, budget_ms, fft, n_init
        self.n = len(windows)
        self.names = None           # feature names
        self.d = 0
        self.X = None               # flat array('f'), n * d feature rows
        self.pca = None
        self.xy = None              # flat array('f'), n * n_components
        self.explained = None       # explained variance ratio per component
        self.zscore = None
        self.u8 = None              # bytearray n * d: standardised rows for k-means
        self.kmeans = None
        self.clusters = None        # array('B'): cluster of each window
        self._q = None              # array('h') n * d: standardised rows for neighbours

    def _rows(self, stage, n, fn, step=1):
        """Call fn(start, end) over rows 0..n in chunks, yielding progress about every
        budget_ms (chunk bounds are multiples of step)."""
        t0 = ticks_ms()
        i = 0
        size = CHUNK * step
        while i < n:
            end = min(n, i + size)
            fn(i, end)
            i = end
            if i == n or ticks_diff(ticks_ms(), t0) >= self.budget_ms:
                yield {"stage": stage, "done": i, "total": n,
                       "fraction": _fraction(stage, i, n)}
                t0 = ticks_ms()

    def steps(self):
        n = self.n
        w = self.window
        ch = w["channels"]
        fe = FeatureExtractor(ch if isinstance(ch, int) else len(ch), w["window"], w["rate"],
                              fft=self.fft)     # as shared.pipeline's training features
        d = self.d = fe.n_features
        self.names = fe.names
        X = self.X = array("f", bytes(4 * n * d))     # zeroed, without an n * d list
        out = fe.new_output()
        sc, scale = self.scales, self.window.get("scale")

        def features(a, b):
            for i in range(a, b):
                fe.compute(self.windows[i], out, sc[i] if sc is not None else scale)
                X[i * d:(i + 1) * d] = out
        for p in self._rows("features", n, features):
            yield p

        step = (n + self.pca_rows - 1) // self.pca_rows
        lo, hi = [], []

        def scan(a, b):
            ranges(X, d, a, b, lo, hi, step)
        lo[:] = [float("inf")] * d
        hi[:] = [float("-inf")] * d
        for p in self._rows("ranges", n, scan, step):
            yield p
        m = Moments(lo, hi)

        def accumulate(a, b):
            m.add_rows(X, a, b, step)
        for p in self._rows("moments", n, accumulate, step):
            yield p

        self.pca = PCA(self.n_components, seed=self.seed).fit_moments(m)
        self.explained = self.pca.explained_variance_ratio
        yield {"stage": "pca", "done": 1, "total": 1, "fraction": _fraction("pca", 1, 1)}

        xy = self.xy = array("f", bytes(4 * n * len(self.pca.components)))

        def project(a, b):
            self.pca.transform_rows(X, d, a, b, xy)
        for p in self._rows("project", n, project):
            yield p

        z = self.zscore = ZScore(self.pca.mean, self.pca.std)
        u8 = self.u8 = bytearray(n * d)

        def standardise(a, b):
            z.u8_rows(X, a, b, u8)
        for p in self._rows("zscore", n, standardise):
            yield p

        if self.k:
            for p in self.cluster_steps(self.k):
                yield p
        yield {"stage": "done", "done": 1, "total": 1, "fraction": 1.0}

    def run(self):
        for _ in self.steps():
            pass
        return self

    def column(self, j):
        """Feature j of every window, array('f') of n (e.g. a scatter axis or a per-class
        distribution)."""
        d, X = self.d, self.X
        return array("f", [X[i * d + j] for i in range(self.n)])

    def summary(self):
        """JSON-ready facts for a page or notebook (the per-window arrays stay in .xy,
        .clusters)."""
        out = {"n": self.n, "features": self.names, "explained": self.explained,
               "pca_rows": len(range(0, self.n, (self.n + self.pca_rows - 1) // self.pca_rows)),
               "k": self.k if self.kmeans else 0}
        if self.kmeans:
            out["sizes"] = self.kmeans.sizes()
            out["inertia"] = self.kmeans.inertia / (32.0 * 32.0)
        return out

    def cluster_steps(self, k, seed=None):
        """(Re)cluster into k clusters; sets .kmeans and .clusters when done."""
        km = KMeans(self.u8, self.d, k, seed=self.seed if seed is None else seed,
                    n_init=self.n_init)
        for p in km.steps():
            p["stage"] = "kmeans"
            p["fraction"] = _fraction("kmeans", p["done"], p["total"])
            yield p
        self.kmeans, self.clusters, self.k = km, km.assignments, k

    def choose_k(self, ks=(2, 3, 4, 5, 6, 7, 8), max_rows=300):
        """Generator comparing k: yields progress dicts; the last one has "table": [{"k",
        "inertia", "silhouette"}] (inertia in standard deviations squared, summed over windows;
        the silhouette on a sample of max_rows windows, higher is better) and "best": the k of
        the highest silhouette."""
        sil = Silhouette(self.u8, self.d, max_rows=max_rows, seed=self.seed)
        for p in sil.steps():
            p["stage"] = "silhouette"
            yield p
        table = []
        unit = 32.0 * 32.0          # shared.zscore: 32 uint8 steps per standard deviation
        for k in ks:
            if k > min(self.n - 1, sil.m - 1):
                continue
            km = KMeans(self.u8, self.d, k, seed=self.seed, n_init=self.n_init)
            for p in km.steps():
                yield {"stage": "choose_k", "done": len(table) + p["done"] / p["total"],
                       "total": len(ks)}
            table.append({"k": k, "inertia": km.inertia / unit,
                          "silhouette": sil.score(km.assignments)})
            yield {"stage": "choose_k", "done": len(table), "total": len(ks)}
        best = None
        for row in table:
            if best is None or row["silhouette"] > best["silhouette"]:
                best = row
        yield {"stage": "done", "done": 1, "total": 1, "table": table,
               "best": best["k"] if best else None}

    def int16_steps(self):
        """Make the standardised int16 rows (for neighbours) in steps; .int16() is then free."""
        if self._q is not None:
            return
        q = zeros_h(self.n * self.d)
        z, X = self.zscore, self.X

        def fill(a, b):
            z.i16_rows(X, a, b, q)
        for p in self._rows("int16", self.n, fill):
            yield p
        self._q = q

    def int16(self):
        """Standardised int16 rows (for neighbours), made on first use (in one go: run
        int16_steps() first in a page)."""
        for _ in self.int16_steps():
            pass
        return self._q

    def proposer(self, labelled, labels, k=3):
        """A shared.fewshot.Proposer for every window not in `labelled`."""
        return Proposer(self.int16(), self.d, labelled, labels, k=k,
                        unit=self.zscore.scale16)

    def outliers(self, k=5):
        """A shared.outliers.Outliers over every window."""
        return Outliers(self.int16(), self.d, k=k, unit=self.zscore.scale16, seed=self.seed)

