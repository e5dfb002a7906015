# Motion features of one window: per channel and for the magnitude, time-domain statistics and
# spectral band powers. The order is fixed by feature_names(); compute() fills a caller-owned
# array. Memory: FeatureExtractor allocates once its FFT buffers (2 float32 arrays of the FFT
# length), a float32 array of zeros of that length and one of the padding (copied over the FFT
# buffers by slice assignment), and a magnitude buffer (float32, n_samples); compute() takes
# memoryview slices of the window (no copies) and allocates only boxed floats and small objects.
# Every axis costs one interpreted pass over its samples (sum, min and max run in C).
#
# Input window: array of n_channels * n_samples values, channel-major (all of channel 0, then
# channel 1, ...), int16 raw counts times `scale`, or floats (scale 1.0). Physical value x[i].
# For each "axis" (channel 0..n_channels-1, then "mag" = sqrt(sum over channels of x^2) per
# sample, unless magnitude=False) the features, in this order, are:
#   mean        sum(x)/n
#   std         population standard deviation sqrt(sum((x-mean)^2)/n)
#   min, max    smallest and largest value
#   rms         sqrt(sum(x^2)/n)
#   zero_cross  count of i in 1..n-1 with (x[i-1] >= 0) != (x[i] >= 0)
#   mean_cross  the same for x - mean
#   p2p         max - min
#   band_<lo>_<hi>hz  for each band [lo, hi) of BANDS_HZ: sum of one-sided power P_k over FFT
#               bins k (1..m/2) with lo <= k*rate/m < hi, where m is n rounded up to a power
#               of two, X = FFT of x - mean zero-padded to m samples (no window function),
#               P_k = 2|X_k|^2/(n*m) for k < m/2 and |X_k|^2/(n*m) at k = m/2, so the powers
#               of all bins add up to std^2 (Parseval). For n a power of two, m = n. Bins
#               above m/2 do not exist: a band above Nyquist is 0.
# Any window length n >= 2 works: a 5 s window at 10 Hz is 50 samples (FFT of 64).
# Feature name = "<axis>_<feature>", axes named x, y, z for 3 channels, else ch0, ch1, ...
from array import array
import math

from shared.compat import c_module, native
from shared.fft import FFT as _PyFFT, sin_cos_tables

# Band edges in Hz: multiples of 0.5 so k*rate < edge*n is exact on every runtime.
BANDS_HZ = (0.5, 2.0, 4.0, 8.0, 16.0, 32.0)
STATS = ("mean", "std", "min", "max", "rms", "zero_cross", "mean_cross", "p2p")


def _edge(e):
    whole = int(e)
    return "%d" % whole if e == whole else "%d.5" % whole


def band_names(bands=BANDS_HZ):
    return ["band_%s_%shz" % (_edge(bands[i]), _edge(bands[i + 1]))
            for i in range(len(bands) - 1)]


def axis_names(n_channels, channel_names=None, magnitude=True):
    if channel_names is None:
        channel_names = ("x", "y", "z") if n_channels == 3 else \
            ["ch%d" % i for i in range(n_channels)]
    if len(channel_names) != n_channels:
        raise ValueError("need %d channel names" % n_channels)
    names = list(channel_names)
    if magnitude:
        names.append("mag")
    return names


def feature_names(n_channels, channel_names=None, bands=BANDS_HZ, magnitude=True):
    """The ordered feature list (names) that compute() fills."""
    per_axis = list(STATS) + band_names(bands)
    return [a + "_" + f for a in axis_names(n_channels, channel_names, magnitude)
            for f in per_axis]


def fft_impls():
    """FFT implementations available here: always "python", plus "c" when emlearn_fft imports."""
    try:
        import emlearn_fft  # noqa: F401
        return ["python", "c"]
    except ImportError:
        return ["python"]


def make_fft(n, impl="auto"):
    """An FFT object with .run(real, imag): emlearn's C module when importable (impl "auto" or
    "c"), else the pure-Python one. Returns (fft, impl_name)."""
    m = c_module("emlearn_fft", impl, "FFT")
    if m is not None:
        f = m.FFT(n)
        if hasattr(f, "fill"):  # emlearn-micropython wants the twiddles from Python
            s, c = sin_cos_tables(n)
            f.fill(s, c)
        return f, "c"
    return _PyFFT(n), "python"


# sum() adds floats left to right on MicroPython and on CPython before 3.12, as the reference
# loop does; CPython 3.12+ compensates float sums, so there the float mean is summed in a loop.
# (1e30: a 32-bit float (ESP32) holds it, and a frozen 32-bit image can store the constant.)
_SUM_IN_ORDER = sum([1.0, 1e30, 1.0, -1e30]) == 0.0


def _sum(v):
    s = 0
    for x in v:
        s += x
    return s


def _pow2(scale):
    # True for scale = 2^k (|k| < 60): x * scale and every FFT operation then commute exactly
    # with dividing by scale (no rounding, overflow or subnormal at these magnitudes)
    return _frexp is not None and _frexp(scale)[0] == 0.5 and 2.0 ** -60 < scale < 2.0 ** 60


try:
    _frexp = math.frexp
except AttributeError:      # a port without it: every scale takes the scaled path
    _frexp = None


@native
def _centre(v, re, k, c, zero):
    # One pass over v: re[i] = d = x*k - c (x - c when k is 1.0: x * 1.0 == x), returns
    # (sum of x^2, sum of d^2, crossings of d < 0, and of x < 0 when `zero`, else 0).
    ss = 0
    var = 0.0
    mc = 0
    zc = 0
    i = 0
    if k == 1.0:
        pm = v[0] - c < 0
        if zero:
            pz = v[0] < 0
            for x in v:
                ss += x * x
                d = x - c
                re[i] = d
                i += 1
                var += d * d
                if (d < 0) is not pm:
                    mc += 1
                    pm = not pm
                if (x < 0) is not pz:
                    zc += 1
                    pz = not pz
        else:
            for x in v:
                ss += x * x
                d = x - c
                re[i] = d
                i += 1
                var += d * d
                if (d < 0) is not pm:
                    mc += 1
                    pm = not pm
        return ss, var, mc, zc
    pm = v[0] * k - c < 0
    if zero:
        pz = v[0] < 0
        for x in v:
            ss += x * x
            d = x * k - c
            re[i] = d
            i += 1
            var += d * d
            if (d < 0) is not pm:
                mc += 1
                pm = not pm
            if (x < 0) is not pz:
                zc += 1
                pz = not pz
    else:
        for x in v:
            ss += x * x
            d = x * k - c
            re[i] = d
            i += 1
            var += d * d
            if (d < 0) is not pm:
                mc += 1
                pm = not pm
    return ss, var, mc, zc


@native
def _axis_stats(v, n, scale, re, out, pos, ints, pow2):
    # The 8 statistics of a channel (v: its n values, a memoryview) and the FFT input in re[0:n].
    # sum, min and max run in C; _centre's one interpreted pass does the rest. Zero crossings
    # are counted only when there are values on both sides of zero (on a gravity axis none).
    # Returns the factor of the band powers: with a power-of-two scale on int16 counts, re holds
    # (x*scale - mean)/scale, exactly (one float operation less per sample), so the variance
    # and the band powers are scale^2 times those of re, exactly.
    s = sum(v) if ints or _SUM_IN_ORDER else _sum(v)
    lo = min(v)
    hi = max(v)
    mean = s * scale / n
    both = lo < 0 <= hi or not (ints or lo >= 0)    # (a float NaN compares false: count)
    if pow2:
        f = scale * scale
        ss, var, mc, zc = _centre(v, re, 1.0, mean / scale, both)
        var *= f
    else:
        f = 1.0
        ss, var, mc, zc = _centre(v, re, scale, mean, both)
    out[pos] = mean
    out[pos + 1] = math.sqrt(var / n)
    out[pos + 2] = lo * scale
    out[pos + 3] = hi * scale
    out[pos + 4] = math.sqrt(ss * scale * scale / n)
    out[pos + 5] = zc
    out[pos + 6] = mc
    out[pos + 7] = (hi - lo) * scale
    return f


@native
def _mag_stats(v, n, scale, lo, hi, re, out, pos):
    # The same for the magnitude: v holds n float values, times `scale` (a power of two, or 1.0
    # when v is scaled already; lo and hi from _magnitude); with scale 2^k every sum below is
    # 2^k (or 4^k) times the sum of the scaled values, exactly. Magnitudes are never negative:
    # no zero crossings. Returns the factor of the band powers.
    s = sum(v) if _SUM_IN_ORDER else _sum(v)
    mean = s * scale / n
    f = scale * scale
    ss, var, mc, zc = _centre(v, re, 1.0, mean / scale, False)
    var *= f
    out[pos] = mean
    out[pos + 1] = math.sqrt(var / n)
    out[pos + 2] = lo * scale
    out[pos + 3] = hi * scale
    out[pos + 4] = math.sqrt(ss * scale * scale / n)
    out[pos + 5] = 0
    out[pos + 6] = mc
    out[pos + 7] = (hi - lo) * scale
    return f


@native
def _bands(rev, im, half, bins, f, nn, out, pos):
    # band power = (sum of 2|X_k|^2, |X_k|^2 at k = m/2) / (n*m), rev a memoryview of re.
    # Doubling the sum instead of each term gives the same float (x2 is exact); k = m/2 is the
    # last bin, added last as in the sum over k.
    for a, b in bins:
        q = 0.0
        k = a
        for x in rev[a:b if b <= half else half]:
            y = im[k]
            k += 1
            q += x * x + y * y
        q += q
        if b > half:
            x = rev[half]
            y = im[half]
            q += x * x + y * y
        out[pos] = q * f / nn      # f is 1.0 or a power of two: exact
        pos += 1


def fft_length(n_samples):
    """The FFT length for a window of n_samples: the next power of two (zero padding)."""
    m = 2
    while m < n_samples:
        m *= 2
    return m


class FeatureExtractor:
    """Feature extraction for windows of n_channels x n_samples (any n_samples >= 2) at `rate`
    Hz. Buffers are allocated here, once: FFT buffers of fft_length(n_samples)."""

    def __init__(self, n_channels, n_samples, rate, bands=BANDS_HZ, magnitude=True,
                 channel_names=None, fft="auto"):
        if n_channels < 1:
            raise ValueError("a window needs at least one channel")
        if rate <= 0:
            raise ValueError("the sample rate must be > 0 Hz, got %r" % (rate,))
        if n_samples < 2:
            raise ValueError("a window needs at least 2 samples, got %r" % (n_samples,))
        for e in bands:
            if e * 2 != int(e * 2) or e < 0:
                raise ValueError("band edges must be multiples of 0.5 Hz")
        self.n_channels = n_channels
        self.n_samples = n_samples
        self.rate = rate
        self.bands = tuple(bands)
        self.magnitude = magnitude
        self.names = feature_names(n_channels, channel_names, bands, magnitude)
        self.n_axes = n_channels + (1 if magnitude else 0)
        self.per_axis = len(STATS) + len(bands) - 1
        self.n_features = len(self.names)
        m = self.fft_n = fft_length(n_samples)
        self.fft, self.fft_impl = make_fft(m, fft)
        self._re = array("f", [0.0] * m)
        self._rev = memoryview(self._re)
        self._im = array("f", [0.0] * m)
        self._zeros = array("f", [0.0] * m)     # copied over im per axis
        self._pad = array("f", [0.0] * (m - n_samples))     # copied over re[n:] per axis
        self._mag = array("f", [0.0] * n_samples) if magnitude else None
        self._magv = memoryview(self._mag) if magnitude else None
        # FFT bin ranges (k_lo, k_hi) per band, from exact comparisons k*rate vs edge*m
        bins = []
        for b in range(len(bands) - 1):
            ks = [k for k in range(1, m // 2 + 1)
                  if bands[b] * m <= k * rate < bands[b + 1] * m]
            bins.append((ks[0], ks[-1] + 1) if ks else (0, 0))
        self._bins = tuple(bins)
        self._nn = float(n_samples * m)

    def new_output(self):
        return array("f", [0.0] * self.n_features)

    def compute(self, window, out, scale=1.0):
        """Fill out[0:n_features] (float array or list) with the features of `window`."""
        n = self.n_samples
        if len(window) < self.n_channels * n or len(out) < self.n_features:
            raise ValueError("window or output too small")
        if not scale > 0:
            raise ValueError("scale must be > 0")
        try:
            src = memoryview(window)     # slices without copies
        except TypeError:
            src = window                 # a list: slices are copies
        ints = not isinstance(window[0], float)
        pow2 = ints and _pow2(scale)
        re = self._re
        im = self._im
        zeros = self._zeros
        pad = self._pad if self.fft_n > n else None
        run = self.fft.run
        rev = self._rev
        half = self.fft_n // 2
        bins = self._bins
        nn = self._nn
        n_st = len(STATS)
        pos = 0
        for a in range(self.n_axes):
            if a < self.n_channels:
                f = _axis_stats(src[a * n:(a + 1) * n], n, scale, re, out, pos, ints, pow2)
            else:
                mag = self._mag
                # with a power-of-two scale, mag holds magnitudes in counts (x * 1 left out)
                k = scale if pow2 else 1.0
                i_lo, i_hi = _magnitude(src, self.n_channels, n, scale / k, mag)
                f = _mag_stats(self._magv, n, k, mag[i_lo], mag[i_hi], re, out, pos)
            # the FFT of re[0:n], zero-padded to m, and the axis' band powers
            if pad is not None:
                re[n:] = pad
            im[:] = zeros
            run(re, im)
            _bands(rev, im, half, bins, f, nn, out, pos + n_st)
            pos += self.per_axis
        return out


@native
def _magnitude(src, n_channels, n, scale, mag):
    # mag[i] = sqrt(sum of squares) * scale: on int16 windows the sum q stays an exact int, so a
    # sample costs one float root. Returns the positions of the smallest and the largest q: they
    # hold the smallest and largest magnitude (root, scaling and the float32 store are
    # monotonic; a NaN compares false both ways), so the magnitude needs no min/max pass.
    sqrt = math.sqrt
    q = 0
    for c in range(n_channels):
        q += src[c * n] * src[c * n]
    q_lo = q_hi = q
    i_lo = i_hi = 0
    i = 0
    if n_channels == 3 and scale == 1.0:     # sqrt(q) * 1.0 == sqrt(q)
        vy = src[n:2 * n]
        vz = src[2 * n:3 * n]
        for x in src[0:n]:
            y = vy[i]
            z = vz[i]
            q = x * x + y * y + z * z
            mag[i] = sqrt(q)
            if q < q_lo:
                q_lo = q
                i_lo = i
            elif q > q_hi:
                q_hi = q
                i_hi = i
            i += 1
        return i_lo, i_hi
    if n_channels == 3:
        vy = src[n:2 * n]
        vz = src[2 * n:3 * n]
        for x in src[0:n]:
            y = vy[i]
            z = vz[i]
            q = x * x + y * y + z * z
            mag[i] = sqrt(q) * scale
            if q < q_lo:
                q_lo = q
                i_lo = i
            elif q > q_hi:
                q_hi = q
                i_hi = i
            i += 1
        return i_lo, i_hi
    for i in range(n):
        q = 0
        for c in range(n_channels):
            x = src[c * n + i]
            q += x * x
        mag[i] = sqrt(q) * scale
        if q < q_lo:
            q_lo = q
            i_lo = i
        elif q > q_hi:
            q_hi = q
            i_hi = i
    return i_lo, i_hi


# -- Feature sets. A model file names its set in metadata "feature_set" (absent: "motion", the
# extractor above); device and page build the extractor with make_extractor(set, ...).
#
# "spectral": for slow and spectral sensors (a spectrometer's 11 bands, a room's readings), few
# enough for 11 channels (3 per channel: 33 < MAX_FEATURES 127). Per channel, in this order:
#   <ch>_mean   sum(x)/n                       (physical units: counts times scale)
#   <ch>_std    sqrt(sum((x-mean)^2)/n)
#   <ch>_ratio  sum(x) / (sum of every channel's samples), 0 when that is 0: a band's share of
#               the light. A lamp's gain multiplies every band alike and cancels here, which
#               is what Beer-Lambert data needs (absorbance is a ratio of intensities).
# Integer windows: sums are exact ints, so the values are the same on every runtime (doubles;
# float32 on the ESP32). Memory: nothing beyond the caller's output array.
FEATURE_SETS = ("motion", "spectral")
SPECTRAL_STATS = ("mean", "std", "ratio")


def feature_set_of(meta):
    """The feature set a model's metadata names ("motion" when it names none); ValueError for
    an unknown one."""
    fs = meta.get("feature_set", "motion")
    if fs not in FEATURE_SETS:
        raise ValueError("unknown feature_set %r (known: %s)" % (fs, ", ".join(FEATURE_SETS)))
    return fs


def set_names(feature_set, n_channels, channel_names=None):
    """The ordered feature names of a feature set for n_channels."""
    if feature_set == "spectral":
        return [a + "_" + f for a in axis_names(n_channels, channel_names, False)
                for f in SPECTRAL_STATS]
    if feature_set == "motion":
        return feature_names(n_channels, channel_names)
    raise ValueError("unknown feature_set %r" % (feature_set,))


@native
def _chan_stats(v, n):
    # (sum, sum of squared deviations from the mean) of one channel's n values (a memoryview)
    s = 0
    for x in v:
        s += x
    mean = s / n
    q = 0.0
    for x in v:
        d = x - mean
        q += d * d
    return s, q


class SpectralExtractor:
    """The "spectral" feature set (above) for windows of n_channels x n_samples, channel-major,
    as FeatureExtractor's compute(window, out, scale)."""
    feature_set = "spectral"

    def __init__(self, n_channels, n_samples, rate=None, channel_names=None):
        if n_channels < 1:
            raise ValueError("a window needs at least one channel")
        if n_samples < 1:
            raise ValueError("a window needs at least 1 sample, got %r" % (n_samples,))
        self.n_channels = n_channels
        self.n_samples = n_samples
        self.rate = rate
        self.names = set_names("spectral", n_channels, channel_names)
        self.n_features = len(self.names)

    def new_output(self):
        return array("f", [0.0] * self.n_features)

    def compute(self, window, out, scale=1.0):
        n = self.n_samples
        nc = self.n_channels
        if len(window) < nc * n or len(out) < self.n_features:
            raise ValueError("window or output too small")
        if not scale > 0:
            raise ValueError("scale must be > 0")
        try:
            src = memoryview(window)
        except TypeError:
            src = window
        ints = not isinstance(window[0], float)
        total = sum(src[0:nc * n]) if ints or _SUM_IN_ORDER else _sum(src[0:nc * n])
        for c in range(nc):
            s, q = _chan_stats(src[c * n:(c + 1) * n], n)
            out[3 * c] = s * scale / n
            out[3 * c + 1] = math.sqrt(q / n) * scale
            out[3 * c + 2] = s / total if total != 0 else 0.0   # (the scale cancels)
        return out


def make_extractor(feature_set, n_channels, n_samples, rate, fft="auto"):
    """The extractor of a feature set (FeatureExtractor for "motion")."""
    if feature_set == "spectral":
        return SpectralExtractor(n_channels, n_samples, rate)
    if feature_set == "motion":
        return FeatureExtractor(n_channels, n_samples, rate, fft=fft)
    raise ValueError("unknown feature_set %r" % (feature_set,))
