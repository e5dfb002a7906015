# k-means with emlearn_kmeans's API, pure Python (shared.kmeans) and the C module where our
# build has it, against scikit-learn's KMeans from the same initial centroids (same
# assignments) and a numpy version of emlearn's integer update (same centroids); plus the
# k-means++ start, inertia and the KMeans runner (golden vectors from
# scripts/make_golden_explore.py).
from array import array

from shared import kmeans
from shared.clustering import KMeans, inertia, init_plus_plus, renumber
from shared.cluster_metrics import adjusted_rand_index
from shared.compat import Rng
from shared.tests.explore_data import golden, implementations, raises, u8


def _impls():
    return implementations(kmeans, "emlearn_kmeans")


def test_cluster_matches_sklearn_from_same_centroids():
    g = golden("kmeans")
    for name, km in _impls():
        centroids = u8(g["init"])
        got = km.cluster(u8(g["values"]), centroids, features=g["d"], max_iter=100)
        assert list(got) == g["sklearn_labels"], name
        assert list(centroids) == g["centroids"], name


def test_cluster_iter_yields_changes_and_stops_when_stable():
    g = golden("kmeans")
    for name, km in _impls():
        n = len(g["values"]) // g["d"]
        assignments = array("B", [255] * n)
        changes = list(km.cluster_iter(u8(g["values"]), u8(g["init"]), assignments, g["d"],
                                       max_iter=100))
        assert len(changes) == g["iterations"], name
        assert changes[0] == n and changes[-1] == 0, (name, changes)
        assert list(assignments) == g["sklearn_labels"], name


def test_max_iter_two_matches_integer_reference():
    g = golden("kmeans")
    want = g["two_iterations"]
    for name, km in _impls():
        centroids = u8(g["init"])
        got = km.cluster(u8(g["values"]), centroids, features=g["d"], max_iter=2)
        assert list(got) == want["assignments"], name
        assert list(centroids) == want["centroids"], name


def test_empty_cluster_keeps_its_centroid():
    g = golden("kmeans_empty")
    for name, km in _impls():
        centroids = u8(g["init"])
        got = km.cluster(u8(g["values"]), centroids, features=g["d"])
        assert list(got) == g["assignments"], name
        assert list(centroids) == g["centroids"], name
        assert list(centroids[4:6]) == [255, 255], name


def test_euclidean_argmin_is_the_nearest_centroid():
    g = golden("kmeans")
    d = g["d"]
    values, cent = u8(g["values"]), u8(g["centroids"])
    for name, km in _impls():
        total = 0
        for s in range(len(values) // d):
            idx, dist = km.euclidean_argmin(cent, values[s * d:(s + 1) * d])
            assert idx == g["sklearn_labels"][s], name
            total += dist
        assert total == g["inertia"], name
        # ties go to the lowest index, like upstream
        assert km.euclidean_argmin(bytearray([5, 5, 1, 1, 5, 5]), bytearray([3, 3])) == (0, 8)


def test_bad_input_raises_value_error():
    for name, km in _impls():
        raises(ValueError, km.euclidean_argmin, bytearray([1, 2, 3]), bytearray([1, 2]))
        raises(ValueError, km.euclidean_argmin, bytearray(), bytearray([1]))
        raises(ValueError, km.cluster, bytearray(7), bytearray(6), features=3)
        raises(ValueError, km.cluster, bytearray(6), bytearray(0), features=3)
        raises(ValueError, km.cluster, bytearray(6), bytearray(6), features=0)
        raises(ValueError, km.cluster, bytearray(6), bytearray(6), features=255)
        values, cent = bytearray(6), bytearray(6)
        bad = array("B", [0, 7])           # 7 is no centroid index
        raises(ValueError, lambda: list(km.cluster_iter(values, cent, array("B", [0]), 3)))
        if name == "c":
            import emlearn_kmeans_c
            raises(ValueError, emlearn_kmeans_c.update, values, cent, bad, 3)
            raises(ValueError, km.cluster, array("h", [0] * 6), bytearray(6), features=3)
        else:
            raises(ValueError, km.update, values, cent, bad, 3)
        assert list(cent) == [0] * 6


def test_plus_plus_start_draws_the_reference_rows():
    g = golden("kmeans")
    for name, km in _impls():
        centroids, chosen = init_plus_plus(u8(g["values"]), g["d"], g["k"], Rng(1), km)
        assert chosen == g["plus_plus_seed1"], (name, chosen)
        d = g["d"]
        for c in range(g["k"]):
            r = chosen[c]
            assert list(centroids[c * d:(c + 1) * d]) == g["values"][r * d:(r + 1) * d]


def test_kmeans_runner_finds_the_blobs_and_numbers_clusters_by_first_row():
    g = golden("kmeans")
    for name, km in _impls():
        run = KMeans(u8(g["values"]), g["d"], g["k"], seed=1, n_init=2, km=km).fit()
        assert adjusted_rand_index(g["sklearn_labels"], run.assignments) == 1.0, name
        assert run.inertia == g["inertia"], name
        assert run.inertia == inertia(u8(g["values"]), g["d"], run.centroids, km)
        firsts = [list(run.assignments).index(c) for c in range(g["k"])]
        assert firsts == sorted(firsts), name
        assert sum(run.sizes()) == len(run.assignments)
        assert len(run.runs) == 2


def test_renumber_permutes_centroids_with_the_clusters():
    a = bytearray([2, 2, 0, 1, 0])
    cent = bytearray([10, 11, 20, 21, 30, 31])
    renumber(a, cent, 2, 3)
    assert list(a) == [0, 0, 1, 2, 1]
    assert list(cent) == [30, 31, 10, 11, 20, 21]
