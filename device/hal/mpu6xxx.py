# InvenSense MPU-6050 and MPU-6886 accelerometers (the gyro is left running, unused) read
# through their 1 KB FIFO: +-8 g, sample rate 1 kHz / (1 + SMPLRT_DIV), low-pass filter below
# half the rate. Memory: the FifoAccel buffers (at most 256 bytes of burst); nothing per read.
from shared.compat import const
from hal.fifo_accel import FifoAccel, nearest, sleep_ms

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)    # MPU-6886 only: accelerometer low-pass filter
_FIFO_EN = const(0x23)
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)
_FIFO_WM_TH1 = const(0x60)      # MPU-6886 only: watermark in bytes, bits 9:8 ...
_FIFO_WM_TH2 = const(0x61)      # ... bits 7:0
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_FIFO_COUNTH = const(0x72)
_FIFO_R_W = const(0x74)
_WHO_AM_I = const(0x75)

_RESET = const(0x80)
_CLK_PLL = const(0x01)          # PWR_MGMT_1: awake, clock from the gyro PLL
_SLEEP = const(0x40)
_ACCEL_FIFO = const(0x08)       # FIFO_EN: accelerometer samples into the FIFO
_FIFO_ON = const(0x40)          # USER_CTRL
_FIFO_RESET = const(0x04)       # USER_CTRL
_OFLOW = const(0x10)            # INT_ENABLE / INT_STATUS: FIFO overflow
_FS_8G = const(0x10)            # ACCEL_CONFIG: +-8 g, 4096 counts per g
_FIFO_BYTES = const(1024)

# 1 kHz / (1 + SMPLRT_DIV) for the whole-number rates the config allows (10..1000 Hz)
RATES = (1000, 500, 250, 200, 125, 100, 50, 40, 25, 20, 10)


def _filter(rate, table):
    """The register value of the widest low-pass band at most rate/2 (else the narrowest)."""
    for hz, cfg in table:
        if 2 * hz <= rate:
            return cfg
    return table[-1][1]


class _MPU(FifoAccel):
    ID_REG = _WHO_AM_I
    BIG_ENDIAN = True

    def _configure(self, rate):
        self._w8(_PWR_MGMT_1, _RESET)
        sleep_ms(100)
        self._w8(_PWR_MGMT_1, _CLK_PLL)
        self.rate = nearest(rate, RATES)
        self._w8(_SMPLRT_DIV, 1000 // self.rate - 1)
        self._filters(self.rate)
        self._w8(_ACCEL_CONFIG, _FS_8G)
        self.scale = 1 / 4096
        self._w8(_INT_ENABLE, _OFLOW)

    def start(self):
        self._w8(_FIFO_EN, 0)
        self._w8(_USER_CTRL, _FIFO_RESET)
        self._watermark()
        self._w8(_USER_CTRL, _FIFO_ON)
        self._w8(_FIFO_EN, _ACCEL_FIFO)
        self._r8(_INT_STATUS)           # clears a stale overflow flag

    def _watermark(self):
        pass

    def _level(self):
        status = self._r8(_INT_STATUS)  # reading clears it
        self._bus.readfrom_mem_into(self.addr, _FIFO_COUNTH, self._b2)
        n = (self._b2[0] << 8) | self._b2[1]
        if status & _OFLOW or n >= self.DEPTH * self.PACKET:
            # Full: the chip overwrote the oldest bytes, so the packets may be cut anywhere.
            # Start again from an empty FIFO.
            self.overflows += 1
            self._w8(_USER_CTRL, _FIFO_ON | _FIFO_RESET)
            return 0
        return n // self.PACKET

    def _read_fifo(self, buf):
        self._bus.readfrom_mem_into(self.addr, _FIFO_R_W, buf)

    def _recover(self):
        # a burst cut short leaves the next packet anywhere: start from an empty FIFO
        try:
            self._w8(_USER_CTRL, _FIFO_ON | _FIFO_RESET)
        except OSError:
            pass

    def close(self):
        self._w8(_FIFO_EN, 0)
        self._w8(_USER_CTRL, 0)
        self._w8(_PWR_MGMT_1, _SLEEP)


class MPU6050(_MPU):
    KIND = "mpu6050"
    WHO_AM_I = 0x68
    PACKET = 6                     # x y z, big-endian int16
    DEPTH = _FIFO_BYTES // 6
    # CONFIG DLPF_CFG: accelerometer band (Hz) -> value; 1..6 keep the 1 kHz base rate
    _BANDS = ((184, 1), (94, 2), (44, 3), (21, 4), (10, 5), (5, 6))

    def _filters(self, rate):
        self._w8(_CONFIG, _filter(rate, self._BANDS))


class MPU6886(_MPU):
    KIND = "mpu6886"
    WHO_AM_I = 0x19
    PACKET = 8                     # x y z then the temperature, which the chip always adds
    DEPTH = _FIFO_BYTES // 8
    # ACCEL_CONFIG2 A_DLPF_CFG: band (Hz) -> value (ACCEL_FCHOICE_B = 0)
    _BANDS = ((218, 1), (99, 2), (44, 3), (21, 4), (10, 5), (5, 6))

    def _filters(self, rate):
        self._w8(_CONFIG, 1)       # gyro DLPF_CFG 1: SMPLRT_DIV applies; FIFO_MODE 0 (overwrite)
        self._w8(_ACCEL_CONFIG2, _filter(rate, self._BANDS))

    def _watermark(self):
        n = self.burst * self.PACKET
        self._w8(_FIFO_WM_TH1, n >> 8)
        self._w8(_FIFO_WM_TH2, n & 0xFF)
