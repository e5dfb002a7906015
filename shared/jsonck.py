# Strict JSON: check() accepts exactly one complete RFC 8259 document (UTF-8) and nothing
# else, the same on every runtime (MicroPython's json.loads takes "{" as {} and a cut
# '{"rate": 200' as complete). Memory: an iterative scan of the caller's bytes in place, with
# a max_depth-byte stack of open brackets; no recursion, no copy (a str is encoded once).
try:
    import ujson as json
except ImportError:
    import json

MAX_DEPTH = 16        # nesting of [ and {: device bodies and messages need 3
MAX_NUMBER = 40       # characters of one number (-1.7976931348623157e+308 has 24)
_ESCAPES = b'"\\/bfnrtu'
_HEX = b"0123456789abcdefABCDEF"


class JSONError(ValueError):
    pass


def loads(data, max_depth=MAX_DEPTH):
    """json.loads of data (str, bytes or bytearray) once check() has accepted it."""
    check(data, max_depth)
    return json.loads(data)


def check(data, max_depth=MAX_DEPTH, start=0):
    """Raise JSONError (a ValueError) naming the first problem and its byte offset unless
    data (from byte start on) is one complete JSON document nested at most max_depth deep."""
    b = data.encode() if isinstance(data, str) else data
    n = len(b)
    stack = bytearray(max_depth)   # the open '{' (123) or '[' (91), innermost last
    d = 0
    i = _ws(b, start, n)
    while True:
        # a value starts at i
        if i >= n:
            raise _cut(d)
        c = b[i]
        if c == 123 or c == 91:
            if d == max_depth:
                raise JSONError("nested deeper than %d levels (byte %d)" % (max_depth, i))
            stack[d] = c
            d += 1
            i = _ws(b, i + 1, n)
            if i < n and b[i] == c + 2:     # '}' is '{' + 2, ']' is '[' + 2: empty
                d -= 1
                i += 1
            elif c == 123:
                i = _key(b, i, n, d)
                continue
            else:
                continue
        elif c == 34:
            i = _string(b, i, n)
        elif c == 45 or 48 <= c <= 57:
            i = _number(b, i, n)
        elif c == 116:
            i = _word(b, i, n, b"true")
        elif c == 102:
            i = _word(b, i, n, b"false")
        elif c == 110:
            i = _word(b, i, n, b"null")
        else:
            raise _unexpected(b, i, "a value")
        # after a value: close brackets, or a comma and the next value
        while True:
            i = _ws(b, i, n)
            if d == 0:
                if i != n:
                    raise _unexpected(b, i, "the end after one document")
                return
            if i >= n:
                raise _cut(d)
            c = b[i]
            top = stack[d - 1]
            if c == 44:
                i = _ws(b, i + 1, n)
                if top == 123:
                    i = _key(b, i, n, d)
                break
            if c != top + 2:
                raise _unexpected(b, i, "',' or '%s'" % ("}" if top == 123 else "]"))
            d -= 1
            i += 1


def _cut(d):
    return JSONError("the document is cut off (%d bracket%s still open)"
                     % (d, "" if d == 1 else "s") if d else "no JSON value")


def _unexpected(b, i, want):
    c = b[i]
    shown = chr(c) if 32 < c < 127 else "byte 0x%02x" % c
    return JSONError("expected %s at byte %d, found %s" % (want, i, shown))


def _ws(b, i, n):
    while i < n:
        c = b[i]
        if c != 32 and c != 10 and c != 13 and c != 9:
            return i
        i += 1
    return i


def _key(b, i, n, d):
    """A member name, its ':' and the whitespace up to the value."""
    if i >= n:
        raise _cut(d)
    if b[i] != 34:
        raise _unexpected(b, i, "a member name in double quotes")
    i = _ws(b, _string(b, i, n), n)
    if i >= n:
        raise _cut(d)
    if b[i] != 58:
        raise _unexpected(b, i, "':'")
    return _ws(b, i + 1, n)


def _string(b, i, n):
    s = i
    i += 1
    while i < n:
        c = b[i]
        if c == 34:
            return i + 1
        if c == 92:
            if i + 1 >= n:
                break
            e = b[i + 1]
            if e not in _ESCAPES:
                raise JSONError("bad escape in a string at byte %d" % i)
            if e == 117:
                if i + 6 > n:
                    break
                for k in range(i + 2, i + 6):
                    if b[k] not in _HEX:
                        raise JSONError("bad \\u escape in a string at byte %d" % i)
                i += 6
            else:
                i += 2
        elif c < 32:
            raise JSONError("control character in a string at byte %d" % i)
        elif c < 128:
            i += 1
        else:
            i = _utf8(b, i, n)
    raise JSONError("the document is cut off (in the string at byte %d)" % s)


def _utf8(b, i, n):
    """The index after the multi-byte UTF-8 character at i (RFC 3629: no overlong forms,
    no surrogates, nothing above U+10FFFF)."""
    c = b[i]
    lo, hi = 0x80, 0xBF
    if 0xC2 <= c <= 0xDF:
        k = 1
    elif 0xE0 <= c <= 0xEF:
        k = 2
        if c == 0xE0:
            lo = 0xA0
        elif c == 0xED:
            hi = 0x9F
    elif 0xF0 <= c <= 0xF4:
        k = 3
        if c == 0xF0:
            lo = 0x90
        elif c == 0xF4:
            hi = 0x8F
    else:
        raise JSONError("invalid UTF-8 at byte %d" % i)
    if i + k >= n:
        raise JSONError("the document is cut off (in the UTF-8 character at byte %d)" % i)
    x = b[i + 1]
    if not lo <= x <= hi:
        raise JSONError("invalid UTF-8 at byte %d" % i)
    for j in range(i + 2, i + k + 1):
        if not 0x80 <= b[j] <= 0xBF:
            raise JSONError("invalid UTF-8 at byte %d" % i)
    return i + k + 1


def _number(b, i, n):
    s = i
    if b[i] == 45:
        i += 1
    if i < n and b[i] == 48:
        i += 1
    else:
        i = _digits(b, i, n, s)
    if i < n and b[i] == 46:
        i = _digits(b, i + 1, n, s)
    if i < n and (b[i] == 101 or b[i] == 69):
        i += 1
        if i < n and (b[i] == 43 or b[i] == 45):
            i += 1
        i = _digits(b, i, n, s)
    if i - s > MAX_NUMBER:
        raise JSONError("number at byte %d is longer than %d characters" % (s, MAX_NUMBER))
    return i


def _digits(b, i, n, s):
    j = i
    while j < n and 48 <= b[j] <= 57:
        j += 1
    if j == i:
        if j >= n:
            raise JSONError("the document is cut off (in the number at byte %d)" % s)
        raise _unexpected(b, j, "a digit in the number at byte %d" % s)
    return j


def _word(b, i, n, w):
    k = len(w)
    if b[i:i + k] != w:
        if i + k > n and b[i:n] == w[:n - i]:
            raise JSONError("the document is cut off (in '%s' at byte %d)" % (w.decode(), i))
        raise _unexpected(b, i, "a value")
    return i + k
