# motebook: minimal pathlib for the browser build (micropython-lib is not available here).
# PyScript 0.7.31 bootstraps its own package with Path(p).write_text(...) and
# Path(p).mkdir(parents=True, exist_ok=True); this covers that and a little more.
import os


def _join(a, b):
    if b.startswith("/") or not a:
        return b
    return a.rstrip("/") + "/" + b if a != "/" else "/" + b


class Path:
    def __init__(self, *parts):
        p = ""
        for part in parts:
            p = _join(p, str(part))
        self._p = p or "."

    def __str__(self):
        return self._p

    def __repr__(self):
        return "Path(%r)" % self._p

    def __fspath__(self):
        return self._p

    def __eq__(self, other):
        return isinstance(other, Path) and self._p == other._p

    def __hash__(self):
        return hash(self._p)

    def __truediv__(self, other):
        return Path(self._p, other)

    @property
    def name(self):
        return self._p.rstrip("/").split("/")[-1]

    @property
    def stem(self):
        n = self.name
        i = n.rfind(".")
        return n[:i] if i > 0 else n

    @property
    def suffix(self):
        n = self.name
        i = n.rfind(".")
        return n[i:] if i > 0 else ""

    @property
    def parent(self):
        p = self._p.rstrip("/")
        i = p.rfind("/")
        if i < 0:
            return Path(".")
        return Path(p[:i] or "/")

    def _stat(self):
        try:
            return os.stat(self._p)
        except OSError:
            return None

    def exists(self):
        return self._stat() is not None

    def is_dir(self):
        s = self._stat()
        return s is not None and s[0] & 0x4000 != 0

    def is_file(self):
        s = self._stat()
        return s is not None and s[0] & 0x8000 != 0

    def mkdir(self, parents=False, exist_ok=False):
        if self.is_dir():
            if exist_ok:
                return
            raise OSError(17)  # EEXIST
        if parents and not self.parent.exists():
            self.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(self._p)

    def iterdir(self):
        for name in os.listdir(self._p):
            yield self / name

    def unlink(self):
        os.remove(self._p)

    def rmdir(self):
        os.rmdir(self._p)

    def open(self, mode="r", encoding=None):
        return open(self._p, mode)

    def read_text(self, encoding=None):
        with open(self._p) as f:
            return f.read()

    def write_text(self, data, encoding=None):
        with open(self._p, "w") as f:
            return f.write(data)

    def read_bytes(self):
        with open(self._p, "rb") as f:
            return f.read()

    def write_bytes(self, data):
        with open(self._p, "wb") as f:
            return f.write(data)
