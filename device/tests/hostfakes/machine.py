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
