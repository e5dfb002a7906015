# Acquisition pipeline sensor -> Sampler -> Ring -> Framer -> hub; apply(config) swaps in new
# parts under two long-lived tasks (never cancelled), keeping seq numbers and counters.
# Memory: ring (window + slack samples) and two window-sized buffers per configuration.
# The simulated machine's fault (set_fault), the simulated spectrometer's concentration
# (set_concentration) and the simulated room's day length survive reconfigurations like the
# activity; fault and concentration changes are logged in a ring of TRUTH_MAX (wall ms, first
# window seq, value) each, made at its first change (array('q') + array('I') + array('f'):
# 16 bytes an entry).
import asyncio
import gc
import sys

import board
import clock
import config
from framer import Framer
from sampler import Sampler
from shared.windowing import Ring, Windower


TRUTH_MAX = 32                   # fault changes logged (GET /api/sim "truth")


class Acquisition:
    def __init__(self, publish):
        self._publish = publish      # publish(seq): a new frame is in self.framer
        self.cfg = None
        self.sensor = None
        self.activity = "idle"
        self.fault = None            # the simulated machine's (hal/sim_machine.py FAULTS)
        self.concentration = 0.0     # the simulated spectrometer's (mmol/L)
        self.day_s = 86400           # the simulated room's day (sampled seconds)
        self._ctruth = None          # concentration changes: a ring as _truth
        self._ctruth_n = 0
        self.speed = 1               # simulator time scale (sampler.py; set_speed)
        self._truth = None           # (t_ms, seq, fault code) ring, made at the first change
        self._truth_n = 0
        self.sampler = None
        self.framer = None
        self.windower = None
        self._busy = 0               # loops currently inside a Sampler/Framer run()
        self._tasks = None
        self._seq = 0                # next sequence number after a restart
        self._windows = 0            # windows built by earlier configurations
        self._dropped = 0
        self._overflows = 0          # sensor FIFOs found full by earlier configurations
        self.error = None            # the last failure of the sampler or framer loop
        self.mem_free_min = gc.mem_free()
        self.on_low = None           # on_low(free, where): each new low mark of the free heap
        self.on_sensor = None        # on_sensor(sensor): each new sensor (node.py: a microphone)

    def rate(self):
        """Hz (below 1 for a slow sensor with config period_s: 1 / seconds)."""
        return self.sensor.rate or config.rate(self.cfg)

    def channels_of(self, kind):
        if kind in ("sim", "machine"):
            return 3
        if kind == "mic":             # the level (sound.py)
            return 1
        if self.sensor is not None and self.sensor.name == kind:   # never reopen a running one
            return len(self.sensor.channels)
        return len(board.make_sensor(kind, 100).channels)

    async def _loop(self, attr):
        while True:
            part = getattr(self, attr)
            if part is None or part.stopped:
                await asyncio.sleep_ms(5)
                continue
            self._busy += 1
            try:
                await part.run()
            except asyncio.CancelledError:
                raise
            except Exception as e:   # log and carry on with the next configuration
                print("motebook: %s failed:" % attr)
                sys.print_exception(e)
                self.error = "%s failed: %r" % (attr, e)
                part.stopped = True
            finally:
                self._busy -= 1
            part = None

    async def stop(self):
        if self.sampler is not None:
            self.sampler.stopped = True
        if self.framer is not None:
            self.framer.stop()
        while self._busy:
            await asyncio.sleep_ms(1)
        if self.windower is not None:
            self._seq = self.windower.next_seq()
            self._windows += self.windower.windows
            self._dropped += self.windower.dropped
        self._overflows += getattr(self.sensor, "overflows", 0)
        if self.sensor is not None and hasattr(self.sensor, "close"):
            self.sensor.close()
        self.sampler = self.framer = self.windower = self.sensor = None
        gc.collect()

    async def apply(self, cfg):
        """Stop, rebuild every buffer for cfg and restart. Raises ValueError/MemoryError
        (then nothing runs; the caller applies the previous config again)."""
        if self._tasks is None:
            self._tasks = (asyncio.create_task(self._loop("sampler")),
                           asyncio.create_task(self._loop("framer")))
        await self.stop()
        self.cfg = cfg
        sensor = board.make_sensor(cfg["sensor"], config.rate(cfg), self.activity, self.fault)
        if cfg.get("period_s") and (getattr(sensor, "fifo", False) or
                                    not hasattr(sensor, "read_into")):
            if hasattr(sensor, "close"):
                sensor.close()
            raise ValueError("period_s: sensor %r keeps its own rate (a FIFO): set rate "
                             "instead" % cfg["sensor"])
        if sensor.name == "spectrometer":
            sensor.set_concentration(self.concentration)
        elif sensor.name == "room":
            sensor.set_day(self.day_s)
        if sensor.name == "mic":     # the simulated microphone keeps the time scale
            sensor.speed = self.speed if board.UNIX else 1
        if self.on_sensor is not None:
            self.on_sensor(sensor)
        rate = sensor.rate or config.rate(cfg)
        nch = len(sensor.channels)
        window, hop = cfg["window"], cfg["hop"]
        ring = Ring(nch, window + max(hop, int(rate) // 2))
        windower = Windower(ring, window, hop, self._seq)
        ready = asyncio.Event()
        sampler = Sampler(sensor, ring, rate, ready, windower.ready, window, windower.room)
        sampler.speed = self.speed if board.UNIX and not getattr(sensor, "fifo", False) else 1
        framer = Framer(windower, rate, sensor.scale, ready, self._publish,
                        lambda: sampler.t0_ms, self.note_mem)
        self.sensor, self.windower, self.sampler, self.framer = sensor, windower, sampler, framer
        gc.collect()
        # the minimum is tracked per configuration, from here (after the garbage of building it)
        self.mem_free_min = gc.mem_free()

    def set_activity(self, name):
        if self.sensor is None or self.sensor.name != "sim":
            raise RuntimeError("not a simulated sensor")
        self.sensor.set_activity(name)
        self.activity = name

    def set_speed(self, n):
        """The simulator's time scale: the sampler takes n x rate samples per real second
        (unix port, sensors without a FIFO: all simulated). Survives reconfigurations."""
        mic = self.sensor is not None and self.sensor.name == "mic"   # sim_mic paces itself
        if not board.UNIX or self.sampler is None or (getattr(self.sensor, "fifo", False)
                                                      and not mic):
            raise RuntimeError("not a simulated sensor")
        self.speed = n
        self.sampler.speed = n
        if mic:
            self.sensor.speed = n

    def set_fault(self, name):
        """Switch the simulated machine's fault (None: normal) and log the change with the
        first window all of whose samples have it."""
        if self.sensor is None or self.sensor.name != "machine":
            raise RuntimeError("not the simulated machine")
        s = self.sensor
        s.set_fault(name)      # ValueError for an unknown name: nothing changed
        if name == self.fault:
            return
        self.fault = name
        from hal.sim_machine import FAULTS
        self._note("_truth", 0 if name is None else FAULTS.index(name) + 1)

    def set_concentration(self, c):
        """Set the simulated spectrometer's dye concentration (ValueError outside 0..C_MAX:
        nothing changed) and log the change with the first window all of whose samples
        have it."""
        if self.sensor is None or self.sensor.name != "spectrometer":
            raise RuntimeError("not the simulated spectrometer")
        self.sensor.set_concentration(c)
        if c != self.concentration:
            self.concentration = c
            self._note("_ctruth", c)

    def set_day(self, day_s):
        """The simulated room's day length (ValueError outside hal/sim_room.DAY_S)."""
        if self.sensor is None or self.sensor.name != "room":
            raise RuntimeError("not the simulated room")
        self.sensor.set_day(day_s)
        self.day_s = day_s

    def _note(self, ring, value):
        """Log value in the ring named ring (made at its first change) with the wall time and
        the seq of the first window all of whose samples come after now."""
        w = self.windower
        seq = (w.seq_base + (w.ring.count + w.hop - 1) // w.hop) & 0xFFFFFFFF
        if getattr(self, ring) is None:
            from array import array
            n = TRUTH_MAX
            setattr(self, ring, (array("q", bytes(8 * n)), array("I", bytes(4 * n)),
                                 array("f", bytes(4 * n))))
        t, q, v = getattr(self, ring)
        k = getattr(self, ring + "_n")
        i = k % TRUTH_MAX
        now = clock.now_ms()
        t[i] = -1 if now is None else now
        q[i] = seq
        v[i] = value
        setattr(self, ring + "_n", k + 1)

    def _log(self, ring):
        """[[t_ms or None, seq, value]] of a ring, oldest first."""
        if getattr(self, ring) is None:
            return []
        t, q, v = getattr(self, ring)
        k = getattr(self, ring + "_n")
        out = []
        for j in range(max(0, k - TRUTH_MAX), k):
            i = j % TRUTH_MAX
            out.append([None if t[i] < 0 else t[i], q[i], v[i]])
        return out

    def truth(self):
        """The logged fault changes, oldest first: [[t_ms or None, seq, fault or None]]."""
        out = self._log("_truth")
        if not out:
            return out          # (no simulated machine: not in an ESP32 image)
        from hal.sim_machine import FAULTS
        for e in out:
            f = int(e[2])
            e[2] = FAULTS[f - 1] if f else None
        return out

    def concentrations(self):
        """The logged concentration changes, oldest first: [[t_ms or None, seq, mmol/L]]
        (float32, rounded to 6 digits)."""
        out = self._log("_ctruth")
        for e in out:
            e[2] = round(e[2], 6)
        return out

    def windows(self):
        return self._windows + (self.windower.windows if self.windower else 0)

    def dropped(self):
        return self._dropped + (self.windower.dropped if self.windower else 0)

    def overflows(self):
        return self._overflows + getattr(self.sensor, "overflows", 0)

    def next_seq(self):
        return self.windower.next_seq() if self.windower else self._seq

    def note_mem(self, free, where):
        """free: the free heap right after a collection (the framer's, once a second while
        streaming; /api/status'). The lowest is the live-data high-water mark we report."""
        if free < self.mem_free_min:
            self.mem_free_min = free
            if self.on_low is not None:
                self.on_low(free, where)

    def heap_min(self):
        return self.mem_free_min
