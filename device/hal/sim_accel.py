# Simulated 3-axis accelerometer (host simulator; also usable on a board without an IMU).
# Seeded synthetic motion per activity, integer-only synthesis: a 256-entry int16 sine table
# and integer phase accumulators, so read_into() allocates nothing per sample.
from shared.compat import const

SCALE = 1 / 4096          # g per LSB (same range as a +-8 g IMU setting)
_ONE_G = const(4096)
_PHASE_BITS = const(24)   # phase accumulator: one cycle = 2**24
_PHASE_MASK = const(0xFFFFFF)
CHANNELS = ("x", "y", "z")

# name: (step frequency in mHz, x amp, y amp, z amp (LSB), noise amplitude (LSB), harmonic z amp)
_ACTIVITIES = {
    "idle": (250, 12, 10, 16, 12, 0),
    "walking": (1800, 700, 400, 1400, 120, 300),
    "running": (2800, 1800, 1000, 4400, 400, 1200),
    "shaking": (6000, 8000, 3000, 1500, 1500, 800),
}
ACTIVITIES = tuple(sorted(_ACTIVITIES))


def _sine_table():
    import math
    from array import array
    return array("h", (int(round(math.sin(2 * math.pi * i / 256) * 16384)) for i in range(256)))


_SIN = _sine_table()


def _clamp(v):
    if v > 32767:
        return 32767
    if v < -32768:
        return -32768
    return v


class SimAccel:
    """channels/scale describe the samples; read_into(buf, off) writes one sample (x, y, z)."""
    name = "sim"
    channels = CHANNELS
    scale = SCALE
    unit = "g"
    rate = None  # follows the configured sample rate

    def __init__(self, rate, activity="idle", seed=12345):
        self._rate = rate
        self._seed = seed & 0x7FFFFFFF or 1
        self._rng = self._seed
        self._phase = 0
        self._phase2 = 0
        self.set_activity(activity)

    def set_activity(self, name):
        if name not in _ACTIVITIES:
            raise ValueError("unknown activity %r; valid: %s" % (name, ", ".join(ACTIVITIES)))
        self.activity = name
        f_mhz, ax, ay, az, noise, h2 = _ACTIVITIES[name]
        self._inc = (f_mhz << _PHASE_BITS) // (1000 * self._rate)
        self._ax, self._ay, self._az, self._noise, self._h2 = ax, ay, az, noise, h2
        self._rng = self._seed  # same activity + seed -> same signal

    def _rand(self):
        # xorshift32 kept within 31 bits so ints stay small on 32-bit ports
        r = self._rng
        r ^= (r << 13) & 0x7FFFFFFF
        r ^= r >> 17
        r ^= (r << 5) & 0x7FFFFFFF
        self._rng = r
        return r

    def read_into(self, buf, off):
        p = (self._phase + self._inc) & _PHASE_MASK
        self._phase = p
        i = p >> 16                      # 0..255
        s1 = _SIN[i]                     # fundamental, +-16384
        q = (self._phase2 + (self._inc >> 1)) & _PHASE_MASK
        self._phase2 = q
        s_half = _SIN[q >> 16]           # half the step frequency: sideways sway
        s2 = _SIN[(i * 2) & 255]         # second harmonic
        n = self._noise
        n2 = 2 * n + 1
        buf[off] = _clamp((self._ax * s_half >> 14) + self._rand() % n2 - n)
        buf[off + 1] = _clamp((self._ay * _SIN[(i + 64) & 255] >> 14) + self._rand() % n2 - n)
        buf[off + 2] = _clamp(_ONE_G + (self._az * s1 >> 14) + (self._h2 * s2 >> 14)
                              + self._rand() % n2 - n)
