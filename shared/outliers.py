# Unusual windows: each window's outlier score is its mean distance, in standard deviations, to
# its k nearest other windows in standardised feature space (int16 rows of shared.zscore),
# found with emlearn_neighbors (C when importable, else shared.knn). A window far from all the
# others scores high; windows are listed worst first for cleaning. Memory: the model holds the
# reference rows (2 * d bytes each, at most max_reference of them, sampled by Rng when there are
# more); one float score per window.
#
#   o = Outliers(Q, d, k=5, unit=z.scale16)
#   for _ in o.steps(): ...              # or o.run()
#   o.scores                             # array('f'), one per row
#   o.worst(20)                          # [(row, score)] highest first
from array import array

from shared import knn
from shared.cluster_metrics import sample_rows


class Outliers:
    def __init__(self, Q, d, k=5, unit=1.0, max_reference=4000, seed=1, nb=None):
        n = len(Q) // d
        if n < 2:
            raise ValueError("need at least 2 windows")
        self.Q, self.d, self.n, self.unit = Q, d, n, unit
        self.reference = sample_rows(n, min(max_reference, knn.MAX_ITEMS), seed)
        self.k = max(1, min(k, len(self.reference) - 1))
        self.scores = array("f", [0.0] * n)
        self._nb = nb or knn.module()
        self._done = 0

    def steps(self, per_step=50):
        """Score per_step windows at a time, yielding {"stage", "done", "total"}."""
        d, Q, k = self.d, self.Q, self.k
        ref = self.reference
        model = self._nb.new(len(ref), d, k)
        where = {}                       # row -> its item index in the model
        for i in range(len(ref)):
            b = ref[i] * d
            model.additem(Q[b:b + d], 0)
            where[ref[i]] = i
        yield {"stage": "reference", "done": 0, "total": self.n}
        while self._done < self.n:
            end = min(self.n, self._done + per_step)
            for r in range(self._done, end):
                b = r * d
                model.predict(Q[b:b + d])
                near = knn.nearest(model, len(ref), k, where.get(r, -1))
                s = 0
                for dist, _, _ in near:
                    s += dist
                self.scores[r] = s / len(near) / self.unit if near else 0.0
            self._done = end
            yield {"stage": "score", "done": end, "total": self.n}

    def run(self):
        for _ in self.steps():
            pass
        return self

    def worst(self, top=20):
        """[(row, score)] of the `top` highest scores, highest first (ties: lower row)."""
        order = sorted(range(self.n), key=lambda r: (-self.scores[r], r))
        return [(r, self.scores[r]) for r in order[:top]]
