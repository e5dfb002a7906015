#!/usr/bin/env python3
"""Long fuzz run against the simulated device (device/tests/fuzz.py; not a test): seeded HTTP
requests over every route and method and WebSocket cases, then the checks (no hang, no 5xx,
no malformed or unauthorised write accepted, no restart, stored state unchanged, the stream
flowing, sockets back to their count). Prints the figures; exit status 1 on any failure.
Usage: scripts/fuzz_device.py [--http N] [--ws N] [--seed S] [--nofile N] [--rounds R]"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from device.tests import fuzz  # noqa: E402
from device.tests import models as M  # noqa: E402
from device.tests.simdev import SimDevice  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--http", type=int, default=10000, help="HTTP requests per round")
    ap.add_argument("--ws", type=int, default=1000, help="WebSocket cases per round")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1, help="rounds, seeds seed..seed+R-1")
    ap.add_argument("--nofile", type=int, help="descriptor limit of the device (e.g. 16)")
    args = ap.parse_args()
    model = M.trained(n_trees=3, seed=4)["text"]
    failed = 0
    for k in range(args.rounds):
        seed = args.seed + k
        with tempfile.TemporaryDirectory() as tmp:
            dev = SimDevice(Path(tmp) / "data", nofile=args.nofile).start()
            try:
                f = fuzz.Fuzzer(dev, seed)
                t0 = time.monotonic()
                rep = f.run(args.http, args.ws, model)
                rep["seconds"] = round(time.monotonic() - t0, 1)
            finally:
                dev.stop()
        print("round %d (seed %d): %d HTTP requests in %.1f s, %d WebSocket cases in %.1f s, "
              "%d failures" % (k + 1, seed, rep["http_cases"], rep["seconds_http"],
                               rep["ws_cases"], rep["seconds_ws"], len(f.fail)))
        print("  cases and answers:", json.dumps(rep["counts"]))
        print("  stream: %d frames, %d gaps; sockets before %d, after %d; device %s; "
              "lowest free heap %d" % (rep["frames"], rep["gaps"], rep["sockets_before"],
                                       rep["sockets_after"], rep["device_http"],
                                       rep["mem_free_min"]))
        for kind, case, detail in f.fail[:20]:
            print("  FAIL %s: %r %s" % (kind, case, detail))
        failed += len(f.fail)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
