# Standardised feature rows as small integers: z = (x - mean) / std per feature (std 0: z = 0,
# as scikit-learn's StandardScaler), stored as uint8 for k-means (emlearn_kmeans works on uint8)
# or int16 for nearest neighbours (emlearn_neighbors works on int16). Memory: the output table
# (n * d bytes, or 2 * n * d), filled in place; d floats of parameters.
#
#   uint8:  clamp(floor(z * U8_PER_STD + 128.5), 0, 255)   z in [-4, 4) at 1/32 std per step
#   int16:  clamp(round(z * s), -limit, limit), s = limit / I16_STDS, where limit keeps the
#           squared distance of any two rows below 2**31 (emlearn's isqrt takes an int32):
#           (2 * limit)**2 * d < 2**31. For d = 52: limit 3213, s ~ 201 steps per std.
import math

from shared.model import zeros_h

U8_PER_STD = 32
I16_STDS = 16


class ZScore:
    """mean/std: per-feature lists (e.g. shared.moments.Moments.mean() and .std())."""

    def __init__(self, mean, std):
        self.d = len(mean)
        self.mean = list(mean)
        self.inv = [1.0 / s if s > 0 else 0.0 for s in std]
        self.limit = min(32767, int(math.sqrt((2 ** 31 - 1) / self.d) / 2))
        self.scale16 = self.limit / I16_STDS     # int16 steps per standard deviation

    def u8_rows(self, X, start, end, out):
        """Rows start..end of the flat float table X into out (bytearray or array('B'),
        n * d, same row positions)."""
        d, m = self.d, self.mean
        f = [v * U8_PER_STD for v in self.inv]
        for r in range(start, end):
            b = r * d
            for j in range(d):
                v = (X[b + j] - m[j]) * f[j] + 128.5
                out[b + j] = (255 if v >= 255.0 else int(v)) if v >= 0.0 else 0
        return out

    def u8(self, X):
        """The whole table as a bytearray of n * d."""
        out = bytearray(len(X))
        return self.u8_rows(X, 0, len(X) // self.d, out)

    def i16_rows(self, X, start, end, out):
        """Rows start..end of X into out (array('h'), n * d)."""
        d, m, lim = self.d, self.mean, self.limit
        f = [v * self.scale16 for v in self.inv]
        for r in range(start, end):
            b = r * d
            for j in range(d):
                v = (X[b + j] - m[j]) * f[j]
                if v >= 0.0:
                    q = int(v + 0.5)
                    out[b + j] = q if q < lim else lim
                elif v < 0.0:
                    q = -int(0.5 - v)
                    out[b + j] = q if q > -lim else -lim
                else:                       # NaN
                    out[b + j] = 0
        return out

    def i16(self, X):
        """The whole table as array('h') of n * d."""
        n = len(X) // self.d
        return self.i16_rows(X, 0, n, zeros_h(n * self.d))

