#!/usr/bin/env python3
"""Flash layouts of the supported boards and the fit of motebook's file set in them: the
firmware partition (our image, estimated here, measured in CI with --image) and the
LittleFS filesystem (the deployed files, two model files, the recordings' storage budget
with the files and folders sessions add, and a reserve). Used by scripts/deploy, the firmware
CI job and the tests.
Usage: flash_layout.py [--board NAME ...]      (the file sets, staged by scripts/deploy)
       flash_layout.py --image micropython.bin   (a built image: firmware/build.sh, CI)
Exit status 1 when anything is over."""
import argparse
import ast
import importlib.util
import math
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVICE = ROOT / "device"

# The firmware and partition table each layout runs. "image": our firmware (firmware/,
# ESP-IDF, frozen modules), flashed with esptool at image_offset; "stock": MicroPython's own
# release for the board, our modules as .mpy files on the filesystem. app/fs: the factory and
# vfs partitions of MicroPython 1.25's ports/esp32/<partitions> (checked by the tests).
LAYOUTS = {
    "esp32-4mb": {
        "chip": "esp32", "arch": "xtensawin", "psram": False, "heap": 110 * 1024,
        "firmware": "image", "image_offset": 0x1000, "flash": 4 << 20,
        "partitions": "partitions-4MiB.csv", "app": 0x1F0000, "fs": 0x200000,
    },
    "esp32s3-8mb-psram": {
        "chip": "esp32s3", "arch": "xtensawin", "psram": True, "heap": 2 << 20,
        "firmware": "stock", "image_offset": 0x0, "flash": 8 << 20,
        "stock": "ESP32_GENERIC_S3 v1.25.0 (variant SPIRAM_OCT for octal PSRAM: N8R8, N16R8)",
        "partitions": "partitions-8MiB.csv", "app": 0x1F0000, "fs": 0x600000,
    },
}
BLOCK = 4096
CTZ_BYTES = 8            # LittleFS file blocks after the first keep back-pointers (2 usually)
SESSIONS_ASSUMED = 16    # the budget must leave room for this many sessions' own blocks:
SESSION_BLOCKS = 5       # folder (2-block metadata pair), meta.json, labels.json, the last
                         # chunk file's partly used block
RESERVE_BLOCKS = 24      # superblock, config/token/wifi/model temp files, copy-on-write room
# Our image: MicroPython's ESP32 build (seen 1.6-1.7 MB for ESP32_GENERIC-class images with
# Bluetooth, which ours leaves out) + frozen bytecode (about its .mpy size) + C modules.
BASE_IMAGE_ESTIMATE = 1700 * 1024
C_MODULES_ESTIMATE = 40 * 1024


def board(name):
    """The board module device/boards/<name>.py (constants only), read on the host as the
    package "boards" (device/ itself stays off sys.path: its modules would shadow others)."""
    if name not in names():
        raise SystemExit("unknown board %r; known: %s" % (name, ", ".join(names())))
    if "boards" not in sys.modules:
        pkg = DEVICE / "boards"
        spec = importlib.util.spec_from_file_location(
            "boards", pkg / "__init__.py", submodule_search_locations=[str(pkg)])
        m = importlib.util.module_from_spec(spec)
        sys.modules["boards"] = m
        spec.loader.exec_module(m)
    return importlib.import_module("boards." + name.replace("-", "_"))


def names():
    m = re.search(r"^NAMES = \(([^)]*)\)", (DEVICE / "boards" / "__init__.py").read_text(), re.M)
    return ast.literal_eval("(" + m.group(1) + ")")


def layout(name):
    return LAYOUTS[board(name).LAYOUT]


def file_blocks(size):
    if size <= 0:
        return 1
    return 1 + max(0, math.ceil((size - BLOCK) / (BLOCK - CTZ_BYTES)))


def fs_blocks(files):
    """Blocks of a file set {path on the board: size}: every file at least one block, every
    folder a metadata pair."""
    folders = set()
    for p in files:
        parts = p.strip("/").split("/")[:-1]
        for i in range(len(parts)):
            folders.add("/".join(parts[:i + 1]))
    return sum(file_blocks(s) for s in files.values()) + 2 * len(folders)


def fit(name, files, lib_bytes=0, image=None):
    """Report of board name's flash with the file set files ({path on the board's
    filesystem: bytes}); lib_bytes: frozen bytecode in our image; image: a built image's
    size. 'ok' is False when anything is over."""
    b = board(name)
    lay = LAYOUTS[b.LAYOUT]
    fs_total = lay["fs"] // BLOCK
    static = fs_blocks(files)
    models = 2 * file_blocks(b.MODEL_BYTES)   # the model and an upload's temp file
    sessions = SESSIONS_ASSUMED * SESSION_BLOCKS + 2   # + the sessions/ folder
    room = (fs_total - static - models - sessions - RESERVE_BLOCKS) * BLOCK
    r = {"board": name, "layout": b.LAYOUT, "firmware": lay["firmware"],
         "fs_bytes": lay["fs"], "static_bytes": static * BLOCK,
         "model_bytes": models * BLOCK, "session_overhead_bytes": sessions * BLOCK,
         "reserve_bytes": RESERVE_BLOCKS * BLOCK, "budget_room": room,
         "storage_budget": b.STORAGE_BUDGET, "app_bytes": lay["app"]}
    r["fs_ok"] = b.STORAGE_BUDGET <= room
    if lay["firmware"] == "image":
        est = BASE_IMAGE_ESTIMATE + lib_bytes + C_MODULES_ESTIMATE
        r["image_bytes"] = image if image is not None else est
        r["image_measured"] = image is not None
        r["app_ok"] = r["image_bytes"] <= lay["app"]
    else:
        r["app_ok"] = True        # MicroPython's own release fits its own partition table
    r["ok"] = r["fs_ok"] and r["app_ok"]
    return r


def describe(r):
    kb = 1024
    lines = ["%s (%s, %s firmware):" % (r["board"], r["layout"], r["firmware"])]
    if "image_bytes" in r:
        lines.append("  firmware partition %5d KB, image %s %5d KB (its own modules), "
                     "margin %d KB  %s" % (
                         r["app_bytes"] // kb, "measured" if r["image_measured"] else
                         "estimated", r["image_bytes"] // kb,
                         (r["app_bytes"] - r["image_bytes"]) // kb,
                         "fits" if r["app_ok"] else "DOES NOT FIT"))
    lines.append("  filesystem %d KB: files %d KB, 2 models %d KB, %d sessions' own blocks "
                 "%d KB, reserve %d KB -> room for recordings %d KB; storage budget %d KB  %s"
                 % (r["fs_bytes"] // kb, r["static_bytes"] // kb, r["model_bytes"] // kb,
                    SESSIONS_ASSUMED, r["session_overhead_bytes"] // kb,
                    r["reserve_bytes"] // kb, r["budget_room"] // kb,
                    r["storage_budget"] // kb, "fits" if r["fs_ok"] else "DOES NOT FIT"))
    return "\n".join(lines)


def check_image(path):
    """Does a built image (the app binary, micropython.bin) fit the factory partition of
    every layout that runs our image? (The CI job's check.)"""
    size = os.path.getsize(path)
    ok = True
    for name in sorted(LAYOUTS):
        lay = LAYOUTS[name]
        if lay["firmware"] == "image":
            fits = size <= lay["app"]
            print("%s: image %d KB in the %d KB factory partition: %s"
                  % (name, size // 1024, lay["app"] // 1024, "fits" if fits else "TOO BIG"))
            ok = ok and fits
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", action="append", help="board name (default: all)")
    ap.add_argument("--image", help="only check a built image (micropython.bin) against the "
                    "firmware partition")
    args = ap.parse_args(argv)
    if args.image:
        return 0 if check_image(args.image) else 1
    sys.path.insert(0, str(ROOT / "scripts"))
    import deploy
    ok = True
    for name in args.board or names():
        fs, lib = deploy.file_set(name)
        r = fit(name, fs, lib)
        print(describe(r))
        ok = ok and r["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
