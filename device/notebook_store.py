# The work of /api/notebooks (device/api_notebooks.py: the routes, loaded at boot): listing,
# serving, storing and deleting the page's notebooks under <data>/notebooks. Imported for a
# request and dropped after (model_store.forget): nothing of it stays on the heap at rest.
# Memory: one 512-byte read buffer per upload; files are streamed, never held.
import os

import board
import httpd as H
from httpd import err
from shared.limits import MAX_NOTEBOOK_BYTES as MAX_BYTES, MAX_NOTEBOOKS
from shared.limits import NOTEBOOK_BUDGET as BUDGET, notebook_name_error as name_error

ROOT = board.DATA + "/notebooks"


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _remove(p):
    try:
        os.remove(p)
    except OSError:
        pass


def path(name):
    return "%s/%s.ipynb" % (ROOT, name)


def listing():
    out = []
    for e in os.ilistdir(ROOT):
        if e[0].endswith(".ipynb"):
            out.append({"name": e[0][:-6], "bytes": _size(ROOT + "/" + e[0])})
    out.sort(key=lambda n: n["name"])
    return out


def unquote(s):
    out, i = bytearray(), 0
    b = s.encode()
    while i < len(b):
        if b[i] == 37 and i + 2 < len(b):   # %XX
            try:
                out.append(int(b[i + 1:i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(b[i])
        i += 1
    return out.decode()


def list_all():
    nbs = listing()
    return {"notebooks": nbs, "used": sum(n["bytes"] for n in nbs), "budget": BUDGET,
            "max_bytes": MAX_BYTES}


def get(name):
    from microdot import Response
    name = unquote(name)
    why = name_error(name)
    if why:
        return err(400, why)
    if _size(path(name)) < 0:
        return err(404, "no notebook %r" % name)
    return Response.send_file(path(name), content_type="application/json")


async def put(request, name):
    n = request.content_length
    name = unquote(name)
    denied = None
    why = name_error(name)
    if why:
        denied = err(400, why)
    elif n <= 0:
        denied = err(411, "send the notebook as the body, with a Content-Length")
    elif n > MAX_BYTES:
        denied = err(413, "notebook too large (%d bytes; limit %d)" % (n, MAX_BYTES))
    else:
        nbs = listing()
        old = _size(path(name))
        if old < 0 and len(nbs) >= MAX_NOTEBOOKS:
            denied = err(507, "too many notebooks (max %d): delete some" % MAX_NOTEBOOKS)
        elif sum(x["bytes"] for x in nbs) - max(0, old) + n > BUDGET:
            denied = err(507, "notebook storage full (%d of %d bytes): delete some "
                         "notebooks" % (sum(x["bytes"] for x in nbs), BUDGET))
    if denied:
        await H.drain(request.stream, n)
        return denied
    tmp = path(name) + ".tmp"
    left = n
    buf = bytearray(512)
    mv = memoryview(buf)
    first = None
    try:
        with open(tmp, "wb") as f:
            while left > 0:
                k = min(left, 512)
                await H.read_exactly(request.stream, mv[:k])
                if first is None:
                    first = bytes(mv[:1])
                f.write(mv[:k])
                left -= k
        if first != b"{":
            raise ValueError("a notebook is a JSON object (.ipynb)")
        os.rename(tmp, path(name))
    except ValueError as e:
        _remove(tmp)
        return err(400, str(e))
    except OSError as e:
        _remove(tmp)
        if left:
            await H.drain(request.stream, left)
            return err(400, "upload cut off after %d of %d bytes" % (n - left, n))
        return err(507, "could not store the notebook: %s" % e)
    except Exception:     # cut off (EOFError) or stalled (timeout)
        _remove(tmp)
        return err(400, "upload cut off after %d of %d bytes" % (n - left, n))
    return {"name": name, "bytes": n}


def delete(name):
    name = unquote(name)
    if name_error(name) or _size(path(name)) < 0:
        return err(404, "no notebook %r" % name)
    os.remove(path(name))
    return {"deleted": name}
