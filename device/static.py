# Static web app from the www folder, served per its manifest.json (built by
# scripts/build_www.py): Content-Type, Content-Encoding gzip, ETag, Cache-Control, 304.
# Memory: the manifest dict stays loaded; files are streamed in 4096-byte chunks.
import json
import os

from microdot import Response

Response.send_file_buffer_size = 4096


class Static:
    def __init__(self, www):
        self.www = www
        self.manifest = {}
        self.problem = None
        try:
            with open(www + "/manifest.json") as f:
                m = json.load(f)
            if not isinstance(m, dict):
                raise ValueError("manifest.json must be an object")
            self.manifest = m
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
        if not isinstance(e, dict) or "file" not in e:
            return None
        etag = '"%s"' % str(e.get("etag", "")).strip('"')
        headers = {"ETag": etag, "Cache-Control": e.get("cache", "no-cache")}
        inm = request.headers.get("If-None-Match")
        if inm and (inm.strip() == "*" or etag in [t.strip().replace("W/", "", 1)
                                                   for t in inm.split(",")]):
            return Response(b"", 304, headers)
        fname = self.www + "/" + e["file"]
        try:
            size = os.stat(fname)[6]
            f = None if request.method == "HEAD" else open(fname, "rb")
        except OSError:
            return None
        headers["Content-Type"] = e.get("type", "application/octet-stream")
        headers["Content-Length"] = str(size)
        if e.get("gzip"):
            headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
        return Response(f if f is not None else b"", 200, headers)
