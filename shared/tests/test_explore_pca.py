# PCA of standardised features against scikit-learn (StandardScaler + PCA) and numpy, on every
# runtime: exact moments, the correlation matrix, eigenvalues, components (up to sign), the
# explained variance ratio and the 2-D projection (golden vectors from
# scripts/make_golden_explore.py). Tolerances allow 32-bit floats.
from shared import eigen
from shared.moments import Moments, ranges
from shared.pca import PCA
from shared.tests.explore_data import close, close_up_to_sign, f32, golden, raises

TOL = 2e-4 if eigen.EPS > 1e-10 else 1e-5      # ESP32-like single-precision builds


def _fit(n_components=3):
    g = golden("pca")
    X = f32(g["X"])
    return g, X, PCA(n_components).fit(X, g["d"])


def test_moments_mean_std_correlation_match_numpy():
    g = golden("pca")
    X, d = f32(g["X"]), g["d"]
    lo, hi = ranges(X, d, 0, 30)
    lo, hi = ranges(X, d, 30, None, lo, hi)      # in two steps, as a page does
    m = Moments(lo, hi)
    m.add_rows(X, 0, 50)
    m.add_rows(X, 50, g["n"])
    std = m.std()
    for j in range(d):
        assert abs(m.mean()[j] - g["mean"][j]) <= TOL * (abs(g["mean"][j]) + g["std"][j])
        assert abs(std[j] - g["std"][j]) <= TOL * g["std"][j] + 1e-12
    corr = m.correlation()
    k = d - 1                                    # the last feature is constant
    for i in range(k):
        close([corr[i * d + j] for j in range(k)], g["corr_nonconstant"][i * k:(i + 1) * k],
              TOL, "corr row %d" % i)
        assert corr[i * d + d - 1] == 0.0
    assert corr[d * d - 1] == 0.0 and std[d - 1] == 0.0


def test_moments_strided_rows_are_a_sample():
    # every 2nd row: the same as a table holding only those rows
    g = golden("pca")
    X, d, n = f32(g["X"]), g["d"], g["n"]
    lo, hi = ranges(X, d, 0, n, step=2)
    m = Moments(lo, hi)
    m.add_rows(X, 0, n, step=2)
    sub = f32([X[r * d + j] for r in range(0, n, 2) for j in range(d)])
    lo2, hi2 = ranges(sub, d)
    m2 = Moments(lo2, hi2)
    m2.add_rows(sub, 0, len(sub) // d)
    assert m.n == m2.n == n // 2
    assert m.mean() == m2.mean() and m.std() == m2.std()


def test_jacobi_eigenvalues_match_numpy():
    g = golden("pca")
    X, d = f32(g["X"]), g["d"]
    lo, hi = ranges(X, d)
    m = Moments(lo, hi)
    m.add_rows(X, 0, g["n"])
    values, vectors = eigen.jacobi(m.correlation(), d)
    close(values, g["eigenvalues"], TOL, "eigenvalues")
    for c in range(3):
        close_up_to_sign(vectors[c], g["components"][c], 10 * TOL, "jacobi vector %d" % c)


def test_pca_components_ratio_and_projection_match_sklearn():
    g, X, p = _fit(3)
    for c in range(3):
        close_up_to_sign(p.components[c], g["components"][c], 10 * TOL, "component %d" % c)
    close(p.explained_variance_ratio, g["explained_variance_ratio"], TOL, "ratio")
    assert p.components[0][g["d"] - 1] == 0.0      # the constant feature has no weight
    p2 = PCA(2).fit(X, g["d"])
    xy = p2.transform(X, g["d"])
    for c in range(2):
        s = close_up_to_sign(p2.components[c], g["components"][c], 10 * TOL, "c")
        got = [s * xy[2 * r + c] for r in range(g["n"])]
        want = [g["projection"][r][c] for r in range(g["n"])]
        close(got, want, 50 * TOL, "projection %d" % c)


def test_pca_sign_convention_largest_weight_positive():
    _, _, p = _fit(3)
    for comp in p.components:
        big = max(comp, key=abs)
        assert big > 0


def test_pca_all_components_by_jacobi_path():
    # 6 of 7 components: the subspace is the whole space, solved by Jacobi directly
    g, _, p = _fit(6)
    assert p.iterations == 0
    for c in range(3):
        close_up_to_sign(p.components[c], g["components"][c], 10 * TOL, "component %d" % c)
    close(p.eigenvalues[:6], g["eigenvalues"][:6], TOL, "eigenvalues")


def test_pca_rejects_one_row():
    raises(ValueError, PCA(2).fit, f32([1.0, 2.0]), 2)


def test_moments_clamp_values_outside_the_range_and_nan_to_lo():
    # the same statistics as the table clamped by hand (NaN counts as lo)
    nan = float("nan")
    X = f32([1.0, 2.0, nan, 4.0, 3.0, 1.0, -5.0, 100.0, 2.5, 3.5])
    lo, hi = [0.0, 1.0], [3.0, 4.0]
    clamped = f32([1.0, 2.0, 0.0, 4.0, 3.0, 1.0, 0.0, 4.0, 2.5, 3.5])
    a, b = Moments(lo, hi), Moments(lo, hi)
    a.add_rows(X, 0, 5)
    b.add_rows(clamped, 0, 5)
    assert a.mean() == b.mean() and a.std() == b.std()
    assert list(a.correlation()) == list(b.correlation())
