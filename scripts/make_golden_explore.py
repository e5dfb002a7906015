#!/usr/bin/env python3
"""Generate the golden vectors of the Explore tests (run once, commit the output):
shared/tests/golden/explore.json, read by shared/tests/test_explore_*.py on every runtime.

Every expected value comes from an independent reference on CPython: scikit-learn
(StandardScaler + PCA, KMeans from given centroids, adjusted_rand_score, silhouette_score,
ExtraTreesClassifier.feature_importances_, confusion_matrix) or numpy brute force written here
(emlearn's integer k-means update and kNN distances, which scikit-learn does not do, and the
k-means++ draw with our xorshift32 generator). Inputs are drawn until the references agree
where they must (scikit-learn's float k-means and the integer one give the same assignments)
and no result sits on a tie the test could not decide.
Usage: .venv/bin/python scripts/make_golden_explore.py
"""
import json
import os
from collections import Counter

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.metrics import adjusted_rand_score, confusion_matrix, silhouette_score
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "shared", "tests", "golden", "explore.json")


def f32(a):
    """float32 values as Python floats (exact: JSON round-trips them, array('f') stores them)."""
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


# ---- PCA ---------------------------------------------------------------------------------
def pca_case(rs):
    n, d, k = 80, 7, 3
    # planted spectrum: well separated variances along random directions, plus offsets and
    # scales of very different sizes, and one constant feature
    basis = np.linalg.qr(rs.normal(size=(d - 1, d - 1)))[0]
    latent = rs.normal(size=(n, d - 1)) * np.array([6.0, 3.5, 2.0, 1.0, 0.5, 0.25])
    x = latent @ basis.T
    x = x * np.array([1.0, 20.0, 0.01, 3.0, 500.0, 0.2]) + np.array([0, 100, -3, 7, 1e4, 0.5])
    X = np.concatenate([x, np.full((n, 1), 2.5)], axis=1).astype(np.float32)
    Xd = X.astype(np.float64)
    Z = StandardScaler().fit_transform(Xd)
    p = PCA(k).fit(Z)
    ev = np.linalg.eigvalsh(np.cov(Z.T, bias=True))[::-1]
    assert min(ev[c] - ev[c + 1] for c in range(k)) > 0.05 * ev[0], "eigenvalues too close"
    corr = np.corrcoef(Xd[:, :-1].T)
    return {"n": n, "d": d, "k": k, "X": f32(X),
            "mean": [float(v) for v in Xd.mean(0)], "std": [float(v) for v in Xd.std(0)],
            "corr_nonconstant": [float(v) for v in corr.ravel()],
            "eigenvalues": [float(v) for v in ev],
            "components": [[float(v) for v in row] for row in p.components_],
            "explained_variance_ratio": [float(v) for v in p.explained_variance_ratio_],
            "projection": [[float(v) for v in row] for row in p.transform(Z)[:, :2]]}


# ---- k-means -----------------------------------------------------------------------------
def int_kmeans(values, centroids, max_iter, stop_changes=0):
    """emlearn's integer k-means (numpy): assign (ties to the lowest index), stop on few
    changes, else floor of the mean per non-empty cluster. Returns assignments, centroids,
    iterations."""
    c = centroids.astype(np.int64).copy()
    v = values.astype(np.int64)
    a = np.full(len(v), 255)
    it = 0
    for _ in range(max_iter):
        it += 1
        dist = ((v[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        new = dist.argmin(1)
        changes = int((new != a).sum())
        a = new
        if changes <= stop_changes:
            break
        for j in range(len(c)):
            m = a == j
            if m.any():
                c[j] = v[m].sum(0) // m.sum()
    return a, c, it


class Xorshift32:
    """The same generator as shared.compat.Rng, written again here."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF or 0x9E3779B9

    def next32(self):
        x = self.s
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.s = x
        return x

    def below(self, n):
        if n <= 1 << 32:
            limit = (1 << 32) - ((1 << 32) % n)
            while True:
                x = self.next32()
                if x < limit:
                    return x % n
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = (self.next32() << 32) | self.next32()
            if x < limit:
                return x % n


def plus_plus(values, k, seed):
    """k-means++ draw (rows chosen) with integer squared distances and Xorshift32(seed)."""
    rng = Xorshift32(seed)
    v = values.astype(np.int64)
    chosen = [rng.below(len(v))]
    d2 = ((v - v[chosen[0]]) ** 2).sum(1)
    for _ in range(1, k):
        total = int(d2.sum())
        r = rng.below(total)
        pick = int(np.searchsorted(np.cumsum(d2), r, side="right"))
        chosen.append(pick)
        d2 = np.minimum(d2, ((v - v[pick]) ** 2).sum(1))
    return chosen


def kmeans_case(rs):
    d, k = 5, 3
    while True:
        centres = rs.integers(40, 216, size=(k, d))
        values = np.clip(np.concatenate([c + rs.normal(0, 18, size=(30, d)) for c in centres]),
                         0, 255).round().astype(np.uint8)
        values = values[rs.permutation(len(values))]
        init = values[rs.choice(len(values), k, replace=False)].astype(np.uint8)
        ours, cent, it = int_kmeans(values, init, 100)
        sk = KMeans(k, init=init.astype(np.float64), n_init=1, algorithm="lloyd", tol=0,
                    max_iter=100).fit(values.astype(np.float64))
        dist = ((values[:, None, :].astype(np.int64) - cent[None].astype(np.int64)) ** 2).sum(-1)
        srt = np.sort(dist, 1)
        if (sk.labels_ == ours).all() and (srt[:, 0] < srt[:, 1]).all():
            break
    two, two_c, two_it = int_kmeans(values, init, 2)
    pp = plus_plus(values, k, seed=1)
    return {"d": d, "k": k, "values": values.ravel().tolist(), "init": init.ravel().tolist(),
            "sklearn_labels": sk.labels_.tolist(), "centroids": cent.ravel().tolist(),
            "iterations": it, "inertia": int(srt[:, 0].sum()),
            "two_iterations": {"assignments": two.tolist(), "centroids": two_c.ravel().tolist()},
            "plus_plus_seed1": pp}


def empty_cluster_case():
    # a centroid no row is nearest to keeps its place (rows near 10 and 200, centroid at 255)
    values = np.array([[10, 10], [12, 9], [200, 201], [199, 198]], dtype=np.uint8)
    init = np.array([[0, 0], [150, 150], [255, 255]], dtype=np.uint8)
    a, c, it = int_kmeans(values, init, 10)
    return {"d": 2, "values": values.ravel().tolist(), "init": init.ravel().tolist(),
            "assignments": a.tolist(), "centroids": c.ravel().tolist(), "iterations": it}


# ---- clustering metrics ------------------------------------------------------------------
def metrics_case(rs):
    pairs = []
    for n, ka, kb in ((40, 3, 3), (60, 4, 2), (25, 1, 5), (30, 5, 5)):
        a = rs.integers(0, ka, n)
        b = np.where(rs.random(n) < 0.7, a % kb, rs.integers(0, kb, n))
        pairs.append({"a": a.tolist(), "b": b.tolist(), "ari": float(adjusted_rand_score(a, b))})
    same = rs.integers(0, 4, 30)
    pairs.append({"a": same.tolist(), "b": ((same + 1) % 4).tolist(), "ari": 1.0})
    d = 4
    values = np.clip(np.concatenate([rs.normal(m, 25, size=(15, d)) for m in (50, 120, 200)]),
                     0, 255).round().astype(np.uint8)
    labels = np.repeat([0, 1, 2], 15)
    labels[[3, 20, 40]] = [1, 2, 0]
    labels[7] = 3                                           # a singleton cluster
    sil = float(silhouette_score(values.astype(np.float64), labels))
    return {"ari_pairs": pairs, "silhouette": {"d": d, "values": values.ravel().tolist(),
                                               "labels": labels.tolist(), "score": sil}}


# ---- neighbours --------------------------------------------------------------------------
def knn_dist(a, b):
    s = int(((a.astype(np.int64) - b.astype(np.int64)) ** 2).sum())
    return int(np.floor(np.sqrt(s)))  # exact for s < 2**52


def neighbours_case(rs):
    d, n = 6, 50
    # four groups (classes 0, 1, 2 and 12: 12 does not fit emlearn's vote table), overlapping
    # enough that some proposals are not unanimous
    centres = rs.integers(-400, 400, size=(4, d))
    group = rs.integers(0, 4, n)
    Q = (centres[group] + rs.integers(-150, 150, size=(n, d))).astype(np.int16)
    Q[9] = Q[4]                         # duplicates: equal distances, decided by index
    Q[31] = Q[4]
    labelled = [int(i) for i in np.concatenate([np.where(group == c)[0][:3] for c in range(4)])]
    labelled += [4, 9] if 4 not in labelled else [9]
    labels = [[0, 1, 2, 12][group[i]] for i in labelled]
    labels[-1] = 0 if labels[-1] != 0 else 1  # a duplicate row with another label
    k = 3
    props = []
    for r in range(n):
        if r in labelled:
            continue
        near = sorted((knn_dist(Q[r], Q[i]), j) for j, i in enumerate(labelled))[:k]
        classes = [labels[j] for _, j in near]
        count = Counter(classes)
        top = max(count.values())
        best = min((c for c in count if count[c] == top), key=classes.index)  # met first
        best_d = near[classes.index(best)][0]
        props.append({"row": r, "label": best, "share": top / k, "distance": best_d})
    ko = 4
    scores = []
    for r in range(n):
        ds = sorted((knn_dist(Q[r], Q[i]), i) for i in range(n) if i != r)[:ko]
        scores.append(sum(x for x, _ in ds) / ko)
    return {"d": d, "Q": Q.ravel().tolist(), "labelled": labelled, "labels": labels, "k": k,
            "proposals": props, "outlier_k": ko, "outlier_scores": scores}


# ---- model insight -----------------------------------------------------------------------
def forest_as_model(clf):
    """scikit-learn trees as our TreeModel lists: nodes (feature, threshold, left, right) with
    `x < threshold` going left (floor(t) + 1 for integer features and sklearn's x <= t), leaf k
    = class k (shared leaves), roots per tree."""
    nodes, roots = [], []
    for est in clf.estimators_:
        t = est.tree_
        internal = [i for i in range(t.node_count) if t.children_left[i] >= 0]
        index = {i: len(nodes) + p for p, i in enumerate(internal)}

        def child(c):
            if t.children_left[c] >= 0:
                return index[c]
            return -int(np.argmax(t.value[c][0])) - 1
        roots.append(index[0])
        for i in internal:
            nodes.append([int(t.feature[i]), int(np.floor(t.threshold[i])) + 1,
                          child(t.children_left[i]), child(t.children_right[i])])
    return nodes, roots


def insight_case(rs):
    n, nf, nc = 120, 5, 3
    X = rs.integers(-2000, 2000, size=(n, nf)).astype(np.int16)
    y = ((X[:, 0] > 0).astype(int) + (X[:, 1] + X[:, 2] > 500).astype(int)) % nc
    clf = ExtraTreesClassifier(n_estimators=4, max_depth=5, bootstrap=False,
                               random_state=3).fit(X, y)
    nodes, roots = forest_as_model(clf)
    per_tree = [est.predict(X).astype(int).tolist() for est in clf.estimators_]
    truth = rs.integers(0, nc, 50)
    guess = np.where(rs.random(50) < 0.6, truth, rs.integers(0, nc, 50))
    cm = confusion_matrix(truth, guess, labels=list(range(nc)))
    cells = {}
    for t_ in range(nc):
        for p_ in range(nc):
            if t_ != p_ and cm[t_, p_]:
                cells["%d,%d" % (t_, p_)] = {"count": int(cm[t_, p_]), "windows": np.where(
                    (truth == t_) & (guess == p_))[0].tolist()}
    return {"n_features": nf, "n_classes": nc, "X": X.ravel().tolist(), "y": y.tolist(),
            "nodes": nodes, "roots": roots, "leaves": list(range(nc)),
            "tree_predict": per_tree, "importance": clf.feature_importances_.tolist(),
            "confusion": {"truth": truth.tolist(), "pred": guess.tolist(), "cells": cells}}


def main():
    rs = np.random.default_rng(2026)
    doc = {"generator": "scripts/make_golden_explore.py", "pca": pca_case(rs),
           "kmeans": kmeans_case(rs), "kmeans_empty": empty_cluster_case(),
           "metrics": metrics_case(rs), "neighbours": neighbours_case(rs),
           "insight": insight_case(rs)}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
