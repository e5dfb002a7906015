# Chooses the hardware. board.json beside main.py (written by scripts/deploy) names the board
# module (boards/) holding its pins and sensor; without it: on an ESP32 the simulated sensor
# and a message, on the unix port the simulator (settings from MOTEBOOK_* environment
# variables set by scripts/sim.py). Memory: a few strings, the board's small dict; the I2C bus
# is made on first use, sensors by make_sensor().
import os
import sys

FW_VERSION = "0.1.0"
UNIX = sys.platform in ("linux", "darwin")
SETTINGS = "board.json"   # in the working directory: "/" on a board


def _env(name, default):
    if UNIX:
        v = os.getenv(name)
        if v:
            return v
    return default


def _hardware():
    """(hardware dict or None, problem message or None) from board.json."""
    import json
    try:
        with open(SETTINGS) as f:
            settings = json.load(f)
    except OSError:
        return None, None if UNIX else "no %s: run scripts/deploy --board NAME" % SETTINGS
    except ValueError as e:
        return None, "%s is not JSON (%s)" % (SETTINGS, e)
    import boards
    try:
        return boards.hardware(settings), None
    except ValueError as e:
        return None, str(e)


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
    HISTORY_CHUNK = int(_env("MOTEBOOK_HISTORY_CHUNK", "16384"))   # (tests: a small ring)
    # tests of a failed model swap: the first N anomaly model loads run out of memory once
    # their arrays are read (as a scorer that finds no block would)
    MODEL_LOAD_FAIL = int(_env("MOTEBOOK_MODEL_LOAD_FAIL", "0"))
else:  # ESP32: flash filesystem layout; Wi-Fi is brought up by main.py (wifi.py)
    DATA = "/data"
    WWW = "/www"
    HOST = "0.0.0.0"
    PORT = 80
    REPLAY = None
    WS_SNDBUF = 0       # leave lwIP's default
    SO_SNDBUF = 0
    WS_STALL_MS = 20000   # a WebSocket client taking nothing this long is dropped
    MODEL_IMPL = "auto"
    HISTORY_CHUNK = 16384   # bytes per history chunk file (node.py, history_store.py)
    MODEL_LOAD_FAIL = 0
# Collect garbage after this many bytes allocated (gc.threshold), not only when the heap is
# full: between collections new objects land ever higher, and the few that live on (a
# connection's, a model's) end up scattered over the whole heap. Measured on the simulator
# through the honest e2e flow: the largest free block stays 30 KB, against 3.5-6 KB without
# (a model's 2.5 KB metadata line then found no room with 70 KB free). Cost: about 25 % of
# request throughput under a flood of requests (scripts/bench_device.py --gc).
# A PSRAM heap of megabytes is left alone: each collection scans all of it.
GC_THRESHOLD = int(_env("MOTEBOOK_GC_THRESHOLD", "16384"))
GC_THRESHOLD_HEAP = 512 * 1024

HW, PROBLEM = _hardware()   # PROBLEM: why there is no board (shown in /api/status)
# A board has Wi-Fi (on the unix port only with host fakes of network, for tests)
WIFI = HW is not None or not UNIX
STORAGE_BUDGET = HW["storage_budget"] if HW else 1536 * 1024   # default for recordings
# the largest model file; the simulator's is an ESP32's without PSRAM (its heap is that one's)
MODEL_BYTES = HW["model_bytes"] if HW else 128 * 1024
if REPLAY:
    SENSORS = ("sim", "machine", "replay")
elif HW:
    SENSORS = ("imu", "sim")
else:
    SENSORS = ("sim",)
# the simulator's own sensors (hal/sim_machine, sim_spectrometer, sim_room, sim_mic): in no
# board's firmware (boards/modules.py), not listed where there is a board (or its host fake)
SIM = UNIX and not HW
if SIM and not REPLAY:
    SENSORS += ("machine",)
if SIM:
    SENSORS += ("spectrometer", "room")
if SIM or (HW and HW.get("mic")):   # sound: hal/sim_mic in the simulator, a board's I2S mic
    SENSORS += ("mic",)
MIC_WAV = _env("MOTEBOOK_MIC_WAV", None)   # the simulator's microphone replays this WAV
_bus = None


def i2c():
    """The board's I2C bus (machine.I2C), made once."""
    global _bus
    if _bus is None:
        try:
            from machine import I2C, Pin
        except ImportError:
            raise ValueError("this MicroPython has no machine.I2C")
        _bus = I2C(HW["i2c"], scl=Pin(HW["scl"]), sda=Pin(HW["sda"]), freq=HW["freq"])
    return _bus


def make_sensor(kind, rate, activity="idle", fault=None):
    """_make_sensor; ValueError (not an ImportError) when this board's firmware does not
    carry the sensor's modules (an ESP32 image has only its board's: boards/modules.py)."""
    try:
        return _make_sensor(kind, rate, activity, fault)
    except ImportError as e:
        raise ValueError("sensor %r%s is not in this board's firmware (%s, %s): deploy the "
                         "firmware of a board with that sensor"
                         % (kind, " (%s)" % HW["sensor"] if kind == "imu" and HW else "",
                            HW["board"] if HW else "no board.json", e))


def _make_sensor(kind, rate, activity="idle", fault=None):
    """Create the sensor named kind: 'sim', 'machine' (a simulated rotating machine, running
    with fault), 'spectrometer' / 'room' (simulated slow sensors), 'replay' (a recording),
    'imu' (the board's
    accelerometer, hal/imu.py; raises hal.fifo_accel.SensorError when it does not answer)."""
    if kind == "replay":
        if not REPLAY:
            raise ValueError("sensor 'replay' needs a recording (start with --replay FILE)")
        from hal.replay import Replay
        return Replay(REPLAY)
    if kind == "sim":
        from hal.sim_accel import SimAccel
        return SimAccel(rate, activity)
    if kind == "machine":
        from hal.sim_machine import SimMachine
        s = SimMachine(rate)
        s.set_fault(fault)
        return s
    if kind == "spectrometer":   # (concentration and day length: Acquisition.apply sets them)
        from hal.sim_spectrometer import SimSpectrometer
        return SimSpectrometer(rate)
    if kind == "room":
        from hal.sim_room import SimRoom
        return SimRoom(rate)
    if kind == "mic":   # the level meter on a microphone (sound.py): 'rate' levels a second
        from sound import Sound
        if HW and HW.get("mic"):
            from hal.i2s_mic import I2SMic, make_i2s
            src = I2SMic(make_i2s(HW), HW["mic"])
        else:
            from hal.sim_mic import SimMic
            src = SimMic(sounds=_env("MOTEBOOK_SOUNDS", None), wav_path=MIC_WAV)
        return Sound(src, rate, DATA)
    if kind == "imu" and HW:
        if HW["sensor"] in ("bme280", "bh1750", "as7341", "room"):   # boards.SLOW
            from hal import slow
            return slow.make(HW["sensor"], i2c(), rate, HW["addr"])
        from hal import imu
        return imu.make(HW["sensor"], i2c(), rate, HW["addr"])
    raise ValueError("unknown sensor %r" % kind)


def path(name):
    return DATA + "/" + name
