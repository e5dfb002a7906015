# /api/notebooks: the page's named notebooks (.ipynb JSON text, opaque to the device) kept on
# flash, so another browser opens the same notebook. GET lists them and serves one; PUT (token)
# streams a body of at most MAX_BYTES into a temp file renamed over the old one (a cut upload
# leaves the old file), within BUDGET bytes for all of them (507 past it); DELETE (token).
# This module is the routes (loaded at boot); the work is device/notebook_store.py, imported
# for a request and dropped after (1.9 KB at rest before, 0.9 KB now). Memory: one 512-byte
# read buffer per upload; files are streamed, never held.
import os
import sys

import board
from model_store import forget
from shared.limits import MAX_NOTEBOOK_BYTES as MAX_BYTES

PREFIX = "/api/notebooks"
_MOD = "notebook_store"   # (not "notebooks": the data folder of that name would shadow it)


def _work():
    """notebooks (the work) and whether it is to be dropped after this request."""
    mine = _MOD not in sys.modules
    return __import__(_MOD), mine


def _call(fn, *args):
    mod, mine = _work()
    try:
        return getattr(mod, fn)(*args)
    finally:
        if mine:
            forget(_MOD)


def install(app, dev):
    try:
        os.mkdir(board.DATA + "/notebooks")
    except OSError:
        pass

    @app.get(PREFIX)
    def list_notebooks(request):
        return _call("list_all")

    @app.get(PREFIX + "/<name>")
    def get_notebook(request, name):
        return _call("get", name)

    @app.put(PREFIX + "/<name>")
    @app.own_body
    @app.guard
    async def put_notebook(request, name):
        mod, mine = _work()
        try:
            return await mod.put(request, name)
        finally:
            if mine:
                forget(_MOD)

    @app.delete(PREFIX + "/<name>")
    @app.guard
    def delete_notebook(request, name):
        return _call("delete", name)

    app.allow_big_body("PUT", PREFIX + "/", MAX_BYTES)
