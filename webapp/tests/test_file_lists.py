# The page's Python module lists are derived by scripts/build_www.py from the imports
# (page_modules): PyScript's boot files, the groups loaded when the page's code asks with
# net.need(...), and the Notebook worker's list. These tests hold what the lists must give the
# page: a module missing from them fails only in the browser, when it is first imported.
# CPython (pytest).
import ast
import gzip
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import build_www  # noqa: E402


@pytest.fixture(scope="module")
def pm():
    return build_www.page_modules()


def _all_imports(src, known):
    return {n for n, _ in build_www._imports(src, known)}


def _closed(mods, pm, extra=()):
    """Modules some module of mods imports (anywhere) that are not in mods or extra."""
    have = set(mods) | set(extra)
    return {n for m in mods for n in _all_imports(pm["files"][m][0], pm["files"])} - have


def test_the_boot_files_hold_what_the_page_imports_before_any_group(pm):
    boot = set(pm["boot"]) | {"app.main"}
    for m in ("app.main", "app.bridge", "app.view", "app.net", "shared.protocol"):
        assert m in boot
    later = set().union(*map(set, pm["groups"].values()))
    # everything a boot module imports is a boot module, or in a group it is loaded with
    assert _closed(boot, pm) <= later, _closed(boot, pm) - later


def test_each_group_holds_its_imports_beside_the_boot_files(pm):
    assert set(pm["groups"]) >= {"shared.pipeline", "app.notebook", "app.node", "app.explore"}
    for root, mods in pm["groups"].items():
        assert root in mods
        assert not set(mods) & set(pm["boot"]), root
        assert _closed(mods, pm, pm["boot"]) == set(), root


def test_the_training_modules_stay_out_of_the_first_load(pm):
    for m in ("shared.pipeline", "shared.trainer", "shared.evaluate", "shared.explore",
              "app.notebook", "app.node"):
        assert m not in pm["boot"], m


def test_the_worker_has_every_module_it_imports(pm):
    w = pm["worker"]
    assert {"kernel", "motebook", "shared.pipeline", "shared.explore"} <= set(w)
    assert _closed(w, pm) == set()
    assert "app.view" not in w            # the worker has no DOM


def test_a_group_no_code_asks_for_is_none(pm):
    """Every need("...") in the page's Python names a group, and nothing else is one."""
    asked = set()
    for m, (src, _, _) in pm["files"].items():
        for node in ast.walk(ast.parse(open(src).read())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "need":
                asked.update(a.value for a in node.args if isinstance(a, ast.Constant))
    assert asked == set(pm["groups"])


def test_an_import_of_a_missing_module_fails_the_build(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("def f():\n    from shared import no_such_module\n")
    with pytest.raises(SystemExit):
        build_www._imports(str(p), build_www._module_files())


def test_the_built_page_carries_the_lists(tmp_path):
    build_www.build(str(tmp_path))
    with open(tmp_path / "manifest.json") as f:
        manifest = json.load(f)

    def served(url):
        e = manifest[url]
        with open(tmp_path / e["file"], "rb") as f:
            data = f.read()
        return (gzip.decompress(data) if e["gzip"] else data).decode()
    index = served("/index.html")
    conf = index[index.index("config='") + 8:]
    files = json.loads(conf[:conf.index("'>")])["files"]
    pm = build_www.page_modules()
    assert sorted(files.values()) == sorted(pm["files"][m][1] for m in pm["boot"])
    assert all(u in manifest for u in ("/" + k[2:] for k in files))
    lists_url = [u for u in manifest if u.startswith("/modules.")][0]
    assert "./" + lists_url[1:] in index
    lists = json.loads(served(lists_url))
    assert set(lists["groups"]) == set(pm["groups"])
    for urls in list(lists["groups"].values()) + [lists["worker"]]:
        assert all("/" + u[2:] in manifest for u in urls)
