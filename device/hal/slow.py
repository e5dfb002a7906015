# Opens a slow or spectral sensor by name on an I2C bus (machine.I2C on a board, register
# fakes in host tests): "bme280" (temperature, humidity, pressure), "bh1750" (light),
# "as7341" (11 spectral channels), "room" (a BME280 and a BH1750 on one bus: temperature,
# humidity, pressure, light, as the simulated room). A chip that does not answer or is
# another raises hal.fifo_accel.SensorError saying so. Memory: imports only what is asked for.
from hal.fifo_accel import SensorError

KINDS = ("bme280", "bh1750", "as7341", "room")
ADDRS = {"bme280": 0x76, "bh1750": 0x23, "as7341": 0x39, "room": 0x76}


def make(kind, bus, rate, addr=None):
    if kind not in KINDS:
        raise SensorError("unknown sensor %r; known: %s" % (kind, ", ".join(KINDS)))
    if addr is None:
        addr = ADDRS[kind]
    name = kind
    try:
        if kind == "bme280":
            from hal.bme280 import BME280
            return BME280(bus, addr, rate)
        if kind == "bh1750":
            from hal.bh1750 import BH1750
            return BH1750(bus, addr, rate)
        if kind == "as7341":
            from hal.as7341 import AS7341
            return AS7341(bus, addr, rate)
        from hal.bme280 import BME280
        from hal.bh1750 import BH1750
        t = BME280(bus, addr, rate)
        name, addr = "bh1750", ADDRS["bh1750"]
        return Room(t, BH1750(bus, addr, rate))
    except OSError as e:
        from hal.imu import no_answer
        raise no_answer(name, bus, addr, e)


class Room:
    """A BME280 and a BH1750 read as one 4-channel sensor with the simulated room's channels
    and scale 0.1: 0.1 degC, 0.1 %RH, 0.1 hPa, 0.1 lx (light above 3276 lx reads 3276.7 lx:
    .clipped counts those)."""
    name = "imu"              # the board's sensor (config sensor "imu")
    KIND = "room"
    channels = ("temperature", "humidity", "pressure", "light")
    units = ("degC", "%RH", "hPa", "lx")
    unit = ""
    scale = 0.1
    rate = None

    def __init__(self, thp, light):
        from array import array
        self._thp = thp
        self._light = light
        self._b = array("h", (0, 0, 0, 0))
        self._l = light.scale * 10              # light LSB -> 0.1 lx
        self.clipped = 0

    @property
    def bus_errors(self):
        return self._thp.bus_errors + self._light.bus_errors

    def read_into(self, buf, off):
        b = self._b
        self._thp.read_into(b, 0)               # 0.01 degC, 0.01 %RH, 0.01 kPa = 0.1 hPa
        self._light.read_into(b, 3)
        buf[off] = b[0] // 10
        buf[off + 1] = b[1] // 10
        buf[off + 2] = b[2]
        v = int(b[3] * self._l)
        if v > 32767:
            v = 32767
            self.clipped += 1
        buf[off + 3] = v

    def close(self):
        self._thp.close()
        self._light.close()
