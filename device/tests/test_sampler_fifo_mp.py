# The sampler with a FIFO driver on real MicroPython, under asyncio, with a chip fake that
# samples in real time: a handler blocking the loop for less than the FIFO holds loses no
# sample; blocking longer is counted as an overflow and the timestamps catch up with the clock.
import json
import subprocess

from device.tests.simdev import ROOT

_MP = ROOT / ".venv" / "bin" / "micropython"
_FAKES = ROOT / "device" / "tests" / "hostfakes"

_SCRIPT = r"""
import asyncio, json, time
from fake_i2c import FakeI2C
from fake_mpu import FakeMPU
from fake_lis3dh import FakeLIS3DH
from hal import imu
from sampler import Sampler
from shared.windowing import Ring, Windower

chip = FakeMPU("mpu6050", realtime=True) if KIND == "mpu6050" else FakeLIS3DH(realtime=True)
s = imu.make(KIND, FakeI2C(chip), RATE, chip.addr)
ring = Ring(3, 128 + max(64, s.rate // 2))
w = Windower(ring, 128, 64)
ready = asyncio.Event()
smp = Sampler(s, ring, s.rate, ready, w.ready, 128)

async def handler():          # a request that blocks the loop (flash write, big JSON, NTP)
    for ms in BLOCKS:
        await asyncio.sleep_ms(150)
        time.sleep_ms(ms)

async def main():
    t0 = time.ticks_ms()
    task = asyncio.create_task(smp.run())
    await handler()
    await asyncio.sleep_ms(300)
    smp.stopped = True
    await asyncio.sleep_ms(s.poll_ms + 20)
    now = time.ticks_ms()
    n = min(ring.count, ring.capacity)
    xs = [ring.buf[(k % ring.capacity) * 3] for k in range(ring.count - n, ring.count)]
    if KIND == "lis3dh":
        xs = [(x >> 4) & 0x7FF for x in xs]
    steps = [b - a for a, b in zip(xs, xs[1:])]
    print(json.dumps({
        "read": s.samples, "produced": chip.produced, "waiting": chip.count // s.PACKET,
        "overflows": s.overflows, "resyncs": smp.resyncs, "steps": sorted(set(steps)),
        "newest_ms_behind": time.ticks_diff(now, time.ticks_add(
            smp.t0_ms, (ring.count - 1) * 1000 // s.rate)),
        "elapsed_ms": time.ticks_diff(now, t0), "poll_ms": s.poll_ms}))

asyncio.run(main())
"""


def _run(kind, rate, blocks):
    r = subprocess.run(
        [str(_MP), "-X", "heapsize=192k", "-c",
         "KIND = %r\nRATE = %d\nBLOCKS = %r\n" % (kind, rate, blocks) + _SCRIPT],
        capture_output=True, text=True, timeout=60,
        env={"MICROPYPATH": ".frozen:%s:%s" % (ROOT / "build" / "fw" / "lib", _FAKES)})
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_blocking_shorter_than_the_fifo_loses_no_sample():
    # MPU-6050 at 100 Hz holds 1.7 s in its FIFO; the handler blocks 0.3, 0.6 and 0.9 s
    out = _run("mpu6050", 100, [300, 600, 900])
    assert out["overflows"] == 0 and out["resyncs"] == 0, out
    assert out["read"] + out["waiting"] == out["produced"], out
    assert out["produced"] >= out["elapsed_ms"] * 100 // 1000 - 20, out
    assert out["steps"] == [1], out                      # consecutive samples in the ring
    assert abs(out["newest_ms_behind"]) < 250, out


def test_blocking_longer_than_the_fifo_is_counted_and_timestamps_catch_up():
    # LIS3DH at 100 Hz holds 0.32 s; one handler blocks 0.8 s: about 48 samples are lost
    out = _run("lis3dh", 100, [800])
    assert out["overflows"] >= 1 and out["resyncs"] >= 1, out
    assert out["produced"] - out["read"] - out["waiting"] >= 30, out
    assert 1 in out["steps"] and max(out["steps"]) > 20, out   # the gap is in the data
    # without catching up the newest sample would be stamped ~0.6 s in the past
    assert abs(out["newest_ms_behind"]) < 250, out
