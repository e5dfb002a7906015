# The Explore computation end to end on synthetic windows of three activities (shared/tests/
# synth.py), on every runtime: k-means separates them (adjusted Rand index against the known
# activities), the steps report progress, the tables agree with the modules they come from,
# silhouette picks k, few labelled windows label the rest, and an odd window is the most unusual.
from array import array

from shared.cluster_metrics import adjusted_rand_index
from shared.explore import Explore
from shared.features import FeatureExtractor
from shared.pca import PCA
from shared.tests import synth

WINDOW = {"rate": 50, "window": 64, "channels": 3, "scale": 1.0 / 512}
_cache = {}


def _explore():
    if "ex" not in _cache:
        windows, labels = synth.dataset(per_class=12, n=64, seed=11)
        odd = array("h", windows[0])
        for i in range(0, 64, 8):
            odd[64 + i] = 30000                  # spikes on y: no other window looks like it
        windows.append(odd)
        labels.append(0)
        ex = Explore(windows, WINDOW, k=3, budget_ms=5)
        progress = list(ex.steps())
        _cache["ex"] = (ex, windows, labels, progress)
    return _cache["ex"]


def test_kmeans_separates_the_activities():
    ex, _, labels, _ = _explore()
    assert adjusted_rand_index(labels[:-1], ex.clusters[:-1]) >= 0.8
    assert len(ex.clusters) == ex.n and ex.kmeans.k == 3


def test_steps_report_progress_in_order():
    ex, _, _, progress = _explore()
    fractions = [p["fraction"] for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    stages = [p["stage"] for p in progress]
    for s in ("features", "moments", "pca", "project", "zscore", "kmeans", "done"):
        assert s in stages, s


def test_tables_agree_with_their_modules():
    ex, windows, _, _ = _explore()
    fe = FeatureExtractor(3, 64, 50)
    out = fe.new_output()
    fe.compute(windows[5], out, WINDOW["scale"])
    assert list(ex.X[5 * ex.d:6 * ex.d]) == list(out)
    assert ex.names == fe.names
    p = PCA(2).fit(ex.X, ex.d)
    xy = p.transform(ex.X, ex.d)
    assert max(abs(xy[i] - ex.xy[i]) for i in range(len(xy))) < 1e-3
    assert ex.u8 == ex.zscore.u8(ex.X)
    assert 0.0 < ex.explained[1] <= ex.explained[0] < 1.0


def test_choose_k_prefers_three():
    ex, _, _, _ = _explore()
    last = list(ex.choose_k(ks=(2, 3, 4, 5), max_rows=200))[-1]
    assert [row["k"] for row in last["table"]] == [2, 3, 4, 5]
    assert last["best"] == 3
    inertia = [row["inertia"] for row in last["table"]]
    assert inertia == sorted(inertia, reverse=True)


def test_few_labelled_windows_label_the_rest():
    ex, _, labels, _ = _explore()
    labelled = [0, 1, 2, 3, 4, 5]               # two of each activity (interleaved)
    p = ex.proposer(labelled, [labels[i] for i in labelled], k=1).run()
    right = sum(1 for i in range(len(p.rows) - 1) if p.labels[i] == labels[p.rows[i]])
    assert right == len(p.rows) - 1              # every synthetic window but the odd one


def test_the_odd_window_is_the_most_unusual():
    ex, windows, _, _ = _explore()
    o = ex.outliers(k=3).run()
    assert o.worst(1)[0][0] == len(windows) - 1


def test_summary_column_and_int16_steps():
    ex, _, _, _ = _explore()
    s = ex.summary()
    assert s["n"] == ex.n and s["k"] == 3 and sum(s["sizes"]) == ex.n
    assert s["pca_rows"] == ex.n and s["features"] == ex.names
    col = ex.column(4)
    assert len(col) == ex.n and col[7] == ex.X[7 * ex.d + 4]
    ex._q = None                                   # (other tests may have made it)
    progress = list(ex.int16_steps())
    assert progress[-1]["done"] == ex.n and progress[-1]["stage"] == "int16"
    assert ex.int16() == ex.zscore.i16(ex.X)
