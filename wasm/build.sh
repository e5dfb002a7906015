#!/usr/bin/env bash
# motebook: build our MicroPython interpreters with the emlearn C modules (issue 4).
#   wasm/build.sh [all|unix|web|fw] [--force]   (default: all; fw is called by build_fw.py)
# Outputs: build/wasm/unix/micropython            unix port (device simulator)
#          build/wasm/web/micropython.{mjs,wasm}  webassembly "pyscript" variant (the page)
#          build/fw/micropython                   fw: the unix port with the firmware frozen in
#                                                 (device/, shared/, Microdot, listed by
#                                                 build/fw/manifest.py), as an ESP32 build would
# Inputs (pinned in wasm/pins.sh): MicroPython 1.25.0+ds-1 from Debian trixie's source package,
# emlearn 0.23.2's C headers from PyPI, and wasm/{patches,modules,frozen,manifest_*.py}.
# Each target is rebuilt only when the hash of its inputs changed (stamp in build/wasm/).
# Env: MOTEBOOK_FLOAT=single|double (unix port floats; default double, ESP32 is single).
# Exit status: 0 built or up to date; non-zero with an [wasm] ERROR line when a build is not
# possible here, and then setup falls back to the npm/PyPI interpreters.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/wasm
B=$ROOT/build/wasm
CACHE=$B/src
. "$W/pins.sh"

say() { printf '[wasm] %s\n' "$*" >&2; }
fail() {
    say "ERROR: $*"
    say "our MicroPython build is not available; the npm interpreter (@micropython/micropython-webassembly-pyscript)"
    say "and the PyPI unix interpreter (.venv/bin/micropython) will be used instead."
    exit 1
}

target=all
force=0
for a in "$@"; do
    case "$a" in
        all|unix|web|fw) target=$a ;;
        --force) force=1 ;;
        *) fail "unknown argument '$a' (use: all|unix|web|fw [--force])" ;;
    esac
done
FLOAT=${MOTEBOOK_FLOAT:-double}
case "$FLOAT" in single|double) ;; *) fail "MOTEBOOK_FLOAT must be single or double, not '$FLOAT'" ;; esac
JOBS=$(nproc 2>/dev/null || echo 2)

# ---- input hashes ---------------------------------------------------------------------
inputs_hash() { # $1 = target; hashes every file that can change its output
    {
        echo "target=$1 float=$FLOAT"
        (cd "$W" && find build.sh pins.sh patches modules frozen "manifest_$1.py" tests/smoke.py tests/run_node.mjs -type f \
            ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum)
        if [ "$1" = web ]; then emcc --version 2>/dev/null | head -1; fi
        cc --version 2>/dev/null | head -1
    } | sha256sum | cut -c1-16
}
up_to_date() { # $1 = target dir, $2 = hash, rest = output files
    local d=$1 h=$2; shift 2
    [ "$force" = 0 ] && [ "$(cat "$d/.stamp" 2>/dev/null)" = "$h" ] || return 1
    for f in "$@"; do [ -s "$d/$f" ] || return 1; done
}

# one build at a time (several setups may run in parallel in the same tree)
mkdir -p "$B"
if command -v flock >/dev/null; then
    exec 9>"$B/.lock"
    flock -n 9 || { say "another wasm/build.sh is running; waiting for it"; flock 9; }
fi

want_unix=0; want_web=0; want_fw=0
[ "$target" = fw ] && want_fw=1   # the caller (scripts/build_fw.py) decides when it is stale
[ "$target" = all ] || [ "$target" = unix ] && want_unix=1
[ "$target" = all ] || [ "$target" = web ] && want_web=1
if [ $want_unix = 1 ]; then
    H_UNIX=$(inputs_hash unix)
    if up_to_date "$B/unix" "$H_UNIX" micropython; then say "unix: up to date ($H_UNIX)"; want_unix=0; fi
fi
if [ $want_web = 1 ]; then
    H_WEB=$(inputs_hash web)
    if up_to_date "$B/web" "$H_WEB" micropython.mjs micropython.wasm; then say "web: up to date ($H_WEB)"; want_web=0; fi
fi
[ $want_unix = 1 ] || [ $want_web = 1 ] || [ $want_fw = 1 ] || exit 0
T0=$(date +%s)

# ---- tools ----------------------------------------------------------------------------
for t in make cc python3 sha256sum dpkg-source apt-get; do
    command -v $t >/dev/null || fail "'$t' not found (apt: build-essential dpkg-dev)"
done
if [ $want_web = 1 ]; then
    command -v emcc >/dev/null || fail "emcc not found (apt: emscripten)"
    command -v node >/dev/null || fail "node not found"
fi
if [ $want_unix = 1 ] || [ $want_fw = 1 ]; then
    pkg-config --exists libffi 2>/dev/null || fail "libffi not found (apt: libffi-dev pkg-config)"
    [ -e /usr/include/mbedtls/ssl.h ] || fail "mbedtls headers not found (apt: libmbedtls-dev)"
fi

# ---- 1. MicroPython source from Debian, verified -------------------------------------
mkdir -p "$CACHE"
verify() { [ -f "$CACHE/$1" ] && echo "$2  $CACHE/$1" | sha256sum -c --status; }
if ! { verify "$MP_DSC" "$MP_DSC_SHA256" && verify "$MP_ORIG" "$MP_ORIG_SHA256" \
        && verify "$MP_DEBIAN" "$MP_DEBIAN_SHA256"; }; then
    say "fetching micropython=$MP_DEB_VERSION source from Debian $MP_DEB_SUITE (private apt lists in $CACHE/apt)"
    uris=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | tr ' ' '\n' | grep -m1 '/debian/\?$' || true)
    [ -n "$uris" ] || uris=http://deb.debian.org/debian
    # a cached file that fails its checksum is refetched (apt would skip it as downloaded)
    verify "$MP_DSC" "$MP_DSC_SHA256" || rm -f "$CACHE/$MP_DSC"
    verify "$MP_ORIG" "$MP_ORIG_SHA256" || rm -f "$CACHE/$MP_ORIG"
    verify "$MP_DEBIAN" "$MP_DEBIAN_SHA256" || rm -f "$CACHE/$MP_DEBIAN"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || fail "$keyring not found (apt: debian-archive-keyring)"
    mkdir -p "$CACHE/apt/sources" "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$uris" "$MP_DEB_SUITE" "$keyring" > "$CACHE/apt/sources/motebook-src.sources"
    APT=(apt-get -q -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$CACHE/apt/sources"
         -o "Dir::State::Lists=$CACHE/apt/lists" -o "Dir::Cache=$CACHE/apt/cache"
         -o Dir::State::status=/var/lib/dpkg/status)
    "${APT[@]}" update >&2 || fail "apt-get update for $MP_DEB_SUITE sources failed (no network?)"
    (cd "$CACHE" && "${APT[@]}" source --download-only "micropython=$MP_DEB_VERSION" >&2) \
        || fail "download of micropython=$MP_DEB_VERSION source failed"
    verify "$MP_DSC" "$MP_DSC_SHA256" || fail "checksum mismatch: $CACHE/$MP_DSC"
    verify "$MP_ORIG" "$MP_ORIG_SHA256" || fail "checksum mismatch: $CACHE/$MP_ORIG"
    verify "$MP_DEBIAN" "$MP_DEBIAN_SHA256" || fail "checksum mismatch: $CACHE/$MP_DEBIAN"
fi

# unpacked + patched tree, keyed by the source version and our patches (--no-check: the
# archive signature key is not installed here; all three files were checked by sha256 above)
SRC_KEY=$( { echo "$MP_DEB_VERSION"; cat "$W"/patches/*.patch; } | sha256sum | cut -c1-12)
MP=$B/micropython-$SRC_KEY
if [ ! -f "$MP/.motebook-ready" ]; then
    say "unpacking $MP_DSC and applying wasm/patches"
    rm -rf "$MP" "$MP.tmp"
    (cd "$CACHE" && dpkg-source -q --no-check -x "$MP_DSC" "$MP.tmp" >&2) || fail "dpkg-source -x failed"
    for p in "$W"/patches/*.patch; do
        patch -d "$MP.tmp" -p1 -s < "$p" || fail "patch $(basename "$p") does not apply"
    done
    touch "$MP.tmp/.motebook-ready"
    mv "$MP.tmp" "$MP"
    rm -f "$B"/micropython_*.orig.tar.* # dpkg-source leaves a copy of the tarball beside DEST
    # older trees (and their objects) of other patch sets are not needed any more; objects are
    # kept per tree because dpkg-source restores old mtimes, which would fool make
    for d in "$B"/micropython-*; do [ "$d" = "$MP" ] || rm -rf "$d"; done
    for d in "$B"/obj/*; do [ "$d" = "$B/obj/$SRC_KEY" ] || rm -rf "$d"; done
fi

# ---- 2. emlearn headers, verified -----------------------------------------------------
headers_ok() { (cd "$1" 2>/dev/null && sha256sum eml_*.h | sort -k2 | sha256sum | cut -d' ' -f1) \
    | grep -qx "$EMLEARN_HEADERS_SHA256"; }
EML=$B/emlearn-$EMLEARN_VERSION
if ! headers_ok "$EML"; then
    rm -rf "$EML"; mkdir -p "$EML"
    venv_eml=$(ls -d "$ROOT"/.venv/lib/python3*/site-packages/emlearn 2>/dev/null | head -1 || true)
    venv_ver=$(sed -n 's/^Version: //p' "$ROOT"/.venv/lib/python3*/site-packages/emlearn-*.dist-info/METADATA 2>/dev/null | head -1 || true)
    if [ -n "$venv_eml" ] && [ "$venv_ver" = "$EMLEARN_VERSION" ] && headers_ok "$venv_eml"; then
        cp "$venv_eml"/eml_*.h "$EML/"
    else
        whl=$CACHE/$EMLEARN_WHEEL
        if ! { [ -f "$whl" ] && echo "$EMLEARN_WHEEL_SHA256  $whl" | sha256sum -c --status; }; then
            say "downloading emlearn==$EMLEARN_VERSION wheel from PyPI"
            pip=$ROOT/.venv/bin/pip; [ -x "$pip" ] || pip="python3 -m pip"
            $pip download -q --disable-pip-version-check --no-deps "emlearn==$EMLEARN_VERSION" \
                --only-binary=:all: -d "$CACHE" >&2 || fail "pip download emlearn==$EMLEARN_VERSION failed"
            echo "$EMLEARN_WHEEL_SHA256  $whl" | sha256sum -c --status || fail "checksum mismatch: $whl"
        fi
        python3 - "$whl" "$EML" <<'PY' || fail "cannot extract headers from $EMLEARN_WHEEL"
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        b = os.path.basename(n)
        if n.startswith("emlearn/") and b.startswith("eml_") and b.endswith(".h"):
            open(os.path.join(sys.argv[2], b), "wb").write(z.read(n))
PY
    fi
    headers_ok "$EML" || fail "emlearn headers do not match EMLEARN_HEADERS_SHA256"
fi

# ---- 3. mpy-cross ---------------------------------------------------------------------
say "mpy-cross"
make -s -C "$MP/mpy-cross" -j"$JOBS" >"$B/mpy-cross.log" 2>&1 || { tail -20 "$B/mpy-cross.log" >&2; fail "mpy-cross build failed (log: $B/mpy-cross.log)"; }

COMMON=(USER_C_MODULES="$W/modules" EMLEARN_INCLUDE="$EML" MPY_LIB_DIR="$W/frozen")

# ---- 4. unix port ---------------------------------------------------------------------
build_unix() {
    local obj=$B/obj/$SRC_KEY/unix-$FLOAT extra=""
    [ "$FLOAT" = single ] && extra="-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT"
    say "unix port ($FLOAT floats) -> build/wasm/unix/micropython"
    rm -f "$B/unix/.stamp"
    make -C "$MP/ports/unix" -j"$JOBS" "${COMMON[@]}" BUILD="$obj" \
        MICROPY_PY_BTREE=0 MICROPY_SSL_MBEDTLS=1 FROZEN_MANIFEST="$W/manifest_unix.py" \
        CFLAGS_EXTRA="$extra" >"$B/unix.log" 2>&1 \
        || { tail -30 "$B/unix.log" >&2; return 1; }
    # smoke test: everything the device simulator (Microdot) and shared code need
    "$obj/micropython" -X heapsize=192k "$W/tests/smoke.py" >"$B/unix-smoke.log" 2>&1 \
        || { cat "$B/unix-smoke.log" >&2; say "unix smoke test failed"; return 1; }
    mkdir -p "$B/unix"
    cp "$obj/micropython" "$B/unix/micropython.tmp" && mv "$B/unix/micropython.tmp" "$B/unix/micropython"
    echo "$H_UNIX" > "$B/unix/.stamp"
}

# ---- 5. webassembly port, pyscript variant --------------------------------------------
build_web() {
    local obj=$B/obj/$SRC_KEY/web
    say "webassembly pyscript variant -> build/wasm/web/micropython.{mjs,wasm}"
    rm -f "$B/web/.stamp"
    NODE_PATH=/usr/share/nodejs make -C "$MP/ports/webassembly" -j"$JOBS" "${COMMON[@]}" BUILD="$obj" \
        VARIANT=pyscript LDFLAGS=-O2 FROZEN_MANIFEST="$W/manifest_web.py" >"$B/web.log" 2>&1 \
        || { tail -30 "$B/web.log" >&2; return 1; }
    node "$W/tests/run_node.mjs" --mjs "$obj/micropython.mjs" "$W/tests/smoke.py" >"$B/web-smoke.log" 2>&1 \
        || { cat "$B/web-smoke.log" >&2; say "web smoke test failed"; return 1; }
    mkdir -p "$B/web"
    rm -f "$B/web/micropython.mjs" "$B/web/micropython.wasm"
    cp "$obj/micropython.wasm" "$B/web/micropython.wasm"
    cp "$obj/micropython.mjs" "$B/web/micropython.mjs"
    echo "$H_WEB" > "$B/web/.stamp"
}

# ---- 6. firmware image: unix port with the device firmware frozen ----------------------
build_fw() {
    local obj=$B/obj/$SRC_KEY/fw-$FLOAT extra="" out=$ROOT/build/fw
    [ "$FLOAT" = single ] && extra="-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT"
    [ -f "$out/manifest.py" ] || { say "fw: $out/manifest.py missing (made by scripts/build_fw.py)"; return 1; }
    say "unix port with the firmware frozen ($FLOAT floats) -> build/fw/micropython"
    make -C "$MP/ports/unix" -j"$JOBS" "${COMMON[@]}" BUILD="$obj" \
        MICROPY_PY_BTREE=0 MICROPY_SSL_MBEDTLS=1 FROZEN_MANIFEST="$out/manifest.py" \
        CFLAGS_EXTRA="$extra" >"$B/fw.log" 2>&1 \
        || { tail -30 "$B/fw.log" >&2; return 1; }
    cp "$obj/micropython" "$out/micropython.tmp" && mv "$out/micropython.tmp" "$out/micropython"
}

status=0
if [ $want_fw = 1 ]; then build_fw || { status=1; rm -f "$ROOT/build/fw/micropython"; say "ERROR: firmware build failed (log: $B/fw.log)"; }; fi
if [ $want_unix = 1 ]; then build_unix || { status=1; rm -f "$B/unix/micropython"; say "ERROR: unix build failed (log: $B/unix.log)"; }; fi
if [ $want_web = 1 ]; then build_web || { status=1; rm -f "$B/web/micropython.mjs" "$B/web/micropython.wasm"; say "ERROR: web build failed (log: $B/web.log)"; }; fi
say "done in $(( $(date +%s) - T0 ))s"
[ $status = 0 ] || fail "see the messages above"
