# The accelerometer drivers (device/hal) against register-level fakes of each chip
# (hostfakes/): configuration, scaling to g, FIFO bursts, watermark, overflow, wrong chip.
# Portable: run by test_hal_drivers.py on CPython (sources) and on MicroPython unix (the
# .mpy files the device ships). Prints one JSON line: {"test name": "ok" | "skip" | error}.
import sys

try:
    import gc
    _MP = sys.implementation.name == "micropython"
except ImportError:
    _MP = False

if not _MP:   # CPython: the sources and the fakes on the path
    import os
    _here = os.path.dirname(os.path.abspath(__file__))
    _root = os.path.dirname(os.path.dirname(_here))
    for p in (os.path.join(_here, "hostfakes"), os.path.join(_root, "device"), _root):
        sys.path.insert(0, p)

from fake_i2c import FakeI2C
from fake_lis3dh import FakeLIS3DH
import fake_lis3dh as L
from fake_mpu import FakeMPU
import fake_mpu as M
from hal import imu
from hal.fifo_accel import SensorError
from shared.windowing import Ring
from suiterun import Skip, run


def _open(kind, chip, rate=100):
    bus = FakeI2C(chip)
    return bus, imu.make(kind, bus, rate, chip.addr)


def _x_index(kind, v):
    return (v >> 4) & 0x7FF if kind == "lis3dh" else v & 0x7FFF


def _samples(ring):
    """The ring's samples, oldest first: [(x, y, z), ...]."""
    n = min(ring.count, ring.capacity)
    out = []
    for k in range(ring.count - n, ring.count):
        off = (k % ring.capacity) * 3
        out.append((ring.buf[off], ring.buf[off + 1], ring.buf[off + 2]))
    return out


def _resumes_aligned(s, chip, ring, first, n):
    """After an MPU FIFO restart: the next n samples arrive whole (x = index, z = 1 g)."""
    chip.tick(n)
    assert s.drain(ring, 64) == n
    got = _samples(ring)
    assert [x for x, _, _ in got] == list(range(first, first + n))
    assert all(abs(z * s.scale - 1.0) < 1e-6 for _, _, z in got)


def _fifo_reads(bus, reg):
    return [e[3] for e in bus.log if e[0] == "r" and e[2] == reg]


# -- MPU-6050
def test_mpu6050_is_set_up_for_the_rate_and_reads_1g_on_z():
    chip = FakeMPU("mpu6050")
    bus, s = _open("mpu6050", chip, 100)
    assert s.rate == 100 and chip.rate() == 100, (s.rate, chip.rate())
    assert chip.regs[M.SMPLRT_DIV] == 9 and chip.regs[M.CONFIG] & 7 == 3    # 44 Hz band
    assert chip.regs[M.ACCEL_CONFIG] == 0x10 and abs(s.scale - 1 / 4096) < 1e-12
    assert chip.regs[M.PWR_MGMT_1] & 0x40 == 0                            # awake
    s.start()
    chip.tick(10)
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 10
    got = _samples(ring)
    assert [x for x, _, _ in got] == list(range(10))
    assert all(abs(z * s.scale - 1.0) < 1e-6 and y == 0 for _, y, z in got)
    assert chip.underreads == 0


def test_mpu6050_picks_the_nearest_rate_it_can_make_and_a_filter_below_half_of_it():
    for asked, rate, dlpf in ((300, 250, 2), (1000, 1000, 1), (10, 10, 6), (60, 50, 4)):
        chip = FakeMPU("mpu6050")
        _, s = _open("mpu6050", chip, asked)
        assert (s.rate, chip.rate(), chip.regs[M.CONFIG] & 7) == (rate, rate, dlpf), \
            (asked, s.rate, chip.rate(), chip.regs[M.CONFIG])


def test_mpu6050_reads_the_fifo_in_bursts_then_single_samples():
    chip = FakeMPU("mpu6050")
    bus, s = _open("mpu6050", chip, 100)
    assert s.burst == 5 and s.poll_ms == 50
    s.start()
    chip.tick(12)
    bus.log = []
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 12
    assert _fifo_reads(bus, M.FIFO_R_W) == [30, 30, 6, 6]
    assert [x for x, _, _ in _samples(ring)] == list(range(12))
    assert chip.count == 0 and chip.underreads == 0


def test_mpu6050_drain_stops_at_the_limit_and_leaves_the_rest_in_the_fifo():
    chip = FakeMPU("mpu6050")
    _, s = _open("mpu6050", chip, 100)
    s.start()
    chip.tick(30)
    ring = Ring(3, 64)
    assert s.drain(ring, 8) == 8
    assert chip.count == 22 * 6
    assert s.drain(ring, 64) == 22
    assert [x for x, _, _ in _samples(ring)] == list(range(30))


def test_mpu6050_overflow_is_counted_and_the_fifo_restarts_aligned():
    chip = FakeMPU("mpu6050")
    _, s = _open("mpu6050", chip, 100)
    s.start()
    chip.tick(200)                    # 1200 bytes into 1024: the oldest bytes are cut
    assert chip.overflows > 0
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 0 and s.overflows == 1 and chip.count == 0
    _resumes_aligned(s, chip, ring, 200, 7)
    assert s.overflows == 1


def test_mpu6050_close_stops_the_fifo_and_sleeps():
    chip = FakeMPU("mpu6050")
    _, s = _open("mpu6050", chip, 100)
    s.start()
    s.close()
    assert chip.regs[M.PWR_MGMT_1] & 0x40 and not chip.regs[M.FIFO_EN] & 0x08
    chip.tick(5)
    assert chip.count == 0


# -- MPU-6886 (M5StickC)
def test_mpu6886_skips_the_temperature_in_each_packet_and_sets_the_watermark():
    chip = FakeMPU("mpu6886")
    bus, s = _open("mpu6886", chip, 100)
    assert s.rate == 100 and chip.rate() == 100 and chip.regs[M.CONFIG] & 7 == 1
    assert chip.regs[0x1D] & 7 == 3                                   # accel band 44 Hz
    s.start()
    assert chip.watermark() == s.burst * 8 == 40
    chip.tick(4)
    assert bus.readfrom_mem(chip.addr, M.FIFO_WM_INT_STATUS, 1)[0] == 0
    chip.tick(1)
    assert bus.readfrom_mem(chip.addr, M.FIFO_WM_INT_STATUS, 1)[0] & 0x40  # at the watermark
    bus.log = []
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 5
    assert _fifo_reads(bus, M.FIFO_R_W) == [40]                       # one burst, 8-byte packets
    got = _samples(ring)
    assert [x for x, _, _ in got] == list(range(5))
    assert all(y == 0 and abs(z * s.scale - 1.0) < 1e-6 for _, y, z in got)


def test_mpu6886_overflow_of_a_full_fifo_is_counted():
    chip = FakeMPU("mpu6886")
    _, s = _open("mpu6886", chip, 1000)
    assert s.rate == 1000 and s.burst == 32      # a quarter of the 128-packet FIFO
    s.start()
    chip.tick(128)                                # exactly full: counted as well
    ring = Ring(3, 256)
    assert s.drain(ring, 256) == 0 and s.overflows == 1


# -- LIS3DH / LIS2DH12
def test_lis3dh_is_set_up_for_the_rate_and_reads_1g_on_z():
    chip = FakeLIS3DH()
    bus, s = _open("lis3dh", chip, 100)
    assert s.rate == 100 and chip.rate() == 100
    assert chip.regs[L.CTRL_REG4] == 0xA8            # BDU, +-8 g, high resolution
    assert abs(s.scale - 1 / 4000) < 1e-12
    s.start()
    assert chip.regs[L.FIFO_CTRL] >> 6 == 2 and chip.regs[L.CTRL_REG5] & 0x40   # stream
    chip.tick(6)
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 6
    got = _samples(ring)
    assert [_x_index("lis3dh", x) for x, _, _ in got] == list(range(6))
    assert all(y == 0 and abs(z * s.scale - 1.0) < 1e-6 for _, y, z in got)


def test_lis3dh_picks_the_nearest_data_rate():
    for asked, rate in ((150, 100), (1000, 400), (10, 10), (30, 25)):
        chip = FakeLIS3DH()
        _, s = _open("lis3dh", chip, asked)
        assert s.rate == rate == chip.rate(), (asked, s.rate, chip.rate())


def test_lis3dh_burst_reads_several_samples_with_address_auto_increment():
    chip = FakeLIS3DH()
    bus, s = _open("lis3dh", chip, 200)
    assert s.burst == 8                           # a quarter of the 32-sample FIFO
    s.start()
    assert chip.regs[L.FIFO_CTRL] & 0x1F == 8     # watermark = burst
    chip.tick(8)
    assert not bus.readfrom_mem(chip.addr, L.FIFO_SRC, 1)[0] & 0x80
    chip.tick(3)
    assert bus.readfrom_mem(chip.addr, L.FIFO_SRC, 1)[0] & 0x80     # above the watermark
    bus.log = []
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 11
    assert _fifo_reads(bus, 0x28 | 0x80) == [48, 6, 6, 6]
    assert [_x_index("lis3dh", x) for x, _, _ in _samples(ring)] == list(range(11))
    assert chip.underreads == 0 and chip.count == 0


def test_lis3dh_full_fifo_is_counted_and_the_newest_32_samples_are_read():
    chip = FakeLIS3DH()
    _, s = _open("lis3dh", chip, 100)
    s.start()
    chip.tick(50)
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 32 and s.overflows == 1
    assert [_x_index("lis3dh", x) for x, _, _ in _samples(ring)] == list(range(18, 50))
    chip.tick(3)
    assert s.drain(ring, 64) == 3 and s.overflows == 1


def test_lis3dh_close_powers_down():
    chip = FakeLIS3DH()
    _, s = _open("lis3dh", chip, 100)
    s.start()
    s.close()
    assert chip.rate() == 0 and not chip.stream()


# -- errors
def test_mpu_bus_error_mid_burst_is_counted_and_the_fifo_restarts_aligned():
    chip = FakeMPU("mpu6050")
    bus, s = _open("mpu6050", chip, 100)
    s.start()
    chip.tick(12)
    bus.fail(2, 1)              # INT_STATUS and FIFO count pass, the first burst fails
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 0 and s.bus_errors == 1 and chip.count == 0
    _resumes_aligned(s, chip, ring, 12, 6)
    assert s.bus_errors == 1


def test_lis3dh_bus_error_loses_nothing_the_fifo_still_holds():
    chip = FakeLIS3DH()
    bus, s = _open("lis3dh", chip, 100)
    s.start()
    chip.tick(7)
    bus.fail(1, 1)              # FIFO_SRC passes, the burst read fails before any byte
    ring = Ring(3, 64)
    assert s.drain(ring, 64) == 0 and s.bus_errors == 1
    assert s.drain(ring, 64) == 7
    assert [_x_index("lis3dh", x) for x, _, _ in _samples(ring)] == list(range(7))


def test_a_sensor_that_stops_answering_raises_after_ten_failed_polls():
    chip = FakeMPU("mpu6886")
    bus, s = _open("mpu6886", chip, 100)
    s.start()
    bus.fail(0, 1000)
    ring = Ring(3, 64)
    for _ in range(9):
        assert s.drain(ring, 64) == 0
    try:
        s.drain(ring, 64)
    except OSError:
        pass
    else:
        raise AssertionError("a dead bus was retried for ever")
    assert s.bus_errors == 10


def test_wrong_who_am_i_names_the_chip_that_answered():
    try:
        _open("mpu6050", FakeMPU("mpu6886"))
    except SensorError as e:
        msg = str(e)
        assert "0x19" in msg and "MPU-6886" in msg and "0x68" in msg, msg
    else:
        raise AssertionError("an MPU-6886 was accepted as an MPU-6050")
    try:
        _open("lis3dh", FakeLIS3DH(who_am_i=0x44))
    except SensorError as e:
        assert "0x44" in str(e) and "LIS2DW12" in str(e), str(e)
    else:
        raise AssertionError("a wrong WHO_AM_I was accepted")


def test_missing_chip_lists_the_addresses_that_answer():
    bus = FakeI2C(FakeLIS3DH(addr=0x19))
    try:
        imu.make("mpu6050", bus, 100, 0x68)
    except SensorError as e:
        assert "0x68" in str(e) and "0x19" in str(e) and "board.json" in str(e), str(e)
    else:
        raise AssertionError("no error without a chip")
    try:
        imu.make("bmi270", bus, 100, 0x68)
    except SensorError as e:
        assert "mpu6050" in str(e)
    else:
        raise AssertionError("unknown sensor kind accepted")


def test_drain_allocates_nothing():
    if not _MP:
        raise Skip("heap accounting is MicroPython's")
    for kind, chip in (("mpu6050", FakeMPU("mpu6050")), ("mpu6886", FakeMPU("mpu6886")),
                       ("lis3dh", FakeLIS3DH())):
        _, s = _open(kind, chip, 100)
        s.start()
        ring = Ring(3, 256)
        chip.tick(1)
        s.drain(ring, 256)
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            for _ in range(20):
                chip.tick(13)
                s.drain(ring, 256)
            after = gc.mem_alloc()
        finally:
            gc.enable()
        assert after == before, (kind, after - before)
        assert ring.count == 261


if __name__ == "__main__":
    run(globals())
