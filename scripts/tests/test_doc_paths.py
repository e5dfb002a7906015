"""Every file a doc names exists: each `quoted` path in a tracked .md file (from the top of the
tree or the doc's folder; a bare file name anywhere in the tree), so docs cannot go on naming
files that were renamed or removed. Build outputs, device data files and paths inside
MicroPython's own source are not ours to check."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOPS = ("device/", "webapp/", "shared/", "scripts/", "e2e/", "wasm/", "firmware/", "client/",
        ".ci/", ".github/")
SOURCE_EXT = (".py", ".mjs", ".js", ".md", ".sh", ".txt", ".toml", ".html", ".css", ".c", ".h")
NOT_OURS = ("build/", "e2e/results/", ".data/", ".venv/", "node_modules/",   # made by running
            "py/", "extmod/", "ports/", "tools/")                            # MicroPython's tree
GENERATED = {"micropython.mjs", "micropython.wasm"}                         # build outputs
EXTERNAL = re.compile(r"^eml_\w+\.h$")       # emlearn's C headers (from its wheel, not ours)
QUOTED = re.compile(r"`([^`\s]+)`")


def tracked():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return out


def named_paths(text):
    """The file paths a doc quotes (`...`), with :line, #anchor, ?query and .ATTR cut off."""
    for m in QUOTED.finditer(text):
        t = m.group(1).rstrip(".,;")
        if any(c in t for c in "<>{}*$|=()[]'\"") or t.startswith(("/", "-", "http")) or \
                "..." in t:
            continue
        t = re.split(r"[:#?]", t)[0]
        t = re.sub(r"\.[A-Z_]+$", "", t)            # module.CONSTANT
        if t.startswith(TOPS) or t.endswith(SOURCE_EXT):
            yield t


def missing():
    files = tracked()
    names = {Path(f).name for f in files}
    out = []
    for doc in (f for f in files if f.endswith(".md")):
        d = ROOT / doc
        for t in named_paths(d.read_text()):
            if t.startswith(NOT_OURS) or t in GENERATED or t.startswith(".") or \
                    EXTERNAL.match(t):
                continue
            if "/" not in t:
                ok = t in names
            else:
                ok = any(p.exists() or p.with_suffix(".py").exists()
                         for p in (ROOT / t, d.parent / t))
            if not ok:
                out.append("%s names `%s`" % (doc, t))
    return out


def test_every_file_a_doc_names_exists():
    assert not missing(), "\n".join(missing())


def test_the_check_sees_a_wrong_name():
    # the reader finds paths as the docs write them (and would report a renamed file)
    got = list(named_paths("see `device/http.py` and `device/httpd.py:12`, `GET /api/x`, "
                           "`shared/tests/mprun.SHARED_FILES`"))
    assert got == ["device/http.py", "device/httpd.py", "shared/tests/mprun"]
    assert not (ROOT / "device/http.py").exists() and (ROOT / "device/httpd.py").exists()
