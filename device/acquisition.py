# Acquisition pipeline: sensor -> Sampler -> Ring -> Framer -> hub, built from a config.
# apply() stops both tasks, frees the old buffers, allocates new ones and restarts, keeping
# sequence numbers and counters running. Memory: ring (window + slack samples) + 2 windows.
import asyncio
import gc

import board
from framer import Framer
from sampler import Sampler
from shared.windowing import Ring, Windower


class Acquisition:
    def __init__(self, publish):
        self._publish = publish      # publish(seq): a new frame is in self.framer
        self.cfg = None
        self.sensor = None
        self.activity = "idle"
        self.sampler = None
        self.framer = None
        self.windower = None
        self._tasks = ()
        self._seq = 0                # next sequence number after a restart
        self._windows = 0            # windows built by earlier configurations
        self._dropped = 0
        self.mem_free_min = gc.mem_free()

    def rate(self):
        return self.sensor.rate or self.cfg["rate"]

    def channels_of(self, kind):
        if kind == "sim":
            return 3
        if kind == "replay" and self.sensor is not None and self.sensor.name == "replay":
            return len(self.sensor.channels)
        return len(board.make_sensor(kind, 100).channels)

    async def stop(self):
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except BaseException:  # CancelledError, or whatever ended the task
                pass
        self._tasks = ()
        if self.windower is not None:
            self._seq = self.windower.next_seq()
            self._windows += self.windower.windows
            self._dropped += self.windower.dropped
            self.mem_free_min = min(self.mem_free_min, self.framer.mem_free_min)
        if self.sensor is not None and hasattr(self.sensor, "close"):
            self.sensor.close()
        self.sampler = self.framer = self.windower = self.sensor = None
        gc.collect()

    async def apply(self, cfg):
        """Stop, rebuild every buffer for cfg and restart. Raises ValueError/MemoryError; the
        caller restores the previous config on failure."""
        await self.stop()
        self.cfg = cfg
        sensor = board.make_sensor(cfg["sensor"], cfg["rate"], self.activity)
        self.sensor = sensor
        rate = self.rate()
        nch = len(sensor.channels)
        window, hop = cfg["window"], cfg["hop"]
        ring = Ring(nch, window + max(hop, rate // 2))
        self.windower = Windower(ring, window, hop, self._seq)
        ready = asyncio.Event()
        self.sampler = Sampler(sensor, ring, rate, ready, self.windower.ready)
        s = self.sampler
        self.framer = Framer(self.windower, rate, sensor.scale, ready, self._publish,
                             lambda: s.t0_ms)
        gc.collect()
        self._tasks = (asyncio.create_task(self._guard(self.sampler.run(), "sampler")),
                       asyncio.create_task(self._guard(self.framer.run(), "framer")))

    async def _guard(self, coro, name):
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a task must not die silently
            import sys
            print("motebook: %s task failed:" % name)
            sys.print_exception(e)

    def set_activity(self, name):
        if self.sensor is None or self.sensor.name != "sim":
            raise RuntimeError("not a simulated sensor")
        self.sensor.set_activity(name)
        self.activity = name

    def windows(self):
        return self._windows + (self.windower.windows if self.windower else 0)

    def dropped(self):
        return self._dropped + (self.windower.dropped if self.windower else 0)

    def next_seq(self):
        return self.windower.next_seq() if self.windower else self._seq

    def note_mem(self, free):
        if free < self.mem_free_min:
            self.mem_free_min = free

    def heap_min(self):
        m = self.mem_free_min
        if self.framer is not None and self.framer.mem_free_min < m:
            m = self.framer.mem_free_min
        return m
