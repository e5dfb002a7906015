# The notebook's pure parts on CPython: a cell's last expression is shown without moving any
# line (tracebacks keep the cell's line numbers), .ipynb export validates with nbformat and
# imports back unchanged, Markdown cannot inject markup.
import json
import sys
import os

import nbformat

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "nb"))
import kernel     # (webapp/nb/kernel.py: it runs in the worker as a top module)

from app import ipynb, markdown


def _value(src):
    """Run a prepared cell (without await) and return what it would show."""
    shown = []
    kernel_mod = type(sys)("kernel")
    kernel_mod.show_result = shown.append
    sys.modules["_mbk_test"] = kernel_mod
    code = kernel.prepare(src).replace("import kernel as _mbk", "import _mbk_test as _mbk")
    exec(compile(code, "cell", "exec"), {})
    return shown


def test_the_last_expression_is_shown_and_lines_stay_put():
    assert _value("x = 2\nx * 21") == [42]
    assert _value("x = [1,\n     2]\nlen(x)  # a comment\n\n# trailing comment\n") == [2]
    assert _value("y = (1 +\n     2)\n(y,\n y)") == [(3, 3)]
    for src in ("x = 1", "z = 3\nz += 1", "def f():\n    return 1",
                "for i in range(2):\n    i", "import math", "a = b = 1", "x = 1; x",
                "if True:\n    5", "# only a comment", ""):
        assert _value(src) == [], src
    assert _value("x = 1\nx == 1") == [True]
    assert _value('s = "a=b"\ns.split("=")') == [["a", "b"]]
    assert _value('"""doc = 1"""') == ["doc = 1"]
    src = "a = 1\nb = 0\na / b"
    code = kernel.prepare(src)
    try:
        exec(compile(code.split("\nimport kernel")[0], "cell", "exec"), {})
    except ZeroDivisionError:
        tb = sys.exc_info()[2]
        while tb.tb_next:
            tb = tb.tb_next
        assert tb.tb_lineno == 3                     # the cell's own line
    assert kernel.traceback('PythonError: Traceback (most recent call last):\n  File "<stdin>",'
                            ' line 3, in <module>\nZeroDivisionError: divide by zero') == (
        'Traceback (most recent call last):\n  File "cell", line 3, in <module>\n'
        'ZeroDivisionError: divide by zero')


def _cells():
    return [{"id": "c1", "type": "markdown", "source": "# Title\nsome *text*"},
            {"id": "c2", "type": "code", "source": "print('hi')\n1 + 1", "count": 3,
             "outputs": [{"kind": "text", "text": "hi\n"}, {"kind": "result", "text": "2"}]},
            {"id": "c3", "type": "code", "source": "1/0", "count": 4, "outputs": [
                {"kind": "error", "text": "Traceback (most recent call last):\n  File \"cell\","
                 " line 1, in <module>\nZeroDivisionError: divide by zero"}]},
            {"id": "c4", "type": "code", "source": "plot", "count": None, "outputs": [
                {"kind": "plot", "fig": {"data": [{"type": "scatter", "y": [1, 2]}],
                                         "layout": {}}},
                {"kind": "html", "html": "<table></table>"},
                {"kind": "text", "text": "oops\n", "stream": "stderr"}]}]


def test_ipynb_validates_and_imports_back_unchanged():
    text = ipynb.dumps("first look", _cells())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    name, cells = ipynb.loads(text)
    assert name == "first look" and cells == _cells()
    assert json.loads(ipynb.dumps(name, cells)) == json.loads(text)
    # a notebook written by Jupyter (sources as lists, no ids) comes in too
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_markdown_cell(["# a\n", "b"]),
                   nbformat.v4.new_code_cell("x = 1\nx")]
    del other.cells[0]["id"]
    name, cells = ipynb.loads(nbformat.writes(other), "theirs")
    assert name == "theirs" and cells[0]["source"] == "# a\nb" and cells[1]["type"] == "code"
    assert len(set(c["id"] for c in cells)) == 2
    for bad, words in (("{", "not JSON"), ('{"cells": []}', "nbformat 4"),
                       ('{"nbformat": 4, "cells": [1]}', "cell 1")):
        try:
            ipynb.loads(bad)
        except ValueError as e:
            assert words in str(e), (bad, str(e))
        else:
            raise AssertionError("accepted %r" % bad)


def test_the_device_copy_keeps_sources_and_bounded_outputs():
    cells = _cells()
    big = {"kind": "plot", "fig": {"data": [{"type": "scatter", "y": list(range(20000))}]}}
    cells.append({"id": "c5", "type": "code", "source": "big", "count": 5, "outputs": [big]})
    full = ipynb.dumps("run", cells)
    assert len(full) > 64 * 1024
    text, cut, cut_bytes = ipynb.device_copy("run", cells, 64 * 1024, 16 * 1024)
    assert len(text.encode()) <= 64 * 1024 and cut == 1 and cut_bytes > 64 * 1024
    nbformat.validate(nbformat.reads(text, as_version=4))
    name, dev = ipynb.loads(text)
    assert [c["source"] for c in dev] == [c["source"] for c in cells]     # every source
    assert dev[:4] == _cells()                                             # small outputs kept
    assert dev[4]["trimmed"] == cut_bytes and "kept in the browser" in dev[4]["outputs"][0]["text"]
    assert cells[4]["outputs"] == [big] and "trimmed" not in cells[4]      # (not changed)
    # this browser gives the outputs back; an edited cell keeps the note
    assert ipynb.restore(ipynb.loads(text)[1], cells) == cells
    edited = [dict(c) for c in cells]
    edited[4]["source"] = "big + 1"
    assert ipynb.restore(ipynb.loads(text)[1], edited)[4]["outputs"] == dev[4]["outputs"]
    # a device copy saved again stays as it is; sources past the limit give no copy at all
    assert ipynb.device_copy("run", dev, 64 * 1024, 16 * 1024)[0] == text
    huge = [{"id": "c1", "type": "code", "source": "#" * (65 * 1024), "count": None,
             "outputs": []}]
    assert ipynb.device_copy("huge", huge, 64 * 1024, 16 * 1024)[0] is None


def test_markdown_is_escaped_and_rendered():
    html = markdown.render("# T <b>\n\nsome **bold** and *it* `x<y`\n\n- a\n- b\n\n1. one\n"
                           "[link](https://example.org) [no](javascript:alert(1))\n\n```\n<i>\n```")
    assert "<h1>T &lt;b&gt;</h1>" in html
    assert "<b>bold</b>" in html and "<i>it</i>" in html and "<code>x&lt;y</code>" in html
    assert "<ul><li>a</li><li>b</li></ul>" in html and "<ol><li>one" in html
    assert '<a href="https://example.org"' in html and "javascript:" not in html.split("[no]")[0]
    assert 'href="javascript' not in html
    assert "<pre><code>&lt;i&gt;</code></pre>" in html
