#!/usr/bin/env bash
# motebook: build our ESP32 firmware images, one per board without PSRAM (m5stickc,
# esp32-mpu6050, esp32-lis3dh, esp32-inmp441: each freezes its own sensors' modules) with ESP-IDF: MicroPython's esp32 port at the pinned tag, our board definition
# (boards/MOTEBOOK_ESP32: no Bluetooth), our emlearn bindings as user C modules
# (usermods.cmake) and the firmware frozen (device/, shared/, Microdot: scripts/build_fw.py
# --esp32-manifest, on top of manifest_base.py).
#   firmware/build.sh [BOARD...]   (default: every image board) inside Espressif's container
#                                  (see firmware/README.md), or wherever ESP-IDF's export.sh
#                                  has been sourced
# Output: build/firmware/MOTEBOOK_ESP32/<board>/{firmware.bin (flash at 0x1000), micropython.bin}
# Needs network access (git clone, PyPI) and ESP-IDF; nothing here runs without them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. firmware/pins.sh
. wasm/pins.sh          # EMLEARN_VERSION, EMLEARN_WHEEL(_SHA256): the headers we build with
say() { printf '[firmware] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ -n "${IDF_PATH:-}" ] && command -v idf.py >/dev/null \
    || die "ESP-IDF is not set up: run in $IDF_IMAGE (firmware/README.md) or source export.sh"
B=$ROOT/build/firmware
OUT=$B/MOTEBOOK_ESP32
MP=$B/micropython-$MICROPYTHON_TAG
mkdir -p "$B/wheels" "$OUT"

# 1. MicroPython at the pinned commit, with the submodules the esp32 port needs
if [ ! -d "$MP/.git" ]; then
    git clone --depth 1 --branch "$MICROPYTHON_TAG" https://github.com/micropython/micropython "$MP"
fi
[ "$(git -C "$MP" rev-parse HEAD)" = "$MICROPYTHON_COMMIT" ] \
    || die "$MP is not MicroPython $MICROPYTHON_TAG ($MICROPYTHON_COMMIT)"
make -C "$MP/ports/esp32" BOARD_DIR="$ROOT/firmware/boards/MOTEBOOK_ESP32" submodules
make -C "$MP/mpy-cross" -j"$(nproc)"

# 2. Microdot's sources and emlearn's headers, from their pinned wheels; micropython-mdns
fetch_wheel() { # $1 = pip spec, $2 = wheel file, $3 = sha256, $4 = unpack dir
    [ -f "$B/wheels/$2" ] || python3 -m pip download -q --no-deps "$1" -d "$B/wheels"
    echo "$3  $B/wheels/$2" | sha256sum -c --quiet - || die "$2: checksum mismatch"
    rm -rf "$4" && mkdir -p "$4" && python3 -m zipfile -e "$B/wheels/$2" "$4"
}
fetch_wheel "microdot==$MICRODOT_VERSION" "$MICRODOT_WHEEL" "$MICRODOT_WHEEL_SHA256" "$B/microdot"
fetch_wheel "emlearn==$EMLEARN_VERSION" "$EMLEARN_WHEEL" "$EMLEARN_WHEEL_SHA256" "$B/emlearn"
# the mDNS responder (device/mdns.py): PyPI has only its sdist, unpacked as is
[ -f "$B/wheels/$MDNS_SDIST" ] || python3 -m pip download -q --no-deps \
    "micropython-mdns==$MDNS_VERSION" -d "$B/wheels"
echo "$MDNS_SDIST_SHA256  $B/wheels/$MDNS_SDIST" | sha256sum -c --quiet - \
    || die "$MDNS_SDIST: checksum mismatch"
rm -rf "$B/mdns" && mkdir -p "$B/mdns" && tar -xzf "$B/wheels/$MDNS_SDIST" -C "$B/mdns"

# 3-5. Each board its image: the manifest (manifest_base.py + the firmware modules of the
# board's sensors, device/boards/modules.py), the image, its fit in the factory partition
if [ $# -gt 0 ]; then BOARDS="$*"; else
    BOARDS=$(python3 -c 'import sys; sys.path.insert(0, "scripts"); import flash_layout as f
print(" ".join(b for b in f.names() if f.layout(b)["firmware"] == "image"))'); fi
for board in $BOARDS; do
    say "image of $board"
    PYTHONPATH="$B/microdot:$B/mdns/micropython_mdns-$MDNS_VERSION" \
        python3 scripts/build_fw.py --esp32-manifest "$B/manifest-$board.py" --board "$board"
    EMLEARN_INCLUDE="$B/emlearn/emlearn" make -C "$MP/ports/esp32" -j"$(nproc)" \
        BOARD_DIR="$ROOT/firmware/boards/MOTEBOOK_ESP32" BUILD="$B/build-$board" \
        USER_C_MODULES="$ROOT/firmware/usermods.cmake" FROZEN_MANIFEST="$B/manifest-$board.py"
    mkdir -p "$OUT/$board"
    cp "$B/build-$board/firmware.bin" "$B/build-$board/micropython.bin" "$OUT/$board/"
    python3 scripts/flash_layout.py --image "$OUT/$board/micropython.bin"
    say "done: $OUT/$board/firmware.bin (scripts/deploy --board $board --port ... flashes it)"
done
