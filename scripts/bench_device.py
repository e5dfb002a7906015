#!/usr/bin/env python3
"""Device memory benchmark (not a test): starts the simulated device (-X heapsize=192k),
streams to a WebSocket client for a few seconds per configuration and prints the free heap
after imports and the heap high-water mark while streaming (from /api/status: mem_free_min
is the lowest free heap right after the scheduled garbage collections since the last
configuration change).
--board NAME: the same on a board simulated from its deployed files (device/tests/boardsim.py:
our frozen firmware for boards without PSRAM, .mpy files and the PSRAM heap for the others),
with its IMU and Wi-Fi; the host fakes of the chip and the radio take heap a board does not.
--node: the node on its own, one feature after the other on top of a streaming WebSocket
client (default config): a model, history, flagged windows, MQTT (a real mosquitto), webhooks
(a local receiver), a recording; prints each feature's heap cost (free heap after a
collection, before and after) and the high-water mark with everything on.
--gc: the CPU cost of board.GC_THRESHOLD: two WebSocket clients stream while requests come
as fast as the device answers them; device CPU time per request for several thresholds.
Usage: scripts/bench_device.py [--seconds N] [--board NAME] [--node] [--gc]"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests.simdev import SimDevice  # noqa: E402

HEAP = 192 * 1024
CONFIGS = [
    ("default 100 Hz, window 128, hop 64", {"rate": 100, "window": 128, "hop": 64}),
    ("1000 Hz, window 1024, hop 64", {"rate": 1000, "window": 1024, "hop": 64}),
    ("1000 Hz, window 16, hop 1", {"rate": 1000, "window": 16, "hop": 1}),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--board", help="a board simulated from its deployed files")
    ap.add_argument("--node", action="store_true", help="history, MQTT, webhooks on")
    ap.add_argument("--gc", action="store_true", help="CPU cost of the GC threshold")
    args = ap.parse_args()
    if args.node:
        return node(args.seconds)
    if args.gc:
        return gc_cost(max(args.seconds, 10))
    heap = HEAP
    with tempfile.TemporaryDirectory() as tmp:
        if args.board:
            from device.tests import boardsim
            root = Path(tmp) / "board"
            boardsim.deploy_to(args.board, root)
            dev = boardsim.BoardSim(args.board, root)
            heap = int(dev.heap[:-1]) * 1024
            dev.start(timeout=30)
        else:
            dev = SimDevice(Path(tmp) / "data").start()
        try:
            _, s = dev.json("GET", "/api/status")
            print("heap size:                     %7d bytes" % heap)
            print("free heap after imports:       %7d bytes" % s["mem_after_imports"])
            print("free heap idle (no client):    %7d bytes" % s["mem_free"])
            for label, cfg in CONFIGS:
                if args.board:
                    cfg = dict(cfg, sensor="imu")
                st, body = dev.put("/api/config", cfg)
                assert st == 200, body
                ws = dev.ws()
                ws.recv_json("hello")
                t0, frames, nbytes = time.monotonic(), 0, 0
                while time.monotonic() - t0 < args.seconds:
                    op, data = ws.recv()
                    if op == 2:
                        frames += 1
                        nbytes += len(data)
                _, s = dev.json("GET", "/api/status")
                ws.close()
                dt = time.monotonic() - t0
                print("%s:" % label)
                print("  frames/s received %7.1f   (%d bytes each), dropped %d%s"
                      % (frames / dt, nbytes // max(frames, 1), s["dropped"],
                         ", rate %d Hz, FIFO overflows %d" % (s["rate"], s["sensor_overflows"])
                         if args.board else ""))
                print("  free heap now     %7d bytes   min while streaming %7d bytes"
                      % (s["mem_free"], s["mem_free_min"]))
                print("  heap high-water   %7d bytes   (%.0f%% of the heap)"
                      % (heap - s["mem_free_min"], 100 * (heap - s["mem_free_min"]) / heap))
        finally:
            dev.stop()


def _cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        p = f.read().rsplit(")", 1)[1].split()
    return (int(p[11]) + int(p[12])) / os.sysconf("SC_CLK_TCK")


def gc_cost(seconds):
    import threading
    print("%-10s %10s %12s %10s %10s" % ("threshold", "requests", "CPU ms/req", "frames",
                                         "min free"))
    for t in (-1, 8192, 16384, 32768):
        with tempfile.TemporaryDirectory() as tmp:
            dev = SimDevice(Path(tmp) / "data", env={"MOTEBOOK_GC_THRESHOLD": str(t)}).start()
            try:
                clients = [dev.ws(), dev.ws()]
                end = time.monotonic() + seconds
                frames = [0, 0]

                def read(i):
                    while time.monotonic() < end:
                        op, _ = clients[i].recv()
                        frames[i] += op == 2
                readers = [threading.Thread(target=read, args=(i,)) for i in range(2)]
                for r in readers:
                    r.start()
                c0, n = _cpu_s(dev.pid()), 0
                auth = {"Authorization": "Bearer " + dev.token}
                while time.monotonic() < end:
                    for path in ("/api/status", "/api/config", "/api/sessions"):
                        st = dev.request("GET", path, headers=auth)[0]
                        assert st == 200, (path, st)
                        n += 1
                cpu = _cpu_s(dev.pid()) - c0
                for r in readers:
                    r.join()
                _, s = dev.json("GET", "/api/status")
                print("%-10s %10d %12.3f %10d %10d" % ("off" if t < 0 else t, n,
                                                      1000 * cpu / n, min(frames),
                                                      s["mem_free_min"]))
            finally:
                dev.stop()


def _free(dev, ws, seconds):
    """(free heap now, lowest since the last call) while ws keeps streaming."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        ws.recv()
    _, s = dev.json("GET", "/api/status")
    return s["mem_free"], s["mem_free_min"], s


def node(seconds):
    from device.tests import nodekit as K
    from device.tests.broker import Broker, Receiver
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        br = Broker(tmp / "broker").start()
        rx = Receiver().start()
        dev = K.start(tmp / "data")
        ws = dev.ws()
        ws.recv_json("hello")
        try:
            dev.put("/api/integrations", {"history": {"enabled": False},
                                          "flagged": {"threshold": 0}})
            steps = [
                ("stream (1 WebSocket client)", None),
                ("+ model (3 trees, features)", lambda: K.install(dev, K.M.WINDOW)),
                ("+ history", lambda: dev.put("/api/integrations",
                                              {"history": {"enabled": True}})),
                ("+ flagged windows (threshold 0.99)", lambda: dev.put(
                    "/api/integrations", {"flagged": {"threshold": 0.99}})),
                ("+ MQTT (broker on 127.0.0.1)", lambda: dev.put("/api/integrations", {
                    "mqtt": {"enabled": True, "host": "127.0.0.1", "port": br.port,
                             "summary_s": 10}})),
                ("+ webhooks (local receiver)", lambda: dev.put("/api/integrations", {
                    "webhooks": {"enabled": True, "summaries": True, "urls": [
                        {"url": "http://127.0.0.1:%d/h" % rx.port, "token": "t"}]}})),
                ("+ recording", lambda: dev.json("POST", "/api/sessions", {},
                                                 token=dev.token)),
            ]
            prev = None
            acts = ("walking", "idle", "shaking", "running")
            print("heap %d bytes; each step streams %.0f s (activity changes: MQTT and "
                  "webhook events)" % (HEAP, seconds))
            print("%-36s %9s %9s %9s" % ("feature", "free", "cost", "min free"))
            for i, (label, on) in enumerate(steps):
                if on:
                    on()
                dev.put("/api/sim", {"activity": acts[i % 4]})
                free, low, s = _free(dev, ws, seconds)
                print("%-36s %9d %9s %9d" % (label, free, "" if prev is None else
                                              "%d" % (prev - free), low))
                prev = free
            free, low, s = _free(dev, ws, seconds)
            n = s["node"]
            print("everything on: heap high-water %d bytes (%.0f%% of %d), dropped windows "
                  "%d, inference skipped %d" % (HEAP - low, 100 * (HEAP - low) / HEAP, HEAP,
                                                s["dropped"], s["inference_skipped"]))
            print("  MQTT sent %d, dropped %d; webhooks delivered %d, dropped %d; history "
                  "windows %d" % (n["mqtt"]["sent"], n["mqtt"]["dropped"],
                                  n["webhooks"]["delivered"], n["webhooks"]["dropped"],
                                  n["history"]["history_windows"]))
        finally:
            ws.close()
            dev.stop()
            br.stop()
            rx.stop()


if __name__ == "__main__":
    main()
