# Webhooks: each event (a class change, and summaries when asked) is POSTed as JSON to every
# configured URL (HTTP/1.0, "Authorization: Bearer <token>" when one is set), within a
# timeout per attempt, retried with backoff (1, 2, 4 ... s), then given up and counted.
# Every URL has its own sender and its own bounded queue (ringq: the oldest is dropped and
# counted when full), so a slow or dead receiver holds up neither sampling and inference nor
# the other receivers. (A host name is looked up for each request and the lookup blocks the
# event loop on MicroPython: use an address.)
# Memory: per URL a queue of settings "queue" slots (the event tuples are shared by the
# queues) and one request at a time, formatted into the URL's own buffer (made once: its
# request head + BODY bytes, grown to the longest request sent) and sent from it, the
# answer's status line read into 12 preallocated bytes, the socket polled by the sender's
# own coroutine (no asyncio streams or wait_for tasks): what a delivery keeps alive while it
# waits is the same small set at every stage (its socket and two coroutine frames, no copy
# of the request), so it cannot add up with other senders' transients to an ever lower low
# mark of the free heap (scripts/heap_transients.py measures it).
import asyncio
import errno
import json
import select
import socket
import time

from ringq import RingQ

BACKOFF_MAX_S = 30
POLL_MS = 10                # a waiting delivery looks at its socket this often
BODY = 256                  # bytes of JSON body a URL's buffer holds at first


def parse(url):
    """(host, port, path) of an http:// URL (checked by shared.node_settings)."""
    rest = url[7:]
    hp, _, path = rest.partition("/")
    host, _, port = hp.partition(":")
    return host, int(port) if port else 80, "/" + path


class _Hook:
    def __init__(self, h, size):
        self.url = h["url"]
        self.token = h["token"]
        self.host, self.port, self.path = parse(h["url"])
        self.q = RingQ(size)
        self.inflight = None        # the kind of the event being delivered (popped from q)
        self.head = "POST %s HTTP/1.0\r\nHost: %s:%d\r\nContent-Type: application/json\r\n" \
            "User-Agent: motebook\r\n%sContent-Length: " % (
                self.path, self.host, self.port,
                "Authorization: Bearer %s\r\n" % self.token if self.token else "")
        self.buf = bytearray(len(self.head) + 9 + BODY)     # the request being sent
        self.n = 0                  # its length
        self.line = bytearray(12)   # "HTTP/1.x NNN" of the answer
        self.poll = select.poll()   # its socket, while a request is on its way


class Webhooks:
    def __init__(self, settings, name):
        self.s = settings
        self.name = name
        self.hooks = [_Hook(h, settings["queue"]) for h in settings["urls"]]
        self.delivered = 0          # (event, url) deliveries
        self.retries = 0
        self.gave_up = 0            # (event, url) deliveries abandoned after the retries
        self.last_error = None
        self._n = 0

    def put(self, kind, msg):
        if kind == "summary" and not self.s["summaries"]:
            return
        self._n += 1
        item = (kind, self._n, msg)     # one tuple, shared by the queues
        for h in self.hooks:
            h.q.put(item)

    def status(self):
        return {"delivered": self.delivered, "retries": self.retries,
                "gave_up": self.gave_up, "dropped": sum(h.q.dropped for h in self.hooks),
                "queued": sum(len(h.q) + (h.inflight is not None) for h in self.hooks),
                "error": self.last_error}

    def senders(self):
        """One coroutine per URL, to run as tasks (node.py cancels them on a change)."""
        return [self._send(h) for h in self.hooks]

    async def _send(self, hook):
        while True:
            await hook.q.wait()
            # encoded here, not in put(): the inference task only queues
            hook.inflight = self._format(hook)
            await self._deliver(hook)
            hook.inflight = None

    def _format(self, hook):
        """The next event's request into hook.buf; returns its kind. A plain function, not a
        coroutine: the event (its dict) and the strings made on the way are not kept by this
        sender once it returns (a waiting coroutine's frame keeps whatever its value stack
        last held)."""
        kind, n, msg = hook.q.pop()
        data = json.dumps(dict(msg, event=kind, id=n, device=self.name)).encode()
        head = ("%s%d\r\n\r\n" % (hook.head, len(data))).encode()
        n = len(head) + len(data)
        if n > len(hook.buf):
            hook.buf = None
            hook.buf = bytearray(n)
        hook.buf[:len(head)] = head
        hook.buf[len(head):n] = data
        hook.n = n
        return kind

    async def _deliver(self, hook):
        wait = 1
        for attempt in range(self.s["retries"] + 1):
            if attempt:
                self.retries += 1
                await asyncio.sleep(wait)
                wait = min(wait * 2, BACKOFF_MAX_S)
            try:
                st = await self._post(hook)
                if 200 <= st < 300:
                    self.delivered += 1
                    return True
                self.last_error = "%s answered HTTP %d" % (hook.url, st)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.last_error = "%s: %s" % (hook.url, "no answer within %d s" %
                                              self.s["timeout_s"]
                                              if isinstance(e, asyncio.TimeoutError)
                                              else str(e) or e.__class__.__name__)
        self.gave_up += 1
        return False

    async def _post(self, hook):
        """POST hook.buf, read the status code; asyncio.TimeoutError after timeout_s. One
        coroutine that looks at its non-blocking socket every POLL_MS (sleep_ms makes nothing
        on MicroPython; no streams, no wait_for tasks): what it keeps alive while it waits is
        the same at every stage."""
        s = _connect(hook.host, hook.port)
        poll = hook.poll
        poll.register(s, select.POLLOUT)
        try:
            end = time.ticks_add(time.ticks_ms(), self.s["timeout_s"] * 1000)
            b = hook.line
            off = got = 0
            while got < 12:
                k = ev = 0
                for t in poll.ipoll(0):     # (a tuple ipoll reuses)
                    ev = t[1]
                if ev and off < hook.n:
                    k = s.write(memoryview(hook.buf)[off:hook.n])
                    if k:
                        off += k
                        if off == hook.n:
                            poll.modify(s, select.POLLIN)
                elif ev:
                    k = s.readinto(memoryview(b)[got:])
                    if k == 0:
                        break       # closed before a whole status line
                    if k:
                        got += k
                if not k:
                    if time.ticks_diff(end, time.ticks_ms()) <= 0:
                        raise asyncio.TimeoutError
                    await asyncio.sleep_ms(POLL_MS)
            st = 0
            for i in range(9, 12):
                if got < 12 or not 48 <= b[i] <= 57:
                    raise OSError("not an HTTP answer")
                st = st * 10 + b[i] - 48
            if b[:5] != b"HTTP/" or b[8] != 32:
                raise OSError("not an HTTP answer")
            return st
        finally:
            poll.unregister(s)
            s.close()


def _connect(host, port):
    """A non-blocking socket connecting to host:port. A plain function: the address and
    the EINPROGRESS exception are garbage when it returns."""
    ai = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    s = socket.socket(ai[0], ai[1], ai[2])
    s.setblocking(False)
    try:
        s.connect(ai[-1])
    except OSError as e:
        if e.errno != errno.EINPROGRESS:
            s.close()
            raise
    return s
