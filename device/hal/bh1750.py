# ROHM BH1750 ambient light sensor on I2C (address 0x23, or 0x5C with ADDR high): opcodes,
# no registers and no id register (a chip that answers at the address is taken as one).
# Continuous measurement in one of three modes (datasheet p.5): "high" 1 lx steps, 120 ms
# (<= 180 ms) a measurement; "high2" 0.5 lx steps, 120 ms; "low" 4 lx steps, 16 ms; by default
# "high" up to 5 Hz and "low" above (a rate faster than the mode repeats the last value).
# lux = count / 1.2 x 69 / MTreg (/ 2 in high2); the channel holds count >> 1 (int16) with
# that factor x 2 as its scale. Memory: a 2-byte read buffer and a 1-byte command buffer.
from hal.fifo_accel import SensorError

POWER_ON = 0x01
RESET = 0x07
MODES = {"high": 0x10, "high2": 0x11, "low": 0x13}   # continuous modes
MT_DEFAULT = 69
CHANNELS = ("light",)


class BH1750:
    name = "imu"               # the board's sensor (config sensor "imu")
    KIND = "bh1750"
    channels = CHANNELS
    units = ("lx",)
    unit = "lx"
    rate = None

    def __init__(self, bus, addr=0x23, rate=1, mode=None, mtreg=MT_DEFAULT):
        self._bus = bus
        self.addr = addr
        self.bus_errors = 0
        self._c = bytearray(1)
        self._d = bytearray(2)
        if mode is None:
            mode = "high" if rate <= 5 else "low"
        if mode not in MODES:
            raise SensorError("BH1750 mode %r; valid: %s" % (mode, ", ".join(sorted(MODES))))
        if not 31 <= mtreg <= 254:
            raise SensorError("BH1750 MTreg is 31..254, got %d" % mtreg)
        self.mode = mode
        self.mtreg = mtreg
        self._cmd(POWER_ON)
        self._cmd(RESET)                      # clears the data register (needs power on)
        self._cmd(0x40 | (mtreg >> 5))        # MTreg high bits 01000_MT[7:5]
        self._cmd(0x60 | (mtreg & 0x1F))      # low bits 011_MT[4:0]
        self._cmd(MODES[mode])
        self.scale = 2 / 1.2 * MT_DEFAULT / mtreg / (2 if mode == "high2" else 1)

    def _cmd(self, op):
        self._c[0] = op
        self._bus.writeto(self.addr, self._c)

    def lux(self, count):
        """The datasheet's conversion of a 16-bit count (0x8390 in "high": 28067 lx)."""
        return count / 1.2 * MT_DEFAULT / self.mtreg / (2 if self.mode == "high2" else 1)

    def read_into(self, buf, off):
        try:
            self._bus.readfrom_into(self.addr, self._d)
        except OSError:
            self.bus_errors += 1
            raise
        buf[off] = ((self._d[0] << 8) | self._d[1]) >> 1

    def close(self):
        try:
            self._cmd(0x00)                   # power down
        except OSError:
            pass
