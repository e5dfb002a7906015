# scripts/build_www.py: every served file is the gzip of its source, every reference of the
# page resolves to a versioned, immutable URL, index.html is revalidated, the budget is enforced.
import gzip
import importlib.util
import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("build_www", os.path.join(ROOT, "scripts", "build_www.py"))
bw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bw)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("www"))
    manifest = bw.build(out)
    return out, manifest


def _body(out, e):
    with open(os.path.join(out, e["file"]), "rb") as f:
        data = f.read()
    return gzip.decompress(data) if e["gzip"] else data


def test_manifest_matches_the_contract(built):
    out, manifest = built
    with open(os.path.join(out, "manifest.json")) as f:
        assert json.load(f) == manifest
    for url, e in manifest.items():
        assert url.startswith("/")
        assert set(e) >= {"file", "type", "etag", "gzip", "cache"}
        assert os.path.isfile(os.path.join(out, e["file"]))
    assert manifest["/index.html"]["cache"] == "no-cache"
    assert manifest["/index.html"]["type"].startswith("text/html")
    assert all(e["cache"].endswith("immutable") for u, e in manifest.items() if u != "/index.html")


def test_page_references_resolve_to_served_files(built):
    out, manifest = built
    html = _body(out, manifest["/index.html"]).decode()
    refs = re.findall(r"[\"']\./([^\"'\s]+)[\"']", html)
    assert any(r.endswith("micropython.mjs") for r in refs)
    assert any("plotly" in r for r in refs)
    for r in refs:
        assert "/" + r in manifest, r
    wasm = [u for u in manifest if u.endswith("micropython.wasm")]
    mjs = [u for u in manifest if u.endswith("micropython.mjs")]
    assert len(wasm) == 1 and os.path.dirname(wasm[0]) == os.path.dirname(mjs[0])


def test_first_load_has_the_live_plot_chart_not_plotly(built):
    out, manifest = built
    html = _body(out, manifest["/index.html"])
    first = bw.first_load(html, manifest)
    assert any("/vendor/uPlot." in u for u in first if u.endswith(".js"))
    css = [u for u in first if re.match(r"/style\.[0-9a-f]+\.css$", u)]
    assert len(css) == 1 and b".u-legend" in _body(out, manifest[css[0]])    # uPlot's style
    assert not any("plotly" in u for u in first), "plotly loads after the first live plot"
    assert any("plotly" in u for u in manifest)
    with pytest.raises(SystemExit, match="first load"):
        bw.build(out, first_kb=100)


def test_served_python_is_the_checkout(built):
    out, manifest = built
    proto = [u for u in manifest if re.match(r"/shared/protocol\.[0-9a-f]+\.py$", u)]
    assert len(proto) == 1
    with open(os.path.join(ROOT, "shared", "protocol.py"), "rb") as f:
        # the checkout's file, less its comments, docstrings and indentation (compact_python)
        assert _body(out, manifest[proto[0]]) == bw.compact_python(f.read())
    assert not any("/tests/" in u for u in manifest)


def test_rebuild_is_unchanged_and_budget_enforced(built, capsys):
    out, _ = built
    capsys.readouterr()
    bw.build(out)
    assert "unchanged" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="over the 100 KB"):
        bw.build(out, budget_kb=100)


def test_served_python_loses_comments_but_not_lines_or_strings():
    # comments are stripped to save flash; line numbers (tracebacks) and '#' inside strings stay
    src = b'# header\nx = "a # not a comment"  # trailing\n\ndef f():\n    # inside\n    return x\n'
    out = bw.strip_comments(src)
    assert out == b'\nx = "a # not a comment"\n\ndef f():\n\n    return x\n'
    ns = {}
    exec(compile(out, "t", "exec"), ns)
    assert ns["f"]() == "a # not a comment"


def test_served_python_loses_docstrings_and_indentation_but_not_lines_or_behaviour():
    src = (b'"""Module doc\n  on two lines."""\nimport sys\n\n\nclass K:\n    """Doc."""\n\n'
           b'    def f(self, x):\n        """Doc\n        more."""\n        t = """keep\n    this"""\n'
           b'        f"{sys.path.append(x)}"\n        if x:\n            return t + \\\n'
           b'                "!"\n        return "no"\n')
    out = bw.compact_python(src)
    assert out.count(b"\n") == src.count(b"\n")           # every line where it was
    assert b"Doc" not in out and b"Module doc" not in out
    assert b'"""keep\n    this"""' in out                   # a string's inside is untouched
    assert b'f"{sys.path.append(x)}"' in out                # an f-string statement may act
    assert b"\n  if x:\n   return t" in out                 # one space per level
    assert len(out) < len(src)
    ns = {}
    exec(compile(out, "t", "exec"), ns)
    assert ns["K"]().f("z") == "keep\n    this!" and ns["K"]().f("") == "no"
    # a file whose compact form would not compile is served with only its comments stripped
    odd = b"if 1:  # two-space levels\n  x = 1\n  if x:\n    y = 2\n"   # 4 -> 1 breaks it
    assert bw.compact_python(odd) == bw.strip_comments(odd)
