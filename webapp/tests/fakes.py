"""Test stand-ins shared by the page's tests (CPython): glue.js's IndexedDB cache (mb.ds:
get/put/del_/keys over a dict)."""
import json


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
