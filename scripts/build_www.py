#!/usr/bin/env python3
"""Fill build/fw/www/ with the web assets the device serves, gzip -9 compressed, and write
manifest.json ({"/url": {"file", "type", "etag", "gzip", "cache"}}) for the Microdot server.

Assets: webapp/ (page, glue, Python modules), shared/*.py at /shared/ (not tests), the
PyScript core files the page loads, MicroPython-WASM (ours from build/wasm/web/ if built, else
npm), uPlot (the live plot; its style at the head of style.css) and plotly-basic (every other
plot, loaded after the first live plot). Caching: every asset but index.html is served under a
versioned URL (content hash in the name, or in the folder name for /pyscript/ and /mpy/, whose
files refer to each other) and is immutable for a year; index.html (rewritten to those URLs)
is `no-cache` with an ETag, so a reload is one 304. Chosen over ETag revalidation of every file
because Chromium does not revalidate fetch()ed files (the .wasm, the .py files) against
Microdot's HTTP/1.0 responses: it downloads them again. Python files lose their comments and
docstrings and most of their indentation (flash is scarce; lines stay put). Incremental
(unchanged outputs are not rewritten) and quiet: prints one line with the totals; exits
non-zero above a budget: every asset on the device's flash (1 MB gzipped), and the first load
of the live view (350 KB gzipped: what index.html references, PyScript, MicroPython and uPlot;
plotly and the training, notebook and kernel files glue.js loads later are not in it).
The page's Python module lists are derived here from the imports (page_modules(), as
build_fw.py does for the firmware): PyScript's boot files go into index.html's config, the
groups loaded later (each named by the module the page's code asks for with net.need("...")) and
the Notebook worker's list into modules.json, which glue.js reads.
Usage: build_www.py [--out DIR] [--budget KB] [--first-load KB] [--verbose]
"""
import argparse
import ast
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
UPLOT = os.path.join(NM, "uplot", "dist")
BUDGET_KB = 1000          # every asset on the flash
FIRST_LOAD_KB = 350       # the live view's first load
# plotly (after the first live plot), the notebook's worker, the lists of the modules loaded later
_LAZY = re.compile(r"<meta name=\"motebook-(?:kernel|modules|plotly)\"[^>]*>")
MODULES = "/modules.json"
_BOOT = re.compile(r"(<script type=\"mpy\" src=\"\./app/main\.py\" config=')(.*?)('>)", re.S)
_NEED = re.compile(r"\bneed\(((?:\s*\"[\w.]+\"\s*,?)+)\)")
WORKER = ("kernel", "motebook")      # the Notebook's worker (webapp/nb/)

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
    yield "/vendor/uPlot.iife.min.js", os.path.join(UPLOT, "uPlot.iife.min.js")


# ---- the page's Python modules, from their imports ---------------------------------------
def _module_files():
    """module name -> (source file, FS path in the interpreter, page URL): app.* (webapp/app),
    shared.* and the worker's own modules (webapp/nb, at the FS root)."""
    out = {}
    for pkg, folder in (("app", os.path.join(ROOT, "webapp", "app")),
                        ("shared", os.path.join(ROOT, "shared"))):
        url = "./app/" if pkg == "app" else "./shared/"
        for f in sorted(os.listdir(folder)):
            if f.endswith(".py") and not f.startswith("test"):
                stem = f[:-3]
                name = pkg if stem == "__init__" else pkg + "." + stem
                out[name] = (os.path.join(folder, f), "/%s/%s" % (pkg, f), url + f)
    for stem in WORKER:
        out[stem] = (os.path.join(ROOT, "webapp", "nb", stem + ".py"), "/%s.py" % stem,
                     "./nb/%s.py" % stem)
    return out


def _imports(path, known):
    """[(module, where)] of the modules of ours a file imports; where: "top" (when the file is
    imported), "fn" (inside a function), "need" (inside a function that first loads a group
    with need(): the group's imports, not the caller's)."""
    tree = ast.parse(open(path, "rb").read())
    out = []

    def visit(node, where):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                needs = any(isinstance(n, ast.Call) and "need" in (
                    getattr(n.func, "attr", None), getattr(n.func, "id", None))
                    for n in ast.walk(child))
                visit(child, "need" if needs or where == "need" else "fn")
                continue
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                names = [child.module] + ["%s.%s" % (child.module, a.name) for a in child.names]
            for i, n in enumerate(names):
                if n in known:
                    out.append((n, where))
                elif n.split(".")[0] in ("app", "shared") and (
                        n.rsplit(".", 1)[0] not in known or i and child.module in known
                        and "." not in child.module):     # a package's names are modules
                    raise SystemExit("build_www: %s imports %s, which does not exist" % (path, n))
            visit(child, where)
    visit(tree, "top")
    return out


def _closure(roots, edges, stop=()):
    """roots and every module reached through edges(m) (not beyond the modules in stop)."""
    seen, todo = set(), list(roots)
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            if m not in stop:
                todo.extend(edges(m))
            if "." in m:
                todo.append(m.split(".")[0])       # its package's __init__
    return seen


def page_modules():
    """{"boot": [...], "groups": {root: [...]}, "worker": [...], "files": {module: (source,
    FS path, URL)}}: the modules PyScript loads before app/main.py runs (what it imports, and
    what its functions import outside a need() group), each group the page's code asks for with
    need("root", ...) (the root's imports minus the boot modules), and the Notebook worker's
    (kernel and motebook with all they import)."""
    files = _module_files()
    imports = {m: _imports(files[m][0], files) for m in files}
    page_py = [files[m][0] for m in files if m not in WORKER]
    roots = set()
    for p in page_py:
        for m in _NEED.finditer(open(p).read()):
            for name in re.findall(r"\"([\w.]+)\"", m.group(1)):
                if name not in files:
                    raise SystemExit("build_www: %s needs %s, which does not exist" % (p, name))
                roots.add(name)
    every = lambda m: [n for n, _ in imports[m]]          # noqa: E731
    # boot: app.main and what it imports at once; an import inside a function is a boot
    # module's too unless a group holds it (that group is loaded before the function runs)
    eager = _closure(["app.main"], lambda m: [n for n, w in imports[m] if w == "top"])
    later = _closure(roots, every, stop=eager)
    boot = _closure(["app.main"], lambda m: [n for n, w in imports[m]
                                             if w == "top" or w == "fn" and n not in later])
    groups = {r: sorted(_closure([r], every) - boot) for r in sorted(roots)}
    worker = sorted(_closure(WORKER, every))
    return {"boot": sorted(boot - {"app.main"}), "groups": groups, "worker": worker,
            "files": files}


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
    # uPlot's style goes first into the page's (one file less on the flash, one request less)
    raw["/style.css"] = _read(os.path.join(UPLOT, "uPlot.min.css")) + b"\n" + raw["/style.css"]
    _module_lists(raw)
    referrers = _referrers(raw)
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


def _module_lists(raw):
    """index.html's PyScript config gets the boot files; modules.json the groups and the
    worker's list ({URL: FS path}, URLs versioned like every other reference)."""
    pm = page_modules()

    def urls(mods):
        return {pm["files"][m][2]: pm["files"][m][1] for m in mods}
    raw[MODULES] = (json.dumps({"groups": {r: urls(ms) for r, ms in pm["groups"].items()},
                                "worker": urls(pm["worker"])}, sort_keys=True, indent=0)
                    + "\n").encode()
    text, n = _BOOT.subn(lambda m: m.group(1) + json.dumps(
        dict(json.loads(m.group(2)), files=urls(pm["boot"])), indent=1) + m.group(3),
        raw["/index.html"].decode())
    if n != 1:
        raise SystemExit("build_www: index.html has no <script type=\"mpy\" "
                         "src=\"./app/main.py\" config='...'>")
    raw["/index.html"] = text.encode()


def _referrers(raw):
    """The page files that reference others (index.html, the top-level .js, modules.json),
    each after the ones it references (their versioned names go into it)."""
    pending = [u for u in raw if u == MODULES or u.count("/") == 1 and u.endswith((".js", ".html"))]
    order = []
    while pending:
        ready = sorted(u for u in pending if not any(
            "./" + v[1:] in raw[u].decode() for v in pending if v != u))
        if not ready:
            raise SystemExit("build_www: %s refer to each other" % ", ".join(pending))
        order += ready
        pending = [u for u in pending if u not in ready]
    return order


def first_load(raw_index, manifest, scripts=None):
    """Served URLs the live view loads: index.html, what it references (but the notebook's
    worker and the module lists), the modules its page scripts import (scripts: {served URL:
    bytes}; glue.js -> transport.js), and the PyScript and MicroPython groups."""
    text = _LAZY.sub("", raw_index.decode())
    urls = {"/index.html"}
    for ref in re.findall(r"[\"']\./([^\"'\s]+)[\"']", text):
        urls.add("/" + ref)
        js = (scripts or {}).get("/" + ref)
        if js is not None:
            for imp in re.findall(r"\bfrom\s+[\"']\./([^\"'\s]+)[\"']", js.decode()):
                urls.add("/" + imp)
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
    built = plan()
    index = built["/index.html"][1]
    scripts = {served: raw for served, raw in built.values() if served.endswith(".js")}
    first = sum(sizes[u] for u in first_load(index, manifest, scripts)) / 1000
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
        if url.count("/") != 1 or not url.endswith((".html", ".js", ".json")):
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
                   help="KB gzipped of the live view's first load (default 350)")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    build(a.out, a.budget, a.verbose, a.first_load)


if __name__ == "__main__":
    sys.exit(main())
