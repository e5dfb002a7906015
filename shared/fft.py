# Pure-Python radix-2 FFT with the call shape of emlearn-micropython's `emlearn_fft.FFT(n)`:
# `.fill(sin, cos)` (optional, tables are filled at construction) and `.run(real, imag)` in place.
# Memory: two float32 twiddle tables of n/2 and a bit-reversal swap table, made once; run()
# allocates nothing but boxed floats. Same algorithm and float32 tables as emlearn's eml_fft.h.
import math
from array import array

from shared.compat import native


def sin_cos_tables(n):
    """The float32 twiddle tables emlearn's FFT uses: sin/cos(2*pi*i/n) for i < n/2."""
    half = n // 2
    step = (math.pi * 2.0) / n
    s = array("f", [0.0] * half)
    c = array("f", [0.0] * half)
    for i in range(half):
        s[i] = math.sin(step * i)
        c[i] = math.cos(step * i)
    return s, c


def _levels(n):
    levels = 0
    t = n
    while t > 1:
        t >>= 1
        levels += 1
    if n < 2 or (1 << levels) != n:
        raise ValueError("FFT length must be a power of two >= 2, got %d" % n)
    return levels


def _swap_table(n, levels):
    pairs = []
    for i in range(n):
        x = i
        j = 0
        for _ in range(levels):
            j = (j << 1) | (x & 1)
            x >>= 1
        if j > i:
            pairs.append(i)
            pairs.append(j)
    return array("H", pairs)


@native
def _run(re, im, cos_t, sin_t, swaps, n):
    # bit-reversed addressing permutation
    for p in range(0, len(swaps), 2):
        i = swaps[p]
        j = swaps[p + 1]
        t = re[i]
        re[i] = re[j]
        re[j] = t
        t = im[i]
        im[i] = im[j]
        im[j] = t
    # Cooley-Tukey decimation-in-time, as eml_fft.h: X[k] = sum x[m] exp(-2j*pi*k*m/n)
    size = 2
    while size <= n:
        half = size >> 1
        step = n // size
        for i in range(0, n, size):
            k = 0
            for j in range(i, i + half):
                l = j + half
                c = cos_t[k]
                s = sin_t[k]
                rl = re[l]
                il = im[l]
                tre = rl * c + il * s
                tim = il * c - rl * s
                rj = re[j]
                ij = im[j]
                re[l] = rj - tre
                im[l] = ij - tim
                re[j] = rj + tre
                im[j] = ij + tim
                k += step
        size <<= 1


class FFT:
    """In-place forward FFT of length n (a power of two) on float arrays of exactly n items."""

    def __init__(self, n):
        self.n = n
        self._swaps = _swap_table(n, _levels(n))
        self._sin, self._cos = sin_cos_tables(n)

    def fill(self, sin, cos):
        """Replace the twiddle tables (emlearn-micropython API; not needed here)."""
        if len(sin) != self.n // 2 or len(cos) != self.n // 2:
            raise ValueError("wrong array length")
        for i in range(self.n // 2):
            self._sin[i] = sin[i]
            self._cos[i] = cos[i]

    def run(self, real, imag):
        if len(real) != self.n or len(imag) != self.n:
            raise ValueError("wrong array length")
        _run(real, imag, self._cos, self._sin, self._swaps, self.n)
