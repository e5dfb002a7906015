# Few-shot labelling: a class proposed for each unlabelled window from a few labelled ones, by
# its k nearest labelled windows in standardised feature space (int16 rows of shared.zscore)
# with emlearn_neighbors (C when importable, else shared.knn), and how sure: the share of the k
# votes the class got, and the distance, in standard deviations, to the nearest window of that
# class. Memory: the model holds the labelled rows (2 * d bytes each); the proposals one byte
# and two floats per window.
#
#   p = Proposer(Q, d, labelled=[3, 40, 77], labels=[0, 1, 1], k=3, unit=z.scale16)
#   for _ in p.steps(): ...              # or p.run()
#   p.rows, p.labels, p.share, p.distance            # one entry per proposed window
#   p.accepted(min_share=1.0, max_distance=3.0)      # [(row, label)] to apply in bulk
from array import array

from shared import knn

MAX_CLASS = 255


class Proposer:
    """Q: int16 table (d per row); labelled: row indices with a class; labels: their class
    numbers (0..255); rows: the rows to propose for (default every row not labelled)."""

    def __init__(self, Q, d, labelled, labels, k=3, rows=None, unit=1.0, nb=None):
        if len(labelled) != len(labels) or not len(labelled):
            raise ValueError("give at least one labelled row, with one label each")
        for c in labels:
            if not 0 <= c <= MAX_CLASS:
                raise ValueError("class numbers must be in 0..%d" % MAX_CLASS)
        n = len(Q) // d
        self.Q, self.d, self.unit = Q, d, unit
        self.k = min(k, len(labelled))
        self.labelled = list(labelled)
        self.classes = list(labels)
        if rows is None:
            taken = set(self.labelled)
            rows = [r for r in range(n) if r not in taken]
        self.rows = array("I", rows)
        m = len(self.rows)
        self.labels = bytearray(m)
        self.share = array("f", [0.0] * m)
        self.distance = array("f", [0.0] * m)
        self._nb = nb or knn.module()
        self._done = 0

    def _model(self):
        d, Q = self.d, self.Q
        model = self._nb.new(len(self.labelled), d, self.k)
        for i in range(len(self.labelled)):
            b = self.labelled[i] * d
            c = self.classes[i]
            # the model's own vote is not used (labels above 9 do not fit its vote table)
            model.additem(Q[b:b + d], c if c < knn.MAX_CLASSES else 0)
        return model

    def steps(self, per_step=100):
        """Propose in steps of per_step windows, yielding {"stage", "done", "total"}."""
        model = self._model()
        d, Q, k, classes, n_items = self.d, self.Q, self.k, self.classes, len(self.labelled)
        m = len(self.rows)
        while self._done < m:
            end = min(m, self._done + per_step)
            for i in range(self._done, end):
                b = self.rows[i] * d
                model.predict(Q[b:b + d])
                near = knn.nearest(model, n_items, k)
                votes = {}
                met = []                 # classes in order of their nearest member
                for dist, index, _ in near:
                    c = classes[index]
                    if c not in votes:
                        votes[c] = 0
                        met.append((c, dist))
                    votes[c] += 1
                best, best_dist = met[0]
                for c, dist in met:      # most votes; a tie goes to the class met first
                    if votes[c] > votes[best]:
                        best, best_dist = c, dist
                self.labels[i] = best
                self.share[i] = votes[best] / len(near)
                self.distance[i] = best_dist / self.unit
            self._done = end
            yield {"stage": "propose", "done": end, "total": m}

    def run(self):
        for _ in self.steps():
            pass
        return self

    def accepted(self, min_share=1.0, max_distance=None):
        """[(row, class)] of the proposals with share >= min_share (and distance <=
        max_distance when given), in row order."""
        out = []
        for i in range(len(self.rows)):
            if self.share[i] >= min_share and \
                    (max_distance is None or self.distance[i] <= max_distance):
                out.append((self.rows[i], self.labels[i]))
        return out
