# int16 quantisation of feature vectors, as emlearn trees expect, with a stored per-feature
# scale and offset fitted on training data. Memory: two int lists of n_features and one float
# list of factors; quantize_into() fills a caller-owned array('h') and allocates nothing else.
#
# Feature j: q = clamp(round_half_away(x * 2**-shift[j] - offset[j]), -32768, 32767), and
# x ~= (q + offset[j]) * 2**shift[j]. The scale is a power of two and the offset an integer
# number of steps, so x * 2**-shift is exact and the only rounding is one IEEE subtraction:
# every runtime with the same float width gets the same int16, and JSON stores only ints (no
# float parsing differences between CPython and MicroPython). NaN quantises to 0, +-inf clamps.
from shared.compat import isnan

INT16_MIN = -32768
INT16_MAX = 32767
LEVELS = 60000   # fit() spreads the training range over at most this many steps
_MIN_SHIFT = -40
_MAX_SHIFT = 100


def round_half_away(v):
    """Round to the nearest int, halves away from zero, exactly (v - int(v) is exact)."""
    t = int(v)
    frac = v - t
    if frac >= 0.5:
        t += 1
    elif frac <= -0.5:
        t -= 1
    return t


def quantize_value(x, factor, offset):
    if isnan(x):
        return 0
    v = x * factor - offset
    if v <= INT16_MIN:
        return INT16_MIN
    if v >= INT16_MAX:
        return INT16_MAX
    return round_half_away(v)


class Quantizer:
    """Per-feature power-of-two scale (shift) and integer offset."""

    def __init__(self, shifts, offsets):
        if len(shifts) != len(offsets):
            raise ValueError("shift and offset lists differ in length")
        for s in shifts:
            if not (isinstance(s, int) and _MIN_SHIFT <= s <= _MAX_SHIFT):
                raise ValueError("bad quantisation shift %r" % (s,))
        for o in offsets:
            if not isinstance(o, int) or isinstance(o, bool):
                raise ValueError("bad quantisation offset %r" % (o,))
        self.shifts = list(shifts)
        self.offsets = list(offsets)
        self.factors = [2.0 ** -s for s in shifts]
        self.n_features = len(shifts)

    @staticmethod
    def fit(rows, levels=LEVELS):
        """Fit on training feature rows (sequences of floats); non-finite values are ignored."""
        n = len(rows[0]) if rows else 0
        shifts = []
        offsets = []
        for j in range(n):
            col = [r[j] for r in rows]
            total = sum(col)
            if total - total == 0.0:     # all finite (no NaN/inf, no overflow): builtins
                lo, hi = min(col), max(col)
            else:
                lo = hi = None
                for x in col:
                    if x == x and x - x == 0.0:
                        if lo is None or x < lo:
                            lo = x
                        if hi is None or x > hi:
                            hi = x
            if lo is None:
                shifts.append(0)
                offsets.append(0)
                continue
            span = hi - lo
            s = 0
            while s < _MAX_SHIFT and span * 2.0 ** -s > levels:
                s += 1
            while s > _MIN_SHIFT and span * 2.0 ** -(s - 1) <= levels and \
                    abs(lo) * 2.0 ** -(s - 1) < 2 ** 50 and abs(hi) * 2.0 ** -(s - 1) < 2 ** 50:
                s -= 1
            shifts.append(s)
            offsets.append(round_half_away((lo + hi) * 0.5 * 2.0 ** -s))
        return Quantizer(shifts, offsets)

    def quantize_into(self, features, out):
        """Quantise features[0:n_features] into out (array('h') or list); returns out."""
        f = self.factors
        o = self.offsets
        for j in range(self.n_features):
            out[j] = quantize_value(features[j], f[j], o[j])
        return out

    def quantize(self, features):
        return self.quantize_into(features, [0] * self.n_features)

    def dequantize(self, q, j):
        return (q + self.offsets[j]) * 2.0 ** self.shifts[j]

    def to_dict(self):
        return {"shift": list(self.shifts), "offset": list(self.offsets)}

    @staticmethod
    def from_dict(d):
        if not isinstance(d, dict) or not isinstance(d.get("shift"), list) or \
                not isinstance(d.get("offset"), list):
            raise ValueError("quantisation needs 'shift' and 'offset' lists")
        return Quantizer(d["shift"], d["offset"])
