# Firmware entry point: loads config and token, starts the acquisition tasks and the Microdot
# server, with a global asyncio exception handler. Memory: everything is imported first, then
# gc.collect(); buffers are made by Acquisition.apply() once per configuration.
import gc
import os
import sys

import asyncio

import auth
import board
import config
from acquisition import Acquisition
from api import create_app
from inference import Inference
from model_store import Store
from node import Node
from recorder import Recorder
from static import Static
from wshub import Hub

gc.collect()
_MEM_AFTER_IMPORTS = gc.mem_free()


class Device:
    def __init__(self):
        import time
        self._up_ms = 0
        self._up_ticks = time.ticks_ms()
        self.token = auth.load_or_create(board.DATA)
        self.acq = Acquisition(self._publish)
        self.hub = Hub(self.acq, self.hello)
        self.static = Static(board.WWW)
        self.model = Store(board.DATA, board.MODEL_IMPL)
        self.infer = Inference(self.acq, self.model, self.hub.broadcast)
        self.rec = Recorder(self, board.DATA)   # recovers sessions cut by a restart
        self.infer.on_prediction = self.rec.on_prediction
        self.node = Node(self, board.DATA)   # history, flagged windows, MQTT, webhooks
        self.infer.node = self.node
        self.mem_after_imports = _MEM_AFTER_IMPORTS
        self.app = None           # the Microdot app, once made
        self.acq.on_low = self.heap_low
        self.acq.on_sensor = self.node.sensor_changed   # a microphone's levels (sound.py)
        self.wifi = None          # wifi.WiFi on a board
        self.sensor_error = None  # why the board's sensor is not used

    def heap_low(self, free, where):
        """A new low mark of the free heap (after the framer's collection), past the first
        minute: one console line with what was in flight at that collection, to tell a leak
        (the whole heap moves) from a rare moment when more short-lived things than ever were
        alive at once (scripts/soak_node.py). Allocates only then."""
        if self.uptime_s() < 60:
            return
        n = self.node
        m = n.mqtt.status() if n.mqtt else None
        h = n.hooks.status() if n.hooks else None
        print("motebook: heap low mark %d free (%s) at %d s: http %d, ws %d, mqtt %s/%s "
              "queued, webhooks %s queued, recording %s, model upload %s" % (
                  free, where, self.uptime_s(), len(self.app.conns) if self.app else -1,
                  len(self.hub.clients), m and m["state"], m and m["queued"],
                  h and h["queued"], self.rec.sid, self.model.busy))

    def uptime_s(self):
        # ticks_ms wraps (about 12 days on the ESP32): accumulate differences instead; the
        # clock task calls this every minute, so no difference is ever near the wrap.
        import time
        now = time.ticks_ms()
        self._up_ms += time.ticks_diff(now, self._up_ticks)
        self._up_ticks = now
        return self._up_ms // 1000

    async def clock(self):
        while True:
            await asyncio.sleep(60)
            self.uptime_s()

    def _publish(self, seq):
        self.rec.on_window(seq)   # recording does not depend on a page
        self.hub.publish(seq)
        self.infer.notify(seq)

    def hello(self):
        a = self.acq
        return {"type": "hello", "fw": board.FW_VERSION, "rate": a.rate(),
                "window": a.cfg["window"], "hop": a.cfg["hop"],
                "channels": list(a.sensor.channels), "sensor": a.cfg["sensor"],
                "sensors": list(board.SENSORS), "scale": a.sensor.scale,
                "unit": getattr(a.sensor, "unit", ""), "seq": a.next_seq()}

    def hw_status(self):
        """Board, sensor and Wi-Fi fields of /api/status (none on the plain simulator)."""
        s = {}
        if board.HW:
            s["board"] = board.HW["board"]
            s["sensor_chip"] = board.HW["sensor"]
            s["sensor_overflows"] = self.acq.overflows()
            s["sensor_bus_errors"] = getattr(self.acq.sensor, "bus_errors", 0)
        if board.PROBLEM:
            s["board_problem"] = board.PROBLEM
        err = self.acq.error or self.sensor_error
        if err:
            s["sensor_error"] = err
        if self.wifi is not None:
            s["wifi"] = self.wifi.status()
        return s

    async def apply_config(self, new):
        """Save new first (OSError, e.g. a full flash: nothing changed), then restart
        acquisition with it when a field of acquisition changed; when it cannot run, the old
        config runs and is saved again. Returns None or an error message."""
        old = self.acq.cfg
        config.save(board.DATA, new)
        if all(new[k] == old[k] for k in config.DEFAULTS):
            self.acq.cfg = new   # e.g. only "origins" or "storage_budget": no restart
            return None
        try:
            await self.acq.apply(new)
        except (ValueError, MemoryError, OSError) as e:
            print("motebook: config rejected (%r), restoring the previous one" % (e,))
            await self.acq.apply(old)
            try:
                config.save(board.DATA, old)
            except OSError:
                pass
            return "could not apply the config: %s" % e
        self.hub.hello_all()
        return None


def _on_exception(loop, context):
    print("motebook: unhandled exception in a task:")
    e = context.get("exception")
    if e is not None:
        sys.print_exception(e)
    else:
        print(context.get("message"))


async def main():
    asyncio.get_event_loop().set_exception_handler(_on_exception)
    try:
        os.mkdir(board.DATA)   # first boot on a fresh flash filesystem
    except OSError:
        pass
    dev = Device()
    cfg, warning = config.load(board.DATA, board.SENSORS)
    if warning:
        print("motebook:", warning)
    if board.PROBLEM:
        print("motebook: board:", board.PROBLEM)
    if board.REPLAY:
        cfg["sensor"] = "replay"   # --replay FILE: play the recording (not persisted)
    elif board.MIC_WAV:
        cfg["sensor"] = "mic"      # --replay FILE.wav: the simulated microphone plays it
    elif board.HW:
        try:
            os.stat(board.path(config.FILE))
        except OSError:   # no config stored yet: the board's own sensor (a microphone board's)
            cfg["sensor"] = "mic" if board.HW.get("mic") and not board.HW.get("sensor") else "imu"
    try:
        await dev.acq.apply(cfg)
    except (ValueError, OSError) as e:
        if cfg["sensor"] != "imu":
            print("motebook: error:", e)
            sys.exit(2)
        # a board whose sensor does not answer still serves the page and says why
        dev.sensor_error = str(e)
        print("motebook: sensor:", e, "- using the simulated sensor")
        cfg["sensor"] = "sim"
        await dev.acq.apply(cfg)
    if board.WIFI:
        import wifi
        dev.wifi = wifi.WiFi(board.DATA)
        asyncio.create_task(dev.wifi.run())
    dev.node.start()
    import mdns
    dev.node.mdns = mdns.announce(dev.node.name, board.PORT)
    del sys.modules["mdns"]
    if dev.node.warning:
        print("motebook:", dev.node.warning)
    await dev.model.boot()
    app = dev.app = create_app(dev)
    asyncio.create_task(dev.clock())
    asyncio.create_task(dev.infer.run())
    gc.collect()
    if gc.mem_free() + gc.mem_alloc() <= board.GC_THRESHOLD_HEAP:
        gc.threshold(board.GC_THRESHOLD)
    print("motebook %s: sensor %s, %.6g Hz, window %d, hop %d, channels %s"
          % (board.FW_VERSION, cfg["sensor"], dev.acq.rate(), cfg["window"], cfg["hop"],
             ",".join(dev.acq.sensor.channels)))
    print("motebook: token %s" % dev.token)
    print("motebook: free heap after imports %d, now %d" % (_MEM_AFTER_IMPORTS, gc.mem_free()))
    print("motebook: listening on http://%s:%d/" % (board.HOST, board.PORT))
    await app.start_server(host=board.HOST, port=board.PORT)


def run():
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        asyncio.new_event_loop()


if __name__ == "__main__":
    run()
