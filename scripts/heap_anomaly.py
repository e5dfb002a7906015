#!/usr/bin/env python3
"""Heap cost and time per window of an anomaly model on the simulated device (benchmark, not a
test): the same run as scripts/soak_node.py (history, flagged windows, MQTT at a real
mosquitto, webhooks at a local receiver, a recording, one streaming WebSocket client, the
activity changing every 20 s) once with the trees model and once with an anomaly model
(shared.anomaly fitted on the device's own "idle" windows; --kind envelope or gmm), for
--minutes each. Prints per model: free heap after a collection (median, lowest), the low mark
(the device's mem_free_min), the high-water as a share of the 192 KB heap, inference ms
(last, max) and the windows scored.
Figures (this machine, 3 min each, everything on, MicroPython unix -X heapsize=192k): see
device/MODEL.md "Anomaly models".
Usage: scripts/heap_anomaly.py [--minutes N] [--kind envelope|gmm|gmm-diag] [--no-trees]"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests import models as M  # noqa: E402
from device.tests import nodekit as K  # noqa: E402
from device.tests.broker import Broker, Receiver, Subscriber  # noqa: E402

HEAP = 192 * 1024
ACTS = ("walking", "idle", "shaking", "running")


def run(tmp, minutes, text):
    br = Broker(tmp / "broker").start()
    rx = Receiver().start()
    sub = Subscriber(br.port)
    dev = K.start(tmp / "data", M.WINDOW)
    try:
        if text is not None:
            st, h, b = dev.request("PUT", "/api/model", text, {
                "Authorization": "Bearer " + dev.token, "Content-Type": "text/csv"})
            assert st == 200, b
        st, body = dev.put("/api/integrations", {
            "history": {"enabled": True}, "flagged": {"threshold": 0.6, "min_interval_s": 30},
            "mqtt": {"enabled": True, "host": "127.0.0.1", "port": br.port, "summary_s": 60},
            "webhooks": {"enabled": True, "summaries": True, "urls": [
                {"url": "http://127.0.0.1:%d/hook" % rx.port, "token": "soak"}]}})
        assert st == 200, body
        st, s = dev.json("POST", "/api/sessions", {"label": "heap"}, token=dev.token)
        assert st == 201, s
        ws = dev.ws()
        ws.recv_json("hello")
        t0 = time.monotonic()
        end, next_look, next_act, act = t0 + minutes * 60, t0 + 5, t0, 0
        frees = []
        while time.monotonic() < end:
            ws.recv()
            now = time.monotonic()
            if now >= next_act:
                dev.put("/api/sim", {"activity": ACTS[act % len(ACTS)]})
                act += 1
                next_act = now + 20
            if now >= next_look:
                next_look = now + 5
                frees.append(dev.json("GET", "/api/status")[1]["mem_free"])
        ws.close()
        s = dev.json("GET", "/api/status")[1]
        frees.sort()
        return {"kind": s.get("model_kind"), "median": frees[len(frees) // 2],
                "lowest": frees[0], "low_mark": s["mem_free_min"],
                "high_water": (HEAP - s["mem_free_min"]) / HEAP,
                "ms": (s["inference_ms"], s["inference_ms_max"]),
                "scored": s["inference_classified"], "dropped": s["dropped"],
                "mqtt": s["node"]["mqtt"]["sent"], "hooks": s["node"]["webhooks"]["delivered"]}
    finally:
        dev.stop()
        sub.close()
        br.stop()
        rx.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--kind", default="envelope", choices=("envelope", "gmm", "gmm-diag"))
    ap.add_argument("--no-trees", action="store_true", help="skip the trees run")
    args = ap.parse_args()
    text = M.anomaly_text(M.WINDOW, kind=args.kind[:3] if args.kind != "envelope" else
                          "envelope", types=("diag",) if args.kind == "gmm-diag" else
                          ("full", "diag"))
    runs = (("trees", None),) if not args.no_trees else ()
    for name, t in runs + (("anomaly " + args.kind, text),):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(Path(tmp), args.minutes, t)
        print("%-17s free heap median %6d lowest %6d; low mark %6d = high-water %.1f%% of "
              "%d; inference ms last %.2f max %.2f; %d windows scored, %d dropped; mqtt %d, "
              "webhooks %d" % (name, r["median"], r["lowest"], r["low_mark"],
                               100 * r["high_water"], HEAP, r["ms"][0], r["ms"][1],
                               r["scored"], r["dropped"], r["mqtt"], r["hooks"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
