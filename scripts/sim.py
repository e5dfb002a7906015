#!/usr/bin/env python3
"""Start the simulated device: the real firmware (build/fw/lib, .mpy) on the real MicroPython
unix interpreter, serving on 127.0.0.1. Prints the URL and the access token, forwards
signals, exits with the device's exit code.
Usage: scripts/sim.py [--data DIR] [--replay FILE.csv|FILE.wav] [--port N] [--www DIR] [--heap 192k]
                     [--nofile N] [--sensor sim|machine|spectrometer|room]
--sensor stores the sensor in the device's config (as PUT /api/config would): "machine" is the
simulated rotating machine whose faults PUT /api/sim {"fault": ...} switches; "spectrometer"
a dye at the concentration PUT /api/sim {"concentration": X} sets; "room" a room over a day;
both at 10 Hz, 2 s windows, 1 s hop when the stored rate is faster."""
import json
import argparse
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def interpreter():
    """The firmware frozen into our unix build (as on an ESP32) when scripts/build_fw.py made
    it; else our plain unix build, else the PyPI one, both loading the .mpy files."""
    for p in (ROOT / "build" / "fw" / "micropython", ROOT / "build" / "wasm" / "unix" / "micropython"):
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return ROOT / ".venv" / "bin" / "micropython"


def _port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / ".data"), help="device filesystem folder")
    ap.add_argument("--replay", help="CSV recording (header t,<channel>,...) to play")
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8080))
    ap.add_argument("--www", default=str(ROOT / "build" / "fw" / "www"),
                    help="web app folder with manifest.json (default build/fw/www)")
    ap.add_argument("--heap", default="192k", help="MicroPython heap size (ESP32-like)")
    ap.add_argument("--nofile", type=int, help="descriptor limit of the device process "
                    "(an ESP32 has about 10 sockets: try 16)")
    ap.add_argument("--quiet", action="store_true", help="no banner (tests)")
    ap.add_argument("--sensor", choices=("sim", "machine", "mic", "spectrometer", "room"),
                    help="store this sensor in the device's config before starting")
    args = ap.parse_args(argv)

    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    if args.sensor:
        cfg_path = data / "config.json"
        try:
            cfg = json.loads(cfg_path.read_text())
        except (OSError, ValueError):
            cfg = {}
        cfg["sensor"] = args.sensor
        if args.sensor in ("spectrometer", "room") and cfg.get("rate", 100) > 10:
            cfg.update(rate=10, window=20, hop=10)   # slow sensors: 10 Hz, 2 s windows
        if args.sensor == "mic" and cfg.get("rate", 100) > 50:
            cfg.update(rate=10, window=20, hop=10)   # the sound level: 10 a second, 2 s windows
        cfg_path.write_text(json.dumps(cfg))
    lib = ROOT / "build" / "fw" / "lib"
    if not (lib / "main.mpy").exists():
        sys.exit("sim: %s/main.mpy missing: run scripts/setup (or scripts/build_fw.py)" % lib)
    env = dict(os.environ)
    env.update({
        "MICROPYPATH": ".frozen:" + str(lib),
        "MOTEBOOK_DATA": str(data),
        "MOTEBOOK_WWW": str(Path(args.www).resolve()),
        "MOTEBOOK_PORT": str(args.port),
        "MOTEBOOK_HOST": HOST,
        "MOTEBOOK_SOUNDS": str(ROOT / "build" / "sounds"),   # speech (scripts/make_sounds.py)
    })
    env.pop("MOTEBOOK_REPLAY", None)
    env.pop("MOTEBOOK_MIC_WAV", None)
    if args.replay:
        replay = Path(args.replay).resolve()
        if not replay.is_file():
            sys.exit("sim: replay file %s not found" % args.replay)
        # a WAV is the simulated microphone's sound (device/hal/sim_mic.py), a CSV a recording
        env["MOTEBOOK_MIC_WAV" if replay.suffix.lower() == ".wav" else "MOTEBOOK_REPLAY"] = \
            str(replay)
    if _port_open(args.port):
        sys.exit("sim: port %d on %s is already in use (set PORT or --port)" % (args.port, HOST))

    # The device's files are its own, as on a flash no one else reads: the token (and every
    # file the device writes) is private to this user.
    os.umask(0o077)
    try:
        os.chmod(data / "token", 0o600)
    except OSError:
        pass

    def limits():
        if args.nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, args.nofile))
    cmd = [str(interpreter()), "-X", "heapsize=" + args.heap, "-m", "main"]
    proc = subprocess.Popen(cmd, cwd=str(data), env=env, preexec_fn=limits)

    def forward(signum, frame):
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, forward)

    deadline = time.monotonic() + 15
    while proc.poll() is None and time.monotonic() < deadline and not _port_open(args.port):
        time.sleep(0.05)
    if proc.poll() is None and _port_open(args.port) and not args.quiet:
        try:
            token = (data / "token").read_text().strip()
        except OSError:
            token = "(missing: %s/token)" % data
        print("\n  motebook simulated device is running\n"
              "  URL:   http://%s:%d/\n"
              "  token: %s   (also in %s/token)\n"
              "  Ctrl-C stops it.\n" % (HOST, args.port, token, data), flush=True)
    while True:
        try:
            rc = proc.wait()
            break
        except KeyboardInterrupt:
            continue
    # A device killed by a signal reports it like a shell would (128 + signal number).
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
