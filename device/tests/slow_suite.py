# The slow and spectral sensor drivers (device/hal: bme280, bh1750, as7341, slow.make) against
# register-level fakes (hostfakes/fake_slow.py): the datasheets' worked examples and formulas,
# setup registers, SMUX wiring, wrong chip and missing chip. Portable: run by test_hal_drivers.py
# on CPython (sources) and on MicroPython unix (the firmware's .mpy files). Prints one JSON
# line: {"test name": "ok" | "skip" | error}.
import sys

try:
    _MP = sys.implementation.name == "micropython"
except AttributeError:
    _MP = False

if not _MP:   # CPython: the sources and the fakes on the path
    import os
    _here = os.path.dirname(os.path.abspath(__file__))
    _root = os.path.dirname(os.path.dirname(_here))
    for p in (os.path.join(_here, "hostfakes"), os.path.join(_root, "device"), _root):
        sys.path.insert(0, p)

from array import array

from fake_i2c import FakeI2C
from fake_slow import NAMES, FakeAS7341, FakeBH1750, FakeBME280
from hal import slow
from hal.fifo_accel import SensorError
from suiterun import run


def _raises(fn, *words):
    try:
        fn()
    except SensorError as e:
        for w in words:
            assert w in str(e), (w, str(e))
        return
    raise AssertionError("no SensorError")


# -- BME280
def test_bme280_datasheet_example_temperature_and_pressure():
    chip = FakeBME280()
    bus = FakeI2C(chip)
    s = slow.make("bme280", bus, 1)
    # worked example: adc_T 519888 -> 25.08 degC, t_fine 128422; adc_P 415148 -> 100653.27 Pa
    assert s.temperature(519888) == 2508 and s.t_fine == 128422
    p = s.pressure(415148)
    assert abs(p / 256 - 100653.27) < 0.05, p / 256
    chip.set_adc(519888, 415148, 30000)
    buf = array("h", [0, 0, 0])
    s.read_into(buf, 0)
    assert buf[0] == 2508 and buf[2] == 10065, list(buf)
    assert abs(buf[0] * s.scale - 25.08) < 1e-6 and abs(buf[2] * s.scale - 100.65) < 1e-6


def _h_double(s, adc_h):
    """The datasheet's floating-point humidity formula (section 8.1)."""
    h1, h2, h3, h4, h5, h6 = s.H
    v = s.t_fine - 76800.0
    v = (adc_h - (h4 * 64.0 + h5 / 16384.0 * v)) * \
        (h2 / 65536.0 * (1.0 + h6 / 67108864.0 * v * (1.0 + h3 / 67108864.0 * v)))
    v = v * (1.0 - h1 * v / 524288.0)
    return max(0.0, min(100.0, v))


def test_bme280_humidity_integer_code_matches_the_datasheets_double_formula():
    for h in ((75, 362, 0, 313, 50, 30), (75, 370, 0, 290, -50, -30)):
        chip = FakeBME280()
        chip.H = h
        chip.reset()
        s = slow.make("bme280", FakeI2C(chip), 1)
        assert s.H == h, (s.H, h)       # the nibble-packed, signed H4/H5 and signed H6
        s.temperature(519888)
        for adc_h in (24000, 28000, 32000, 36000):
            got = s.humidity(adc_h) / 1024
            want = _h_double(s, adc_h)
            assert abs(got - want) < 0.01, (h, adc_h, got, want)
    assert s.humidity(0) == 0 and s.humidity(65535) == 100 << 10   # clamped


def test_bme280_reads_the_calibration_resets_and_runs_normal_mode():
    chip = FakeBME280(addr=0x77)
    s = slow.make("bme280", FakeI2C(chip), 10, 0x77)
    assert s.T == FakeBME280.T and s.P == FakeBME280.P
    assert chip.resets == 1
    assert chip.regs[0xF2] == 0x01 and chip.regs[0xF4] == 0x27 and chip.regs[0xF5] == 0
    assert s.channels == ("temperature", "humidity", "pressure") and s.rate is None
    s.close()
    assert chip.regs[0xF4] & 3 == 0     # sleep


def test_bme280_wrong_chip_and_missing_chip_are_named():
    _raises(lambda: slow.make("bme280", FakeI2C(FakeBME280(chip_id=0x58)), 1),
            "0x58", "BMP280", "BME280")
    _raises(lambda: slow.make("bme280", FakeI2C(FakeBH1750()), 1),
            "no bme280", "0x76", "0x23", "board.json")


def test_bme280_bus_error_is_counted_and_raised():
    chip = FakeBME280()
    bus = FakeI2C(chip)
    s = slow.make("bme280", bus, 1)
    bus.fail(0, 1)
    try:
        s.read_into(array("h", [0, 0, 0]), 0)
    except OSError:
        pass
    else:
        raise AssertionError("a failed read went unnoticed")
    assert s.bus_errors == 1


# -- BH1750
def test_bh1750_datasheet_example_and_modes():
    chip = FakeBH1750()
    s = slow.make("bh1750", FakeI2C(chip), 1)
    assert chip.mode == 0x10 and chip.mt == 69 and chip.on
    assert chip.ops[:2] == [0x01, 0x07]           # power on before reset
    # datasheet p.7: high-resolution mode, 1000_0011 1001_0000 -> 28067 lx
    assert abs(s.lux(0x8390) - 28067) < 0.5
    chip.count = 0x8390
    buf = array("h", [0])
    s.read_into(buf, 0)
    assert abs(buf[0] * s.scale - 28067) < 1, buf[0] * s.scale
    chip.count = 0xFFFF                            # the top count still fits int16
    s.read_into(buf, 0)
    assert buf[0] == 32767 and abs(buf[0] * s.scale - 65535 / 1.2) < 2
    fast = slow.make("bh1750", FakeI2C(FakeBH1750()), 10)
    assert fast.mode == "low"
    from hal.bh1750 import BH1750
    chip2 = FakeBH1750()
    h2 = BH1750(FakeI2C(chip2), 0x23, 1, "high2", 138)
    assert chip2.mode == 0x11 and chip2.mt == 138
    assert abs(h2.lux(1000) - 1000 / 1.2 * 69 / 138 / 2) < 1e-9
    assert abs(h2.scale - s.scale / 4) < 1e-9


def test_bh1750_missing_and_bad_mode():
    _raises(lambda: slow.make("bh1750", FakeI2C(FakeBME280()), 1), "no bh1750", "0x23", "0x76")
    from hal.bh1750 import BH1750
    _raises(lambda: BH1750(FakeI2C(FakeBH1750()), 0x23, 1, "ultra"), "ultra", "high2")


def test_room_reads_both_chips_in_tenths():
    t, light = FakeBME280(), FakeBH1750()
    s = slow.make("room", FakeI2C(t, light), 1)
    t.set_adc(519888, 415148, 30000)
    light.count = 600                              # 500 lx
    buf = array("h", [0] * 4)
    s.read_into(buf, 0)
    assert buf[0] == 250 and buf[2] == 10065 and abs(buf[3] * s.scale - 500) < 0.2, list(buf)
    light.count = 0xFFFF
    s.read_into(buf, 0)
    assert buf[3] == 32767 and s.clipped == 1
    _raises(lambda: slow.make("room", FakeI2C(FakeBME280()), 1), "no bh1750", "0x23")


# -- AS7341
def test_as7341_integration_time_full_scale_and_basic_counts():
    from hal import as7341 as A
    # datasheet: t_int = (ATIME + 1) x (ASTEP + 1) x 2.78 us; ATIME 29, ASTEP 599 -> 50 ms
    assert abs(A.t_int_ms(29, 599) - 50.04) < 1e-9
    assert A.full_scale(29, 599) == 18000 and A.full_scale(100, 999) == 65535
    assert abs(A.t_int_ms(0, 999) - 2.78) < 1e-9      # ASTEP 999 (power-on): one step
    # basic counts = raw / (gain x t_int ms)
    assert abs(A.basic_counts(9000, 16, 29, 599) - 9000 / (16 * 50.04)) < 1e-9


def test_as7341_is_set_up_and_reads_eleven_channels_through_the_smux():
    chip = FakeAS7341()
    bus = FakeI2C(chip)
    s = slow.make("as7341", bus, 1)
    assert chip.regs[0x81] == 29 and chip.regs[0xCA] | (chip.regs[0xCB] << 8) == 599
    assert chip.regs[0xAA] == 5                   # 16x
    for i, n in enumerate(NAMES):
        chip.light[n] = 1.0 + 0.7 * i             # basic counts (x 16 x 50 ms: < full scale)
    buf = array("h", [0] * 11)
    for _ in range(3):                            # the cycle begun before the light came on,
        s.read_into(buf, 0)                       # then two: one whole spectrum
    assert s.spectra >= 1 and chip.smux_writes >= 2
    step = s.scale
    for i, n in enumerate(NAMES):
        got = buf[i] * s.scale
        assert abs(got - chip.light[n]) <= step, (n, got, chip.light[n])
    assert len(s.channels) == 11 and s.channels[-2:] == ("nir", "flicker")


def test_as7341_counts_saturation_and_waits_for_avalid():
    chip = FakeAS7341()
    s = slow.make("as7341", FakeI2C(chip), 1)
    chip.light["F1"] = 1000.0                     # x 16 x 50 ms: past the 18000 full scale
    buf = array("h", [0] * 11)
    for _ in range(3):
        s.read_into(buf, 0)
    assert s.saturated >= 1 and buf[0] == 18000 >> 1
    chip.auto = False
    s.read_into(buf, 0)                           # the integration already done
    n = chip.integrations
    spectra = s.spectra
    for _ in range(3):
        s.read_into(buf, 0)                       # nothing finished: nothing read
    assert chip.integrations == n and s.spectra == spectra
    chip.finish()
    s.read_into(buf, 0)
    chip.finish()
    s.read_into(buf, 0)
    assert s.spectra == spectra + 1


def test_as7341_wrong_id_and_bad_gain():
    _raises(lambda: slow.make("as7341", FakeI2C(FakeAS7341(chip_id=0x08)), 1),
            "0x09", "AS7341")
    from hal.as7341 import AS7341
    _raises(lambda: AS7341(FakeI2C(FakeAS7341()), 0x39, 1, 3), "gain", "512")
    _raises(lambda: slow.make("as7341", FakeI2C(), 1), "no as7341", "0x39", "none")
    _raises(lambda: slow.make("tsl2591", FakeI2C(), 1), "tsl2591", "bme280")


if __name__ == "__main__":
    run(globals())
