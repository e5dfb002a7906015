# Small dense linear algebra for the anomaly models (shared.envelope, shared.gmm) in plain
# Python floats, the same on every runtime: weighted mean and covariance of rows, Cholesky
# factor, triangular inverse, and the "precision Cholesky" scikit-learn's mixtures use.
# Matrices are flat row-major array('d') of n*n (unboxed: a list of n*n floats would cost 16
# bytes or more per value on MicroPython's heap). Memory: each call returns new arrays of n or
# n*n doubles; the rows X (a flat table, d values a row) are only read.
from array import array
import math


def zeros(n):
    """array('d') of n zeros."""
    return array("d", bytes(8 * n))


class SingularError(ValueError):
    """A covariance matrix is not positive definite (the message names the pivot)."""
    pass


def sqdist(A, a, B, b, d):
    """Squared Euclidean distance between the d values of A from index a and of B from b."""
    s = 0
    for j in range(d):
        e = A[a + j] - B[b + j]
        s += e * e
    return s


def _weighted(rows, w):
    """(row, weight) of the rows with a non-zero weight (w indexed like rows; None: all 1)."""
    i = 0
    for r in rows:
        wi = 1.0 if w is None else w[i]
        i += 1
        if wi != 0.0:
            yield r, wi


def check_finite(v, what):
    """ValueError naming the first NaN or infinite value of v."""
    for i in range(len(v)):
        x = v[i]
        if not (x == x and x - x == 0.0):
            raise ValueError("%s: NaN or infinite value at index %d" % (what, i))


def mean_cov(X, d, rows=None, w=None, diag=False):
    """(mean, cov, weight sum) of the rows (row numbers `rows`, default all) of the flat table X
    with optional per-row weights w (indexed like `rows`): mean = sum w x / W, cov = sum w
    (x - mean)(x - mean)^T / W (1/W, as scikit-learn's empirical covariance), W = sum w.
    diag=True: only the variances (cov's diagonal; the rest stays 0), d times less work."""
    if rows is None:
        rows = range(len(X) // d)
    mean = zeros(d)
    total = 0.0
    for r, wi in _weighted(rows, w):
        total += wi
        b = r * d
        for j in range(d):
            mean[j] += wi * X[b + j]
    if total <= 0.0:
        raise ValueError("no rows (or all weights zero)")
    for j in range(d):
        mean[j] /= total
    cov = zeros(d * d)
    diff = zeros(d)
    for r, wi in _weighted(rows, w):
        b = r * d
        for j in range(d):
            diff[j] = X[b + j] - mean[j]
        for p in range(d):
            wp = wi * diff[p]
            if wp == 0.0:
                continue
            base = p * d
            for q in range(p if diag else 0, p + 1):
                cov[base + q] += wp * diff[q]
    for p in range(d):
        for q in range(p if diag else 0, p + 1):
            v = cov[p * d + q] / total
            cov[p * d + q] = v
            cov[q * d + p] = v
    return mean, cov, total


def cholesky(A, n):
    """Lower-triangular L with L L^T = A (A symmetric, flat n*n). SingularError when a pivot
    is not positive (A not positive definite) or not finite."""
    L = zeros(n * n)
    for i in range(n):
        bi = i * n
        for j in range(i + 1):
            bj = j * n
            s = A[bi + j]
            for k in range(j):
                s -= L[bi + k] * L[bj + k]
            if i == j:
                if not s > 0.0 or s == float("inf"):
                    raise SingularError("covariance not positive definite (pivot %d: %r)" % (i, s))
                L[bi + i] = math.sqrt(s)
            else:
                L[bi + j] = s / L[bj + j]
    return L


def lower_inverse(L, n):
    """Inverse of the lower-triangular L (flat n*n), lower-triangular, by forward substitution."""
    M = zeros(n * n)
    for c in range(n):
        M[c * n + c] = 1.0 / L[c * n + c]
        for i in range(c + 1, n):
            s = 0.0
            bi = i * n
            for k in range(c, i):
                s -= L[bi + k] * M[k * n + c]
            M[bi + c] = s / L[bi + i]
    return M


def precision_cholesky(cov, n):
    """U (upper-triangular, flat n*n) with U U^T = cov^-1: the transpose of L^-1 for cov = L L^T,
    as scikit-learn's precisions_cholesky_. Its diagonal is positive."""
    M = lower_inverse(cholesky(cov, n), n)
    return transpose(M, n)


def transpose(A, n):
    T = zeros(n * n)
    for i in range(n):
        for j in range(n):
            T[j * n + i] = A[i * n + j]
    return T


def gram(U, n):
    """U U^T (flat n*n): the precision matrix from its Cholesky factor."""
    P = zeros(n * n)
    for i in range(n):
        for j in range(i + 1):
            s = 0.0
            bi, bj = i * n, j * n
            for k in range(n):
                s += U[bi + k] * U[bj + k]
            P[bi + j] = s
            P[bj + i] = s
    return P


def log_det_diag(U, n):
    """sum(log(U[i, i])): log sqrt(det(precision)) for a precision Cholesky U."""
    s = 0.0
    for i in range(n):
        s += math.log(U[i * n + i])
    return s
