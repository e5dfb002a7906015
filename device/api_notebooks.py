# /api/notebooks: the page's named notebooks (.ipynb JSON text, opaque to the device) kept on
# flash, so another browser opens the same notebook. GET lists them and serves one; PUT (token)
# streams a body of at most MAX_BYTES into a temp file renamed over the old one (a cut upload
# leaves the old file), within BUDGET bytes for all of them (507 past it); DELETE (token).
# Memory: one 512-byte read buffer per upload; files are streamed, never held.
import os

import board
import httpd as H
from httpd import err
from shared.limits import MAX_NOTEBOOK_BYTES as MAX_BYTES, MAX_NOTEBOOKS
from shared.limits import NOTEBOOK_BUDGET as BUDGET, notebook_name_error as name_error

PREFIX = "/api/notebooks"


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def install(app, dev):
    root = board.DATA + "/notebooks"
    try:
        os.mkdir(root)
    except OSError:
        pass

    def path(name):
        return "%s/%s.ipynb" % (root, name)

    def listing():
        out = []
        for e in os.ilistdir(root):
            if e[0].endswith(".ipynb"):
                out.append({"name": e[0][:-6], "bytes": _size(root + "/" + e[0])})
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

    @app.get(PREFIX)
    def list_notebooks(request):
        nbs = listing()
        return {"notebooks": nbs, "used": sum(n["bytes"] for n in nbs), "budget": BUDGET,
                "max_bytes": MAX_BYTES}

    @app.get(PREFIX + "/<name>")
    def get_notebook(request, name):
        from microdot import Response
        name = unquote(name)
        why = name_error(name)
        if why:
            return err(400, why)
        if _size(path(name)) < 0:
            return err(404, "no notebook %r" % name)
        return Response.send_file(path(name), content_type="application/json")

    @app.put(PREFIX + "/<name>")
    @app.own_body
    @app.guard
    async def put_notebook(request, name):
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

    @app.delete(PREFIX + "/<name>")
    @app.guard
    def delete_notebook(request, name):
        name = unquote(name)
        if name_error(name) or _size(path(name)) < 0:
            return err(404, "no notebook %r" % name)
        os.remove(path(name))
        return {"deleted": name}

    app.allow_big_body("PUT", PREFIX + "/", MAX_BYTES)


def _remove(p):
    try:
        os.remove(p)
    except OSError:
        pass
