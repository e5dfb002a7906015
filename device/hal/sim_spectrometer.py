# Simulated spectrometer (an AS7341 looking through a cuvette of dye at a lamp): band j reads
# shared.dye's Beer-Lambert counts at the set concentration (set_concentration, 0..dye.C_MAX
# mmol/L) times the lamp's gain, plus noise. The lamp drifts +-3 % (two slow sines, periods
# 53 s and 211 s of sampled time, phases from the seed), so sessions at one concentration
# differ a little, as a real lamp's do. Integer-only per sample (like sim_machine): the band
# counts are computed once per concentration change, read_into does small-int arithmetic on
# the shared sine table and allocates nothing. Memory: 11 ints of band counts, a dozen small
# ints (~0.3 KB with the module's tables); the truth (which concentration when) is logged by
# acquisition.Acquisition.set_concentration (wall time, window seq) and here in the sensor's
# sample numbering (the last TRUTH_MAX changes: 16 x 12 bytes), from which the recorder labels
# a session with its value (values(row0, n), as sim_machine.truth labels it with classes).
from array import array

from shared import dye
from shared.compat import const

try:
    from hal.sim_accel import _SIN, SimAccel                 # on the device (and device tests)
except ImportError:
    from device.hal.sim_accel import _SIN, SimAccel          # on a host: scripts, shared tests

NOISE = const(40)         # +- counts of read noise per band
TRUTH_MAX = const(16)     # concentration changes remembered in sample numbering
_DRIFT = const(120)       # lamp gain swing, /4096 per sine (two: +-240/4096 ~ +-6 % at most)
_TURN = const(0xFFFFFF)


class SimSpectrometer:
    """channels/scale describe the samples (counts); read_into(buf, off) writes 11 bands."""
    name = "spectrometer"
    channels = dye.CHANNELS
    scale = 1.0
    unit = "counts"
    value_unit = dye.UNIT     # of the concentration (the value a session is labelled with)
    value_name = "concentration"
    labels_from = "simulated spectrometer"
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
        self._n = 0                                   # samples read
        self._ts = array("q", bytes(8 * TRUTH_MAX))   # sample number of each change ...
        self._tv = array("f", bytes(4 * TRUTH_MAX))   # ... and the concentration from there
        self._tn = 0
        self._base = 0.0          # the concentration before the oldest change kept
        self.concentration = None
        self.set_concentration(concentration)

    _rand = SimAccel._rand    # the one noise source: xorshift32 within 31 bits

    def set_concentration(self, c):
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c <= dye.C_MAX:
            raise ValueError("concentration must be a number 0..%g %s" % (dye.C_MAX, dye.UNIT))
        for j in range(len(self._t)):
            self._t[j] = int(dye.counts(j, c))
        if self.concentration is None or (self._n == 0 and self._tn == 0):
            self._base = c                            # from the first sample on
        elif c != self.concentration:
            i = self._tn % TRUTH_MAX
            if self._tn >= TRUTH_MAX:
                self._base = self._tv[i]              # the oldest change drops out
            self._ts[i] = self._n
            self._tv[i] = c
            self._tn += 1
        self.concentration = c

    def values(self, row0, n):
        """The concentration over samples row0..row0+n-1: [(start, end, mmol/L)] in those
        samples' numbering (0 = row0); a stretch before the oldest change kept is left out
        when changes were dropped."""
        kept = min(self._tn, TRUTH_MAX)
        first = self._tn - kept
        cur, at = self._base, 0
        if first:
            at = max(0, self._ts[first % TRUTH_MAX] - row0)
        out = []
        for j in range(first, self._tn):
            i = j % TRUTH_MAX
            s = self._ts[i] - row0
            if s <= at:
                cur = self._tv[i]
                continue
            if s >= n:
                break
            out.append((at, s, cur))
            cur, at = self._tv[i], s
        if at < n:
            out.append((at, n, cur))
        return out

    def gain_permille(self):
        return (4096 + ((_DRIFT * _SIN[self._a >> 16] + _DRIFT * _SIN[self._b >> 16]) >> 14)) \
            * 1000 >> 12

    def read_into(self, buf, off):
        self._n += 1
        self._a = a = (self._a + self._ia) & _TURN
        self._b = b = (self._b + self._ib) & _TURN
        g = 4096 + ((_DRIFT * _SIN[a >> 16] + _DRIFT * _SIN[b >> 16]) >> 14)
        t = self._t
        n2 = 2 * NOISE + 1
        for j in range(len(t)):
            v = ((t[j] * g) >> 12) + self._rand() % n2 - NOISE
            buf[off + j] = 32767 if v > 32767 else 0 if v < 0 else v
