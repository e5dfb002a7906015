# Simulated room over a day: temperature, humidity, pressure and light, as the "room" reader
# of a BME280 + BH1750 gives them (hal/slow.Room: scale 0.1; 0.1 degC, 0.1 %RH, 0.1 hPa,
# 0.1 lx). Time of day runs with the samples: a day lasts day_s seconds of sampled time
# (86400 real; PUT /api/sim {"day_s": 300} makes it 5 minutes; the simulator's speed x N
# multiplies again). Temperature 21.5 +- 2.5 degC (warmest at 15:00), humidity 50 -+ 8 %
# (opposite), pressure 1013 hPa drifting +-4 hPa over the day, light: daylight up to 300 lx
# (06:00-18:00, noon highest) plus the lamps (350 lx) switched on 06:30-08:00 and 18:00-23:00,
# which also warm the room by 0.4 degC. The truth: time of day and lamps (clock_h(), lamps()).
# Integer-only per sample (a 2**28 day phase, the shared sine table); allocates nothing.
# Memory: a dozen small ints.
from shared.compat import const

try:
    from hal.sim_accel import _SIN, SimAccel
except ImportError:
    from device.hal.sim_accel import _SIN, SimAccel

CHANNELS = ("temperature", "humidity", "pressure", "light")
UNITS = ("degC", "%RH", "hPa", "lx")
DAY_S = (60, 86400)       # a day's length in sampled seconds (PUT /api/sim {"day_s"})
_DAY = const(1 << 28)     # day phase: one day
_LAMPS = ((6.5, 8.0), (18.0, 23.0))   # hours the lamps are on
_LAMPS_Q = tuple((int(a * 65536 / 24), int(b * 65536 / 24)) for a, b in _LAMPS)  # 1/65536 day


def _lit(q):
    """Lamps on at day position q (0..65535)?"""
    for a, b in _LAMPS_Q:
        if a <= q < b:
            return True
    return False


def _sin(i):
    return _SIN[i & 255]


class SimRoom:
    name = "room"
    channels = CHANNELS
    units = UNITS
    unit = ""
    scale = 0.1
    rate = None

    def __init__(self, rate, day_s=86400, start_h=6.0, seed=12345):
        self._rate = rate
        self._rng = seed & 0x7FFFFFFF or 1
        for _ in range(8):
            self._rand()
        self._p = int(start_h / 24 * _DAY)
        self.set_day(day_s)

    _rand = SimAccel._rand

    def set_day(self, day_s):
        if isinstance(day_s, bool) or not isinstance(day_s, int) or \
                not DAY_S[0] <= day_s <= DAY_S[1]:
            raise ValueError("day_s must be a whole number %d..%d (seconds a simulated day "
                             "lasts)" % DAY_S)
        self.day_s = day_s
        self._inc = int(_DAY / (day_s * self._rate))   # (rate may be below 1 Hz)

    def clock_h(self):
        """The simulated time of day, hours."""
        return self._p * 24 / _DAY

    def lamps(self):
        return _lit(self._p >> 12)

    def read_into(self, buf, off):
        self._p = p = (self._p + self._inc) % _DAY
        i = p >> 20                                   # 0..255 over the day
        lamps = _lit(p >> 12)
        warm = _sin(i - 96)                           # +1 at 15:00
        r = self._rand
        buf[off] = 215 + (25 * warm >> 14) + (4 if lamps else 0) + r() % 3 - 1
        buf[off + 1] = 500 - (80 * warm >> 14) + r() % 7 - 3
        buf[off + 2] = 10130 + (40 * _sin(i + 30) >> 14) + r() % 3 - 1
        day = _sin(i - 64)                            # > 0 from 06:00 to 18:00
        light = (3000 * day >> 14) if day > 0 else 0
        buf[off + 3] = light + (3500 if lamps else 0) + r() % 41
