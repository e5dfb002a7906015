# ST LIS3DH / LIS2DH12 accelerometer read through its 32-sample FIFO in stream mode: +-8 g,
# high-resolution (12-bit, left-justified in int16), rates 10..400 Hz. Memory: the FifoAccel
# buffers (at most 48 bytes of burst); nothing per read.
from shared.compat import const
from hal.fifo_accel import FifoAccel, nearest, sleep_ms

_WHO_AM_I = const(0x0F)
_CTRL_REG1 = const(0x20)
_CTRL_REG4 = const(0x23)
_CTRL_REG5 = const(0x24)
_OUT_X_L = const(0x28)
_FIFO_CTRL = const(0x2E)
_FIFO_SRC = const(0x2F)

_AUTO_INC = const(0x80)     # register address MSB: multi-byte read (wraps OUT_Z_H -> OUT_X_L
                            # in FIFO mode, so one read takes several samples)
_XYZ = const(0x07)          # CTRL_REG1: the three axes on
_BOOT = const(0x80)         # CTRL_REG5: reload the trimming values (soft reset)
_FIFO_ON = const(0x40)      # CTRL_REG5
_BDU_8G_HR = const(0xA8)    # CTRL_REG4: block data update, +-8 g, high resolution
_STREAM = const(0x80)       # FIFO_CTRL mode bits; bits 4:0 = watermark
_OVRN = const(0x40)         # FIFO_SRC: full (32 unread); the next sample replaces the oldest
_EMPTY = const(0x20)
_FSS = const(0x1F)

# Hz -> CTRL_REG1 ODR field, within the config's 10..1000 Hz
_ODR = ((10, 2), (25, 3), (50, 4), (100, 5), (200, 6), (400, 7))
RATES = tuple(r for r, _ in _ODR)


class LIS3DH(FifoAccel):
    KIND = "lis3dh"
    ID_REG = _WHO_AM_I
    WHO_AM_I = 0x33                # LIS3DH and LIS2DH12 alike
    PACKET = 6                     # x y z, little-endian int16
    DEPTH = 32
    BIG_ENDIAN = False

    def _configure(self, rate):
        self._w8(_CTRL_REG5, _BOOT)
        sleep_ms(10)
        self.rate = nearest(rate, RATES)
        odr = 0
        for r, v in _ODR:
            if r == self.rate:
                odr = v
        self._w8(_CTRL_REG1, (odr << 4) | _XYZ)
        self._w8(_CTRL_REG4, _BDU_8G_HR)
        self.scale = 1 / 4000      # 4 mg per 12-bit step = 0.25 mg per int16 count

    def start(self):
        self._w8(_FIFO_CTRL, 0)    # bypass mode empties the FIFO
        self._w8(_CTRL_REG5, _FIFO_ON)
        self._w8(_FIFO_CTRL, _STREAM | self.burst)

    def _level(self):
        s = self._r8(_FIFO_SRC)
        if s & _OVRN:
            self.overflows += 1    # read the 32 samples; older ones were replaced
            return self.DEPTH
        if s & _EMPTY:
            return 0
        return s & _FSS

    def _read_fifo(self, buf):
        self._bus.readfrom_mem_into(self.addr, _OUT_X_L | _AUTO_INC, buf)

    def close(self):
        self._w8(_FIFO_CTRL, 0)
        self._w8(_CTRL_REG5, 0)
        self._w8(_CTRL_REG1, 0)    # power-down
