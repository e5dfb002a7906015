"""Stub: signatures of `emlearn_fft` in our builds (wasm/modules/emlearn_fft), the same API as
emlearn-micropython's module. Documentation only.

    fft = emlearn_fft.FFT(128)
    emlearn_fft.fill(fft, 128)       # optional here: our FFT(n) makes its tables itself
    fft.run(real, imag)              # array('f') of 128 each, in place
"""


class FFT:
    def __init__(self, n: int) -> None:
        """Radix-2 FFT of length n: a power of two, 2..65536 (ValueError otherwise). Makes the
        sin/cos tables (n/2 floats each) once."""

    def run(self, real, imag) -> None:
        """Forward FFT in place. real, imag: two different array('f') of length n (ValueError for
        another typecode or length, TypeError for a non-array). NaN or inf input: ValueError, arrays
        untouched. No allocation."""

    def fill(self, sin, cos) -> None:
        """Load twiddle tables: array('f') of n/2 with sin/cos(2*pi*i/n) (emlearn-micropython's
        low-level form; not needed with our build)."""


def fill(fft: FFT, n: int) -> None:
    """emlearn-micropython's helper: (re)compute the tables of `fft` for length n (ValueError if
    n is not the FFT's length)."""
