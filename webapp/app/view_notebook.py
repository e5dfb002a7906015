# Draws the Notebook step from the bridge's "notebook" part: the notebook bar (choose, new,
# save, delete, export/import .ipynb, kernel state, run all, stop), then the cells (an editor
# per code cell, Markdown rendered until edited) with their outputs (text, results, errors with
# the cell's line, HTML, plotly figures). The cell list is redrawn only when its structure
# changes (editors keep focus while typing); outputs per cell when they change. Shift-Enter
# runs a cell. Loaded with the step. Memory: the last drawn revision of each cell's outputs.
from pyscript import document, window

from app import markdown
from app.html import esc
from app.notebook import IMPORT

_drawn = {"rev": -1, "out": {}, "bar": None}


def install(B, view, nb):
    view.DRAW["notebook"] = lambda st: draw(st, view)
    view.on_key(lambda ev: _key(ev, B))
    _drawn["rev"] = -1
    B.touch("notebook")


def editor_value(cid):
    e = document.getElementById("src-" + cid)
    return None if e is None else e.value


def _key(ev, B):
    t = ev.target
    if ev.key != "Enter" or not ev.shiftKey or t.tagName != "TEXTAREA":
        return False
    cid = t.getAttribute("data-cell")
    if not cid:
        return False
    ev.preventDefault()
    B.fire("notebook.run", {"id": cid})
    nxt = t.closest(".cell").nextElementSibling
    if nxt is not None:
        ed = nxt.querySelector("textarea")
        if ed is not None:
            ed.focus()
    return True


def _bar(st):
    opts = "".join('<option%s>%s</option>' % (" selected" if n == st["name"] else "", esc(n))
                   for n in st["names"])
    k = st["kernel"]
    return (
        '<div class="nb-bar"><label>notebook <select data-act="notebook.switch" '
        'id="nb-name" data-change="1">%s</select></label>'
        '<form data-form="nb-new" data-act="notebook.new" class="inline"><input name="name" '
        'size="14" placeholder="new notebook" maxlength="40"><button type="submit">new'
        '</button></form>'
        '<button type="button" data-act="notebook.save">save</button>'
        '<button type="button" data-act="notebook.export">export .ipynb</button>'
        '<label class="file">import .ipynb <input type="file" accept=".ipynb,application/json" '
        'data-act="notebook.import" data-fs="%s" id="nb-import"></label>'
        '<button type="button" data-act="notebook.remove" data-confirm="1">delete</button>'
        '</div><div class="nb-bar"><span class="pill %s" id="nb-kernel">kernel: %s</span>'
        '<button type="button" data-act="notebook.run" id="nb-run-all">&#9654;&#9654; run all'
        '</button><button type="button" data-act="notebook.stop" id="nb-stop">&#9632; stop'
        '</button><small id="nb-saved"%s>%s</small></div><p class="msg" id="nb-message"></p>'
        '<div id="nb-cells"></div>'
        '<div class="nb-bar"><button type="button" data-act="notebook.add" data-type="code">'
        '+ code</button><button type="button" data-act="notebook.add" data-type="markdown">'
        '+ text</button></div>'
        % (opts, IMPORT, "on" if k == "ready" else ("rec" if k == "busy" else ""), esc(k),
           ' class="err"' if st.get("saved_device") is False else "",
           esc(st.get("saved") or "")))


def _cell(c):
    cid = esc(c["id"])
    head = ('<div class="cell-head"><span>%s</span>%s<span style="flex:1"></span>'
            '<button type="button" data-act="notebook.run" data-id="%s" title="run '
            '(Shift-Enter)">&#9654;</button><button type="button" data-act="notebook.move" '
            'data-id="%s" data-dir="-1" title="up">&uarr;</button><button type="button" '
            'data-act="notebook.move" data-id="%s" data-dir="1" title="down">&darr;</button>'
            '<button type="button" data-act="notebook.add" data-after="%s" data-type="code" '
            'title="code cell below">+py</button><button type="button" data-act="notebook.add" '
            'data-after="%s" data-type="markdown" title="text cell below">+md</button>'
            '<button type="button" data-act="notebook.delete" data-id="%s" title="delete">'
            '&times;</button></div>' % (
                "code" if c["type"] == "code" else "text",
                ' <b id="count-%s">[%s]</b>' % (cid, c["count"] if c.get("count") else " ")
                if c["type"] == "code" else "", cid, cid, cid, cid, cid, cid))
    lines = max(2, min(30, c["source"].count("\n") + 1))
    if c["type"] == "markdown" and not c.get("edit"):
        body = '<div class="md" data-act="notebook.edit" data-id="%s" title="click to edit">' \
               '%s</div>' % (cid, markdown.render(c["source"]) or "<i>(empty text)</i>")
    else:
        body = '<textarea id="src-%s" data-cell="%s" rows="%d" spellcheck="false" aria-label="' \
               '%s cell">%s</textarea>' % (cid, cid, lines, esc(c["type"]), esc(c["source"]))
    # (focusable: a wide output scrolls sideways, and a keyboard must reach it too)
    out = '<div class="out" id="out-%s" tabindex="0" aria-label="output of cell %s"></div>' % (
        cid, cid) if c["type"] == "code" else ""
    return '<div class="cell%s" data-cell="%s">%s%s%s</div>' % (
        " run" if c.get("running") else "", cid, head, body, out)


def _outputs(c, view):
    el = document.getElementById("out-" + c["id"])
    if el is None:
        return
    parts, plots = [], []
    for k, o in enumerate(c.get("outputs") or ()):
        kind = o["kind"]
        if kind == "text":
            parts.append('<div class="%s">%s</div>' % (
                "err" if o.get("stream") == "stderr" else "", esc(o["text"])))
        elif kind == "result":
            parts.append('<div class="result">%s</div>' % esc(o["text"]))
        elif kind == "error":
            parts.append('<div class="err">%s</div>' % esc(o["text"]))
        elif kind == "html":
            parts.append('<div class="html">%s</div>' % o["html"])
        elif kind == "plot":
            pid = "plot-%s-%d" % (c["id"], k)
            parts.append('<div class="plot" id="%s"></div>' % pid)
            plots.append((pid, o["fig"]))
    el.innerHTML = "".join(parts)
    el.hidden = not parts
    if plots and view.has(window, "Plotly"):
        for pid, fig in plots:
            window.Plotly.newPlot(pid, view.js(fig.get("data") or []),
                                  view.js(fig.get("layout") or {}),
                                  view.js({"displayModeBar": False, "responsive": True}))
    cnt = document.getElementById("count-" + c["id"])
    if cnt is not None:
        cnt.textContent = "[%s]" % ("*" if c.get("running") else (c.get("count") or " "))
    box = el.closest(".cell")
    if box is not None:
        box.classList.toggle("run", bool(c.get("running")))


def draw(st, view):
    nb = st["notebook"]
    root = document.getElementById("nb-root")
    bar = (nb["name"], tuple(nb["names"]), nb["kernel"], nb.get("saved"), nb.get("saved_device"))
    if _drawn["bar"] != bar or document.getElementById("nb-cells") is None:
        root.innerHTML = _bar(nb)
        _drawn["bar"] = bar
        _drawn["rev"] = -1
    msg = document.getElementById("nb-message")
    msg.innerHTML = '<span class="err">%s</span>' % esc(nb["message"]) if nb.get("message") \
        else esc(nb.get("notice") or "")
    if _drawn["rev"] != nb["rev"]:
        document.getElementById("nb-cells").innerHTML = "".join(_cell(c) for c in nb["cells"])
        _drawn["rev"] = nb["rev"]
        _drawn["out"] = {}
    for c in nb["cells"]:
        if c["type"] == "code" and _drawn["out"].get(c["id"]) != nb["out_rev"].get(c["id"], 0):
            _outputs(c, view)
            _drawn["out"][c["id"]] = nb["out_rev"].get(c["id"], 0)
