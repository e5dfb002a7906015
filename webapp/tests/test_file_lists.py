# The page's Python file lists (PyScript's boot files in index.html, the lazily loaded lists
# and the Notebook kernel's list in glue.js) hold every module their code imports: a module
# missing from a list fails only in the browser, when it is first imported (the kernel
# once lacked shared/jsonck.py after shared/protocol began to import it). CPython (pytest).
import ast
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEB = os.path.join(ROOT, "webapp")
_PAIR = re.compile(r'"\./([^"]+\.py)":\s*"(/[^"]+\.py)"')


def _glue_lists():
    """name -> {FS path: source path} of each `mb.<name>Files = JSON.stringify({...})`."""
    text = open(os.path.join(WEB, "glue.js")).read()
    lists = {}
    for m in re.finditer(r"mb\.(\w+)Files = JSON\.stringify\(\{(.*?)\}\);", text, re.S):
        body = m.group(2)
        files = {}
        for spread in re.findall(r"\.\.\.JSON\.parse\(mb\.(\w+)Files\)", body):
            files.update(lists[spread])
        files.update({fs: src for src, fs in _PAIR.findall(body)})
        lists[m.group(1)] = files
    return lists


def _boot_files():
    text = open(os.path.join(WEB, "index.html")).read()
    conf = re.search(r'<script type="mpy" src="\./app/main\.py" config=\'(.*?)\'>', text, re.S)
    return {fs: src[2:] for src, fs in json.loads(conf.group(1))["files"].items()}


def _module(fs_path):
    return fs_path.lstrip("/")[:-3].replace("/", ".").replace(".__init__", "")


def _source(src):
    for base in (WEB, ROOT):   # page files live in webapp/, shared/ at the top
        p = os.path.join(base, src)
        if os.path.exists(p):
            return p
    raise AssertionError("listed file %s does not exist" % src)


def _imports(path, known):
    """Modules of ours (those in `known`, or shared.*/app.*) imported anywhere in the file."""
    out = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + ["%s.%s" % (node.module, a.name) for a in node.names]
        else:
            continue
        for n in names:
            if n in known or (n.split(".")[0] in ("shared", "app")
                              and os.path.exists(os.path.join(ROOT, *n.split(".")) + ".py")):
                out.add(n)
    return out


def _missing(files, roots, everything):
    """Modules reached from roots through `everything` (module -> source) not in files."""
    have = {_module(fs) for fs in files}
    seen, todo, missing = set(), list(roots), set()
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        if mod not in have:
            missing.add(mod)
        src = everything.get(mod)
        if src is None:
            src = os.path.join(*mod.split(".")) + ".py"
            if not os.path.exists(os.path.join(ROOT, src)):
                continue
        todo.extend(_imports(_source(src), everything))
    return missing


def test_every_listed_file_exists():
    for files in list(_glue_lists().values()) + [_boot_files()]:
        for src in files.values():
            _source(src)


def test_the_notebook_kernel_has_every_module_it_imports():
    kernel = _glue_lists()["kernel"]
    everything = {_module(fs): src for fs, src in kernel.items()}
    assert _missing(kernel, ["kernel", "motebook"], everything) == set()


def test_the_page_has_every_module_its_code_imports_once_its_lists_are_loaded():
    lists = _glue_lists()
    page = dict(_boot_files(), **{"/app/main.py": "app/main.py"})   # the script itself
    for name, files in lists.items():
        if name != "kernel":   # the kernel runs in its own worker
            page.update(files)
    everything = {_module(fs): src for fs, src in page.items()}
    missing = _missing(page, ["app.main"] + sorted(everything), everything)
    assert missing == set(), "imported by the page's Python but in no file list: %s" % missing
