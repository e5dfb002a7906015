# Sampling task: reads the sensor at a fixed rate into a preallocated int16 Ring.
# A timer loop paced by ticks_us catches up missed ticks, so the long-run rate is exact even
# when asyncio wakes late (unix port). A sensor with its own FIFO (fifo=True) keeps time
# itself: the task drains it every poll_ms instead. Memory: no allocation per sample.
# Simulator time scale (`speed`, PUT /api/sim {"speed": N}, simulated sensors on the unix port
# only): the loop takes N x rate samples per real second, so the firmware sees N seconds of
# (machine) time per second; one turn takes at most what the ring can hold before it would
# overwrite the next window not yet cut (`room`), then yields, so the framer and inference see
# every window even when they are slow to run (a host too slow for N runs the machine slower
# and counts a resync: windows are never lost for it).
# A slow rate (below 1 Hz: config period_s, one sample every N seconds) takes one sample per
# period (period / speed of real time), waking at least every 200 ms to see a stop.
import asyncio
import time

_MAX_CATCHUP_S = 1  # further behind than this (e.g. process stopped): resync, count it


class Sampler:
    def __init__(self, sensor, ring, rate, ready_event, want_window, window=1, room=None):
        self.sensor = sensor
        self.ring = ring
        self.rate = rate
        self._window = min(window, ring.capacity - 1)
        self._ready = ready_event
        self._want = want_window   # callable: True when a window can be cut
        self._room = room          # callable: samples that fit before an uncut window is hit
        self.resyncs = 0
        self.speed = 1             # simulator time scale (see above)
        self.stopped = False
        self.t0_ms = time.ticks_ms()

    async def run(self):
        if getattr(self.sensor, "fifo", False):
            await self._run_fifo()
            return
        if self.rate < 1:
            await self._run_slow()
            return
        sensor, ring, rate = self.sensor, self.ring, self.rate
        buf = ring.buf
        t0 = time.ticks_us()
        self.t0_ms = time.ticks_ms()
        n = 0              # samples taken in the current second since t0
        due = t0
        speed = 1
        pace = rate        # samples per real second: rate x speed
        turn = 0           # samples one turn may take (0: no cap, speed 1)
        while not self.stopped:
            now = time.ticks_us()
            if self.speed != speed:          # a new time scale starts from now
                speed = self.speed
                pace = rate * speed
                turn = 0 if speed == 1 else ring.capacity - self._window
                t0 = due = now
                n = 0
            taken = 0
            if turn:                         # sped up: never overwrite a window not yet cut
                turn = ring.capacity - self._window
                if self._room is not None:
                    turn = min(turn, self._room())
                if turn <= 0:                # the framer is behind: the machine waits for it
                    self._ready.set()
                    t0 = due = now
                    n = 0
                    await asyncio.sleep_ms(1)
                    continue
            while time.ticks_diff(now, due) >= 0:
                sensor.read_into(buf, ring.next_offset())
                ring.commit()
                n += 1
                if n == pace:
                    t0 = time.ticks_add(t0, 1000000)
                    n = 0
                due = time.ticks_add(t0, n * 1000000 // pace)
                taken += 1
                if taken > pace * _MAX_CATCHUP_S or taken == turn:
                    if time.ticks_diff(now, due) > _MAX_CATCHUP_S * 1000000 or not turn:
                        self.resyncs += 1
                        t0 = due = time.ticks_us()
                        n = 0
                    break
            if taken and self._want():
                self._ready.set()
            wait_us = time.ticks_diff(due, time.ticks_us())
            await asyncio.sleep_ms((wait_us + 999) // 1000 if wait_us > 0 else 0)

    async def _run_slow(self):
        sensor, ring = self.sensor, self.ring
        buf = ring.buf
        period_ms = int(1000 / self.rate + 0.5)
        self.t0_ms = t0 = time.ticks_ms()
        n = 0              # samples taken since t0 at the current speed
        speed = None
        while not self.stopped:
            if self.speed != speed:          # a new time scale starts from now
                speed = self.speed
                step = period_ms // speed
                t0 = time.ticks_ms()
                n = 0
            wait = time.ticks_diff(time.ticks_add(t0, n * step), time.ticks_ms())
            if wait > 0:
                await asyncio.sleep_ms(min(wait, 200))
                continue
            if wait < -2 * step:             # far behind (process stopped): resync
                self.resyncs += 1
                t0 = time.ticks_ms()
                n = 0
            sensor.read_into(buf, ring.next_offset())
            ring.commit()
            n += 1
            if self._want():
                self._ready.set()
            await asyncio.sleep_ms(0)

    async def _run_fifo(self):
        # Timestamps follow the chip: sample k is at t0_ms + k / rate. A FIFO found full lost
        # samples, so t0_ms moves on to put the newest sample at "now" again.
        sensor, ring, rate = self.sensor, self.ring, self.rate
        limit = ring.capacity - self._window   # one drain never overwrites an uncut window
        sensor.start()
        self.t0_ms = time.ticks_ms()
        first = ring.count
        overflows = sensor.overflows
        while not self.stopped:
            n = sensor.drain(ring, limit)
            if sensor.overflows != overflows:
                overflows = sensor.overflows
                self.resyncs += 1
                self.t0_ms = time.ticks_add(
                    time.ticks_ms(), -((ring.count - first) * 1000 // rate))
            if n and self._want():
                self._ready.set()
            # more waiting: let the framer cut windows, then drain again
            await asyncio.sleep_ms(0 if n == limit else sensor.poll_ms)
