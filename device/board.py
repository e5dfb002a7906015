# Chooses the hardware: on the unix port the simulator (settings from MOTEBOOK_* environment
# variables set by scripts/sim.py), on an ESP32 the real board. Memory: a few strings only;
# sensors are created on demand by make_sensor().
import os
import sys

FW_VERSION = "0.1.0"
UNIX = sys.platform in ("linux", "darwin")


def _env(name, default):
    if UNIX:
        v = os.getenv(name)
        if v:
            return v
    return default


if UNIX:
    DATA = _env("MOTEBOOK_DATA", ".")
    WWW = _env("MOTEBOOK_WWW", "www")
    HOST = _env("MOTEBOOK_HOST", "127.0.0.1")
    PORT = int(_env("MOTEBOOK_PORT", "8080"))
    REPLAY = _env("MOTEBOOK_REPLAY", None)
    WS_SNDBUF = 16384   # like the few KB lwIP has on the ESP32, not Linux's megabytes
    SO_SNDBUF = 7       # Linux value; the unix port's socket module lacks the constant
    WS_STALL_MS = int(_env("MOTEBOOK_WS_STALL_MS", "20000"))
    MODEL_IMPL = _env("MOTEBOOK_MODEL_IMPL", "auto")   # trees: auto (C if present)/c/python
else:  # ESP32: flash filesystem layout; Wi-Fi is brought up by boot.py
    DATA = "/data"
    WWW = "/www"
    HOST = "0.0.0.0"
    PORT = 80
    REPLAY = None
    WS_SNDBUF = 0       # leave lwIP's default
    SO_SNDBUF = 0
    WS_STALL_MS = 20000   # a WebSocket client taking nothing this long is dropped
    MODEL_IMPL = "auto"

SENSORS = ("sim", "replay") if REPLAY else ("sim",)


def make_sensor(kind, rate, activity="idle"):
    """Create the sensor named kind ('sim' or 'replay'). On the ESP32 the IMU driver (later)
    will be added here, taking its I2C bus as a constructor argument."""
    if kind == "replay":
        if not REPLAY:
            raise ValueError("sensor 'replay' needs a recording (start with --replay FILE)")
        from hal.replay import Replay
        return Replay(REPLAY)
    if kind == "sim":
        from hal.sim_accel import SimAccel
        return SimAccel(rate, activity)
    # ESP32 placeholder: kind "imu" -> hal/imu.py (I2C IMU driver taking its machine.I2C bus
    # as a constructor argument, scratch buffers filled with readfrom_mem_into) comes later,
    # and will be added to SENSORS on the board.
    raise ValueError("unknown sensor %r" % kind)


def path(name):
    return DATA + "/" + name
