# The device's HTTP server: a Microdot app whose connections we read ourselves, with limits
# (device/httpd.py): a deadline per phase (request line, headers, body, each answer write),
# capped line lengths, header count and path length, the Host check, at most MAX_CONNS
# connections at once (the oldest one still sending its request after EVICT_AFTER_MS makes
# room, else newcomers wait in the listen backlog), and an accept loop that survives
# MemoryError and running out of sockets. Routes match without `re` (urlmatch.py). The app's
# rules for routes live here too: @app.guard (the access token, Microdot's @auth style: one
# check for every route that needs it), @app.own_body and allow_big_body (who reads a body,
# up to what). Memory: one small _Conn per connection, lines read with a length limit; a body
# goes to RAM only for a request with the token, when the app asks (read_body), up to a
# limit; the guard and body rules are one dict entry per route, not a closure.
import asyncio
import gc
import socket
import sys
import time

from microdot import Microdot, Request, Response, abort
from microdot.microdot import NoCaseDict

import auth
import hosts
import httpd as H
from urlmatch import Pattern

# phases of a connection
_LINE, _HEAD, _BODY, _APP, _WRITE = 0, 1, 2, 3, 4
_EAGAIN = 11
_RETRY_MS = 20       # accept loop pause when no socket or slot is free
_TICK_MS = 250       # deadline watch period
_STALL_MS = 1000     # a watch tick this late: the device itself stalled (not its clients)
_NOTHING = bytearray(0)
_STEP = 128          # bytes asked of readline() at a time
_SINK = bytearray(256)   # what is read away before a close lands here
_VERBS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")

Request.max_content_length = H.MAX_BODY
Request.max_body_length = H.MAX_BODY


class _Refuse(Exception):
    """Answer the request with this status and message, then close."""

    def __init__(self, status, msg):
        self.status = status
        self.msg = msg


class _Conn:
    def __init__(self, stream, addr):
        self.stream = stream
        self.addr = addr
        self.task = None
        self.started = False
        self.began = False        # a byte of a request arrived (else it is closed silently)
        self.why = None           # set when the server ends the connection: (status, msg)
        self.detached = False     # a WebSocket took it over: its new owner closes it
        self.phase = _LINE
        self.t0 = time.ticks_ms()
        self.deadline = time.ticks_add(self.t0, H.LINE_MS)

    def enter(self, phase, ms):
        self.phase = phase
        self.deadline = time.ticks_add(time.ticks_ms(), ms)

    async def awrite(self, data):
        """Microdot's Response.write writes here: each piece has WRITE_STALL_MS to go out."""
        self.enter(_WRITE, H.WRITE_STALL_MS)
        await self.stream.awrite(data)


class App(Microdot):
    def __init__(self, token=None):
        super().__init__()
        self.token = token            # the access token (auth.py) the guard asks for
        self.conns = []               # _Conn, oldest first; at most MAX_CONNS
        self._own = []                # handlers marked own_body
        self._guarded = {}            # handler -> None (always) or when(request): needs token
        self._big = {}                # (method, path) -> largest body taken as a stream
        self._verbs = []              # the routes' method tuples, one of each (_methods)
        self.counts = {"timeouts": 0, "evicted": 0, "refused": 0, "accept_errors": 0}
        self.before_request(self._before)

    # -- routes: Microdot's decorators, our matcher
    def route(self, url_pattern, methods=None):
        add = super().route(url_pattern, methods)

        def decorated(f):
            add(f)
            p = None
            for m in self.url_map:   # routes of one path (GET, PUT...) share a pattern
                if m[1].url_pattern == url_pattern and isinstance(m[1], Pattern):
                    p = m[1]
                    break
            m = self.url_map[-1]
            self.url_map[-1] = (self._methods(m[0]), p or Pattern(url_pattern), m[2], m[3],
                                m[4])
            return f
        return decorated

    def _methods(self, ms):
        # Microdot makes a list of new upper-case strings per route; routes of the same
        # methods share one tuple of the interned names instead (~100 bytes a route)
        ms = tuple(_VERBS[_VERBS.index(m)] if m in _VERBS else m for m in ms)
        for t in self._verbs:
            if t == ms:
                return t
        self._verbs.append(ms)
        return ms

    async def error_response(self, req, status_code, reason=None):
        if status_code == 413 and req and req.content_length > req.max_content_length:
            # read the body away first, so the client sees this answer instead of a reset
            await H.drain(req.stream, min(req.content_length, H.MAX_DRAIN))
            return H.err(413, "request body too large (%d bytes; limit %d)"
                         % (req.content_length, req.max_content_length))
        # abort(status, "message") answers as JSON unless a handler is registered
        if status_code in self.error_handlers:
            return await super().error_response(req, status_code, reason)
        return H.err(status_code, reason or "request refused (%d)" % status_code)

    def own_body(self, f):
        """Route decorator: the route reads its body itself (request.stream, or
        `await app.read_body(request, limit)` once it knows it needs it)."""
        self._own.append(f)
        return f

    def owns_body(self, req):
        return req.route in self._own

    def guard(self, f, when=None):
        """Route decorator (Microdot's @auth style): the route answers only a request that
        carries the access token, else 401 {"error": why} before the handler runs (a body
        larger than the close reads away, on a route that streams it, is read away first).
        when(request) -> bool, if given, says which requests of the route need it
        (app.guard(handler, when=...))."""
        self._guarded[f] = when
        return f

    def allow_big_body(self, method, path, limit=H.MAX_STREAM):
        """Microdot refuses bodies over Request.max_content_length (16 KB) before routing; the
        route named here (a path ending in "/": every path under it) takes up to limit bytes,
        as a stream (bodies over max_body_length are not read for the handler)."""
        self._big[(method, path)] = limit

    async def dispatch_request(self, req):
        if req is not None and self._big:
            big = self._big.get((req.method, req.path))
            if big is None:          # a prefix ending in "/" (e.g. /api/notebooks/<name>)
                for (m, p), v in self._big.items():
                    if m == req.method and p[-1] == "/" and req.path.startswith(p):
                        big = v
            if big:
                req.max_content_length = big
        return await super().dispatch_request(req)

    async def _before(self, req):
        # The guard, then the body: a body is read into RAM only for a request with the
        # token (every route taking one needs it), so no one else can make the device
        # allocate for it; up to httpd.MAX_JSON bytes, unless the route reads its own.
        n = req.content_length
        when = self._guarded.get(req.route, False)
        needs = when is None or (when is not False and when(req))
        if not needs and not n:
            return None
        why = auth.check(req.headers, self.token)
        if why and needs:
            if n > H.MAX_BODY:   # (a streamed upload) the client gets the 401, not a reset
                await H.drain(req.stream, n)
            return H.err(401, why)
        if n and not why and not self.owns_body(req):
            await self.read_body(req)
        return None

    async def read_body(self, req, limit=H.MAX_JSON):
        """Read the body of a PUT, POST or PATCH into request.body within BODY_MS (else 408),
        if at most limit bytes (else 413); MemoryError when the heap has no room now."""
        n = req.content_length
        if not n or req.body or req.method not in ("PUT", "POST", "PATCH"):
            return
        if n > limit:
            abort(413, "request body too large for %s (%d bytes; limit %d)"
                  % (req.path, n, limit))
        c = req.conn
        body = bytearray(n)
        c.enter(_BODY, H.BODY_MS)
        mv = memoryview(body)
        k = 0
        while k < n:
            got = await c.stream.readinto(mv[k:])
            if got == 0:
                abort(400, "request cut off: %d of %d body bytes" % (k, n))
            k += got or 0
        c.enter(_APP, 0)
        req._body = body
        req._stream = None   # request.stream now reads the body from RAM

    def detach(self, request):
        """A WebSocket took over this connection: it no longer counts as an HTTP one, and is
        not closed when the handler returns (its new owner calls close_socket())."""
        c = getattr(request, "conn", None)
        if c is not None:
            c.detached = True
        if c in self.conns:
            self.conns.remove(c)

    # -- the listening socket
    async def start_server(self, host="0.0.0.0", port=80, **kw):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(socket.getaddrinfo(host, port)[0][-1])
        s.listen(H.BACKLOG)
        s.setblocking(False)
        asyncio.create_task(self._watch())
        ready = asyncio.StreamReader(s)   # readinto(nothing) waits until a client is there
        while True:
            try:
                await ready.readinto(_NOTHING)
                if len(self.conns) >= H.MAX_CONNS:
                    self._make_room()
                    await asyncio.sleep_ms(_RETRY_MS)
                    continue
                try:
                    cs, addr = s.accept()
                except OSError as e:   # EMFILE/ENFILE: no socket left; EAGAIN: gone again
                    if e.errno != _EAGAIN:
                        self.counts["accept_errors"] += 1
                        self._make_room()
                        await asyncio.sleep_ms(_RETRY_MS)
                    continue
                self._start(cs, addr)
                cs = addr = None   # this frame lives forever: keep no connection's socket
            except MemoryError:
                self.counts["accept_errors"] += 1
                gc.collect()
                await asyncio.sleep_ms(_RETRY_MS)
            except Exception as e:   # the server loop must not end
                sys.print_exception(e)
                await asyncio.sleep_ms(_RETRY_MS)

    def _start(self, cs, addr):
        c = None
        try:
            cs.setblocking(False)
            c = _Conn(asyncio.StreamReader(cs), addr)
            self.conns.append(c)
            c.task = asyncio.create_task(self._serve(c))
        except BaseException:
            if c in self.conns:
                self.conns.remove(c)
            cs.close()
            raise

    def _end(self, c, status, msg, counter):
        c.why = (status, msg)
        self.counts[counter] += 1
        c.task.cancel()

    def _make_room(self):
        """End the oldest connection still sending its request after EVICT_AFTER_MS (unless
        one is ending): one that sent nothing yet (a browser's preconnect) is closed without
        an answer. Else newcomers wait."""
        now = time.ticks_ms()
        for c in self.conns:
            if c.why is not None:
                return
        for c in self.conns:
            if c.started and c.phase <= _HEAD and \
                    time.ticks_diff(now, c.t0) > H.EVICT_AFTER_MS:
                self._end(c, 503, "too many connections: the device ended the oldest one "
                          "still sending its request", "evicted")
                return

    async def _watch(self):
        last = time.ticks_ms()
        while True:
            await asyncio.sleep_ms(_TICK_MS)
            now = time.ticks_ms()
            late = time.ticks_diff(now, last) - _TICK_MS
            last = now
            try:
                if late > _STALL_MS:
                    # the device stalled (a long flash write, a debugger, SIGSTOP): its
                    # clients get that time back, else a request that arrived whole during
                    # the stall would be answered 408 before it is even read
                    self._extend_deadlines(late)
                else:
                    self._check_deadlines()
            except Exception as e:   # the deadlines must keep being watched
                sys.print_exception(e)

    def _extend_deadlines(self, ms):
        for c in self.conns:
            c.deadline = time.ticks_add(c.deadline, ms)
            c.t0 = time.ticks_add(c.t0, ms)

    def _check_deadlines(self):
        # A plain function, not the loop of _watch: this task lives forever, and a loop
        # variable left in its frame kept the last connection it saw, with that connection's
        # task, request and answer (a status answer: ~3-5 KB), alive until the next tick that
        # found a connection: the steps of the heap's low mark (issue 17 item 9).
        now = time.ticks_ms()
        for c in self.conns:
            if not c.started or c.phase == _APP or time.ticks_diff(now, c.deadline) <= 0:
                continue
            if c.why is None:
                self._end(c, 408, _LATE[c.phase], "timeouts")
            elif c.phase == _WRITE:   # not even our error answer goes out: close
                c.task.cancel()

    # -- one connection
    async def _serve(self, c):
        c.started = True
        res = None
        try:
            try:
                req = await self._read(c)
                if not hosts.is_own(req.headers.get("Host")):
                    raise _Refuse(403, "Host %r is not this device's name or address"
                                  % req.headers.get("Host"))
                c.enter(_APP, 0)
                res = await self.dispatch_request(req)
                if res is not Response.already_handled:
                    await res.write(c)
            except _Refuse as e:
                self.counts["refused"] += 1
                await self._answer(c, e.status, e.msg)
            except asyncio.CancelledError:
                if c.why is None:
                    raise
                if c.phase == _WRITE:
                    await _close_body(res)
                elif c.began:   # an idle connection (a browser's preconnect) just closes
                    await self._answer(c, c.why[0], c.why[1])
            except MemoryError:
                gc.collect()
                await self._answer(c, 503, "not enough memory on the device for this request "
                                   "now: retry")
            except (OSError, EOFError):
                pass
        except BaseException as e:   # a second failure while answering: just close
            if not isinstance(e, (OSError, asyncio.CancelledError)):
                sys.print_exception(e)
        finally:
            if c in self.conns:
                self.conns.remove(c)
            if not c.detached:
                _close(c.stream.s)

    async def _answer(self, c, status, msg):
        if c.phase == _WRITE:
            return   # part of an answer is out already
        c.why = (status, msg)   # a deadline passing now closes instead of answering again
        await Response(*H.err(status, msg)).write(c)

    async def _read(self, c):
        """The request, read within the phase deadlines and limits (or _Refuse)."""
        line = None
        for _ in range(3):   # a client may send an empty line before the request line
            line = await self._line(c, H.MAX_REQUEST_LINE, 414, "request line")
            if line.strip():
                break
        parts = line.split()
        if len(parts) != 3 or not parts[0].isalpha() or len(parts[0]) > 16 \
                or parts[2] not in (b"HTTP/1.0", b"HTTP/1.1") or parts[1][:1] != b"/":
            raise _Refuse(400, "malformed request line (expected 'METHOD /path HTTP/1.1')")
        try:
            method, url = parts[0].decode(), parts[1].decode()
        except UnicodeError:
            raise _Refuse(400, "the URL is not valid UTF-8")
        if len(url.split("?", 1)[0]) > H.MAX_PATH:
            raise _Refuse(414, "path longer than %d characters" % H.MAX_PATH)
        c.enter(_HEAD, H.HEAD_MS)
        headers = NoCaseDict()
        for k in range(H.MAX_HEADERS + 1):
            line = await self._line(c, H.MAX_HEADER_LINE, 431, "header line")
            if not line.strip():
                break
            if k == H.MAX_HEADERS:
                raise _Refuse(431, "more than %d header lines" % H.MAX_HEADERS)
            name, colon, value = line.partition(b":")
            if not colon or not name or b" " in name or b"\t" in name:
                raise _Refuse(400, "malformed header line")
            try:
                headers[name.decode()] = value.strip().decode()
            except UnicodeError:
                raise _Refuse(400, "a header is not valid UTF-8")
        _check_length(headers)
        try:   # the body stays in the socket until read_body() or a route reads it
            req = Request(self, c.addr, method, url, parts[2][5:].decode(), headers,
                          body=b"", stream=c.stream, sock=(c.stream, c.stream))
        except (ValueError, IndexError, UnicodeError):   # the query string
            raise _Refuse(400, "malformed query string")
        req.conn = c
        return req

    async def _line(self, c, limit, status, what):
        """One line ending in LF, of at most limit bytes."""
        s = c.stream
        line = b""
        while True:
            await s.readinto(_NOTHING)            # wait until readable
            # small steps: readline(n) allocates n bytes at once, and a fragmented heap may
            # have no 1 KB block left while a browser loads the page
            part = s.s.readline(min(_STEP, limit + 1 - len(line)))
            if part is None:
                continue
            if not part:
                if not c.began:
                    raise EOFError()   # closed without a word: nothing to answer
                raise _Refuse(400, "request cut off" + (" in a %s" % what if line else ""))
            c.began = True
            line += part
            if line[-1] == 10:
                return line
            if len(line) > limit:
                raise _Refuse(status, "%s longer than %d bytes" % (what, limit))


_LATE = ("request line not received within %d s" % (H.LINE_MS // 1000),
         "headers not received within %d s" % (H.HEAD_MS // 1000),
         "body not received within %d s" % (H.BODY_MS // 1000),
         None,
         "the client took nothing of the answer for %d s" % (H.WRITE_STALL_MS // 1000))


def _check_length(headers):
    if "Transfer-Encoding" in headers:
        raise _Refuse(411, "send the body with a Content-Length (chunked bodies are not "
                      "supported)")
    v = headers.get("Content-Length")
    if v is not None and (not v.isdigit() or len(v) > 9):
        raise _Refuse(400, "malformed Content-Length")


def _close(s):
    # Read away what the client already sent (the rest of a long line, a body, a refused
    # WebSocket frame): closing with unread input makes the kernel send a reset, which can
    # destroy the answer on its way. Into one buffer: this must not need the heap.
    try:
        for _ in range(64):
            if not s.readinto(_SINK):
                break
    except Exception:
        pass
    try:
        s.close()
    except Exception:
        pass


close_socket = _close   # for a detached connection's owner (wshub)


async def _close_body(res):
    b = getattr(res, "body", None)
    try:
        if hasattr(b, "aclose"):
            await b.aclose()
        elif hasattr(b, "close"):
            b.close()
    except Exception:
        pass
