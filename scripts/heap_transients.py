#!/usr/bin/env python3
"""Benchmark (not a test): what a webhook delivery and an MQTT publish keep alive while they
are in flight, as another task's gc.collect() sees it (the framer's or /api/status' collection
that makes the device's low mark of the free heap). The firmware's own sender code
(device/webhooks.py, mqtt.py, mqtt_pub.py, frozen into build/fw/micropython, or the source
with --source) runs under MicroPython (-X heapsize=192k) against a local webhook receiver and
a real mosquitto; a probe task collects and reads mem_free at every turn of the event loop, so
it sees each suspension of the sender (open_connection, drain, readline; publish, PUBACK).
Prints, per kind of message, the free heap between sends (base: the probe's figure while the
sender waits on its queue; each event's dict is made at its put and kept by the queue only,
as node.py does, so it counts while the sender keeps it) and how much
less was free in flight, by the stage the sender waited in, the worst over --n deliveries
(after one to warm up). "queued": from the put to the first stream call.
Usage: scripts/heap_transients.py [--n N] [--source [DIR]]"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests.broker import Broker, Receiver  # noqa: E402

MP = r'''
import sys
import gc
import asyncio
from array import array

class _Board:
    HW = None
    FW_VERSION = "bench"
sys.modules["board"] = _Board
import webhooks
import mqtt_pub
import mqtt

RX, BR, N = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
STAGES = 8
low = array("i", [1 << 30] * STAGES)
stage = [0]
LOG = array("i", [0] * 64)


def wrap_streams():
    # the stage of the sender when it suspended: which stream call it waits in
    import asyncio.stream as st
    S = st.Stream
    for name, k in (("drain", 2), ("readline", 3), ("readexactly", 4), ("readinto", 5)):
        f = getattr(S, name)
        def g(self, *a, f=f, k=k):
            stage[0] = k
            return (yield from f(self, *a))
        setattr(S, name, g)
    oc = asyncio.open_connection

    def conn(*a):
        stage[0] = 6
        return (yield from oc(*a))
    asyncio.open_connection = conn
    import webhooks as wh
    c = getattr(wh, "_connect", None)      # its own socket, without streams

    def conn2(*a):
        stage[0] = 6
        return c(*a)
    if c:
        wh._connect = conn2


async def probe(stop):
    while not stop[0]:
        gc.collect()
        f = gc.mem_free()
        k = stage[0]
        if f < low[k]:
            low[k] = f
        await asyncio.sleep_ms(0)


def msg(i, big):
    n = 31 if big else 4
    return {"t": 1765000000.0 + i, "seq": 123456 + i, "class": "walking", "index": 1,
            "confidence": 0.9876, "scores": [0.1234] * n, "hash": "a1b2c3d4e5f6a7b8"}


async def hooks(big):
    s = {"enabled": True, "summaries": True, "queue": 4, "retries": 0, "timeout_s": 5,
         "urls": [{"url": "http://127.0.0.1:%d/hook" % RX, "token": "soak"}]}
    w = webhooks.Webhooks(s, "motebook-bench")
    t = asyncio.create_task(w._send(w.hooks[0]))
    await deliver(w, big)
    t.cancel()
    return w.last_error


async def deliver(s, big):
    # N + 1 messages through s (the Webhooks or the MqttPub), each awaited until delivered,
    # while the probe collects; the first one warms up (imports, first socket). Inline, no
    # callbacks: a called function's frame kept the message alive in the probe's figures
    hook = hasattr(s, "gave_up")
    stop = [False]
    p = asyncio.create_task(probe(stop))
    for i in range(N + 1):
        if i == 1:
            await settle()
        stage[0] = 1
        s.put("class", msg(i, big))        # kept by the queue only, as node.py's
        while (s.delivered + s.gave_up if hook else s.sent) <= i:
            await asyncio.sleep_ms(0)
        stage[0] = 0
        await asyncio.sleep_ms(2)
    stop[0] = True
    await p


async def settle():
    await asyncio.sleep_ms(20)
    for i in range(STAGES):
        low[i] = 1 << 30
    await asyncio.sleep_ms(20)      # the probe's idle figure: the base


async def pub(big):
    s = {"enabled": True, "host": "127.0.0.1", "port": BR, "topic": "", "queue": 4,
         "username": "", "password": "", "keepalive_s": 60, "discovery": False,
         "discovery_prefix": "homeassistant", "summary_s": 60}
    p = mqtt_pub.MqttPub(s, "motebook-bench")
    t = asyncio.create_task(p.run())
    while p.state != "connected":
        await asyncio.sleep_ms(5)
    await deliver(p, big)
    t.cancel()
    await asyncio.sleep_ms(20)
    return p.error


NAMES = ("idle", "queued", "drain", "readline", "readexactly", "readinto", "open_connection")


async def main():
    wrap_streams()
    for what, fn in (("webhook", hooks), ("mqtt", pub)):
        for big in (False, True):
            err = await fn(big)
            base = low[0]
            parts = ["%s %d" % (NAMES[k], base - low[k]) for k in range(1, len(NAMES))
                     if low[k] != 1 << 30]
            worst = base - min(low)
            print("%-8s %-10s base %6d free; in flight: worst %5d bytes  (%s)%s" % (
                what, "31 scores" if big else "4 scores", base, worst, ", ".join(parts),
                "  error: %s" % err if err else ""))

asyncio.run(main())
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--source", metavar="DIR", nargs="?", const=str(ROOT / "device"),
                    help="run the senders' .py files in DIR (default device/; e.g. a copy "
                         "of an older version) instead of the frozen firmware's")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        br = Broker(tmp / "broker").start()
        rx = Receiver().start()
        try:
            script = tmp / "bench.py"
            script.write_text(MP)
            path = ".frozen"
            if args.source:
                path = "%s:%s:.frozen" % (args.source, ROOT)
            env = dict(os.environ, MICROPYPATH=path)
            r = subprocess.run([str(ROOT / "build" / "fw" / "micropython"), "-X",
                                "heapsize=192k", str(script), str(rx.port), str(br.port),
                                str(args.n)], capture_output=True, text=True, timeout=300,
                               env=env)
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr[-3000:])
            return r.returncode
        finally:
            br.stop()
            rx.stop()


if __name__ == "__main__":
    sys.exit(main())
