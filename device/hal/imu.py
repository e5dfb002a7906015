# Opens the board's accelerometer driver by name on an I2C bus (machine.I2C on a board, a
# register-level fake in host tests) and turns bus errors into one clear message.
# Memory: imports only the driver asked for.
from hal.fifo_accel import SensorError

KINDS = ("mpu6050", "mpu6886", "lis3dh")


def make(kind, bus, rate, addr):
    """The driver for kind at I2C address addr, configured for the rate nearest to rate."""
    try:
        if kind == "mpu6050":
            from hal.mpu6xxx import MPU6050 as cls
        elif kind == "mpu6886":
            from hal.mpu6xxx import MPU6886 as cls
        elif kind == "lis3dh":
            from hal.lis3dh import LIS3DH as cls
        else:
            raise SensorError("unknown sensor %r; known: %s" % (kind, ", ".join(KINDS)))
        return cls(bus, addr, rate)
    except OSError as e:
        raise no_answer(kind, bus, addr, e)


def no_answer(kind, bus, addr, e):
    """The SensorError for a chip that does not answer (any I2C driver: hal/slow.py too)."""
    try:
        found = ", ".join("0x%02x" % a for a in bus.scan()) or "none"
    except OSError:
        found = "(scan failed)"
    return SensorError("no %s answers at I2C address 0x%02x (%r); addresses that answer: "
                       "%s; check the wiring, or set \"addr\"/\"sda\"/\"scl\" in board.json"
                       % (kind, addr, e, found))
