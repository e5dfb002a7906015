#!/usr/bin/env python3
"""Put motebook on a board: scripts/deploy --board NAME --port /dev/ttyUSB0
Boards without PSRAM get our firmware image (firmware/, frozen modules; flashed with
esptool), then the web assets and board.json; boards with PSRAM keep stock MicroPython and
get our modules as .mpy files plus emlearn's native modules through mip (package.json), the
web assets, board.json and /main.py, all with mpremote. The files are staged first in
build/deploy/<board>/ (fs/ = the board's filesystem) and checked against the board's flash
layout (scripts/flash_layout.py). --dry-run prints the commands instead of running them."""
import argparse
import getpass
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import flash_layout

LIB = ROOT / "build" / "fw" / "lib"
WWW = ROOT / "build" / "fw" / "www"
STAGE = ROOT / "build" / "deploy"
# each board its own image (firmware/build.sh BOARD): FIRMWARE_DIR/<board>/firmware.bin
FIRMWARE_DIR = ROOT / "build" / "firmware" / "MOTEBOOK_ESP32"
VENV_BIN = ROOT / ".venv" / "bin"
BAUD = 460800
# emlearn-micropython's published native modules (the ones the device imports), pinned; the
# sizes are those of the xtensawin 6.3 builds of that release (for the flash budget)
EMLEARN_VERSION = "v0.10.1"
EMLEARN_URL = "https://emlearn.github.io/emlearn-micropython/builds/%s/%s_6.3/%s.mpy"
EMLEARN_MODULES = {"emlearn_trees": 2536, "emlearn_fft": 1551}
# Our own bindings the device imports that emlearn-micropython does not publish (anomaly
# scorers, wasm/modules): in our firmware image; on a stock firmware the device runs their
# pure-Python fallbacks (shared/envelope.py, shared/gmm.py), so nothing is fetched for them
# emlearn_iir (the sound level meter's weighting filter, shared/iir.py): emlearn-micropython
# publishes one too, but no board here has been checked with it (its size, its coefficient
# layout against ours): on a stock firmware the meter runs shared/iir.py's Python cascade.
# emlearn_melspectrogram (the microphone's log-mel frames for the page, device/melstream.py):
# ours only; a stock firmware streams no mel frames (Python frames are far too slow there)
# emlearn_extratrees (POST /api/train, device/api_train.py: ours, in upstream's module shape
# but not its published build): a stock firmware answers 501 for on-device training.
# emlearn_arrayutils (shared/pipeline's quantize_rows, ours; upstream's has no such function):
# a stock firmware quantises in Python.
OUR_ONLY_MODULES = ("emlearn_distance", "emlearn_mixture", "emlearn_iir",
                    "emlearn_melspectrogram", "emlearn_extratrees", "emlearn_arrayutils")
# Which firmware modules a board carries (frozen in its image, or its .mpy files on a stock
# firmware): its sensors' only, device/boards/modules.py (scripts/build_fw.py sources(board)).
MPY_VERSION = (6, 3)      # our .mpy files (mpy-cross 1.27) and emlearn's builds
ARCH_XTENSAWIN = 10       # sys.implementation._mpy >> 10 on an ESP32 / ESP32-S3
# Removed before copying, so the board holds exactly the staged files (data/ stays: token,
# Wi-Fi, config, model and recordings survive a deploy; boot.py is MicroPython's own).
OURS = ("lib", "www", "main.py", "board.json")
# Runs on the board (cwd "/") to see what is there before anything is changed.
INFO = """import os, sys, json
r = {"mpy": getattr(sys.implementation, "_mpy", 0), "version": sys.version,
     "root": os.listdir(), "token": None}
try:
    with open("data/token") as f:
        r["token"] = f.read().strip()
except OSError:
    pass
try:
    s = os.statvfs(".")
    r["fs_size"] = s[0] * s[2]
except (AttributeError, OSError):
    pass
print("MOTEBOOK-INFO " + json.dumps(r))
"""


def _copy_tree(src, dst, skip=()):
    for p in sorted(src.rglob("*")):
        if p.is_file() and p.name not in skip:
            q = dst / p.relative_to(src)
            q.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, q)


def stage(name, overrides=None):
    """Fill build/deploy/<name>/: fs/ (what goes on the board's filesystem) and, for a
    stock-firmware board, package.json (mip: our .mpy files and emlearn's modules).
    Returns the stage folder."""
    if not (LIB / "main.mpy").exists() or not (WWW / "manifest.json").exists():
        raise SystemExit("deploy: build/fw is not built: run scripts/setup (or "
                         "scripts/build_fw.py)")
    b = flash_layout.board(name)
    lay = flash_layout.LAYOUTS[b.LAYOUT]
    out = STAGE / name
    if out.exists():
        shutil.rmtree(out)
    fs = out / "fs"
    _copy_tree(WWW, fs / "www")
    settings = {"board": name}
    settings.update(overrides or {})
    (fs / "board.json").write_text(json.dumps(settings, sort_keys=True) + "\n")
    if lay["firmware"] == "stock":
        for rel in board_lib(name):
            (fs / "lib" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(LIB / rel, fs / "lib" / rel)
        shutil.copy2(ROOT / "firmware" / "stock_main.py", fs / "main.py")
        urls = [[p.relative_to(fs / "lib").as_posix(), p.relative_to(out).as_posix()]
                for p in sorted((fs / "lib").rglob("*.mpy"))]
        deps = [[EMLEARN_URL % (EMLEARN_VERSION, lay["arch"], m), EMLEARN_VERSION]
                for m in sorted(EMLEARN_MODULES)]
        pkg = {"version": _fw_version(), "urls": urls, "deps": deps}
        (out / "package.json").write_text(json.dumps(pkg, indent=1) + "\n")
    return out


def firmware(name):
    """The image of board name (firmware/build.sh NAME)."""
    return FIRMWARE_DIR / name / "firmware.bin"


def board_lib(name):
    """The .mpy files (relative to build/fw/lib) of board name's firmware: its sensors'
    modules (device/boards/modules.py through scripts/build_fw.py)."""
    import build_fw
    return [rel.as_posix() for _, rel in build_fw.sources(name)]


def _fw_version():
    for line in (ROOT / "device" / "board.py").read_text().splitlines():
        if line.startswith("FW_VERSION"):
            return line.split("=")[1].strip().strip('"')
    return "0"


def file_set(name, overrides=None):
    """({path on the board's filesystem: bytes} after a deploy, bytes of frozen bytecode in
    our image (0 for stock boards))."""
    out = stage(name, overrides)
    fs = out / "fs"
    files = {"/" + p.relative_to(fs).as_posix(): p.stat().st_size
             for p in fs.rglob("*") if p.is_file()}
    lay = flash_layout.layout(name)
    if lay["firmware"] == "stock":
        for m, size in EMLEARN_MODULES.items():
            files["/lib/%s.mpy" % m] = size
        return files, 0
    lib = sum((LIB / rel).stat().st_size for rel in board_lib(name))   # frozen in its image
    return files, lib


# -- commands
class Tools:
    def __init__(self, args):
        self.mpremote = shlex.split(args.mpremote) if args.mpremote else [
            str(VENV_BIN / "mpremote")]
        self.esptool = shlex.split(args.esptool) if args.esptool else [str(VENV_BIN / "esptool")]
        self.port = args.port
        self.dry = args.dry_run
        self.history = []         # every command, run or (dry run) printed

    def mp(self, *chain):
        """One mpremote call: connect, then the commands (lists) joined by '+'."""
        argv = self.mpremote + ["connect", self.port]
        for c in chain:
            argv += ["+"] + list(c) if argv[-1] != self.port else list(c)
        return argv

    def run(self, argv, capture=False):
        shown = ["'<motebook: what is on the board>'" if a == INFO else shlex.quote(a)
                 for a in argv]
        print("$ " + " ".join(shown), flush=True)
        self.history.append(argv)
        if self.dry:
            return ""
        r = subprocess.run(argv, text=True, capture_output=capture)
        if r.returncode:
            sys.stderr.write((r.stdout or "") + (r.stderr or "") if capture else "")
            raise SystemExit("deploy: failed (exit %d): %s" % (r.returncode, argv[0]))
        return r.stdout if capture else ""


def device_info(tools):
    """What the board holds (parsed INFO output); a fresh board in a dry run."""
    out = tools.run(tools.mp(["exec", INFO]), capture=True)
    for line in out.splitlines():
        if line.startswith("MOTEBOOK-INFO "):
            return json.loads(line[len("MOTEBOOK-INFO "):])
    if tools.dry:
        return {"mpy": MPY_VERSION[0] | MPY_VERSION[1] << 8 | ARCH_XTENSAWIN << 10,
                "root": [], "token": None}
    raise SystemExit("deploy: the board did not answer (is it running MicroPython?):\n" + out)


def check_device(info, lay):
    mpy = info.get("mpy") or 0
    if (mpy & 0xFF, (mpy >> 8) & 3) != MPY_VERSION:
        raise SystemExit("deploy: the board's MicroPython takes .mpy %d.%d files; ours are "
                         "%d.%d (MicroPython 1.23 to 1.27): flash %s"
                         % (mpy & 0xFF, (mpy >> 8) & 3, MPY_VERSION[0], MPY_VERSION[1],
                            lay.get("stock", "our image")))
    if mpy >> 10 != ARCH_XTENSAWIN:
        print("deploy: warning: the board reports native architecture %d, not xtensawin: "
              "emlearn's native modules will not load (the Python fallbacks will run)"
              % (mpy >> 10))
    if info.get("fs_size") and abs(info["fs_size"] - lay["fs"]) > lay["fs"] // 8:
        print("deploy: warning: the board's filesystem is %d KB, the %s layout has %d KB"
              % (info["fs_size"] // 1024, lay["chip"], lay["fs"] // 1024))


def plan(args, out, lay, info, data_dir):
    """The mpremote commands after the device check: remove our old files, install, reset."""
    fs = out / "fs"
    present = set(info.get("root") or ())
    cmds = [["fs", "rm", "-r", ":" + p] for p in OURS if p in present]
    if lay["firmware"] == "stock":
        cmds.append(["mip", "install", "--target", "/lib", str(out / "package.json")])
        cmds.append(["fs", "cp", str(fs / "main.py"), ":main.py"])
    cmds.append(["fs", "cp", "-r", str(fs / "www"), ":"])
    cmds.append(["fs", "cp", str(fs / "board.json"), ":board.json"])
    extra = sorted(p.name for p in data_dir.iterdir()) if data_dir.exists() else []
    if extra and "data" not in present:
        cmds.append(["fs", "mkdir", ":data"])
    for name in extra:
        cmds.append(["fs", "cp", str(data_dir / name), ":data/" + name])
    cmds.append(["reset"])
    return cmds


def deploy(argv=None):
    """Run a deploy; returns the Tools with the commands in .history."""
    ap = argparse.ArgumentParser(
        prog="scripts/deploy", description=__doc__.splitlines()[0],
        epilog="Boards: %s" % ", ".join(flash_layout.names()))
    ap.add_argument("--board", required=True, choices=flash_layout.names())
    ap.add_argument("--port", default="/dev/ttyUSB0", help="serial port (default %(default)s)")
    ap.add_argument("--firmware", help="firmware image to flash first: the board's own "
                    "image for boards without PSRAM (default %s), stock MicroPython for the "
                    "others (optional)" % firmware("BOARD").relative_to(ROOT))
    ap.add_argument("--no-flash", action="store_true", help="keep the firmware on the board")
    ap.add_argument("--erase", action="store_true",
                    help="erase the whole flash first (also the recordings, token and Wi-Fi)")
    for k in ("sensor", "addr", "scl", "sda"):
        ap.add_argument("--" + k, help="board.json override: %s" % k,
                        type=str if k == "sensor" else lambda v: int(v, 0))
    ap.add_argument("--wifi", metavar="SSID", help="store this network (password from "
                    "MOTEBOOK_WIFI_PASSWORD, else asked); without it the board opens its "
                    "access point")
    ap.add_argument("--baud", type=int, default=BAUD)
    ap.add_argument("--dry-run", action="store_true", help="print the commands only")
    ap.add_argument("--no-build", action="store_true", help="use build/fw as it is")
    ap.add_argument("--mpremote", help="mpremote command (default .venv/bin/mpremote)")
    ap.add_argument("--esptool", help="esptool command (default .venv/bin/esptool)")
    args = ap.parse_args(argv)

    if not args.no_build:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "build_fw.py")], check=True)
    overrides = {k: getattr(args, k) for k in ("sensor", "addr", "scl", "sda")
                 if getattr(args, k) is not None}
    lay = flash_layout.layout(args.board)
    files, lib = file_set(args.board, overrides)
    out = STAGE / args.board
    r = flash_layout.fit(args.board, files, lib)
    print(flash_layout.describe(r))
    if not r["ok"]:
        raise SystemExit("deploy: motebook does not fit this board's flash (see above)")

    tools = Tools(args)
    image = args.firmware or (str(firmware(args.board)) if lay["firmware"] == "image"
                              else None)
    if image and not args.no_flash:
        if not args.dry_run and not Path(image).is_file():
            raise SystemExit(
                "deploy: no firmware image %s: build it with firmware/build.sh %s (ESP-IDF) "
                "or take the CI artifact, or pass --firmware FILE" % (image, args.board))
        base = tools.esptool + ["--chip", lay["chip"], "--port", args.port, "--baud",
                                str(args.baud)]
        if args.erase:
            tools.run(base + ["erase-flash"])
        tools.run(base + ["write-flash", hex(lay["image_offset"]), image])
        if not args.dry_run:
            time.sleep(4)        # the board restarts; a fresh flash formats its filesystem

    info = device_info(tools)
    check_device(info, lay)
    with tempfile.TemporaryDirectory(prefix="motebook-deploy-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        token = info.get("token")
        if not token or len(token) < 16:
            token = secrets.token_hex(16)
            (data / "token").write_text(token + "\n")
        if args.wifi:
            pw = os.environ.get("MOTEBOOK_WIFI_PASSWORD")
            if pw is None:
                pw = getpass.getpass("password of %s (empty: open network): " % args.wifi)
            (data / "wifi.json").write_text(json.dumps(
                {"ssid": args.wifi, "password": pw, "joined": False}))
        tools.run(tools.mp(*plan(args, out, lay, info, data)))
    print("\nmotebook is on the %s board.\n"
          "  %s\n  token: %s   (page: add #token=%s to the URL once)\n"
          % (args.board,
             "joins %s; open http://motebook-XXXX.local/ or the address the serial console "
             "prints" % args.wifi if args.wifi else
             "join its Wi-Fi motebook-XXXX (first boot), open http://192.168.4.1/ and choose "
             "your network",
             "(dry run)" if args.dry_run else token, "TOKEN" if args.dry_run else token))
    return tools


def main(argv=None):
    deploy(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
