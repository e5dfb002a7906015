"""Test stand-ins shared by the page's tests (CPython): glue.js's IndexedDB cache (mb.ds:
get/put/del_/keys over a dict), and the pyscript/jsffi modules a view module imports."""
import json
import sys
import types


def view_stand_ins():
    """pyscript and jsffi with window, document and create_proxy, so view modules import on
    CPython; what another test's stand-in already has is kept."""
    for name in ("pyscript", "jsffi"):
        m = sys.modules.setdefault(name, types.ModuleType(name))
        for attr, value in (("window", types.SimpleNamespace()),
                            ("document", types.SimpleNamespace()),
                            ("create_proxy", lambda f: f)):
            if not hasattr(m, attr):
                setattr(m, attr, value)


class FakeCache:
    """mb.ds: the IndexedDB cache the page keeps sessions' windows and notebooks in."""

    def __init__(self):
        self.db = {}

    async def get(self, k):
        return self.db.get(k)

    async def put(self, k, v):
        self.db[k] = v

    async def del_(self, k):
        self.db.pop(k, None)

    async def keys(self):
        return json.dumps(list(self.db))
