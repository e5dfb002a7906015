# Supported boards: one module each (pins, sensor, flash layout name, storage budget), chosen
# by board.json on the device ({"board": NAME, ...}); board.json may override the sensor, its
# address and the I2C pins for boards wired by hand. Memory: only the chosen module is loaded.
NAMES = ("m5stickc", "esp32-mpu6050", "esp32-lis3dh", "esp32s3-psram", "esp32-inmp441")
SENSORS = ("mpu6050", "mpu6886", "lis3dh", "bme280", "bh1750", "as7341", "room")
SLOW = SENSORS[3:]        # hal/slow.py: sampled at the configured rate, default addresses
_INTS = ("addr", "i2c", "scl", "sda", "freq")
MICS = ("inmp441", "ics43434", "sph0645")   # hal/i2s_mic.py CHIPS (I2S microphones)
_MIC_INTS = ("i2s", "sck", "ws", "sd")


def load(name):
    """The board module called name (a member of NAMES)."""
    if name not in NAMES:
        raise ValueError("unknown board %r; known: %s" % (name, ", ".join(NAMES)))
    mod = name.replace("-", "_")
    return __import__("boards." + mod, None, None, [mod])


def hardware(settings):
    """The board's hardware as a dict (board module defaults, then the overrides in
    settings, the parsed board.json). Raises ValueError naming the bad field."""
    if not isinstance(settings, dict) or not isinstance(settings.get("board"), str):
        raise ValueError('board.json must be an object like {"board": "%s"}' % NAMES[0])
    b = load(settings["board"])
    hw = {"board": settings["board"], "sensor": b.SENSOR, "addr": b.ADDR, "i2c": b.I2C,
          "scl": b.SCL, "sda": b.SDA, "freq": b.FREQ, "storage_budget": b.STORAGE_BUDGET,
          "model_bytes": b.MODEL_BYTES}
    mic = getattr(b, "MIC", None)        # a microphone board: its I2S pins
    if mic:
        hw.update(mic=mic, i2s=b.I2S, sck=b.SCK, ws=b.WS, sd=b.SD)
    for k in settings:
        v = settings[k]
        if k == "sensor":
            if v not in SENSORS:
                raise ValueError("board.json: sensor must be one of %s, got %r"
                                 % (", ".join(SENSORS), v))
        elif k == "mic" and "mic" in hw:
            if v not in MICS:
                raise ValueError("board.json: mic must be one of %s, got %r" % (", ".join(MICS), v))
        elif k in _MIC_INTS and "mic" in hw:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError("board.json: %s must be a non-negative integer, got %r" % (k, v))
        elif k in _INTS:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError("board.json: %s must be a non-negative integer, got %r" % (k, v))
        elif k != "board":
            raise ValueError("board.json: unknown field %r; valid: board, sensor, %s"
                             % (k, ", ".join(_INTS)))
        hw[k] = v
    if hw["sensor"] in SLOW and "addr" not in settings:
        hw["addr"] = None     # the chip's usual address (hal/slow.py ADDRS), not the IMU's
    return hw
