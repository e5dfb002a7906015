# ams AS7341 11-channel spectral sensor on I2C (address 0x39). Its six ADCs read the
# photodiodes the SMUX connects to them, so a whole spectrum takes two integrations:
#   cycle 1: F1 415, F2 445, F3 480, F4 515 nm, Clear, and the flicker diode on ADC5
#   cycle 2: F5 555, F6 590, F7 630, F8 680 nm, Clear, NIR 910 nm
# (the SMUX tables are ams' / Adafruit's F1F4_Clear_NIR and F5F8_Clear_NIR, with the flicker
# diode instead of NIR in cycle 1, so the 11 channels are F1..F8, Clear, NIR, FD).
# read_into never waits for an integration: it takes a finished one (STATUS2 AVALID), starts
# the other cycle and writes the newest complete spectrum; a rate faster than two
# integrations repeats values. Integration time t_int = (ATIME+1) x (ASTEP+1) x 2.78 us
# (default 30 x 600: 50.04 ms), ADC full scale min(65535, (ATIME+1)(ASTEP+1)); gain 0.5x..512x.
# Basic counts = raw / (gain x t_int in ms) (datasheet / AN "AS7341 basic counts"); a channel
# holds raw >> 1 (int16) and scale = 2 / (gain x t_int ms), so samples x scale are basic
# counts. Memory: two 20-byte SMUX tables (constants), a 13-byte read buffer, 11 raw values.
from array import array

from hal.fifo_accel import SensorError

_ENABLE = 0x80
_ATIME = 0x81
_ID = 0x92
_ASTATUS = 0x94          # reading it latches the six channels that follow (0x95..0xA0)
_STATUS2 = 0xA3
_CFG1 = 0xAA             # AGAIN
_CFG6 = 0xAF             # SMUX_CMD << 3
_ASTEP = 0xCA            # 16 bits, little-endian
_PON, _SP_EN, _SMUXEN = 0x01, 0x02, 0x10
_AVALID = 0x40
_SMUX_WRITE = 0x10       # CFG6: write the SMUX configuration from RAM (0x00..0x13)
ID = 0x24                # ID register bits 7:2 = 0b001001
STEP_US = 2.78
GAINS = (0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512)   # AGAIN 0..10
CHANNELS = ("f415", "f445", "f480", "f515", "f555", "f590", "f630", "f680", "clear", "nir",
            "flicker")
# SMUX RAM 0x00..0x13: each nibble connects one photodiode to ADC (value - 1), 0 = none
SMUX_F1F4 = bytes((0x30, 0x01, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00,
                   0x20, 0x04, 0x00, 0x30, 0x01, 0x50, 0x00, 0x60))
SMUX_F5F8 = bytes((0x00, 0x00, 0x00, 0x40, 0x02, 0x00, 0x10, 0x03, 0x50, 0x10, 0x03, 0x00,
                   0x00, 0x00, 0x24, 0x00, 0x00, 0x50, 0x00, 0x06))
# where each cycle's ADC0..5 go among CHANNELS
_DEST = ((0, 1, 2, 3, 8, 10), (4, 5, 6, 7, 8, 9))


def t_int_ms(atime, astep):
    return (atime + 1) * (astep + 1) * STEP_US / 1000


def full_scale(atime, astep):
    return min(65535, (atime + 1) * (astep + 1))


def basic_counts(raw, gain, atime, astep):
    return raw / (gain * t_int_ms(atime, astep))


class AS7341:
    name = "imu"               # the board's sensor (config sensor "imu")
    KIND = "as7341"
    channels = CHANNELS
    unit = "basic counts"
    rate = None

    def __init__(self, bus, addr=0x39, rate=1, gain=16, atime=29, astep=599):
        self._bus = bus
        self.addr = addr
        self.bus_errors = 0
        self.saturated = 0        # readings at the ADC's full scale (lower the gain)
        self._b1 = bytearray(1)
        self._d = bytearray(13)
        self.raw = array("H", bytes(2 * 11))
        v = self._r8(_ID)
        if v & 0xFC != ID:
            raise SensorError("the chip at I2C address 0x%02x has id 0x%02x, not an AS7341 "
                              "(0x24 in bits 7:2)" % (addr, v))
        if gain not in GAINS:
            raise SensorError("AS7341 gain %r; valid: %s" % (gain, ", ".join(str(g) for g in GAINS)))
        if not 0 <= atime <= 255 or not 0 <= astep <= 65534:
            raise SensorError("AS7341 ATIME is 0..255 and ASTEP 0..65534")
        self.gain, self.atime, self.astep = gain, atime, astep
        self.full = full_scale(atime, astep)
        self.scale = 2 / (gain * t_int_ms(atime, astep))
        self._w8(_ENABLE, _PON)
        self._w8(_ATIME, atime)
        self._w8(_ASTEP, astep & 0xFF)
        self._w8(_ASTEP + 1, astep >> 8)
        self._w8(_CFG1, GAINS.index(gain))
        self.spectra = 0          # complete spectra read
        self._cycle = 0
        self._start(0)

    def _r8(self, reg):
        self._bus.readfrom_mem_into(self.addr, reg, self._b1)
        return self._b1[0]

    def _w8(self, reg, v):
        self._b1[0] = v
        self._bus.writeto_mem(self.addr, reg, self._b1)

    def _start(self, cycle):
        """Connect cycle's photodiodes (SMUX write command) and start an integration."""
        self._w8(_ENABLE, _PON)                       # SP_EN off while the SMUX changes
        self._w8(_CFG6, _SMUX_WRITE)
        self._bus.writeto_mem(self.addr, 0x00, SMUX_F5F8 if cycle else SMUX_F1F4)
        self._w8(_ENABLE, _PON | _SMUXEN)
        for _ in range(100):                          # SMUXEN clears when done (~100 us)
            if not self._r8(_ENABLE) & _SMUXEN:
                break
        else:
            raise SensorError("AS7341 SMUX command did not finish")
        self._cycle = cycle
        self._w8(_ENABLE, _PON | _SP_EN)

    def poll(self):
        """Take a finished integration if there is one (then start the next cycle): True
        when it completed a spectrum."""
        if not self._r8(_STATUS2) & _AVALID:
            return False
        d = self._d
        self._bus.readfrom_mem_into(self.addr, _ASTATUS, d)
        dest = _DEST[self._cycle]
        for k in range(6):
            v = d[1 + 2 * k] | (d[2 + 2 * k] << 8)
            if v >= self.full:
                self.saturated += 1
            self.raw[dest[k]] = v
        done = self._cycle == 1
        if done:
            self.spectra += 1
        self._start(1 - self._cycle)
        return done

    def read_into(self, buf, off):
        try:
            self.poll()
        except OSError:
            self.bus_errors += 1
            raise
        raw = self.raw
        for j in range(11):
            buf[off + j] = raw[j] >> 1

    def close(self):
        try:
            self._w8(_ENABLE, 0)
        except OSError:
            pass
