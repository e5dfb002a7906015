# Base of the I2C accelerometer drivers that sample into the chip's own FIFO (MPU-6050,
# MPU-6886, LIS3DH): the chip keeps time, drain() moves what waits in its FIFO into the
# sampler's Ring in bursts. Memory: a burst buffer, a one-sample buffer and two register
# buffers, made by the constructor; drain() allocates nothing.
from shared.compat import const

try:
    from time import sleep_ms
except ImportError:   # CPython (host tests)
    from time import sleep as _sleep

    def sleep_ms(ms):
        _sleep(ms / 1000)

POLL_MS = const(50)   # a burst holds about this much time of samples (bounded by the FIFO)
_MAX_FAILS = const(10)   # bus errors in a row before the sensor counts as gone

# WHO_AM_I values of chips people wire up by mistake, to say what was found instead
KNOWN_IDS = {0x68: "an MPU-6050", 0x19: "an MPU-6886", 0x70: "an MPU-6500",
             0x71: "an MPU-9250", 0x12: "an ICM-20602", 0x33: "a LIS3DH/LIS2DH12",
             0x32: "a LIS331/LSM303 accelerometer", 0x44: "a LIS2DW12"}


class SensorError(ValueError):
    """The sensor is missing, is another chip, or cannot run as configured."""


def nearest(rate, rates):
    """The supported rate closest to rate (the first of two equally close ones)."""
    best = rates[0]
    for r in rates:
        if abs(r - rate) < abs(best - rate):
            best = r
    return best


class FifoAccel:
    """3-axis accelerometer in g: channels, scale (g per count), rate (the chip's, nearest to
    the one asked for), fifo=True (the sampler polls drain() every poll_ms instead of pacing
    read_into). Subclasses set KIND, WHO_AM_I, ID_REG, PACKET (bytes per sample in the FIFO),
    DEPTH (samples the FIFO holds), BIG_ENDIAN and implement _configure, start, _level,
    _read_fifo and close."""
    name = "imu"
    channels = ("x", "y", "z")
    fifo = True

    def __init__(self, bus, addr, rate):
        self._bus = bus
        self.addr = addr
        self._b1 = bytearray(1)
        self._b2 = bytearray(2)
        self.overflows = 0        # times the FIFO was found full (samples may be lost)
        self.samples = 0          # samples moved into the ring
        self.bus_errors = 0       # I2C transfers that failed (retried at the next poll)
        self._fails = 0
        self._check_id()
        self._configure(rate)     # sets self.rate and self.scale
        b = self.rate * POLL_MS // 1000
        b = max(1, min(b, self.DEPTH // 4))
        self.burst = b            # samples per I2C read (also the chip's watermark)
        self.poll_ms = max(5, b * 1000 // self.rate)
        self._buf = bytearray(b * self.PACKET)
        self._one = bytearray(self.PACKET)

    # -- registers
    def _r8(self, reg):
        self._bus.readfrom_mem_into(self.addr, reg, self._b1)
        return self._b1[0]

    def _w8(self, reg, value):
        self._b1[0] = value
        self._bus.writeto_mem(self.addr, reg, self._b1)

    def _check_id(self):
        got = self._r8(self.ID_REG)
        if got != self.WHO_AM_I:
            other = KNOWN_IDS.get(got)
            raise SensorError(
                "%s at I2C address 0x%02x: WHO_AM_I (register 0x%02x) reads 0x%02x, expected "
                "0x%02x%s" % (self.KIND, self.addr, self.ID_REG, got, self.WHO_AM_I,
                              " (that is %s: set \"sensor\" in board.json)" % other
                              if other else ""))

    # -- sampling
    def drain(self, ring, limit):
        """Move up to limit waiting samples into ring (int16 counts, x y z); returns how many.
        A FIFO found full counts in self.overflows (the chip driver recovers from it); a
        failed I2C transfer in self.bus_errors (raised after _MAX_FAILS in a row)."""
        got = 0
        try:
            n = self._level()
            if n > limit:
                n = limit
            b = self.burst
            while n >= b:
                self._read_fifo(self._buf)
                self._store(self._buf, b, ring)
                got += b
                n -= b
            while n:
                self._read_fifo(self._one)
                self._store(self._one, 1, ring)
                got += 1
                n -= 1
            self._fails = 0
        except OSError:
            self.bus_errors += 1
            self._fails += 1
            if self._fails >= _MAX_FAILS:
                raise
            self._recover()
        self.samples += got
        return got

    def _recover(self):
        """After a failed transfer (the FIFO may be partly read): nothing by default."""

    def _store(self, b, k, ring):
        out = ring.buf
        skip = self.PACKET - 6    # bytes after x y z in a packet (MPU-6886: temperature)
        be = self.BIG_ENDIAN
        j = 0
        for _ in range(k):
            off = ring.next_offset()
            for c in range(3):
                if be:
                    v = (b[j] << 8) | b[j + 1]
                else:
                    v = b[j] | (b[j + 1] << 8)
                out[off + c] = v - 65536 if v & 0x8000 else v
                j += 2
            j += skip
            ring.commit()
