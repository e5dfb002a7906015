# The Notebook step: named notebooks of code and Markdown cells over the device's data. Code
# runs in a kernel worker (glue.js mb.kernel -> kernel.js: MicroPython-WASM with the motebook
# API, nb/motebook.py), one cell at a time; a long or endless cell is stopped by ending that
# worker (variables are lost, the notebook is not; chosen over an interrupt because the
# webassembly port cannot be interrupted from JavaScript while Python runs). Notebooks are saved
# whole in this browser (IndexedDB) and on the device (/api/notebooks) with every source and
# the outputs that fit shared/limits (the rest stay in this browser, restored on loading);
# exported and imported as .ipynb (app/ipynb.py). Actions "notebook.*" on the "notebook" part;
# app/view_notebook.py draws it. Memory: the open notebook's cells and outputs.
import asyncio
import json

from pyscript import window
from jsffi import create_proxy

from app import net
from app import ipynb
from shared.limits import MAX_NOTEBOOK_BYTES, NOTEBOOK_OUTPUT_BYTES

LAST_KEY = "motebook.notebook"
EXPORT = "/nb_export.ipynb"
DEVICE = "/nb_device.ipynb"     # the device's copy (outputs bounded)
IMPORT = "/nb_import.ipynb"
SAVE_S = 2                  # edits are saved this long after they stop
STARTER_NAME = "starter"
STARTER = [
    ("markdown", "# Your recordings, in Python\nEach code cell runs MicroPython in this page "
                 "(Shift-Enter runs a cell). `motebook` reaches the device: sessions as arrays, "
                 "labelled windows, the same features and training the page uses, and plots."),
    ("code", "ss = await motebook.sessions()\nprint(len(ss), \"sessions\")\n"
             "[(s[\"name\"], s[\"samples\"], s[\"classes\"]) for s in ss]"),
    ("code", "if not ss:\n    raise ValueError(\"record a session first (Collect)\")\n"
             "rec = await motebook.load(ss[-1][\"id\"])\n"
             "motebook.plot.line([rec.values(c) for c in rec.channels], x=rec.times(),\n"
             "                   names=rec.channels, title=rec.name, xlabel=\"s\")\nrec"),
    ("markdown", "## Features of labelled windows\nWindows are cut as training cuts them (the "
                 "device's window and hop unless you say otherwise)."),
    ("code", "lw = await motebook.windows()\nprint(len(lw), \"labelled windows\")\n"
             "if len(lw):\n    t = motebook.features(lw)\n"
             "    motebook.plot.scatter(t.column(t.names[1]), t.column(t.names[-5]),\n"
             "                          color=t.labels, xlabel=t.names[1], ylabel=t.names[-5])"),
    ("code", "if len(set(lw.labels)) < 2:\n    print(\"label windows of two classes to train\")\n"
             "else:\n    r = await motebook.train(lw)\n"
             "    print(r[\"validation\"][\"description\"], r[\"metrics\"] and "
             "r[\"metrics\"][\"accuracy\"])"),
]


class Notebooks:
    def __init__(self, B, view):
        self.B, self.view = B, view
        self.t = B.t
        self.queue = []
        self.running = None
        self._dirty_at = None
        self._kernel_proxy = create_proxy(self.on_kernel)
        B.part("notebook", names=[], name=None, cells=[], kernel="off", rev=0, out_rev={},
               notice="", message="")

    @property
    def st(self):
        return self.B.state["notebook"]

    # ---- cells ----------------------------------------------------------------------------
    def _cell(self, cid):
        for c in self.st["cells"]:
            if c["id"] == cid:
                return c
        raise KeyError("no cell %r" % cid)

    def _structure(self):
        self.st["rev"] += 1
        self.B.touch("notebook")
        self.changed()

    def _outputs(self, c):
        self.st["out_rev"][c["id"]] = self.st["out_rev"].get(c["id"], 0) + 1
        self.B.touch("notebook")

    def changed(self):
        """Something to save: saved SAVE_S seconds after the last change."""
        self._dirty_at = window.Date.now()

    def sync(self):
        """The cells' sources from the page's editors."""
        from app.view_notebook import editor_value
        for c in self.st["cells"]:
            v = editor_value(c["id"])
            if v is not None and v != c["source"]:
                c["source"] = v
                self.changed()

    def new_cell(self, kind, after=None, source=""):
        cells = self.st["cells"]
        c = {"id": ipynb.new_id(cells), "type": kind, "source": source}
        if kind == "code":
            c["count"], c["outputs"] = None, []
        else:
            c["edit"] = not source
        i = len(cells)
        for k in range(len(cells)):
            if cells[k]["id"] == after:
                i = k + 1
        cells.insert(i, c)
        self._structure()
        return c

    # ---- the kernel -------------------------------------------------------------------------
    def start_kernel(self):
        self.B.update("notebook", kernel="starting")
        self.t.kernel.start(self._kernel_proxy)

    def on_kernel(self, text):
        m = json.loads(text)
        op = m.get("op")
        if op == "ready":
            self.B.update("notebook", kernel="ready")
            self._next()
        elif op == "crash":
            self.B.update("notebook", kernel="crashed", message="the kernel failed: %s" % m["text"])
            self.running = None
        elif m.get("id") is not None:
            try:
                c = self._cell(m["id"])
            except KeyError:
                return
            o = None
            if op == "out":
                outs = c["outputs"]
                if outs and outs[-1]["kind"] == "text" and outs[-1].get("stream") == m.get("stream"):
                    outs[-1]["text"] += m["text"]     # one block per stream, as Jupyter
                else:
                    o = {"kind": "text", "text": m["text"]}
                    if m.get("stream"):
                        o["stream"] = m["stream"]
            elif op == "result":
                o = {"kind": "result", "text": m["text"]}
            elif op == "html":
                o = {"kind": "html", "html": m["html"]}
            elif op == "plot":
                o = {"kind": "plot", "fig": m["fig"]}
            elif op == "error":
                o = {"kind": "error", "text": m["text"]}
            elif op == "done":
                self.running = None
                c["running"] = False
                self.B.update("notebook", kernel="ready")
                self.changed()
                if m.get("error"):
                    self.queue = []        # a failing cell stops "run all"
                self._next()
            if o is not None:
                c["outputs"].append(o)
            self._outputs(c)
        self.B.flush()

    def _next(self):
        if self.running is not None or not self.queue or self.st["kernel"] != "ready":
            return
        cid = self.queue.pop(0)
        try:
            c = self._cell(cid)
        except KeyError:
            return self._next()
        self.st["counter"] = self.st.get("counter", 0) + 1
        c["count"] = self.st["counter"]
        c["outputs"] = []
        c.pop("trimmed", None)
        c["running"] = True
        self.running = cid
        self._outputs(c)
        self.B.update("notebook", kernel="busy")
        self.t.kernel.run(cid, c["source"])

    # ---- actions ------------------------------------------------------------------------------
    async def run(self, a):
        self.sync()
        ids = [a["id"]] if a.get("id") else [c["id"] for c in self.st["cells"]
                                             if c["type"] == "code"]
        for cid in ids:
            c = self._cell(cid)
            if c["type"] == "markdown":
                c["edit"] = False
                self._structure()
            elif cid not in self.queue and cid != self.running:
                self.queue.append(cid)
                c["outputs"] = [{"kind": "text", "text": "(queued)\n"}] if self.running else []
                self._outputs(c)
        if self.st["kernel"] in ("off", "crashed", "stopped"):
            self.start_kernel()
        self._next()

    def stop(self, a):
        """Ends the kernel worker (the only way to stop an endless cell) and starts a new one."""
        cid = self.running
        self.t.kernel.stop()
        self.queue = []
        self.running = None
        for c in self.st["cells"]:
            if c.get("running") or (c["type"] == "code" and c["outputs"] == [
                    {"kind": "text", "text": "(queued)\n"}]):
                c["running"] = False
                c["outputs"].append({"kind": "error", "text": "stopped: the kernel was "
                                     "restarted, its variables are gone (run the cells "
                                     "again)" if c["id"] == cid else "not run: stopped"})
                self._outputs(c)
        self.start_kernel()
        self.B.update("notebook", notice="kernel restarted")

    def add(self, a):
        self.sync()
        self.new_cell(a.get("type") or "code", a.get("after"))

    def delete(self, a):
        self.sync()
        self.st["cells"] = [c for c in self.st["cells"] if c["id"] != a["id"]]
        self._structure()

    def move(self, a):
        self.sync()
        cells = self.st["cells"]
        i = [c["id"] for c in cells].index(a["id"])
        j = i + (1 if a.get("dir") in ("1", 1, "down") else -1)
        if 0 <= j < len(cells):
            cells[i], cells[j] = cells[j], cells[i]
            self._structure()

    def edit(self, a):
        self.sync()
        c = self._cell(a["id"])
        c["edit"] = True
        self._structure()

    # ---- notebooks: browser (IndexedDB) and device (/api/notebooks) -------------------------
    async def names(self):
        try:
            names = [n["name"] for n in (await net.call("GET", "/api/notebooks"))["notebooks"]]
        except net.DeviceError:          # the device away: this browser's list
            names = []
        local = await self.t.ds.get("nb:names")
        for n in json.loads(local) if local else ():
            if n not in names:
                names.append(n)
        names.sort()
        self.B.update("notebook", names=names)
        return names

    async def load(self, name):
        local = await self.t.ds.get("nb:" + name)
        text = None
        if not (local and await self.t.ds.get("nb-dev:" + name) == "false"):
            try:
                text = await net.call("GET", "/api/notebooks/" + _quote(name), text=True)
            except net.DeviceError:
                text = None
        if text is None:                     # (or this browser saved a newer one, too large)
            text = local
            if not text:
                raise ValueError("no notebook %r here or on the device" % name)
        _, cells = ipynb.loads(text, name)
        if local and text is not local:      # outputs the device did not keep, from here
            try:
                ipynb.restore(cells, ipynb.loads(local, name)[1])
            except ValueError:
                pass
        self.queue, self.running = [], None
        self.B.update("notebook", name=name, cells=cells, counter=0)
        self._structure()
        self._dirty_at = None
        window.localStorage.setItem(LAST_KEY, name)

    async def save(self, a=None):
        self.sync()
        name = self.st["name"]
        if not name:
            return
        saved = [_saved(c) for c in self.st["cells"]]
        text = ipynb.dumps(name, saved)
        await self.t.ds.put("nb:" + name, text)
        names = self.st["names"]
        if name not in names:
            names.append(name)
            names.sort()
        await self.t.ds.put("nb:names", json.dumps(names))
        with open(EXPORT, "w") as f:
            f.write(text)
        self._dirty_at = None
        dev, cut, cut_bytes = ipynb.device_copy(name, saved, MAX_NOTEBOOK_BYTES,
                                                NOTEBOOK_OUTPUT_BYTES)
        if dev is None:                  # even without outputs
            await self.t.ds.put("nb-dev:" + name, "false")
            least = ipynb.device_copy(name, saved, 1 << 30, 0)[0]
            self.B.update("notebook", saved_device=False, saved=(
                "saved in this browser only: its code and text take %d KB, the device keeps "
                "notebooks of up to %d KB" % (_kb(len(least.encode())),
                                              MAX_NOTEBOOK_BYTES // 1024)))
            return
        with open(DEVICE, "w") as f:
            f.write(dev)
        try:                             # (a refused token also brings the token box back)
            await net.send("PUT", "/api/notebooks/" + _quote(name), DEVICE, "application/json")
            why = None
        except net.DeviceError as e:
            why = str(e)
        await self.t.ds.put("nb-dev:" + name, json.dumps(why is None))
        if why is None:
            self.B.update("notebook", saved_device=True, saved=(
                "saved in this browser and on the device" + (
                    "" if not cut else " (the outputs of %d cell%s, %d KB, only in this "
                    "browser: the device keeps %d KB of outputs per notebook)" % (
                        cut, "" if cut == 1 else "s", _kb(cut_bytes),
                        NOTEBOOK_OUTPUT_BYTES // 1024))))
        else:
            self.B.update("notebook", saved_device=False, saved=(
                "saved in this browser only: the device refused it (%s)" % why))
        self.B.touch("notebook")

    async def open(self, a=None):
        """First opening of the step: the list, the last notebook (or the starter)."""
        if self.st["name"] is None:
            names = await self.names()
            last = window.localStorage.getItem(LAST_KEY)
            if last in names:
                await self.load(last)
            elif names:
                await self.load(names[0])
            else:
                await self.create({"name": STARTER_NAME, "starter": True})
        if self.st["kernel"] == "off":
            self.start_kernel()

    async def create(self, a):
        name = (a.get("name") or "").strip()
        from shared.limits import notebook_name_error     # (one rule with the device)
        why = notebook_name_error(name)
        if why:
            raise ValueError(why)
        if name in self.st["names"]:
            raise ValueError("there is a notebook %r already" % name)
        cells = []
        self.B.update("notebook", name=name, cells=cells, counter=0)
        if a.get("starter"):
            for kind, src in STARTER:
                self.new_cell(kind, source=src)
        else:
            self.new_cell("code")
        await self.save()
        window.localStorage.setItem(LAST_KEY, name)

    async def switch(self, a):
        await self.save()
        await self.load(a.get("name") or a.get("value"))

    async def remove(self, a):
        name = self.st["name"]
        try:
            await net.call("DELETE", "/api/notebooks/" + _quote(name))
        except net.DeviceError as e:
            if e.status != 404:          # (404: it was only in this browser)
                raise
        await self.t.ds.del_("nb:" + name)
        await self.t.ds.del_("nb-dev:" + name)
        names = [n for n in self.st["names"] if n != name]
        await self.t.ds.put("nb:names", json.dumps(names))
        self.B.update("notebook", names=names, name=None)
        await self.open()

    async def export(self, a):
        await self.save()
        self.t.saveFile(EXPORT, "%s.ipynb" % self.st["name"], "application/x-ipynb+json")
        return {"path": EXPORT, "name": self.st["name"]}

    async def import_file(self, a):
        with open(IMPORT) as f:
            text = f.read()
        base = (a.get("name") or "imported").rsplit(".", 1)[0]
        name, cells = ipynb.loads(text, base)
        if name in self.st["names"]:
            name = "%s %d" % (name, len(self.st["names"]) + 1)
        await self.save()
        self.B.update("notebook", name=name, cells=cells, counter=0)
        self._structure()
        await self.save()
        self.B.update("notebook", notice="imported %s (%d cells)" % (name, len(cells)))

    async def autosave(self):
        while True:
            await asyncio.sleep(1)
            try:
                self.sync()
                if self._dirty_at is not None and window.Date.now() - self._dirty_at > \
                        SAVE_S * 1000 and self.running is None:
                    await self.save()
                    self.B.flush()
            except Exception as e:      # saving never stops the notebook
                print("notebook autosave: %s" % e)


def _saved(c):
    """A cell as saved: without the page's own flags."""
    return dict((k, v) for k, v in c.items() if k not in ("running", "edit"))


def _kb(n):
    return (n + 1023) // 1024


def _quote(s):
    return s.replace("%", "%25").replace(" ", "%20")


_ONE = []


async def install(B, view):
    """Once, when the Notebook step is first opened."""
    if _ONE:
        await _ONE[0].open()
        return
    nb = Notebooks(B, view)
    _ONE.append(nb)
    from app import view_notebook
    view_notebook.install(B, view, nb)
    for name, fn, lock in (("run", nb.run, None), ("stop", nb.stop, None), ("add", nb.add, None),
                           ("delete", nb.delete, None), ("move", nb.move, None),
                           ("edit", nb.edit, None), ("save", nb.save, "nb"),
                           ("new", nb.create, "nb"), ("switch", nb.switch, "nb"),
                           ("remove", nb.remove, "nb"), ("export", nb.export, "nb"),
                           ("import", nb.import_file, "nb")):
        B.action("notebook." + name, part="notebook", lock=lock)(fn)
    asyncio.create_task(nb.autosave())
    await nb.open()
