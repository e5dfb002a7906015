# Principal component analysis of standardised feature rows (as scikit-learn's StandardScaler
# then PCA): the k directions of largest variance, their explained variance ratio, and the
# projection of rows onto them (for a 2-D scatter). Memory: the d*d correlation matrix
# (array('f')), k components of d floats, and the caller's output array (n * k floats).
#
# The correlation matrix comes exact from shared.moments (integer sums); its k largest
# eigenpairs from shared.eigen (deterministic subspace iteration). Components are unit vectors
# with their largest |weight| positive (scikit-learn's sign convention); a constant feature
# gets weight 0 and does not count in the total variance.
#
#   p = PCA(2).fit(X, d)                  # or p.fit_moments(m) with your own Moments steps
#   xy = p.transform(X, d)                # flat array('f'): x0, y0, x1, y1, ...
#   p.explained_variance_ratio            # [0.53, 0.28]
from array import array

from shared import eigen
from shared.moments import Moments, ranges


class PCA:
    def __init__(self, n_components=2, tol=1e-6, seed=1):
        self.n_components = n_components
        self.tol = tol
        self.seed = seed
        self.components = None      # k lists of d weights (on standardised features)
        self.eigenvalues = None     # variance of the standardised data along each component
        self.explained_variance_ratio = None
        self.mean = self.std = None
        self.iterations = 0

    def fit(self, X, d):
        """Fit on the flat row-major table X (d floats a row) in one go."""
        lo, hi = ranges(X, d)
        m = Moments(lo, hi)
        m.add_rows(X, 0, len(X) // d)
        return self.fit_moments(m)

    def fit_moments(self, m):
        """Fit from a shared.moments.Moments holding every row."""
        if m.n < 2:
            raise ValueError("PCA needs at least 2 rows")
        d = m.d
        corr = m.correlation()
        total = 0.0
        for j in range(d):
            total += corr[j * d + j]        # = the number of non-constant features
        k = min(self.n_components, d)
        values, vectors, self.iterations = eigen.top(corr, d, k, tol=self.tol, seed=self.seed)
        self.eigenvalues = [max(0.0, v) for v in values]
        self.explained_variance_ratio = [v / total if total > 0 else 0.0
                                         for v in self.eigenvalues]
        self.components = vectors
        self.mean = m.mean()
        self.std = m.std()
        self._weights = []          # component weight / std per feature (0 for constants)
        for c in range(k):
            self._weights.append([vectors[c][j] / self.std[j] if self.std[j] > 0 else 0.0
                                  for j in range(d)])
        return self

    def transform_rows(self, X, d, start, end, out):
        """Project rows start..end of X into out[r*k : r*k+k] (flat, k = n_components)."""
        if self.components is None:
            raise ValueError("fit first")
        mean = self.mean
        w = self._weights
        k = len(w)
        if k == 2:                  # the scatter plot's case, unrolled
            w0, w1 = w
            for r in range(start, end):
                b = r * d
                s0 = s1 = 0.0
                for j in range(d):
                    t = X[b + j] - mean[j]
                    s0 += t * w0[j]
                    s1 += t * w1[j]
                out[2 * r] = s0
                out[2 * r + 1] = s1
            return out
        for r in range(start, end):
            b = r * d
            for c in range(k):
                wc = w[c]
                s = 0.0
                for j in range(d):
                    s += (X[b + j] - mean[j]) * wc[j]
                out[r * k + c] = s
        return out

    def transform(self, X, d, out=None):
        """Projection of every row: flat array('f') of n * k."""
        n = len(X) // d
        k = len(self.components)
        if out is None:
            out = array("f", [0.0] * (n * k))
        return self.transform_rows(X, d, 0, n, out)
