# Simulated spectrometer (an AS7341 looking through a cuvette of dye at a lamp): band j reads
# shared.dye's Beer-Lambert counts at the set concentration (set_concentration, 0..dye.C_MAX
# mmol/L) times the lamp's gain, plus noise. The lamp drifts +-3 % (two slow sines, periods
# 53 s and 211 s of sampled time, phases from the seed), so sessions at one concentration
# differ a little, as a real lamp's do. Integer-only per sample (like sim_machine): the band
# counts are computed once per concentration change, read_into does small-int arithmetic on
# the shared sine table and allocates nothing. Memory: 11 ints of band counts, a dozen small
# ints (~0.3 KB with the module's tables); the truth (which concentration when) is logged by
# acquisition.Acquisition.set_concentration.
from array import array

from shared import dye
from shared.compat import const

try:
    from hal.sim_accel import _SIN, SimAccel                 # on the device (and device tests)
except ImportError:
    from device.hal.sim_accel import _SIN, SimAccel          # on a host: scripts, shared tests

NOISE = const(40)         # +- counts of read noise per band
_DRIFT = const(120)       # lamp gain swing, /4096 per sine (two: +-240/4096 ~ +-6 % at most)
_TURN = const(0xFFFFFF)


class SimSpectrometer:
    """channels/scale describe the samples (counts); read_into(buf, off) writes 11 bands."""
    name = "spectrometer"
    channels = dye.CHANNELS
    scale = 1.0
    unit = "counts"
    value_unit = dye.UNIT     # of the concentration (the value a session is labelled with)
    rate = None

    def __init__(self, rate, concentration=0.0, seed=12345):
        self._rng = seed & 0x7FFFFFFF or 1
        for _ in range(8):
            self._rand()
        self._a = self._rand() & _TURN
        self._b = self._rand() & _TURN
        self._ia = int((1 << 24) / (rate * 53)) or 1     # phase steps per sample (rate may
        self._ib = int((1 << 24) / (rate * 211)) or 1    # be below 1 Hz: one every N s)
        self._t = array("i", [0] * len(dye.LAMP))
        self.concentration = None
        self.set_concentration(concentration)

    _rand = SimAccel._rand    # the one noise source: xorshift32 within 31 bits

    def set_concentration(self, c):
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c <= dye.C_MAX:
            raise ValueError("concentration must be a number 0..%g %s" % (dye.C_MAX, dye.UNIT))
        for j in range(len(self._t)):
            self._t[j] = int(dye.counts(j, c))
        self.concentration = c

    def gain_permille(self):
        return (4096 + ((_DRIFT * _SIN[self._a >> 16] + _DRIFT * _SIN[self._b >> 16]) >> 14)) \
            * 1000 >> 12

    def read_into(self, buf, off):
        self._a = a = (self._a + self._ia) & _TURN
        self._b = b = (self._b + self._ib) & _TURN
        g = 4096 + ((_DRIFT * _SIN[a >> 16] + _DRIFT * _SIN[b >> 16]) >> 14)
        t = self._t
        n2 = 2 * NOISE + 1
        for j in range(len(t)):
            v = ((t[j] * g) >> 12) + self._rand() % n2 - NOISE
            buf[off + j] = 32767 if v > 32767 else 0 if v < 0 else v
