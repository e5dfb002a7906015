# Static web app from the www folder per its manifest.json: Content-Type, gzip, ETag,
# Cache-Control, 304. Memory: the manifest stays on flash (8 bytes of RAM per entry: a hash
# of its URL and the offset of its line; one line is read per request); files streamed with
# readinto through a pool of 2 preallocated 1 KB buffers, which bounds concurrent sends
# (1 KB like Microdot's send_file and the session downloads: 4 KB ones cost 6 KB more at
# rest; the page's 103 files, 847 KB, take 0.09-0.10 s on the simulator, 0.07-0.08 s with
# 4 KB: more writes of less each, the bytes the same).
import asyncio
import json
import os
from array import array

from microdot import Response

CHUNK = 1024
POOL = 2            # files streamed at the same time; further requests wait for a buffer
_WAIT_MS = 3000     # a buffer never returned (connection died oddly): stop waiting for it
_MASK = 0xFFFFFF    # URL hashes kept as small ints (collisions are checked against the file)


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


def _key(line):
    # '"/url": {...},' -> "/url" (build_www writes one entry per line; URLs need no escapes)
    if line[:2] != b'"/':
        return None
    end = line.find(b'"', 1)
    return line[1:end].decode() if end > 0 and line[end + 1:end + 3] == b": " else None


class Static:
    def __init__(self, www):
        self.www = www
        self.pool = _Pool(POOL, CHUNK)
        self.problem = None
        # the manifest stays on flash: RAM holds a hash and a byte offset per entry
        self._hash = array("I")
        self._at = array("I")
        try:
            with open(www + "/manifest.json", "rb") as f:
                while True:
                    at = f.tell()
                    line = f.readline()
                    if not line:
                        break
                    url = _key(line)
                    if url is not None:
                        self._hash.append(hash(url) & _MASK)
                        self._at.append(at)
            if not self._at:
                self.problem = ("broken %s/manifest.json: no entries (one '\"/url\": {...}' "
                                "per line, as scripts/build_www.py writes it)" % www)
        except OSError:
            self.problem = "no web app on the device (%s/manifest.json missing)" % www
        if self.problem:
            print("motebook:", self.problem)

    def _entry(self, path):
        """(file, type, quoted etag, gzip, cache) of url path from the manifest, or None."""
        h = hash(path) & _MASK
        hs = self._hash
        for i in range(len(hs)):
            if hs[i] != h:
                continue
            try:
                with open(self.www + "/manifest.json", "rb") as f:
                    f.seek(self._at[i])
                    line = f.readline()
            except OSError:
                return None
            if _key(line) != path:
                continue   # another URL with the same hash
            try:
                e = json.loads(line[line.find(b": ") + 2:].rstrip().rstrip(b","))
                return (e["file"], e.get("type", "application/octet-stream"),
                        '"%s"' % str(e.get("etag", "")).strip('"'), bool(e.get("gzip")),
                        e.get("cache", "no-cache"))
            except (ValueError, KeyError, TypeError):
                return None
        return None

    def response(self, request, path):
        """A Response for url path, or None when the manifest has no such entry."""
        if path == "/":
            path = "/index.html"
        e = self._entry(path)
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
