# HTTP limits of the device (every number in one place) and the helpers routes share: JSON
# error answers, the strict JSON body, reading a streamed body with a deadline per read and
# reading an unwanted one away. Memory: nothing kept between requests; a body is checked in
# place by shared.jsonck before json.loads builds the one parsed copy; streamed reads take at
# most READ_CHUNK bytes at a time.
import asyncio
import gc

from microdot import abort

from shared import jsonck

# Requests (device/server.py)
MAX_CONNS = 6              # HTTP connections served at once (WebSockets are counted by wshub)
EVICT_AFTER_MS = 500       # when all are taken, one still sending its request this long goes
BACKLOG = 5                # further connections wait in the listen queue
MAX_REQUEST_LINE = 512     # bytes: "GET /path?query HTTP/1.1"; longer -> 414
MAX_PATH = 255             # characters of the path; longer -> 414
MAX_HEADER_LINE = 1024     # bytes of one header line; longer -> 431
MAX_HEADERS = 32           # header lines; more -> 431
MAX_BODY = 16 * 1024       # bodies read into RAM (routes may stream larger ones)
MAX_JSON = 2048            # bodies read for a route (config, sim, sessions) unless it asks more
MAX_DRAIN = 1 << 20        # bytes of a too large body read away before its 413
MAX_STREAM = 4 << 20       # default limit of a route that streams its body (allow_big_body)
READ_CHUNK = 512           # bytes asked of a streamed body at a time
LINE_MS = 5000             # a new connection must send its request line within this
HEAD_MS = 5000             # then the rest of its headers within this
BODY_MS = 10000            # then a body of up to MAX_BODY bytes within this
WRITE_STALL_MS = 20000     # a client that takes no bytes of its answer this long is dropped
READ_MS = 10000            # a streamed body (model upload, drains) silent this long ends
# Errors
ENOSPC = 28                # errno: the flash is full (Linux and MicroPython ports alike)


def err(status, msg, **extra):
    """A JSON error answer: {"error": msg, ...extra} with the status."""
    d = {"error": msg}
    d.update(extra)
    return d, status


def lookup(pairs, key):
    """The value of key in a tuple of (key, value) pairs, or None (a table of constants as a
    tuple stays in the frozen firmware; a dict would be made on the heap at import)."""
    for k, v in pairs:
        if k == key:
            return v
    return None


def json_body(request):
    """The request's JSON object, or None for an empty body; anything that is not one
    complete JSON object (shared.jsonck) ends the request with a JSON 400, a body too big
    for the free heap with a 503."""
    b = request.body
    if not b:
        return None
    try:
        v = jsonck.loads(b)
    except ValueError as e:
        abort(400, "the body must be a JSON object: %s" % e)
    except MemoryError:
        n = len(b)
        b = None
        gc.collect()
        abort(503, "not enough memory on the device to parse a %d-byte body now" % n)
    if not isinstance(v, dict):
        abort(400, "the body must be a JSON object")
    return v


async def read(stream, n):
    """Up to n bytes of a streamed body; asyncio.TimeoutError when the client is silent for
    READ_MS (a stalled upload ends and frees what it holds)."""
    return await asyncio.wait_for_ms(stream.read(n), READ_MS)


async def read_exactly(stream, buf):
    """Fill memoryview/bytearray buf from stream (READ_MS per read); EOFError when the
    client stops short, asyncio.TimeoutError when it stalls."""
    got, n = 0, len(buf)
    while got < n:
        c = await read(stream, min(n - got, READ_CHUNK))
        if not c:
            raise EOFError()
        buf[got:got + len(c)] = c
        got += len(c)


async def drain(stream, n):
    """Read and drop n more body bytes (each read within READ_MS), so the client gets our
    answer instead of a reset. Returns False when the client stopped sending."""
    try:
        while n > 0:
            c = await read(stream, min(n, READ_CHUNK))
            if not c:
                return False
            n -= len(c)
    except Exception:
        return False
    return True
