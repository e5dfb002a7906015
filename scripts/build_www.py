#!/usr/bin/env python3
"""Fill build/fw/www/ with the web assets the device serves, gzip -9 compressed, and write
manifest.json ({"/url": {"file", "type", "etag", "gzip", "cache"}}) for the Microdot server.

Assets: webapp/ (page, glue, Python modules), shared/*.py at /shared/ (not tests), the
PyScript core files the page loads, MicroPython-WASM (ours from build/wasm/web/ if built, else
npm) and plotly-basic. Caching: file names that carry a content hash (PyScript's chunks) are
immutable for a year; everything else is `no-cache` with an ETag, so a reload revalidates
with 304s and transfers almost nothing. Incremental (unchanged outputs are not rewritten)
and quiet: prints one line with the total; exits non-zero above the flash budget.
Usage: build_www.py [--out DIR] [--budget KB] [--verbose]
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NM = os.path.join(ROOT, "node_modules")
PYSCRIPT = os.path.join(NM, "@pyscript", "core", "dist")
MPY_NPM = os.path.join(NM, "@micropython", "micropython-webassembly-pyscript")
MPY_OURS = os.path.join(ROOT, "build", "wasm", "web")
PLOTLY = os.path.join(NM, "plotly.js-basic-dist-min", "plotly-basic.min.js")
BUDGET_KB = 700

# PyScript 0.7.31 files the page loads with our config (plugins disabled, JSON config):
# checked in Chromium (e2e/stream.test.mjs records every request; bench_boot.mjs lists them).
PYSCRIPT_FILES = ("core.js", "core.css", "core-*.js", "error-*.js")

TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".py": "text/x-python; charset=utf-8", ".wasm": "application/wasm",
    ".json": "application/json", ".svg": "image/svg+xml", ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
}
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
_HASHED = re.compile(r"-[A-Za-z0-9_-]{8}\.js$")
_SOURCEMAP = re.compile(rb"\n//# sourceMappingURL=[^\n]*\s*$")


def _glob(folder, pattern):
    rx = re.compile("^" + re.escape(pattern).replace(r"\*", "[^/]*") + "$")
    return sorted(f for f in os.listdir(folder) if rx.match(f))


def sources():
    """Yield (url path, source file) for every asset."""
    web = os.path.join(ROOT, "webapp")
    for dirpath, dirnames, filenames in os.walk(web):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "tests"))
        for f in sorted(filenames):
            if f.endswith((".pyc", "~")) or f.startswith("."):
                continue
            path = os.path.join(dirpath, f)
            yield "/" + os.path.relpath(path, web).replace(os.sep, "/"), path
    shared = os.path.join(ROOT, "shared")
    for f in sorted(os.listdir(shared)):
        if f.endswith(".py") and not f.startswith("test"):
            yield "/shared/" + f, os.path.join(shared, f)
    for pattern in PYSCRIPT_FILES:
        names = _glob(PYSCRIPT, pattern)
        if not names:
            raise SystemExit("build_www: no %s in %s (npm ci?)" % (pattern, PYSCRIPT))
        for f in names:
            yield "/pyscript/" + f, os.path.join(PYSCRIPT, f)
    ours = all(os.path.exists(os.path.join(MPY_OURS, f))
               for f in ("micropython.mjs", "micropython.wasm"))
    mpy = MPY_OURS if ours else MPY_NPM
    for f in ("micropython.mjs", "micropython.wasm"):
        yield "/mpy/" + f, os.path.join(mpy, f)
    yield "/vendor/plotly-basic.min.js", PLOTLY


def _read(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".js"):        # source maps are not shipped: drop the reference
        data = _SOURCEMAP.sub(b"\n", data)
    return data


def _write_if_changed(path, data):
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def build(out, budget_kb=BUDGET_KB, verbose=False):
    manifest = {}
    keep = {"manifest.json"}
    total = 0
    changed = 0
    for url, src in sources():
        raw = _read(src)
        z = gzip.compress(raw, 9, mtime=0)
        use_gz = len(z) < len(raw)
        body = z if use_gz else raw
        name = url.lstrip("/") + (".gz" if use_gz else "")
        ext = os.path.splitext(url)[1]
        cache = IMMUTABLE if _HASHED.search(url) else NO_CACHE
        manifest[url] = {"file": name, "type": TYPES.get(ext, "application/octet-stream"),
                         "etag": hashlib.sha256(raw).hexdigest()[:16], "gzip": use_gz,
                         "cache": cache, "size": len(body)}
        keep.add(name)
        total += len(body)
        changed += _write_if_changed(os.path.join(out, name), body)
        if verbose:
            print("%8d %8d  %s" % (len(raw), len(body), url))
    if "/index.html" not in manifest:
        raise SystemExit("build_www: webapp/index.html missing")
    _check_page_files(manifest)
    data = json.dumps(manifest, indent=1, sort_keys=True).encode() + b"\n"
    changed += _write_if_changed(os.path.join(out, "manifest.json"), data)
    for dirpath, _, filenames in os.walk(out, topdown=False):   # drop stale assets
        for f in filenames:
            rel = os.path.relpath(os.path.join(dirpath, f), out).replace(os.sep, "/")
            if rel not in keep:
                os.remove(os.path.join(dirpath, f))
                changed += 1
        if dirpath != out and not os.listdir(dirpath):
            os.rmdir(dirpath)
    kb = total / 1000
    print("build_www: %d files, %.1f KB gzipped (budget %d KB)%s -> %s"
          % (len(manifest), kb, budget_kb, "" if changed else ", unchanged",
             os.path.relpath(out, ROOT)))
    if kb > budget_kb:
        raise SystemExit("build_www: FAILED: web assets are %.1f KB gzipped, over the %d KB "
                         "flash budget" % (kb, budget_kb))
    return manifest


def _check_page_files(manifest):
    """Every file the page's PyScript config fetches must be served."""
    with open(os.path.join(ROOT, "webapp", "index.html")) as f:
        html = f.read()
    for rel in re.findall(r'"\./([^"]+\.py)"\s*:', html):
        if "/" + rel not in manifest:
            raise SystemExit("build_www: index.html fetches ./%s, which is not built" % rel)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "build", "fw", "www"))
    p.add_argument("--budget", type=int, default=BUDGET_KB, help="KB gzipped (default 700)")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    build(a.out, a.budget, a.verbose)


if __name__ == "__main__":
    sys.exit(main())
