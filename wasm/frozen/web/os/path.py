# motebook: minimal os.path for the browser build (POSIX paths, as in the emscripten FS).
import uos

sep = "/"


def exists(p):
    try:
        uos.stat(p)
        return True
    except OSError:
        return False


def isdir(p):
    try:
        return uos.stat(p)[0] & 0x4000 != 0
    except OSError:
        return False


def isfile(p):
    try:
        return uos.stat(p)[0] & 0x8000 != 0
    except OSError:
        return False


def join(a, *parts):
    for b in parts:
        if b.startswith("/") or not a:
            a = b
        elif a.endswith("/"):
            a = a + b
        else:
            a = a + "/" + b
    return a


def split(p):
    i = p.rfind("/") + 1
    head, tail = p[:i], p[i:]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head, tail


def dirname(p):
    return split(p)[0]


def basename(p):
    return split(p)[1]


def abspath(p):
    if not p.startswith("/"):
        p = join(uos.getcwd(), p)
    return p
