# Eigenvalues and eigenvectors of a symmetric matrix (flat row-major, n*n), deterministic on
# every runtime: cyclic Jacobi for small matrices, and subspace iteration with Rayleigh-Ritz for
# the k largest eigenpairs of a larger one (what PCA needs). Memory: a few lists of n floats
# per wanted vector (plus two guard vectors); Jacobi works on a p*p copy (p <= k + 2).
#
# top(A, n, k): p = k + 2 start vectors from shared.compat.Rng are multiplied by A, made
# orthonormal, and the p*p projected matrix gives Ritz values and vectors; repeated until each
# of the k Ritz pairs has a residual |A x - l x| <= tol * l_max. Convergence goes with
# (l_{p+1} / l_k) per iteration, so the guard vectors help when l_k is close to l_{k+1}.
# Tolerances never go below what the float width allows (32-bit floats on an ESP32).
import math

from shared.compat import Rng

EPS = 1.1920929e-07 if 1.0 + 1e-10 == 1.0 and 1.0 + 1e-8 == 1.0 else 2.220446049250313e-16


def _dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


def _flip(v):
    """Sign convention (as scikit-learn's PCA): the largest |component| is positive."""
    big = 0
    for i in range(len(v)):
        if abs(v[i]) > abs(v[big]):
            big = i
    if v[big] < 0:
        for i in range(len(v)):
            v[i] = -v[i]
    return v


def jacobi(A, n, max_sweeps=60):
    """All eigenpairs of the symmetric n*n matrix A (flat): (values, vectors), values in
    decreasing order, vectors[c] the unit eigenvector of values[c] (largest |component|
    positive). A is not modified."""
    a = [float(A[i]) for i in range(n * n)]
    v = [1.0 if i % (n + 1) == 0 else 0.0 for i in range(n * n)]   # columns = eigenvectors
    for _ in range(max_sweeps):
        off = 0.0
        diag = 0.0
        for p in range(n):
            diag += a[p * n + p] * a[p * n + p]
            for q in range(p + 1, n):
                off += a[p * n + q] * a[p * n + q]
        if off <= EPS * EPS * diag or off == 0.0:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[p * n + q]
                if apq == 0.0:
                    continue
                theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq)
                t = (1.0 if theta >= 0 else -1.0) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for r in range(n):          # columns p and q
                    arp, arq = a[r * n + p], a[r * n + q]
                    a[r * n + p] = c * arp - s * arq
                    a[r * n + q] = s * arp + c * arq
                for r in range(n):          # rows p and q
                    apr, aqr = a[p * n + r], a[q * n + r]
                    a[p * n + r] = c * apr - s * aqr
                    a[q * n + r] = s * apr + c * aqr
                for r in range(n):
                    vrp, vrq = v[r * n + p], v[r * n + q]
                    v[r * n + p] = c * vrp - s * vrq
                    v[r * n + q] = s * vrp + c * vrq
    order = sorted(range(n), key=lambda i: -a[i * n + i])
    values = [a[i * n + i] for i in order]
    vectors = [_flip([v[r * n + i] for r in range(n)]) for i in order]
    return values, vectors


def _matvecs(A, n, vs):
    """[A v for v in vs] (A flat n*n)."""
    p = len(vs)
    out = [[0.0] * n for _ in range(p)]
    for i in range(n):
        b = i * n
        for c in range(p):
            v = vs[c]
            s = 0.0
            for j in range(n):
                s += A[b + j] * v[j]
            out[c][i] = s
    return out


def _orthonormalise(vs, n, rng):
    """Modified Gram-Schmidt in place (twice, for accuracy); a vector that vanishes is replaced
    by a fresh random one."""
    for c in range(len(vs)):
        for _attempt in range(4):
            v = vs[c]
            before = math.sqrt(_dot(v, v))
            for _twice in range(2):
                for e in range(c):
                    u = vs[e]
                    h = _dot(u, v)
                    for i in range(n):
                        v[i] -= h * u[i]
            norm = math.sqrt(_dot(v, v))
            if norm > 1e3 * EPS * before and norm > 0.0:
                for i in range(n):
                    v[i] /= norm
                break
            vs[c] = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    return vs


def top(A, n, k, tol=1e-6, max_iter=500, seed=1, guard=2):
    """The k largest eigenpairs of the symmetric n*n matrix A (flat): (values, vectors,
    iterations), decreasing values, unit vectors with the largest |component| positive."""
    k = min(k, n)
    p = min(n, k + guard)
    if p == n:                   # small: do them all at once
        values, vectors = jacobi(A, n)
        return values[:k], vectors[:k], 0
    tol = max(tol, 30.0 * EPS)
    rng = Rng(seed)
    q = _orthonormalise([[rng.uniform(-1.0, 1.0) for _ in range(n)] for _ in range(p)], n, rng)
    values, ritz, it = [0.0] * p, q, 0
    for it in range(1, max_iter + 1):
        z = _matvecs(A, n, q)
        h = [0.0] * (p * p)
        for a in range(p):
            for b in range(a, p):
                h[a * p + b] = h[b * p + a] = 0.5 * (_dot(q[a], z[b]) + _dot(q[b], z[a]))
        values, y = jacobi(h, p)
        ritz = [[0.0] * n for _ in range(p)]     # x_c = Q y_c, A x_c = Z y_c
        az = [[0.0] * n for _ in range(p)]
        for c in range(p):
            for e in range(p):
                w = y[c][e]
                qe, ze, xc, ac = q[e], z[e], ritz[c], az[c]
                for i in range(n):
                    xc[i] += w * qe[i]
                    ac[i] += w * ze[i]
        scale = max(abs(values[0]), EPS)
        worst = 0.0
        for c in range(k):
            r = 0.0
            for i in range(n):
                d = az[c][i] - values[c] * ritz[c][i]
                r += d * d
            worst = max(worst, math.sqrt(r) / scale)
        if worst <= tol or values[0] == 0.0:
            break
        q = _orthonormalise(az, n, rng)
    return values[:k], [_flip(ritz[c]) for c in range(k)], it
