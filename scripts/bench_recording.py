#!/usr/bin/env python3
"""Recording benchmark (not a test) on the simulated device (-X heapsize=192k): bytes per hour
of 3-axis 100 Hz recording (a real recording of --seconds, extrapolated), the heap high-water
mark while a WebSocket client streams and the device records and serves downloads, and the
time to download a 10-minute-equivalent session over the API (whole and in 100-window ranges).
Usage: scripts/bench_recording.py [--seconds N]"""
import argparse
import json
import statistics
import struct
import sys
import tempfile
import threading
import time
import zlib
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests.simdev import SimDevice  # noqa: E402
from shared import protocol  # noqa: E402

HEAP = 192 * 1024


def write_session(sdir, sid, n, nch=3, hop=64, rate=100):
    """A session of n records in the on-flash format of device/SESSIONS.md."""
    sdir.mkdir(parents=True)
    fs = protocol.frame_size(nch, hop)
    rs = fs + 4
    per = max(1, 32768 // rs)
    samples = array("h", bytes(2 * nch * hop))
    buf = bytearray(fs)
    f = None
    for i in range(n):
        if i % per == 0:
            if f:
                f.close()
            f = open(sdir / ("%04d.rec" % (i // per)), "wb")
        for k in range(len(samples)):
            samples[k] = (i * 7 + k * 13) % 4001 - 2000
        protocol.encode_window_into(buf, i, i * hop * 1000 // rate, samples, nch, hop, rate,
                                    1 / 4096)
        f.write(bytes(buf) + struct.pack("<I", zlib.crc32(buf)))
    f.close()
    meta = {"id": sid, "started": 0, "clock": "device", "rate": rate, "channels": ["x", "y", "z"],
            "window": 2 * hop, "hop": hop, "scale": 1 / 4096, "sensor": "sim",
            "record_size": rs, "frame_size": fs, "label": None, "recording": False,
            "error": None, "windows": n, "bytes": n * rs, "duration_s": n * hop / rate,
            "first_seq": 0, "gaps": 0,
            "labels": {"version": 1, "classes": [], "segments": 0, "counts": {}}}
    (sdir / "meta.json").write_text(json.dumps(meta))
    (sdir / "labels.json").write_text('{"version": 1, "classes": [], "segments": []}')


class Streamer(threading.Thread):
    """A WebSocket client reading frames all the time (a connected page)."""

    def __init__(self, dev):
        super().__init__(daemon=True)
        self.ws = dev.ws()
        self.frames = 0
        self.stop = False

    def run(self):
        try:
            while not self.stop:
                op, _ = self.ws.recv()
                if op == 2:
                    self.frames += 1
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        n10 = (10 * 60 * 100 + 63) // 64          # records in 10 minutes at 100 Hz, hop 64
        write_session(data / "sessions" / "1", 1, n10)
        dev = SimDevice(data).start()
        try:
            T = dev.token
            _, s = dev.json("GET", "/api/status")
            assert (s["rate"], s["window"], s["hop"]) == (100, 128, 64), s
            print("heap %d bytes; free after imports %d, idle %d"
                  % (HEAP, s["mem_after_imports"], s["mem_free"]))
            ws = Streamer(dev)
            ws.start()
            dev.put("/api/sim", {"activity": "walking"})
            st, m = dev.json("POST", "/api/sessions", {"label": "walking"}, token=T)
            assert st == 201, m
            sid = m["id"]
            t0 = time.monotonic()
            times = []
            refused = []
            while time.monotonic() - t0 < args.seconds:   # downloads while recording
                t = time.monotonic()
                st, h, body = dev.get("/api/sessions/1/windows", timeout=30)
                if st != 200:      # e.g. 503: no contiguous 1 KB of heap at that moment
                    refused.append((st, body[:100]))
                else:
                    times.append(time.monotonic() - t)
                    assert len(body) == n10 * 404, (len(body), dev.output()[-800:])
                time.sleep(0.5)
            st, m = dev.json("POST", "/api/sessions/%d/stop" % sid, token=T)
            assert st == 200, (st, m, dev.output()[-1500:])
            _, s = dev.json("GET", "/api/status")
            files = sum(p.stat().st_size for p in (data / "sessions" / str(sid)).iterdir())
            per_hour = m["bytes"] / m["duration_s"] * 3600     # records grow; JSON does not
            print("\nrecording 3-axis int16 at %d Hz, window %d, hop %d, for %.1f s (%d windows)"
                  % (m["rate"], m["window"], m["hop"], m["duration_s"], m["windows"]))
            print("  record: %d bytes (20 header + %d samples + 4 CRC) per %d ms"
                  % (m["record_size"], 3 * 64 * 2, 640))
            print("  session files: %d bytes (records %d + meta/labels %d, fixed per session)"
                  % (files, m["bytes"], files - m["bytes"]))
            print("  bytes per hour: %.0f (%.2f MB) + %d per session; raw int16 samples alone:"
                  " %d; whole overlapping frames would be %.0f"
                  % (per_hour, per_hour / 1e6, files - m["bytes"], 100 * 3 * 2 * 3600,
                     (20 + 3 * 128 * 2 + 4) * 3600 / 0.64))
            print("  default budget 1.5 MiB holds %.0f minutes"
                  % (1572864 / per_hour * 60))
            print("  windows lost while recording: gaps %d, dropped %d, WS frames seen %d"
                  % (m["gaps"], s["dropped"], ws.frames))
            print("\nheap high-water while streaming + recording + downloading: lowest free %d"
                  " bytes (of %d), i.e. %d in use" % (s["mem_free_min"], HEAP,
                                                      HEAP - s["mem_free_min"]))

            # 10-minute session: whole, and in ranges of 100 windows, no recording running
            whole = []
            good = b""
            for _ in range(5):
                t = time.monotonic()
                st, h, body = dev.get("/api/sessions/1/windows", timeout=30)
                if st != 200 or len(body) != n10 * 404:
                    refused.append((st, len(body), body[:100]))
                    continue
                whole.append(time.monotonic() - t)
                good = body
            ranges = []
            for _ in range(3):
                t = time.monotonic()
                for start in range(0, n10, 100):
                    st, h, b = dev.get("/api/sessions/1/windows?start=%d&count=100" % start)
                    if st != 200:
                        refused.append((st, len(b), b[:100]))
                ranges.append(time.monotonic() - t)
            # decode it like a page would (shared/protocol, CPython here)
            t = time.monotonic()
            out = array("h", bytes(2 * 3 * 64))
            for k in range(0, len(good), 404):
                protocol.decode_window_into(good[k:k + 404], out)
            dec = time.monotonic() - t
            print("\n10-minute session (%d windows, %d bytes) over HTTP on 127.0.0.1:"
                  % (n10, n10 * 404))
            print("  whole: median %.3f s (5 runs); while recording + streaming: median %.3f s"
                  " (%d runs)" % (statistics.median(whole) if whole else -1,
                                  statistics.median(times) if times else -1, len(times)))
            print("  in %d ranges of 100 windows: median %.3f s; decode (CPython): %.3f s"
                  % ((n10 + 99) // 100, statistics.median(ranges), dec))
            if refused:
                print("  refused or cut downloads: %d, first: %r" % (len(refused), refused[0]))
            ws.stop = True
            ws.ws.close()
        finally:
            dev.stop()


if __name__ == "__main__":
    main()
