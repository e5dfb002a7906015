# The Explore modules against scikit-learn on many random inputs (CPython only; the golden
# suite carries fixed cases to the other runtimes), and the acceptance case in computation
# terms: the simulator's four activities, k-means with k = 4, adjusted Rand index >= 0.8.
import os
import sys
from array import array

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sk_cluster = pytest.importorskip("sklearn.cluster")
sk_metrics = pytest.importorskip("sklearn.metrics")
sk_decomposition = pytest.importorskip("sklearn.decomposition")
sk_preprocessing = pytest.importorskip("sklearn.preprocessing")
sk_ensemble = pytest.importorskip("sklearn.ensemble")

from shared import kmeans, knn  # noqa: E402
from shared.cluster_metrics import Silhouette, adjusted_rand_index  # noqa: E402
from shared.dataset import cut_window  # noqa: E402
from shared.explore import Explore  # noqa: E402
from shared.insight import importance  # noqa: E402
from shared.model import TreeModel  # noqa: E402
from shared.pca import PCA  # noqa: E402


def _up_to_sign(a, b):
    return min(np.abs(a - b).max(), np.abs(a + b).max())


@pytest.mark.parametrize("seed", range(6))
def test_pca_matches_sklearn_on_random_tables(seed):
    rs = np.random.default_rng(seed)
    n, d = rs.integers(30, 300), rs.integers(3, 40)
    spectrum = np.geomspace(8, 0.05, d)
    basis = np.linalg.qr(rs.normal(size=(d, d)))[0]
    X = ((rs.normal(size=(n, d)) * spectrum) @ basis.T * rs.uniform(0.01, 100, d)
         + rs.uniform(-1e3, 1e3, d)).astype(np.float32)
    Z = sk_preprocessing.StandardScaler().fit_transform(X.astype(np.float64))
    ref = sk_decomposition.PCA(2).fit(Z)
    ours = PCA(2).fit(array("f", X.ravel()), d)
    for c in range(2):
        assert _up_to_sign(np.array(ours.components[c]), ref.components_[c]) < 1e-4
    assert np.allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, atol=1e-6)
    xy = np.array(ours.transform(array("f", X.ravel()), d)).reshape(n, 2)
    want = ref.transform(Z)
    for c in range(2):
        assert _up_to_sign(xy[:, c], want[:, c]) < 1e-3 * (1 + np.abs(want[:, c]).max())


@pytest.mark.parametrize("seed", range(8))
def test_kmeans_same_assignments_as_sklearn_from_same_centroids(seed):
    rs = np.random.default_rng(100 + seed)
    k, d = rs.integers(2, 6), rs.integers(2, 12)
    centres = rs.integers(20, 236, size=(k, d))
    values = np.clip(np.concatenate([c + rs.normal(0, 10, size=(25, d)) for c in centres]),
                     0, 255).round().astype(np.uint8)
    init = values[[25 * c + rs.integers(0, 25) for c in range(k)]]   # a row of each blob
    ref = sk_cluster.KMeans(k, init=init.astype(float), n_init=1, algorithm="lloyd", tol=0,
                            max_iter=100).fit(values.astype(float))
    got = kmeans.cluster(bytearray(values.tobytes()), bytearray(init.tobytes()), features=d,
                         max_iter=100)
    assert list(got) == ref.labels_.tolist()


@pytest.mark.parametrize("seed", range(10))
def test_ari_and_silhouette_match_sklearn(seed):
    rs = np.random.default_rng(200 + seed)
    n = rs.integers(5, 200)
    a, b = rs.integers(0, rs.integers(1, 6), n), rs.integers(0, rs.integers(1, 6), n)
    assert abs(adjusted_rand_index(a, b) - sk_metrics.adjusted_rand_score(a, b)) < 1e-9
    d = rs.integers(1, 10)
    values = rs.integers(0, 256, size=(n, d)).astype(np.uint8)
    labels = rs.integers(0, 3, n)
    if 2 <= len(set(labels)) <= n - 1:
        sil = Silhouette(bytearray(values.tobytes()), d, max_rows=1000).score(labels)
        assert abs(sil - sk_metrics.silhouette_score(values.astype(float), labels)) < 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_knn_neighbours_are_sklearns_when_distances_differ(seed):
    rs = np.random.default_rng(300 + seed)
    d, n = 5, 80
    Q = rs.integers(-2000, 2000, size=(n, d)).astype(np.int16)
    m = knn.new(n, d, 3)
    for i in range(n):
        m.additem(array("h", Q[i]), 0)
    nn = sk_neighbors_of(Q)
    for r in range(n):
        m.predict(array("h", Q[r]))
        got = [i for _, i, _ in knn.nearest(m, n, 3, exclude=r)]
        dists = np.sqrt(((Q.astype(float) - Q[r]) ** 2).sum(1))
        dists[r] = np.inf
        srt = np.sort(np.floor(dists))
        if srt[2] < srt[3]:                 # no tie at the edge after flooring
            assert sorted(got) == sorted(nn[r][:3].tolist())


def sk_neighbors_of(Q):
    from sklearn.neighbors import NearestNeighbors
    nn = NearestNeighbors(n_neighbors=4).fit(Q.astype(float))
    idx = nn.kneighbors(Q.astype(float), return_distance=False)
    return [row[row != i] for i, row in enumerate(idx)]


@pytest.mark.parametrize("seed", range(4))
def test_importance_matches_sklearn_for_random_forests(seed):
    rs = np.random.default_rng(400 + seed)
    n, nf, nc = 150, rs.integers(2, 8), rs.integers(2, 5)
    X = rs.integers(-500, 500, size=(n, nf)).astype(np.int16)
    y = (X[:, 0] // 200 + (X[:, -1] > 0)) % nc
    clf = sk_ensemble.ExtraTreesClassifier(n_estimators=5, bootstrap=False,
                                           random_state=seed).fit(X, y)
    nodes, roots = [], []
    for est in clf.estimators_:
        t = est.tree_
        internal = [i for i in range(t.node_count) if t.children_left[i] >= 0]
        if not internal:
            pytest.skip("a tree without splits")
        index = {i: len(nodes) + p for p, i in enumerate(internal)}

        def child(c):
            return index[c] if t.children_left[c] >= 0 else -int(np.argmax(t.value[c][0])) - 1
        roots.append(index[0])
        nodes += [(int(t.feature[i]), int(np.floor(t.threshold[i])) + 1,
                   child(t.children_left[i]), child(t.children_right[i])) for i in internal]
    model = TreeModel(int(nf), int(nc), nodes, roots, list(range(nc)))
    got = importance(model, array("h", X.ravel()), bytearray(y.astype(np.uint8)))
    assert np.allclose(got["importance"], clf.feature_importances_, atol=1e-9)


def test_four_simulated_activities_cluster_with_ari_above_0_8():
    from device.hal.sim_accel import SimAccel
    per, rate, window, hop = 3000, 100, 128, 64
    order = ("idle", "walking", "running", "shaking")
    n = per * len(order)
    samples = array("h", [0]) * (3 * n)
    buf = array("h", [0, 0, 0])
    for a, name in enumerate(order):
        s = SimAccel(rate, name, seed=7 + a)
        for t in range(per):
            s.read_into(buf, 0)
            for c in range(3):
                samples[c * n + a * per + t] = buf[c]
    starts = list(range(0, n - window + 1, hop))
    windows = [cut_window(samples, 3, n, k, window) for k in starts]
    truth = [(k + window // 2) // per for k in starts]
    ex = Explore(windows, {"rate": rate, "window": window, "channels": 3, "scale": 1 / 4096},
                 k=4).run()
    assert adjusted_rand_index(truth, ex.clusters) >= 0.8
    Z = sk_preprocessing.StandardScaler().fit_transform(
        np.array(ex.X, dtype=np.float64).reshape(len(windows), ex.d))
    ref = sk_decomposition.PCA(2).fit(Z)
    assert np.allclose(ex.explained, ref.explained_variance_ratio_, atol=1e-5)
