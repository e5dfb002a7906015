# Route patterns of Microdot's syntax ("/api/sessions/<sid>/labels", "<int:n>", a final
# "<path:p>") matched by walking the path once, without `re`: MicroPython's regex engine
# recurses per character and runs out of stack on long paths (at ~900 characters on the
# unix port, far sooner in an ESP32 task). Memory: a short tuple of parts per route; a
# literal segment is its place in the pattern's own string (a small int, not a copy: the
# routes' 34 "api" and a dozen "sessions" would each be a string of their own).
_KINDS = ("string", "int", "path")


class Pattern:
    """Drop-in for microdot.URLPattern where routes are matched (server.App.route)."""

    def __init__(self, url_pattern):
        self.url_pattern = url_pattern
        # None for a literal path, else per segment: a literal one's start << 8 | end in
        # url_pattern, or (kind, name)
        self.parts = None
        if "<" not in url_pattern:
            return
        parts = []
        segs = url_pattern.lstrip("/").split("/")
        at = len(url_pattern) - len(url_pattern.lstrip("/"))
        for k, seg in enumerate(segs):
            end = at + len(seg)
            if seg[:1] != "<":
                if end > 255:
                    raise ValueError("URL pattern too long %r" % url_pattern)
                parts.append(at << 8 | end)
                at = end + 1
                continue
            at = end + 1
            name = seg[1:-1]
            kind = "string"
            if ":" in name:
                kind, name = name.split(":", 1)
            if seg[-1] != ">" or kind not in _KINDS or not name or (
                    kind == "path" and k != len(segs) - 1):
                raise ValueError("unsupported URL pattern %r" % url_pattern)
            parts.append((_KINDS[_KINDS.index(kind)], name))
        self.parts = tuple(parts)

    def match(self, path):
        """The dict of the pattern's arguments when path matches, else None."""
        if self.parts is None:
            return {} if path == self.url_pattern else None
        n = len(path)
        if not n or path[0] != "/":
            return None
        args = {}
        i = 1
        last = len(self.parts) - 1
        for k, p in enumerate(self.parts):
            if isinstance(p, int):
                a, b = p >> 8, p & 255
                j = i + b - a
                if j > n or not self.url_pattern.startswith(path[i:j], a):
                    return None
            else:
                kind, name = p
                j = n if kind == "path" else path.find("/", i)
                if j < 0:
                    j = n
                if j == i:
                    return None
                v = path[i:j]
                if kind == "int":
                    v = _int(v)
                    if v is None:
                        return None
                args[name] = v
            i = j
            if k < last:
                if i >= n or path[i] != "/":
                    return None
                i += 1
        return args if i == n else None

    def __repr__(self):
        return "Pattern(%r)" % self.url_pattern


def _int(s):
    d = s[1:] if s[:1] == "-" else s
    if not d or len(d) > 18 or not d.isdigit():
        return None
    return int(s)
