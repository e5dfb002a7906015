# Static web app from the www folder per its manifest.json: Content-Type, gzip, ETag,
# Cache-Control, 304. Memory: manifest kept as compact tuples; files streamed with readinto
# through a pool of 2 preallocated 4 KB buffers, which bounds concurrent sends.
import asyncio
import json
import os

from microdot import Response

CHUNK = 4096
POOL = 2            # files streamed at the same time; further requests wait for a buffer
_WAIT_MS = 3000     # a buffer never returned (connection died oddly): stop waiting for it


class _Pool:
    def __init__(self, n, size):
        self._mine = [bytearray(size) for _ in range(n)]
        self.free = list(self._mine)
        self._ev = asyncio.Event()
        self._size = size

    async def get(self):
        while not self.free:
            self._ev.clear()
            try:
                await asyncio.wait_for_ms(self._ev.wait(), _WAIT_MS)
            except asyncio.TimeoutError:
                return bytearray(self._size)   # rare: degrade to an allocation
        return self.free.pop()

    def put(self, buf):
        for b in self._mine:
            if b is buf:
                self.free.append(buf)
                self._ev.set()
                return


class _FileBody:
    """Async iterator Microdot streams: yields memoryview chunks of one pooled buffer."""

    def __init__(self, f, pool):
        self._f = f
        self._pool = pool
        self._buf = None
        self._mv = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._f is None:
            raise StopAsyncIteration
        if self._buf is None:
            self._buf = await self._pool.get()
            self._mv = memoryview(self._buf)
        n = self._f.readinto(self._buf)
        if not n:
            await self.aclose()
            raise StopAsyncIteration
        return self._mv[:n]

    async def aclose(self):
        if self._f is not None:
            self._f.close()
            self._f = None
        if self._buf is not None:
            self._mv = None
            self._pool.put(self._buf)
            self._buf = None


def _compact(m):
    """url -> (file, type, quoted etag, gzip, cache) tuples with shared strings: a fraction
    of the memory of the parsed JSON dicts."""
    seen = {}

    def share(v):
        return seen.setdefault(v, v)
    out = {}
    for url, e in m.items():
        if isinstance(e, dict) and isinstance(e.get("file"), str):
            out[url] = (e["file"], share(e.get("type", "application/octet-stream")),
                        '"%s"' % str(e.get("etag", "")).strip('"'), bool(e.get("gzip")),
                        share(e.get("cache", "no-cache")))
    return out


class Static:
    def __init__(self, www):
        self.www = www
        self.pool = _Pool(POOL, CHUNK)
        self.manifest = {}
        self.problem = None
        try:
            with open(www + "/manifest.json") as f:
                m = json.load(f)
            if not isinstance(m, dict):
                raise ValueError("manifest.json must be an object")
            self.manifest = _compact(m)
            m = None
        except OSError:
            self.problem = "no web app on the device (%s/manifest.json missing)" % www
        except ValueError as e:
            self.problem = "broken %s/manifest.json: %s" % (www, e)
        if self.problem:
            print("motebook:", self.problem)

    def response(self, request, path):
        """A Response for url path, or None when the manifest has no such entry."""
        if path == "/":
            path = "/index.html"
        e = self.manifest.get(path)
        if e is None:
            return None
        fname, ctype, etag, gz, cache = e
        headers = {"ETag": etag, "Cache-Control": cache}
        inm = request.headers.get("If-None-Match")
        if inm and (inm.strip() == "*" or etag in [t.strip().replace("W/", "", 1)
                                                   for t in inm.split(",")]):
            return Response(b"", 304, headers)
        fname = self.www + "/" + fname
        try:
            size = os.stat(fname)[6]
            f = None if request.method == "HEAD" else open(fname, "rb")
        except OSError:
            return None
        headers["Content-Type"] = ctype
        headers["Content-Length"] = str(size)
        if gz:
            headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
        return Response(_FileBody(f, self.pool) if f is not None else b"", 200, headers)
