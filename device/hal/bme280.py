# Bosch BME280 temperature / humidity / pressure sensor on I2C (address 0x76, or 0x77 with SDO
# high), normal mode (x1 oversampling, no IIR filter, 0.5 ms standby: a fresh measurement
# every ~10 ms, so any rate up to 10 Hz reads a new one). Compensation is the datasheet's
# integer code (section 4.2.3: 32-bit temperature and humidity, 64-bit pressure) as is; the
# channels are temperature (0.01 degC), humidity (0.01 %RH) and pressure (0.01 kPa) int16
# counts with one scale 0.01. Memory: the calibration (18 small ints), an 8-byte read buffer;
# a read allocates only the pressure formula's big intermediate ints (MicroPython long ints):
# a few hundred bytes at <= 10 Hz, collected with the rest.
from shared.compat import const

from hal.fifo_accel import SensorError

_CALIB_TP = const(0x88)      # 26 bytes: dig_T1..dig_P9, (0xA0), dig_H1
_CHIP_ID = const(0xD0)
_RESET = const(0xE0)
_CALIB_H = const(0xE1)       # 7 bytes: dig_H2..dig_H6
_CTRL_HUM = const(0xF2)
_STATUS = const(0xF3)
_CTRL_MEAS = const(0xF4)
_CONFIG = const(0xF5)
_DATA = const(0xF7)          # press msb lsb xlsb, temp msb lsb xlsb, hum msb lsb

CHIP_ID = 0x60
# ids of the look-alikes people buy as "BME280" modules
OTHER_IDS = {0x58: "a BMP280 (no humidity)", 0x56: "a BMP280 sample", 0x57: "a BMP280 sample",
             0x61: "a BME680/688", 0x50: "a BMP388", 0x60: "a BME280"}
CHANNELS = ("temperature", "humidity", "pressure")
UNITS = ("degC", "%RH", "kPa")


def _u16(b, i):
    return b[i] | (b[i + 1] << 8)


def _s16(b, i):
    v = b[i] | (b[i + 1] << 8)
    return v - 65536 if v & 0x8000 else v


def _div(a, b):
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


class BME280:
    """channels/scale/units describe the samples; read_into(buf, off) writes (T, RH, p)."""
    name = "imu"               # the board's sensor (config sensor "imu")
    KIND = "bme280"
    channels = CHANNELS
    units = UNITS
    unit = ""                 # one per channel: units
    scale = 0.01
    rate = None               # follows the configured rate (normal mode keeps measuring)

    def __init__(self, bus, addr=0x76, rate=1):
        self._bus = bus
        self.addr = addr
        self.bus_errors = 0
        self._b1 = bytearray(1)
        self._d = bytearray(8)
        cid = self._r8(_CHIP_ID)
        if cid != CHIP_ID:
            raise SensorError("the chip at I2C address 0x%02x has id 0x%02x (%s), not a "
                              "BME280 (0x60)" % (addr, cid, OTHER_IDS.get(cid, "unknown")))
        self._w8(_RESET, 0xB6)
        for _ in range(50):          # copies the calibration to the registers (~2 ms)
            if not self._r8(_STATUS) & 0x01:
                break
        self.calibrate(bus.readfrom_mem(addr, _CALIB_TP, 26), bus.readfrom_mem(addr, _CALIB_H, 7))
        self._w8(_CTRL_HUM, 0x01)    # humidity x1 (takes effect with the ctrl_meas write)
        self._w8(_CONFIG, 0x00)      # standby 0.5 ms, filter off
        self._w8(_CTRL_MEAS, (1 << 5) | (1 << 2) | 3)   # T x1, p x1, normal mode
        self.t_fine = 0

    def calibrate(self, tp, h):
        """The trimming values from the two calibration blocks (datasheet table 16)."""
        self.T = (_u16(tp, 0), _s16(tp, 2), _s16(tp, 4))
        self.P = (_u16(tp, 6),) + tuple(_s16(tp, 8 + 2 * i) for i in range(8))
        e4, e5, e6 = h[3], h[4], h[5]
        h4 = (e4 << 4) | (e5 & 0x0F)
        h5 = (e6 << 4) | (e5 >> 4)
        self.H = (tp[25], _s16(h, 0), h[2], h4 - 4096 if h4 & 0x800 else h4,
                  h5 - 4096 if h5 & 0x800 else h5, h[6] - 256 if h[6] & 0x80 else h[6])

    def _r8(self, reg):
        self._bus.readfrom_mem_into(self.addr, reg, self._b1)
        return self._b1[0]

    def _w8(self, reg, v):
        self._b1[0] = v
        self._bus.writeto_mem(self.addr, reg, self._b1)

    # -- the datasheet's compensation (integer), section 4.2.3
    def temperature(self, adc_t):
        """0.01 degC; sets t_fine for the other two."""
        t1, t2, t3 = self.T
        var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11
        var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14
        self.t_fine = var1 + var2
        return (self.t_fine * 5 + 128) >> 8

    def pressure(self, adc_p):
        """Pa in Q24.8 (25767236 = 100653.27 Pa); 0 when the calibration would divide by 0."""
        p1, p2, p3, p4, p5, p6, p7, p8, p9 = self.P
        var1 = self.t_fine - 128000
        var2 = var1 * var1 * p6
        var2 = var2 + ((var1 * p5) << 17)
        var2 = var2 + (p4 << 35)
        var1 = ((var1 * var1 * p3) >> 8) + ((var1 * p2) << 12)
        var1 = (((1 << 47) + var1) * p1) >> 33
        if var1 == 0:
            return 0
        p = 1048576 - adc_p
        p = _div(((p << 31) - var2) * 3125, var1)
        var1 = (p9 * (p >> 13) * (p >> 13)) >> 25
        var2 = (p8 * p) >> 19
        return ((p + var1 + var2) >> 8) + (p7 << 4)

    def humidity(self, adc_h):
        """%RH in Q22.10 (47445 = 46.333 %RH)."""
        h1, h2, h3, h4, h5, h6 = self.H
        v = self.t_fine - 76800
        v = ((((adc_h << 14) - (h4 << 20) - (h5 * v)) + 16384) >> 15) * \
            (((((((v * h6) >> 10) * (((v * h3) >> 11) + 32768)) >> 10) + 2097152) * h2 + 8192)
             >> 14)
        v = v - (((((v >> 15) * (v >> 15)) >> 7) * h1) >> 4)
        v = 0 if v < 0 else 419430400 if v > 419430400 else v
        return v >> 12

    def read_into(self, buf, off):
        d = self._d
        try:
            self._bus.readfrom_mem_into(self.addr, _DATA, d)
        except OSError:
            self.bus_errors += 1
            raise
        adc_p = (d[0] << 12) | (d[1] << 4) | (d[2] >> 4)
        adc_t = (d[3] << 12) | (d[4] << 4) | (d[5] >> 4)
        adc_h = (d[6] << 8) | d[7]
        buf[off] = self.temperature(adc_t)
        buf[off + 1] = (self.humidity(adc_h) * 100) >> 10
        buf[off + 2] = self.pressure(adc_p) // 2560      # Q24.8 Pa -> 10 Pa = 0.01 kPa

    def close(self):
        try:
            self._w8(_CTRL_MEAS, 0)      # sleep mode
        except OSError:
            pass
