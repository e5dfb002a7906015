# Webhooks: each event (a class change, and summaries when asked) is POSTed as JSON to every
# configured URL (HTTP/1.0, "Authorization: Bearer <token>" when one is set), within a
# timeout per attempt, retried with backoff (1, 2, 4 ... s), then given up and counted.
# Every URL has its own sender and its own bounded queue (ringq: the oldest is dropped and
# counted when full), so a slow or dead receiver holds up neither sampling and inference nor
# the other receivers. (A host name is looked up for each request and the lookup blocks the
# event loop on MicroPython: use an address.)
# Memory: per URL a queue of settings "queue" slots (the event tuples are shared by the
# queues) and one request at a time.
import asyncio
import json

from ringq import RingQ

BACKOFF_MAX_S = 30


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
        self.inflight = None        # the event being delivered (popped from q)


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
            hook.inflight = kind, n, msg = hook.q.pop()
            # encoded here, not in put(): the inference task only queues
            body = json.dumps(dict(msg, event=kind, id=n, device=self.name))
            await self._deliver(hook, body)
            body = hook.inflight = None

    async def _deliver(self, hook, body):
        wait = 1
        for attempt in range(self.s["retries"] + 1):
            if attempt:
                self.retries += 1
                await asyncio.sleep(wait)
                wait = min(wait * 2, BACKOFF_MAX_S)
            try:
                st = await asyncio.wait_for_ms(self._post(hook, body),
                                               self.s["timeout_s"] * 1000)
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

    async def _post(self, hook, body):
        host, port = hook.host, hook.port
        r, w = await asyncio.open_connection(host, port)
        try:
            data = body.encode()
            w.write(("POST %s HTTP/1.0\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\nUser-Agent: motebook\r\n%s\r\n" % (
                         hook.path, host, port, len(data),
                         "Authorization: Bearer %s\r\n" % hook.token if hook.token else "")).encode()
                    + data)
            await w.drain()
            line = await r.readline()
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                raise OSError("not an HTTP answer")
            return int(parts[1])
        finally:
            w.close()
