# Host fake, do not upload. machine.I2C and machine.Pin, for booting a deployed file set on
# the unix port: the bus holds the chips named in MOTEBOOK_FAKE_I2C ("mpu6886@0x68" or
# "lis3dh@0x18,mpu6050@0x68"), sampling in real time (fake_mpu.py, fake_lis3dh.py).
import os

from fake_i2c import FakeI2C
from fake_lis3dh import FakeLIS3DH
from fake_mpu import FakeMPU


class Pin:
    def __init__(self, pin, *args, **kw):
        self.pin = pin


def I2C(bus_id, scl=None, sda=None, freq=400000):
    chips = []
    for item in (os.getenv("MOTEBOOK_FAKE_I2C") or "").split(","):
        if not item:
            continue
        kind, addr = item.split("@")
        addr = int(addr, 16)
        if kind == "lis3dh":
            chips.append(FakeLIS3DH(addr, realtime=True))
        else:
            chips.append(FakeMPU(kind, addr, realtime=True))
    bus = FakeI2C(*chips)
    bus.pins = (bus_id, scl.pin, sda.pin, freq)
    return bus


class I2S:
    """machine.I2S (RX) for booting a microphone board: fake_i2s.FakeI2S in real time, in the
    bit format of MOTEBOOK_FAKE_I2S ("inmp441:/path/file.wav"; silence without a file)."""
    RX = 0
    MONO = 0

    def __new__(cls, bus_id, sck=None, ws=None, sd=None, mode=0, bits=32, format=0,
                rate=16000, ibuf=8192):
        from fake_i2s import FakeI2S
        chip, _, path = (os.getenv("MOTEBOOK_FAKE_I2S") or "inmp441:").partition(":")
        bus = FakeI2S(path or None, chip, fs=rate, ibuf=ibuf, realtime=True)
        bus.pins = (bus_id, sck.pin, ws.pin, sd.pin, bits, rate)
        return bus
