"""Stub: signatures of `emlearn_melspectrogram` in our builds (wasm/modules/emlearn_melspectrogram).
emlearn-micropython has this module name only as a work-in-progress skeleton (its `spectrogram`
branch: `new(...)` returning an object with `run(samples, mels)`); ours follows that shape.
Documentation only. shared/mel.py's MelFrames uses it where it imports.

    p = emlearn_melspectrogram.new(512, 32, 0.0, 8000.0, 16000)
    mels = array.array("f", [0.0] * 32)
    p.run(samples, mels)          # samples: array('f') of 512, full scale 1.0
"""


class processor:
    """Log-mel frames of one setting; every table is made by new()."""

    def run(self, samples, mels) -> None:
        """samples: array('f') of n_fft (not modified); mels: array('f') of n_mels, filled with
        10 log10(max(band power, 1e-10)) dB. The frame: emlearn's Hann window
        (eml_signal_hann_apply), eml_fft_forward, power (re^2 + im^2) / n_fft (both parts:
        emlearn 0.23.2's eml_audio_power_spectrogram squares only the real part), the mel
        triangles of eml_audio_melspec applied as a sparse table (eml_sparse_filterbank).
        Allocates nothing. NaN/inf samples, a wrong length or typecode: ValueError; a
        non-array: TypeError."""

    def filterbank(self, starts, stops, weights) -> None:
        """Copy the sparse table out: starts, stops array('H') of n_mels (band m sums bins
        starts[m]..stops[m] inclusive), weights array('f') of n_weights(), consecutive."""

    def n_weights(self) -> int:
        """Length of the weights table."""


def new(n_fft: int, n_mels: int, fmin: float, fmax: float, samplerate: int) -> processor:
    """n_fft a power of two 16..4096, n_mels 1..256, 0 <= fmin < fmax <= samplerate / 2
    (samplerate 1000..384000). ValueError when a band would reach outside the spectrum or hold
    no FFT bin (too many bands for n_fft). Memory for 512/32: about 10.7 KB."""
