#!/usr/bin/env python3
"""Soak benchmark of the node on its own (not a test): the simulated device (-X heapsize=192k)
with a model, the history, flagged windows, MQTT (a real mosquitto on 127.0.0.1), webhooks (a
local receiver), a recording and one streaming WebSocket client (what a browser's page does
to the device: it takes every frame), for --minutes (default 30); the simulated activity
changes every 20 s so class changes flow to MQTT and the webhooks. Prints a line every
--every seconds (windows, dropped windows, free heap now and its low mark, MQTT and webhook
counters, history) and at the end: dropped windows, the low mark of the free heap in the
first and in the last quarter of the run (flat: the same within a few KB), the low mark at
10 minutes and at the end with every new low in between (flat: none), the
high-water as a share of the heap, and the largest free block at the end (GET /api/heap).
To bisect a heap step, --no-recording, --no-ws, --no-mqtt and --no-webhooks leave one part out
and --device-log FILE keeps the device's console.
Usage: scripts/soak_node.py [--minutes N] [--every S] [--no-...] [--device-log FILE]"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests import nodekit as K  # noqa: E402
from device.tests.broker import Broker, Receiver, Subscriber  # noqa: E402

HEAP = 192 * 1024
ACTS = ("walking", "idle", "shaking", "running")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--every", type=float, default=30)
    # to bisect: run without one of the parts (everything is on by default)
    ap.add_argument("--no-recording", action="store_true")
    ap.add_argument("--no-ws", action="store_true", help="no streaming WebSocket client")
    ap.add_argument("--no-mqtt", action="store_true")
    ap.add_argument("--no-webhooks", action="store_true")
    ap.add_argument("--device-log", help="write the device's whole console output here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        br = Broker(tmp / "broker").start()
        rx = Receiver().start()
        sub = Subscriber(br.port)
        dev = K.start(tmp / "data", K.M.WINDOW)
        ws = None
        if not args.no_ws:
            ws = dev.ws()
            ws.recv_json("hello")
        try:
            return _run(args, dev, ws, br, rx, sub)
        finally:
            if ws is not None:
                ws.close()
            if args.device_log:
                Path(args.device_log).write_text(dev.output())
            dev.stop()
            sub.close()
            br.stop()
            rx.stop()


def _run(args, dev, ws, br, rx, sub):
    st, body = dev.put("/api/integrations", {
        "history": {"enabled": True}, "flagged": {"threshold": 0.6, "min_interval_s": 30},
        "mqtt": {"enabled": not args.no_mqtt, "host": "127.0.0.1", "port": br.port, "summary_s": 60},
        "webhooks": {"enabled": not args.no_webhooks, "summaries": True, "urls": [
            {"url": "http://127.0.0.1:%d/hook" % rx.port, "token": "soak"}]}})
    assert st == 200, body
    s = {"id": None}
    if not args.no_recording:
        st, s = dev.json("POST", "/api/sessions", {"label": "soak"}, token=dev.token)
        assert st == 201, s
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    next_print = t0 + args.every
    next_act, act = t0, 0
    lows = []                     # (elapsed s, mem_free_min since the last look)
    frees = []                    # (elapsed s, free heap after the status' own collection)
    frames = 0
    print("soak: %.1f min, heap %d bytes, model %s, recording session %s"
          % (args.minutes, HEAP, K.M.WINDOW, s["id"]))
    print("%7s %8s %7s %9s %9s %10s %10s %8s" % ("t (s)", "windows", "dropped", "free",
                                                  "min free", "mqtt s/d", "hooks d/x",
                                                  "history"))
    while time.monotonic() < end:
        if ws is not None:
            ws.recv()
            frames += 1
        else:
            time.sleep(0.2)
        now = time.monotonic()
        if now >= next_act:
            dev.put("/api/sim", {"activity": ACTS[act % len(ACTS)]})
            act += 1
            next_act = now + 20
        if now >= next_print or now >= end:
            next_print = now + args.every
            s = _status(dev)
            lows.append((now - t0, s["mem_free_min"]))
            frees.append((now - t0, s["mem_free"]))
            n = s["node"]
            print("%7.0f %8d %7d %9d %9d %10s %10s %8d" % (
                now - t0, s["windows"], s["dropped"], s["mem_free"], s["mem_free_min"],
                "%s/%s" % (_c(n, "mqtt", "sent"), _c(n, "mqtt", "dropped")),
                "%s/%s" % (_c(n, "webhooks", "delivered"), _c(n, "webhooks", "dropped")),
                n["history"]["history_windows"]), flush=True)
    s = _status(dev)
    n = s["node"]
    q = max(1, len(lows) // 4)
    first = min(v for _, v in lows[:q])
    last = min(v for _, v in lows[-q:])
    low = min(v for _, v in lows)
    print("soak done: %.1f min, %d windows, %d dropped (source %d, clients %d), %d frames "
          "received, inference skipped %d" % (args.minutes, s["windows"], s["dropped"],
                                               s["dropped_source"], s["dropped_clients"],
                                               frames, s.get("inference_skipped", 0)))
    # a leak moves the whole distribution of the live heap; a new low mark alone is the rare
    # moment when more short-lived things than ever were alive at one collection
    print("free heap after a collection, by quarter of the run (median / lowest / highest):")
    span = args.minutes * 15      # seconds in a quarter
    for k in range(4):
        part = sorted(v for t, v in frees if k * span <= t < (k + 1) * span + 1)
        if part:
            print("  quarter %d: %d / %d / %d  (%d looks)" % (
                k + 1, part[len(part) // 2], part[0], part[-1], len(part)))
    lows_seen = [ln for ln in dev.output().splitlines() if "heap low mark" in ln]
    print("the device's new low marks after its first minute, with what was in flight (%d):"
          % len(lows_seen))
    for ln in lows_seen[-12:]:
        print("  " + ln)
    # flat after the first 10 minutes: no new low mark from then to the end
    settled = [(t, v) for t, v in lows if t >= 600]
    if settled:
        at10 = settled[0][1]
        steps = [(t, v) for (t, v), (_, p) in zip(settled[1:], settled) if v < p]
        print("low mark of free heap at 10 min %d, at the end %d (%+d bytes); new lows after "
              "10 min: %s" % (at10, settled[-1][1], settled[-1][1] - at10,
                              ", ".join("%d at %.1f min" % (v, t / 60) for t, v in steps)
                              or "none"))
    h = dev.json("GET", "/api/heap", token=dev.token)[1]
    print("heap: low mark of free heap %d in the first quarter, %d in the last (%+d bytes); "
          "high-water %d bytes = %.0f%% of %d; at the end %d free, largest block %d"
          % (first, last, last - first, HEAP - low, 100 * (HEAP - low) / HEAP, HEAP,
             h["free"], h["largest"]))
    print("MQTT: sent %s, dropped %s, %d messages at the subscriber; webhooks: delivered %s, "
          "dropped %s, %d at the receiver; history: %d windows since boot; flagged %s; "
          "recording: %d bytes, error %s" % (
              _c(n, "mqtt", "sent"), _c(n, "mqtt", "dropped"), len(sub.msgs),
              _c(n, "webhooks", "delivered"), _c(n, "webhooks", "dropped"), len(rx.got),
              n["history"]["history_windows"], n["flagged"] and n["flagged"]["since_boot"],
              s["storage_used"], s["recording_error"]))
    return 0 if s["dropped"] == 0 else 1


def _c(node, part, key):
    """A counter of node part ("-" when that part is off)."""
    return node[part][key] if node.get(part) else "-"


def _status(dev):
    st, s = dev.json("GET", "/api/status")
    assert st == 200, s
    return s


if __name__ == "__main__":
    sys.exit(main())
