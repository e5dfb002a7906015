# Clustering metrics against scikit-learn on every runtime: the adjusted Rand index
# (adjusted_rand_score) and the silhouette of uint8 rows (silhouette_score), through the pure
# and the C emlearn_kmeans distances (golden vectors from scripts/make_golden_explore.py).
from shared import kmeans
from shared.cluster_metrics import Silhouette, adjusted_rand_index, sample_rows
from shared.tests.explore_data import golden, implementations, raises, u8


def test_adjusted_rand_index_matches_sklearn():
    for p in golden("metrics")["ari_pairs"]:
        got = adjusted_rand_index(p["a"], p["b"])
        assert abs(got - p["ari"]) < 1e-9, (got, p["ari"])


def test_adjusted_rand_index_ignores_label_names_and_checks_lengths():
    assert adjusted_rand_index(["a", "a", "b"], [7, 7, 3]) == 1.0
    raises(ValueError, adjusted_rand_index, [0, 1], [0])


def test_silhouette_matches_sklearn_on_all_rows():
    g = golden("metrics")["silhouette"]
    for name, km in implementations(kmeans, "emlearn_kmeans"):
        sil = Silhouette(u8(g["values"]), g["d"], max_rows=1000, km=km)
        steps = list(sil.steps(rows_per_step=10))
        assert steps[-1]["done"] == steps[-1]["total"] == sil.m - 1
        got = sil.score(g["labels"])
        assert abs(got - g["score"]) < 1e-5, (name, got, g["score"])


def test_silhouette_needs_two_clusters():
    g = golden("metrics")["silhouette"]
    sil = Silhouette(u8(g["values"]), g["d"])
    raises(ValueError, sil.score, [0] * (len(g["values"]) // g["d"]))


def test_sample_rows_is_deterministic_and_sorted():
    a = sample_rows(1000, 50, seed=3)
    assert a == sample_rows(1000, 50, seed=3) and a == sorted(set(a)) and len(a) == 50
    assert a != sample_rows(1000, 50, seed=4)
    assert sample_rows(10, 50) == list(range(10))
