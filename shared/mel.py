# Log-mel spectrogram frames, the reference for every runtime: emlearn's Hann window, an n_fft
# FFT (shared.features.make_fft: emlearn_fft in C where it imports), the power spectrum
# |X|^2 / n_fft and emlearn's mel filterbank exactly as eml_audio.h's eml_audio_melspec weighs
# the bins (HTK mel scale, triangles between centres evenly spaced in mel, no normalisation;
# its float32 steps are copied here so the bins and weights match the C code), then 10 log10.
# Defaults: 16 kHz, 512-point FFT, 32 bands over 0-8 kHz, a frame every 512 samples (32 ms, no
# overlap): 32 floats per 32 ms, about 1 KB/s as float32.
# Memory: the filterbank as a sparse table (starts/stops array('H') of n_mels, weights
# array('f'): 546 floats for the defaults), the window and two FFT buffers of n_fft floats;
# compute() allocates nothing but boxed floats (with the C binding: its own ~11 KB, nothing in
# Python, and compute() allocates nothing).
#
# One difference from eml_audio_melspectrogram (emlearn 0.23.2): its power step squares only the
# real part of the FFT, so its bands depend on the phase; here the power is re^2 + im^2.
# MelFrames runs the whole frame in our C binding emlearn_melspectrogram where it imports
# (wasm/modules: the same window, FFT, power and table, eml_sparse_filterbank; about 11 KB made
# once, nothing per frame), else the Python code below, as shared/iir.py does with emlearn_iir.
import math
from array import array

from shared.compat import c_module
from shared.features import make_fft

SAMPLERATE = 16000
N_FFT = 512
N_MELS = 32
HOP = 512
FMIN = 0.0
FLOOR = 1e-10            # power floor before the log: -100 dB (full scale sine: about +15 dB)

_f = array("f", [0.0])


def _f32(x):
    # x rounded to float32, as the C code's float variables hold it
    _f[0] = x
    return _f[0]


def mels_from_hz(hz):
    return _f32(2595.0 * math.log10(1.0 + hz / 700.0))


def mels_to_hz(mels):
    return _f32(700.0 * (_f32(10.0 ** _f32(mels / 2595.0)) - 1.0))


class _Params:
    def __init__(self, n_mels, fmin, fmax, n_fft, fs):
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.fs = fs
        self.melmin = mels_from_hz(_f32(fmin))
        melmax = mels_from_hz(_f32(fmax))
        self.melstep = _f32(_f32(melmax - self.melmin) / (n_mels + 1))
        self.end = _f32(fs / 2.0)
        self.steps = (1 + n_fft // 2) - 1

    def center(self, n):
        return mels_to_hz(_f32(self.melmin + _f32(n * self.melstep)))

    def bin(self, hz):
        return int(math.floor(_f32((self.n_fft + 1) * _f32(hz / self.fs))))

    def fft_freq(self, k):
        return _f32(_f32(k * self.end) / self.steps)


def filterbank(n_mels=N_MELS, fmin=FMIN, fmax=None, n_fft=N_FFT, fs=SAMPLERATE):
    """eml_audio_melspec's filters as a sparse table (starts, stops, weights): band m sums
    power[k] * weights[...] for k = starts[m] .. stops[m] inclusive, weights consecutive."""
    fmax = fs / 2.0 if fmax is None else fmax
    if not 0.0 <= fmin < fmax <= fs / 2.0:
        raise ValueError("mel range %r..%r Hz must lie within 0..%r Hz" % (fmin, fmax, fs / 2.0))
    if n_fft < 16 or n_fft & (n_fft - 1):
        raise ValueError("n_fft must be a power of two >= 16, got %r" % (n_fft,))
    p = _Params(n_mels, fmin, fmax, n_fft, fs)
    max_bin = 1 + n_fft // 2
    starts = array("H", bytes(2 * n_mels))
    stops = array("H", bytes(2 * n_mels))
    centres = array("H", bytes(2 * n_mels))
    total = 0
    for m in range(1, n_mels + 1):  # first the bins, so the weights are one array made once
        left = p.bin(p.center(m - 1))
        center = p.bin(p.center(m))
        right = p.bin(p.center(m + 1))
        if left < 0 or right >= max_bin:
            raise ValueError("mel band %d reaches bin %d of %d" % (m, right, max_bin))
        starts[m - 1] = left
        centres[m - 1] = center
        stops[m - 1] = right if right > center else center
        total += stops[m - 1] - left + 1
    lut = array("f", bytes(4 * total))
    o = 0
    for m in range(1, n_mels + 1):
        c0 = p.center(m - 1)
        c1 = p.center(m)
        c2 = p.center(m + 1)
        center = centres[m - 1]
        fdifflow = _f32(c1 - c0)
        fdiffupper = _f32(c2 - c1)
        top = 0.0
        for k in range(starts[m - 1], stops[m - 1] + 1):
            if k <= center:   # eml_audio_melspec's rising edge: bins left .. center
                w = _f32(-_f32(c0 - p.fft_freq(k)) / fdifflow)
            else:             # its falling edge: bins center + 1 .. right
                w = _f32(_f32(c2 - p.fft_freq(k)) / fdiffupper)
            w = 0.0 if w < 0.0 else (1.0 if w > 1.0 else w)
            lut[o] = w
            o += 1
            if w > top:
                top = w
        if top <= 0.0:
            raise ValueError("mel band %d of %d has no FFT bin: too many bands for n_fft %d"
                             % (m, n_mels, n_fft))
    return starts, stops, lut


def hann(n):
    """emlearn's Hann window (eml_signal_hann_apply, symmetric) of n points as float32:
    0.5 (1 - cos(2 pi i / (n - 1)))."""
    w = array("f", bytes(4 * n))
    for i in range(n):
        w[i] = 0.5 * (1 - math.cos(2.0 * math.pi * i / (n - 1)))
    return w


def apply_filterbank(power, starts, stops, lut, out):
    """out[m] = sum of power[k] * weight over band m (eml_sparse_filterbank)."""
    o = 0
    for m in range(len(starts)):
        acc = 0.0
        for k in range(starts[m], stops[m] + 1):
            acc += power[k] * lut[o]
            o += 1
        out[m] = acc


def impls():
    """Mel implementations available here: always "python", plus "c" when
    emlearn_melspectrogram imports."""
    try:
        import emlearn_melspectrogram  # noqa: F401
        return ["python", "c"]
    except ImportError:
        return ["python"]


class MelFrames:
    """Log-mel frames: compute(samples, out) with samples array('f') of n_fft (full scale 1.0,
    not modified) and out array('f') of n_mels, in dB (10 log10 of the band power, floor -100).
    impl "auto": the C binding emlearn_melspectrogram when it imports (self.impl "c"), else
    Python ("python"), whose FFT is chosen by `fft` (make_fft)."""

    def __init__(self, fs=SAMPLERATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=None,
                 fft="auto", impl="auto"):
        self.fs = fs
        self.n_fft = n_fft
        self.n_mels = n_mels
        c = c_module("emlearn_melspectrogram", impl, "mel")
        if c is not None and fs != int(fs):     # emlearn's mel parameters hold an int rate
            if impl == "c":
                raise ValueError("the C mel frames need a whole sample rate, got %r" % (fs,))
            c = None
        if c is not None:
            self._c = c.new(n_fft, n_mels, fmin, fs / 2.0 if fmax is None else fmax, int(fs))
            self.impl = self.fft_impl = "c"
            return
        self._c = None
        self.impl = "python"
        self.starts, self.stops, self.lut = filterbank(n_mels, fmin, fmax, n_fft, fs)
        self.window = hann(n_fft)
        self._fft, self.fft_impl = make_fft(n_fft, fft)
        self._re = array("f", bytes(4 * n_fft))
        self._im = array("f", bytes(4 * n_fft))

    def power(self, samples):
        """The windowed power spectrum |X|^2 / n_fft of one frame, in self._re[0 .. n_fft/2]
        (Python path only)."""
        n = self.n_fft
        if len(samples) != n:
            raise ValueError("a frame is %d samples, got %d" % (n, len(samples)))
        re = self._re
        im = self._im
        w = self.window
        for i in range(n):
            re[i] = samples[i] * w[i]
            im[i] = 0.0
        self._fft.run(re, im)
        scale = 1.0 / n
        for k in range(n // 2 + 1):
            a = re[k]
            b = im[k]
            re[k] = (a * a + b * b) * scale
        return re

    def compute(self, samples, out):
        if self._c is not None:
            self._c.run(samples, out)
            return
        power = self.power(samples)
        apply_filterbank(power, self.starts, self.stops, self.lut, out)
        for m in range(self.n_mels):
            v = out[m]
            out[m] = 10.0 * math.log10(v if v > FLOOR else FLOOR)
