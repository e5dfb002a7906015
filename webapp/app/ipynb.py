# Notebooks as Jupyter files (.ipynb, nbformat 4.5) and back: the page's cells {"id", "type"
# ("code" | "markdown"), "source", "count", "outputs"} with outputs {"kind": "text" | "result"
# | "error" | "html" | "plot", ...}; a notebook exported, imported and exported again is the
# same document. Plots travel as plotly JSON (application/vnd.plotly.v1+json), which Jupyter
# with plotly shows. The device's copy (device_copy) keeps every source and the outputs that
# fit a budget; the others stay in the browser that ran them (restore). Pure data handling,
# tested on CPython with nbformat.validate. Memory: one notebook's dicts.
import json

NBFORMAT, MINOR = 4, 5
PLOTLY = "application/vnd.plotly.v1+json"
KERNELSPEC = {"name": "motebook", "display_name": "MicroPython (motebook page)",
              "language": "python"}


def new_id(cells=()):
    """A cell id (nbformat 4.5: 1..64 of [a-zA-Z0-9-_]) not used by cells."""
    used = set(c["id"] for c in cells)
    n = len(used) + 1
    while "c%d" % n in used:
        n += 1
    return "c%d" % n


def _output(o, count):
    k = o["kind"]
    if k == "text":
        return {"output_type": "stream", "name": o.get("stream") or "stdout", "text": o["text"]}
    if k == "result":
        return {"output_type": "execute_result", "execution_count": count,
                "data": {"text/plain": o["text"]}, "metadata": {}}
    if k == "error":
        last = o["text"].rstrip().split("\n")[-1]
        name, _, value = last.partition(": ")
        return {"output_type": "error", "ename": name or "Error", "evalue": value,
                "traceback": o["text"].split("\n")}
    if k == "html":
        return {"output_type": "display_data", "data": {"text/html": o["html"]}, "metadata": {}}
    if k == "plot":
        return {"output_type": "display_data", "metadata": {},
                "data": {PLOTLY: o["fig"], "text/plain": "<plotly figure>"}}
    raise ValueError("unknown output kind %r" % k)


def to_ipynb(name, cells):
    """The nbformat 4.5 document (a dict) of a notebook."""
    out = []
    for c in cells:
        if c["type"] == "code":
            meta = {"motebook": {"trimmed": c["trimmed"]}} if c.get("trimmed") else {}
            out.append({"cell_type": "code", "id": c["id"], "metadata": meta,
                        "source": c["source"], "execution_count": c.get("count"),
                        "outputs": [_output(o, c.get("count")) for o in c.get("outputs") or ()]})
        else:
            out.append({"cell_type": "markdown", "id": c["id"], "metadata": {},
                        "source": c["source"]})
    return {"cells": out, "nbformat": NBFORMAT, "nbformat_minor": MINOR,
            "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"},
                         "motebook": {"name": name}}}


def dumps(name, cells):
    return json.dumps(to_ipynb(name, cells))


def _text(v):
    return "".join(v) if isinstance(v, list) else (v or "")


def _cell_output(o):
    t = o.get("output_type")
    if t == "stream":
        out = {"kind": "text", "text": _text(o.get("text"))}
        if o.get("name") and o["name"] != "stdout":
            out["stream"] = o["name"]
        return out
    if t == "error":
        return {"kind": "error", "text": "\n".join(o.get("traceback") or [
            "%s: %s" % (o.get("ename"), o.get("evalue"))])}
    data = o.get("data") or {}
    if PLOTLY in data:
        return {"kind": "plot", "fig": data[PLOTLY]}
    if "text/html" in data:
        return {"kind": "html", "html": _text(data["text/html"])}
    if t == "execute_result":
        return {"kind": "result", "text": _text(data.get("text/plain"))}
    return {"kind": "text", "text": _text(data.get("text/plain"))}


def loads(text, fallback_name="imported"):
    """(name, cells) of an .ipynb (nbformat 4) text; raises ValueError saying what is wrong."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise ValueError("not a notebook: the file is not JSON")
    if not isinstance(doc, dict) or doc.get("nbformat") != NBFORMAT or \
            not isinstance(doc.get("cells"), list):
        raise ValueError("not a notebook: an .ipynb of nbformat 4 has \"cells\" and "
                         "\"nbformat\": 4")
    cells = []
    for i, c in enumerate(doc["cells"]):
        if not isinstance(c, dict) or "source" not in c:
            raise ValueError("cell %d: not a notebook cell" % (i + 1))
        kind = "code" if c.get("cell_type") == "code" else "markdown"
        cid = c.get("id")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 64 or \
                [ch for ch in cid if not (ch.isalpha() or ch.isdigit() or ch in "-_")] or \
                cid in [x["id"] for x in cells]:
            cid = new_id(cells)
        cell = {"id": cid, "type": kind, "source": _text(c["source"])}
        if kind == "code":
            cell["count"] = c.get("execution_count")
            cell["outputs"] = [_cell_output(o) for o in c.get("outputs") or ()
                               if isinstance(o, dict)]
            trimmed = ((c.get("metadata") or {}).get("motebook") or {}).get("trimmed")
            if isinstance(trimmed, int) and trimmed > 0:
                cell["trimmed"] = trimmed
        cells.append(cell)
    meta = doc.get("metadata") or {}
    name = (meta.get("motebook") or {}).get("name") or fallback_name
    return name, cells


def _size(obj):
    return len(json.dumps(obj).encode())


def device_copy(name, cells, max_bytes, max_outputs):
    """(text, trimmed cells, their output bytes) of the notebook as the device keeps it:
    every source, and the outputs of as many cells as fit max_outputs bytes in all (smallest
    first); a cell whose outputs do not fit shows a line saying where they are and is marked
    "trimmed" (its outputs' bytes). text is None when the notebook still passes max_bytes."""
    sizes = sorted((_size(c["outputs"]), k) for k, c in enumerate(cells)
                   if c["type"] == "code" and c.get("outputs") and not c.get("trimmed"))
    used, cut = 0, {}
    for n, k in sizes:
        if used + n <= max_outputs:
            used += n
        else:
            cut[k] = n
    out = []
    for k, c in enumerate(cells):
        if k in cut:
            c = dict(c)
            c["trimmed"] = cut[k]
            c["outputs"] = [{"kind": "text", "text": TRIMMED % ((cut[k] + 1023) // 1024)}]
        out.append(c)
    text = dumps(name, out)
    return (text if len(text.encode()) <= max_bytes else None), len(cut), sum(cut.values())


TRIMMED = ("(outputs of %d KB kept in the browser that ran this cell, not on the device: "
           "run the cell to see them here)\n")


def restore(cells, kept):
    """Gives the trimmed cells of a device copy their outputs back from kept (this browser's
    copy of the same notebook), where the cell's source is still the same."""
    by_id = dict((c["id"], c) for c in kept)
    for c in cells:
        k = by_id.get(c["id"])
        if c.get("trimmed") and k is not None and k["source"] == c["source"] and \
                not k.get("trimmed"):
            c["outputs"], c["count"] = k.get("outputs") or [], k.get("count")
            del c["trimmed"]
    return cells
