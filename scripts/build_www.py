#!/usr/bin/env python3
"""Fill build/fw/www/ with the web assets the device serves, gzip -9 compressed, and write
manifest.json ({"/url": {"file", "type", "etag", "gzip", "cache"}}) for the Microdot server.

Assets: webapp/ (page, glue, Python modules), shared/*.py at /shared/ (not tests), the
PyScript core files the page loads, MicroPython-WASM (ours from build/wasm/web/ if built, else
npm) and plotly-basic. Caching: every asset but index.html is served under a versioned URL
(content hash in the name, or in the folder name for /pyscript/ and /mpy/, whose files refer
to each other) and is immutable for a year; index.html (rewritten to those URLs) is
`no-cache` with an ETag, so a reload is one 304. Chosen over ETag revalidation of every file
because Chromium does not revalidate fetch()ed files (the .wasm, the .py files) against
Microdot's HTTP/1.0 responses: it downloads them again. Python files lose their comments and
docstrings and most of their indentation (flash is scarce; lines stay put). Incremental
(unchanged outputs are not rewritten) and quiet: prints one line with the totals; exits
non-zero above a budget: every asset on the device's flash (1 MB gzipped), and the first load
of the live view (700 KB gzipped: what index.html references, PyScript and MicroPython; the
training, notebook and kernel files glue.js loads later are not in it).
Usage: build_www.py [--out DIR] [--budget KB] [--first-load KB] [--verbose]
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
BUDGET_KB = 1000          # every asset on the flash
FIRST_LOAD_KB = 700       # the live view's first load
_LAZY = re.compile(r"<meta name=\"motebook-kernel\"[^>]*>")   # the notebook's worker

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
# folders whose files reference each other by relative name (core.js -> core-*.js,
# micropython.mjs -> micropython.wasm): versioned as a whole, /pyscript-<hash>/core.js
GROUPS = ("/pyscript/", "/mpy/")
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
            if f.endswith((".pyc", "~", ".md")) or f.startswith("."):
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
    if path.endswith(".py"):
        data = compact_python(data)
    return data


def compact_python(src):
    """The served form of a Python file: no comments, no docstrings, one space per indentation
    level (flash is scarce; lines stay put, so tracebacks point at the checkout's lines). A file
    the compacted form would not compile is served with only its comments stripped."""
    plain = strip_comments(src)
    try:
        out = compact_indent(strip_docstrings(plain))
        compile(out, "<served>", "exec")
        return out
    except SyntaxError:
        return plain


def strip_comments(src):
    """Python source without its comments (flash is scarce): every line stays where it was,
    so tracebacks in the page point at the same line numbers as the checkout's file."""
    import io
    import tokenize
    lines = src.decode("utf-8").splitlines(True)
    cuts = {}
    for tok in tokenize.tokenize(io.BytesIO(src).readline):
        if tok.type == tokenize.COMMENT:
            cuts[tok.start[0] - 1] = tok.start[1]
    for i, col in cuts.items():
        end = "\n" if lines[i].endswith("\n") else ""
        lines[i] = lines[i][:col].rstrip() + end
    return "".join(lines).encode("utf-8")


def strip_docstrings(src):
    """Python source with every statement that is only a string literal (docstrings; not
    f-strings) emptied to "", keeping its lines, so line numbers do not move. The browser's
    MicroPython keeps no docstrings anyway (no __doc__), so this only saves flash."""
    import io
    import tokenize
    lines = src.decode("utf-8").splitlines(True)
    toks = [t for t in tokenize.tokenize(io.BytesIO(src).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT)]
    starts = (tokenize.ENCODING, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    cuts = []
    for i in range(1, len(toks) - 1):
        t = toks[i]
        if t.type == tokenize.STRING and toks[i - 1].type in starts and \
                toks[i + 1].type == tokenize.NEWLINE and \
                "f" not in t.string[:t.string.find(t.string[-1])].lower():
            cuts.append((t.start, t.end))
    for (sl, sc), (el, ec) in reversed(cuts):
        first, last = lines[sl - 1][:sc], lines[el - 1][ec:]
        lines[sl - 1:el] = [first + '""' + last] if sl == el else \
            [first + '""\n'] + ["\n"] * (el - sl - 1) + [last if last.strip() else "\n"]
    return "".join(lines).encode("utf-8")


def compact_indent(src):
    """Leading indentation of 4n spaces becomes n spaces (other lines and the inside of
    multi-line strings are left alone)."""
    import io
    import tokenize
    inside = set()
    for t in tokenize.tokenize(io.BytesIO(src).readline):
        if t.type == tokenize.STRING and t.end[0] > t.start[0]:
            inside.update(range(t.start[0], t.end[0]))     # 0-based: its 2nd..last lines
    lines = src.decode("utf-8").splitlines(True)
    for i in range(len(lines)):
        line = lines[i]
        n = len(line) - len(line.lstrip(" "))
        if n and n % 4 == 0 and i not in inside:
            lines[i] = line[n - n // 4:]
    return "".join(lines).encode("utf-8")


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


def _versioned(url, digest):
    """URL of an asset whose name carries its content hash (groups: the folder)."""
    for g in GROUPS:
        if url.startswith(g):
            return g[:-1] + "-" + digest + url[len(g) - 1:]
    head, name = url.rsplit("/", 1)
    stem, dot, ext = name.rpartition(".")
    return "%s/%s.%s.%s" % (head, stem, digest, ext) if dot else url + "." + digest


def plan():
    """{url: (served url, raw bytes)}: every asset but index.html gets a versioned URL;
    the page files (webapp *.js, *.html) are rewritten to reference the versioned URLs."""
    raw = {}
    for url, src in sources():
        raw[url] = _read(src)
    referrers = sorted((u for u in raw if u.count("/") == 1 and u.endswith((".js", ".html"))),
                       key=lambda u: u.endswith(".html"))      # glue.js before index.html
    group_digest = {}
    for g in GROUPS:
        h = hashlib.sha256()
        for u in sorted(u for u in raw if u.startswith(g)):
            h.update(u.encode() + b"\0" + raw[u])
        group_digest[g] = h.hexdigest()[:10]
    out = {}
    for url, data in raw.items():
        if url in referrers:
            continue
        g = [g for g in GROUPS if url.startswith(g)]
        digest = group_digest[g[0]] if g else hashlib.sha256(data).hexdigest()[:10]
        out[url] = (_versioned(url, digest), data)
    for url in referrers:
        text = raw[url].decode()
        for g in GROUPS:
            new = _versioned(g, group_digest[g])
            text = re.sub(r"([\"'])\./" + re.escape(g[1:]), r"\1./" + new[1:], text)
        for old, (new, _) in out.items():
            if not any(old.startswith(g) for g in GROUPS):
                text = re.sub(r"([\"'])\./" + re.escape(old[1:]) + r"([\"'])",
                              r"\1./" + new[1:] + r"\2", text)
        data = text.encode()
        served = url if url == "/index.html" else _versioned(url, hashlib.sha256(data).hexdigest()[:10])
        out[url] = (served, data)
    return out


def first_load(raw_index, manifest):
    """Served URLs the live view loads: index.html, what it references (but the notebook's
    worker), and the PyScript and MicroPython groups."""
    text = _LAZY.sub("", raw_index.decode())
    urls = {"/index.html"}
    for ref in re.findall(r"[\"']\./([^\"'\s]+)[\"']", text):
        urls.add("/" + ref)
    for u in manifest:
        if any(u.startswith(g[:-1] + "-") for g in GROUPS):
            urls.add(u)
    return [u for u in urls if u in manifest]


def manifest_bytes(manifest):
    """manifest.json as the device reads it (device/static.py): one object, one line per entry
    ('"/url": {...}'), so the device keeps only each line's offset and reads one line per
    request."""
    return ("{\n" + ",\n".join("%s: %s" % (json.dumps(u), json.dumps(manifest[u], sort_keys=True,
                                                                      separators=(",", ":")))
                                   for u in sorted(manifest)) + "\n}\n").encode()


def build(out, budget_kb=BUDGET_KB, verbose=False, first_kb=FIRST_LOAD_KB):
    manifest = {}
    keep = {"manifest.json"}
    total = 0
    sizes = {}
    changed = 0
    for url, (served, raw) in sorted(plan().items()):
        z = gzip.compress(raw, 9, mtime=0)
        use_gz = len(z) < len(raw)
        body = z if use_gz else raw
        name = served.lstrip("/") + (".gz" if use_gz else "")
        ext = os.path.splitext(url)[1]
        manifest[served] = {"file": name, "type": TYPES.get(ext, "application/octet-stream"),
                            "etag": hashlib.sha256(raw).hexdigest()[:16], "gzip": use_gz,
                            "cache": IMMUTABLE if served != url else NO_CACHE}
        keep.add(name)
        total += len(body)
        sizes[served] = len(body)
        changed += _write_if_changed(os.path.join(out, name), body)
        if verbose:
            print("%8d %8d  %s" % (len(raw), len(body), served))
    if "/index.html" not in manifest:
        raise SystemExit("build_www: webapp/index.html missing")
    _check_references(out, manifest)
    changed += _write_if_changed(os.path.join(out, "manifest.json"), manifest_bytes(manifest))
    for dirpath, _, filenames in os.walk(out, topdown=False):   # drop stale assets
        for f in filenames:
            rel = os.path.relpath(os.path.join(dirpath, f), out).replace(os.sep, "/")
            if rel not in keep:
                os.remove(os.path.join(dirpath, f))
                changed += 1
        if dirpath != out and not os.listdir(dirpath):
            os.rmdir(dirpath)
    kb = total / 1000
    index = [raw for url, (served, raw) in plan().items() if url == "/index.html"][0]
    first = sum(sizes[u] for u in first_load(index, manifest)) / 1000
    print("build_www: %d files, %.1f KB gzipped (budget %d KB), first load %.1f KB (budget "
          "%d KB)%s -> %s" % (len(manifest), kb, budget_kb, first, first_kb,
                              "" if changed else ", unchanged", os.path.relpath(out, ROOT)))
    if kb > budget_kb:
        raise SystemExit("build_www: FAILED: web assets are %.1f KB gzipped, over the %d KB "
                         "flash budget" % (kb, budget_kb))
    if first > first_kb:
        raise SystemExit("build_www: FAILED: the live view's first load is %.1f KB gzipped, "
                         "over its %d KB budget (load more lazily)" % (first, first_kb))
    return manifest


def _check_references(out, manifest):
    """Every ./relative reference of the page files (index.html, glue) must be served."""
    for url, e in manifest.items():
        if url.count("/") != 1 or not url.endswith((".html", ".js")):
            continue
        with open(os.path.join(out, e["file"]), "rb") as f:
            data = f.read()
        text = (gzip.decompress(data) if e["gzip"] else data).decode()
        for ref in re.findall(r"[\"']\./([^\"'\s]+)[\"']", text):
            if "/" + ref not in manifest:
                raise SystemExit("build_www: %s references ./%s, which is not built" % (url, ref))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "build", "fw", "www"))
    p.add_argument("--budget", type=int, default=BUDGET_KB, help="KB gzipped (default 1000)")
    p.add_argument("--first-load", type=int, default=FIRST_LOAD_KB,
                   help="KB gzipped of the live view's first load (default 700)")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    build(a.out, a.budget, a.verbose, a.first_load)


if __name__ == "__main__":
    sys.exit(main())
