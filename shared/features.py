# Motion features of one window: per channel and for the magnitude, time-domain statistics and
# spectral band powers. The order is fixed by feature_names(); compute() fills a caller-owned
# array. Memory: FeatureExtractor allocates its FFT buffers (2 float32 arrays of the FFT
# length) and a magnitude buffer (float32, n_samples) once; compute() allocates nothing per window beyond boxed floats and loop ranges.
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

from shared.compat import native
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
    if impl in ("auto", "c"):
        try:
            import emlearn_fft
        except ImportError:
            if impl == "c":
                raise
        else:
            f = emlearn_fft.FFT(n)
            if hasattr(f, "fill"):  # emlearn-micropython wants the twiddles from Python
                s, c = sin_cos_tables(n)
                f.fill(s, c)
            return f, "c"
    elif impl != "python":
        raise ValueError("unknown FFT implementation %r" % impl)
    return _PyFFT(n), "python"


@native
def _stats(src, start, n, scale, out, pos):
    # pass 1: sum, sum of squares, min, max, zero crossings on the values as stored; int16
    # windows sum in (small, exact) ints, which allocate nothing on MicroPython
    s = 0
    ss = 0
    lo = src[start]
    hi = lo
    zc = 0
    prev_neg = lo < 0
    for i in range(start, start + n):
        v = src[i]
        s += v
        ss += v * v
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        neg = v < 0
        if neg != prev_neg:
            zc += 1
        prev_neg = neg
    mean = s * scale / n
    out[pos] = mean
    out[pos + 2] = lo * scale
    out[pos + 3] = hi * scale
    out[pos + 4] = math.sqrt(ss * scale * scale / n)
    out[pos + 5] = zc
    out[pos + 7] = (hi - lo) * scale
    return mean


@native
def _centre(src, start, n, m, scale, mean, re, im, out, pos):
    # pass 2: x - mean into the FFT buffers (zero-padded to m), variance, mean crossings
    var = 0.0
    mc = 0
    prev_neg = src[start] * scale - mean < 0
    for i in range(n):
        d = src[start + i] * scale - mean
        re[i] = d
        im[i] = 0.0
        var += d * d
        neg = d < 0
        if neg != prev_neg:
            mc += 1
        prev_neg = neg
    for i in range(n, m):
        re[i] = 0.0
        im[i] = 0.0
    out[pos + 1] = math.sqrt(var / n)
    out[pos + 6] = mc


@native
def _bands(re, im, n, m, bins, out, pos):
    nn = float(n * m)
    half = m // 2
    for b in range(0, len(bins), 2):
        p = 0.0
        for k in range(bins[b], bins[b + 1]):
            e = re[k] * re[k] + im[k] * im[k]
            p += e if k == half else e + e
        out[pos] = p / nn
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
        self._im = array("f", [0.0] * m)
        self._mag = array("f", [0.0] * n_samples) if magnitude else None
        # FFT bin ranges [k_lo, k_hi) per band, from exact comparisons k*rate vs edge*m
        bins = []
        for b in range(len(bands) - 1):
            ks = [k for k in range(1, m // 2 + 1)
                  if bands[b] * m <= k * rate < bands[b + 1] * m]
            bins.append(ks[0] if ks else 0)
            bins.append(ks[-1] + 1 if ks else 0)
        self._bins = array("H", bins)

    def new_output(self):
        return array("f", [0.0] * self.n_features)

    def compute(self, window, out, scale=1.0):
        """Fill out[0:n_features] (float array or list) with the features of `window`."""
        n = self.n_samples
        if len(window) < self.n_channels * n or len(out) < self.n_features:
            raise ValueError("window or output too small")
        if not scale > 0:
            raise ValueError("scale must be > 0")
        pos = 0
        for c in range(self.n_channels):
            self._axis(window, c * n, scale, out, pos)
            pos += self.per_axis
        if self.magnitude:
            mag = self._mag
            _magnitude(window, self.n_channels, n, scale, mag)
            self._axis(mag, 0, 1.0, out, pos)
        return out

    def _axis(self, src, start, scale, out, pos):
        n = self.n_samples
        m = self.fft_n
        mean = _stats(src, start, n, scale, out, pos)
        _centre(src, start, n, m, scale, mean, self._re, self._im, out, pos)
        self.fft.run(self._re, self._im)
        _bands(self._re, self._im, n, m, self._bins, out, pos + len(STATS))


@native
def _magnitude(src, n_channels, n, scale, mag):
    # sqrt(sum of squares) * scale: on int16 windows the sum stays in (small, exact) ints, so
    # a sample costs one float root instead of 2 * n_channels float operations
    sqrt = math.sqrt
    if n_channels == 3:
        for i in range(n):
            x = src[i]
            y = src[n + i]
            z = src[2 * n + i]
            mag[i] = sqrt(x * x + y * y + z * z) * scale
        return
    for i in range(n):
        s = 0
        for c in range(n_channels):
            v = src[c * n + i]
            s += v * v
        mag[i] = sqrt(s) * scale
