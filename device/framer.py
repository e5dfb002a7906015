# Window builder task: cuts windows from the Ring (shared.windowing), encodes each into one
# preallocated frame buffer (shared.protocol) and tells the WebSocket hub. Memory: the frame
# buffer and the channel-major sample array are made once per configuration.
import asyncio
import gc
import time

from shared import protocol
from shared.windowing import zeros

_GC_MS = 1000   # collect garbage at most once a second while streaming
WS_HEAD = 4  # room before the frame for the WebSocket header (2 or 4 bytes)


class Framer:
    def __init__(self, windower, rate, scale, ready_event, publish, t0_ms, note_mem):
        self.windower = windower
        ring = windower.ring
        self.nch = ring.channels
        self.rate = rate
        self._period = protocol.period_s(rate)   # seconds between samples of a slow sensor
        self.scale = scale
        self._ready = ready_event
        self._publish = publish
        self._t0_ms = t0_ms            # callable: ticks_ms when sampling started
        self.samples = zeros("h", self.nch * windower.length)
        size = protocol.frame_size(self.nch, windower.length)
        self.buf = bytearray(WS_HEAD + size)
        self.view = memoryview(self.buf)
        self.frame_len = 0
        self.stopped = False
        self._note_mem = note_mem      # note_mem(free, where): the free heap after a collection
        self._gc_at = time.ticks_ms()

    def stop(self):
        self.stopped = True
        self._ready.set()   # wake run() so it returns

    async def run(self):
        w = self.windower
        body = self.view[WS_HEAD:]
        while not self.stopped:
            await self._ready.wait()
            self._ready.clear()
            while not self.stopped:
                r = w.build_into(self.samples)
                if r is None:
                    break
                seq, start = r
                t_ms = self._t0_ms() + (start * 1000 // self.rate if self._period is None
                                        else start * self._period * 1000)
                self.frame_len = protocol.encode_window_into(
                    body, seq, t_ms, self.samples, self.nch, w.length, self.rate, self.scale)
                self._publish(seq)
                now = time.ticks_ms()
                if time.ticks_diff(now, self._gc_at) >= 0:
                    # Collect on a schedule: short, predictable pauses, and the free heap
                    # right after a collection is the live-data high-water mark we report.
                    self._gc_at = time.ticks_add(now, _GC_MS)
                    gc.collect()
                    self._note_mem(gc.mem_free(), "stream")
                await asyncio.sleep_ms(0)  # let client senders copy this frame out first
