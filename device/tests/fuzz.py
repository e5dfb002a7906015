"""Seeded fuzzing of the real simulated device over real sockets (CPython): generated HTTP
requests over every route and method (broken request lines, headers, bodies, tokens, Host
values, truncations) and WebSocket cases (handshakes, frames, control messages). Every case
must be answered (or, for WebSocket protocol errors, closed) within a deadline, never with a
5xx, and no malformed or unauthorised write may be accepted; afterwards stored state, the
stream, the process and its socket count must be as before. Used by test_fuzz.py (a bounded
run) and scripts/fuzz_device.py (the long run, printing figures)."""
import hashlib
import json
import os
import random
import socket
import struct
import threading
import time

from device.tests.simdev import ROOT, WSClient
from shared import protocol

ROUTES = [  # (path, methods the route has); <sid> is filled in, "*" any static path
    ("/api/status", "GET"), ("/api/config", "GET PUT"), ("/api/sim", "GET PUT"),
    ("/api/model", "GET PUT DELETE"), ("/api/sessions", "GET POST"),
    ("/api/sessions/<sid>", "GET DELETE"), ("/api/sessions/<sid>/stop", "POST"),
    ("/api/sessions/<sid>/windows", "GET"), ("/api/sessions/<sid>/labels", "GET PUT"),
    ("/ws", "GET"), ("/", "GET HEAD"), ("*", "GET HEAD")]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "get", "FOO"]
TEMPLATES = {
    "/api/config": ['{"rate": 200, "hop": 32}', '{"window": 256}', '{"sensor": "sim"}',
                    '{"origins": ["http://a.example:1"]}', '{"storage_budget": 65536}'],
    "/api/sim": ['{"activity": "walking"}', '{"activity": "running"}'],
    "/api/sessions": ['{"label": "walking", "time": 1700000000}', '{"label": "x"}', '{}'],
    "/api/sessions/<sid>/labels": [
        '{"version": 1, "classes": ["a", "b"], "segments": [{"start": 0, "end": 64, '
        '"label": "a"}, {"start": 64, "end": 128, "label": "b"}]}'],
}
JUNK = b'{}[]",:\\ 0123456789.eE+-tfnulrsa\xc3\xa9\x00\x1f\xff\n\r\t<>%?#&='


class Failures(list):
    def add(self, kind, case, detail):
        self.append((kind, case[:160], detail))


class Fuzzer:
    def __init__(self, dev, seed, log=None):
        self.dev = dev
        self.rng = random.Random(seed)
        self.token = dev.token
        self.sids = []          # existing sessions (reads only; writes to them are refused)
        self.statics = []       # static paths from the page's manifest
        self.fail = Failures()
        self.counts = {}
        self.log = log or (lambda *a: None)

    # -- setup and checks
    def prepare(self, model_text):
        """A labelled session and a model on the device, so every route has something."""
        d = self.dev
        st, m = d.json("POST", "/api/sessions", {"label": "walking"}, token=self.token)
        assert st == 201, m
        time.sleep(1.5)
        assert d.json("POST", "/api/sessions/%d/stop" % m["id"], token=self.token)[0] == 200
        h = {"Authorization": "Bearer " + self.token, "Content-Type": "text/csv"}
        assert d.request("PUT", "/api/model", model_text, h, timeout=20)[0] == 200
        self.sids = [s["id"] for s in d.json("GET", "/api/sessions")[1]["sessions"]]
        self.statics = ["/", "/index.html"] + list(_manifest(d))[:20]

    def state(self):
        """What must not change: every stored file, and what the API says about it."""
        files = {}
        for p in sorted(self.dev.data.rglob("*")):
            # (the history and the flagged windows grow by design while a model runs)
            if p.is_file() and p.relative_to(self.dev.data).parts[0] not in ("history",
                                                                              "flagged"):
                data = p.read_bytes()
                files[str(p.relative_to(self.dev.data))] = hashlib.sha256(data).hexdigest()
        api = [self.dev.json("GET", p)[1] for p in ("/api/config", "/api/model", "/api/sim")]
        sessions = self.dev.json("GET", "/api/sessions")[1]["sessions"]
        return files, api, sessions

    # -- HTTP
    def http(self, n, deadline=5):
        for i in range(n):
            case = self._http_case()
            kind = case[0]
            self.counts["http_" + kind] = self.counts.get("http_" + kind, 0) + 1
            self._run_http(case, deadline)

    def _http_case(self):
        r = self.rng
        x = r.random()
        if x < 0.2:
            return ("raw",) + self._raw()
        path, methods = r.choice(ROUTES)
        method = r.choice(methods.split()) if r.random() < 0.6 else r.choice(METHODS)
        tmpl_path = path
        if path == "*":
            path = r.choice(self.statics)
        if "<sid>" in path:
            sid = r.choice([str(s) for s in self.sids] + ["999", "0", "-1", "x", "1" * 12, "%31"])
            path = path.replace("<sid>", sid)
        if r.random() < 0.3:
            path += "?" + r.choice(["start=0&count=2", "start=-1", "count=x", "start=99999",
                                    "a=%zz", "a=%41%42", "&&=", "x" * r.randint(1, 200)])
        token = r.choice([None, None, "wrong", "basic", "right", "right", "right"])
        body, malformed = self._body(tmpl_path)
        write = method.upper() in ("PUT", "POST", "DELETE", "PATCH")
        if token == "right" and write:
            # with the token, only requests that must be refused: malformed bodies, sessions
            # that do not exist (deleting or stopping a real one is a valid write)
            if "<sid>" in tmpl_path:
                path = path.replace("/api/sessions/", "/api/sessions/9999", 1)
            elif tmpl_path in ("/api/model",) and method.upper() == "DELETE":
                token = "wrong"
            elif not malformed:
                body, malformed = self._malformed(tmpl_path), True
        headers = {}
        host = r.random()
        if host < 0.8:
            headers["Host"] = "127.0.0.1:%d" % self.dev.port
        elif host < 0.9:
            headers["Host"] = r.choice(["evil.example", "localhost", "", "127.0.0.1:1",
                                        "[::1]", "a" * 300])
        if token == "right":
            headers["Authorization"] = "Bearer " + self.token
        elif token == "wrong":
            headers["Authorization"] = "Bearer " + "0" * 32
        elif token == "basic":
            headers["Authorization"] = "Basic eDp5"
        if r.random() < 0.1:
            headers["If-None-Match"] = r.choice(['"x"', "*", "W/\"1\", \"2\""])
        if r.random() < 0.05:
            headers["Upgrade"] = "websocket"
            headers["Connection"] = "Upgrade"
            headers["Sec-WebSocket-Key"] = r.choice(["", "abc", "dGhlIHNhbXBsZSBub25jZQ=="])
            headers["Origin"] = r.choice(["http://evil.example", "null"])   # never 101
        req = "%s %s HTTP/1.1\r\n%s" % (method, path, "".join(
            "%s: %s\r\n" % kv for kv in headers.items()))
        data = req.encode()
        if body is not None:
            data += b"Content-Length: %d\r\n" % len(body)
        data += b"\r\n" + (body or b"")
        # a write is refused: without the right token, or (with it) as built above
        return ("route", data, "refuse" if write else "any", method.upper() == "HEAD")

    def _raw(self):
        r = self.rng
        k = r.randint(0, 9)
        h = b"Host: 127.0.0.1\r\n"
        if k == 0:
            data = bytes(r.choice(JUNK) for _ in range(r.randint(1, 300)))
        elif k == 1:
            data = b"GET /" + b"a" * r.randint(200, 3000) + b" HTTP/1.1\r\n" + h + b"\r\n"
        elif k == 2:
            data = b"GET /api/status HTTP/1.1\r\nX: " + b"v" * r.randint(900, 3000) + b"\r\n\r\n"
        elif k == 3:
            data = b"GET /api/status HTTP/1.1\r\n" + b"A: b\r\n" * r.randint(20, 60) + b"\r\n"
        elif k == 4:
            data = b"PUT /api/config HTTP/1.1\r\n" + h + b"Content-Length: " + r.choice(
                [b"-1", b"x", b"1e3", b"99999999999", b"", b"20000"]) + b"\r\n\r\n{}"
        elif k == 5:   # cut anywhere
            full = (b"PUT /api/sim HTTP/1.1\r\n" + h + b"Authorization: Bearer " +
                    self.token.encode() + b"\r\nContent-Length: 24\r\n\r\n"
                    b'{"activity": "walking"}\n')
            data = full[:r.randint(0, len(full) - 1)]
        elif k == 6:
            data = r.choice([b"GET /\r\n\r\n", b"GET / HTTP/2.0\r\n\r\n", b"\r\n\r\n",
                             b"GET  /  HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\n\n",
                             b"GET /\xc3\x28 HTTP/1.1\r\n\r\n", b" / HTTP/1.1\r\n\r\n"])
        elif k == 7:
            data = (b"PUT /api/config HTTP/1.1\r\n" + h + b"Transfer-Encoding: chunked\r\n\r\n"
                    b"5\r\n{\"a\":\r\n0\r\n\r\n")
        elif k == 8:
            data = (b"GET /api/status HTTP/1.1\r\n" + h +
                    bytes(r.choice(JUNK) for _ in range(r.randint(1, 100))) + b"\r\n\r\n")
        else:
            data = (b"PUT /api/model HTTP/1.1\r\n" + h + b"Authorization: Bearer " +
                    self.token.encode() + b"\r\nContent-Length: %d\r\n\r\n" % r.randint(1, 40000)
                    + bytes(r.choice(JUNK) for _ in range(r.randint(0, 600))))
        return data, "refuse_or_read", False

    def _body(self, path):
        r = self.rng
        x = r.random()
        if x < 0.25:
            return None, False
        tmpl = TEMPLATES.get(path) or TEMPLATES["/api/config"]
        if x < 0.45:
            return r.choice(tmpl).encode(), False
        if x < 0.9:
            return self._malformed(path), True
        # too deep, too long for any field, or random bytes: refused by every route
        b = r.choice([b"[" * r.randint(17, 3000), b'{"a": ' * r.randint(17, 2000),
                      b'{"activity": "' + b"x" * r.randint(1000, 15000) + b'"}',
                      bytes(r.randrange(256) for _ in range(r.randint(1, 200)))])
        return b, True

    def _malformed(self, path):
        r = self.rng
        tmpl = (TEMPLATES.get(path) or TEMPLATES["/api/config"])
        for _ in range(50):
            b = bytearray(r.choice(tmpl).encode())
            op = r.randint(0, 3)
            if op == 0:
                b = b[:r.randint(0, len(b) - 1)]
            for _ in range(r.randint(1, 3)):
                pos = r.randint(0, len(b))
                c = r.choice(JUNK)
                if op == 1 or not b:
                    b.insert(pos, c)
                elif op == 2 and pos < len(b):
                    del b[pos]
                elif pos < len(b):
                    b[pos] = c
            if b.strip() and _malformed_json(bytes(b)):   # (empty is "no body": valid)
                return bytes(b)
        return b"{"

    def _run_http(self, case, deadline):
        kind, data, expect, head = case
        t0 = time.monotonic()
        try:
            s = socket.create_connection(("127.0.0.1", self.dev.port), timeout=deadline)
        except OSError as e:
            self.fail.add("connect", data, repr(e))
            return
        out = b""
        try:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)     # the device sees the end of what we send
            except OSError:
                pass   # it may answer and close before taking everything
            while True:
                c = s.recv(65536)
                if not c:
                    break
                out += c
        except socket.timeout:
            self.fail.add("hang", data, "no answer within %d s" % deadline)
            return
        except ConnectionResetError:
            pass
        finally:
            s.close()
        if not out and not data:
            return   # a connection that says nothing is closed without an answer
        if not out.startswith(b"HTTP/1.0 "):
            self.fail.add("no_answer", data, repr(out[:80]))
            return
        status = int(out.split(None, 2)[1])
        self.counts["status_%d" % status] = self.counts.get("status_%d" % status, 0) + 1
        if status >= 500:
            self.fail.add("5xx", data, out[:300])
        elif expect == "refuse" and status < 400:
            self.fail.add("accepted", data, out[:300])
        head_, _, body = out.partition(b"\r\n\r\n")
        if status >= 400 and not head:
            try:
                assert "error" in json.loads(body)
            except (ValueError, AssertionError):
                self.fail.add("not_json_error", data, out[:300])
        if time.monotonic() - t0 > deadline:
            self.fail.add("slow", data, "%.1f s" % (time.monotonic() - t0))

    # -- WebSocket
    def ws(self, n, deadline=5):
        for i in range(n):
            k, frames, want = self._ws_case(i)
            self.counts["ws_" + k] = self.counts.get("ws_" + k, 0) + 1
            self._run_ws(k, frames, want, deadline)

    def _ws_case(self, i):
        r = self.rng
        x = r.random()
        if x < 0.08:
            return "handshake", None, None
        if x < 0.5:
            txt = self._ws_text()
            try:
                m = json.loads(txt.decode("utf-8"), parse_constant=_nan)
                good = isinstance(m, dict) and m.get("type") in ("ping", "hello") and \
                    _depth(m) <= 16 and len(txt) <= protocol.MAX_CONTROL_BYTES
                want = ("pong" if m["type"] == "ping" else "hello") if good else "error"
            except (ValueError, UnicodeError, TypeError):
                want = "error"
            return "text", [(1, txt, True, True, 0)], want
        k = r.randint(0, 7)
        if k == 0:
            return "unmasked", [(1, b'{"type": "ping"}', True, False, 0)], "close"
        if k == 1:
            return "rsv", [(r.choice([1, 2, 9]), b"{}", True, True, r.choice([1, 2, 4, 7]))], \
                "close"
        if k == 2:
            return "binary", [(2, bytes(r.randrange(256) for _ in range(r.randint(0, 300))),
                               True, True, 0)], "error"
        if k == 3:
            return "fragment", [(1, b'{"type":', False, True, 0)], "error"
        if k == 4:
            return "opcode", [(r.choice([3, 4, 5, 6, 7, 11, 12, 15]), b"x", True, True, 0)], "error"
        if k == 5:
            return "ping_frame", [(9, os.urandom(r.randint(0, 125)), True, True, 0)], "pong_frame"
        if k == 6:
            return "too_long", [(1, b" " * r.randint(1025, 70000), True, True, 0)], "error"
        return "close", [(8, b"\x03\xe8", True, True, 0)], "close"

    def _ws_text(self):
        r = self.rng
        x = r.random()
        if x < 0.25:
            return json.dumps({"type": "ping", "id": r.randint(0, 1 << 40)}).encode()
        if x < 0.35:
            d = r.randint(1, 40)
            return ('{"type": "ping", "id": ' + "[" * d + "]" * d + "}").encode()
        if x < 0.45:
            return r.choice([b'{"type": "hello"}', b'{"type": "launch"}', b'{"type": 3}',
                             b"[1]", b'"ping"', b"null"])
        base = json.dumps({"type": "ping", "id": r.randint(0, 99)}).encode()
        b = bytearray(base)
        for _ in range(r.randint(1, 3)):
            pos = r.randint(0, len(b))
            if r.random() < 0.5 and pos < len(b):
                del b[pos]
            else:
                b.insert(pos, r.choice(JUNK))
        return bytes(b[:r.randint(0, len(b))] if r.random() < 0.3 else b)

    def _run_ws(self, kind, frames, want, deadline):
        r = self.rng
        if kind == "handshake":
            hs = [("Sec-WebSocket-Key", ""), ("Upgrade", "h2c"), ("Connection", "close"),
                  ("Origin", "http://evil.example"), ("Host", "evil.example")]
            k, v = r.choice(hs)
            data = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
            data = "\r\n".join(line for line in data.split("\r\n")
                               if not line.startswith(k + ":")) + "%s: %s\r\n\r\n" % (k, v)
            return self._run_http(("ws", data.encode(), "refuse", False), deadline)
        try:
            ws = _ws(self.dev, deadline)
        except OSError as e:
            self.fail.add("ws_connect", kind.encode(), repr(e))
            return
        try:
            ws.until(lambda op, d: op == 1 and b'"hello"' in d)
            for op, payload, fin, mask, rsv in frames:
                ws.send_raw(op, payload, fin, mask, rsv)
            if want == "close":
                op, d = ws.until(lambda op, d: op == 8)
                if kind != "close" and struct.unpack(">H", d[:2])[0] != 1002:
                    self.fail.add("ws_close_code", frames[0][1], repr(d))
                if not ws.closed_after():
                    self.fail.add("ws_not_closed", frames[0][1], kind)
                return
            if want == "pong_frame":
                ws.until(lambda op, d: op == 10 and d == frames[0][1])
            else:
                op, d = ws.until(lambda op, d: op == 1 and b'"type": "%s"' % want.encode() in d
                                 or op == 1 and b'"error"' in d)
                if b'"type": "%s"' % want.encode() not in d:
                    self.fail.add("ws_answer", frames[0][1], "%s: %r" % (want, d[:200]))
            ws.send_text(b'{"type": "ping", "id": "after"}')   # still alive
            ws.until(lambda op, d: op == 1 and b'"after"' in d)
        except socket.timeout:
            self.fail.add("ws_hang", (frames or [(0, b"")])[0][1], kind)
        except (OSError, EOFError, AssertionError) as e:
            self.fail.add("ws_dropped", (frames or [(0, b"")])[0][1], "%s %r" % (kind, e))
        finally:
            ws.close()

    # -- the run with every check
    def run(self, n_http, n_ws, model_text):
        d = self.dev
        self.prepare(model_text)
        pid = d.pid()
        before = self.state()
        time.sleep(0.5)
        base = d.sockets()
        watcher = _StreamWatch(d)
        t0 = time.monotonic()
        self.http(n_http)
        t_http = time.monotonic() - t0
        self.ws(n_ws)
        t_ws = time.monotonic() - t0 - t_http
        frames = watcher.stop()
        end = time.monotonic() + 12
        while d.sockets() > base and time.monotonic() < end:   # connections being closed
            time.sleep(0.2)
        sockets_after = d.sockets()
        if sockets_after != base:
            self.fail.add("sockets", b"", "%d open before, %d after" % (base, sockets_after))
        if not d.alive() or d.pid() != pid:
            self.fail.add("restart", b"", "the device process changed")
        after = self.state()
        if after != before:
            self.fail.add("state", b"", "stored state changed")
        gaps = sum(1 for a, b in zip(frames, frames[1:]) if b != a + 1)
        expect = (time.monotonic() - t0) * 100 / 64 * 0.8
        if gaps or len(frames) < expect:
            self.fail.add("stream", b"", "%d frames (want ~%d), %d gaps"
                          % (len(frames), expect, gaps))
        _, st = d.json("GET", "/api/status")
        return {"http_cases": n_http, "ws_cases": n_ws, "seconds_http": round(t_http, 1),
                "seconds_ws": round(t_ws, 1), "frames": len(frames), "gaps": gaps,
                "sockets_before": base, "sockets_after": sockets_after,
                "mem_free_min": st["mem_free_min"], "device_http": st.get("http"),
                "counts": dict(sorted(self.counts.items())), "failures": len(self.fail)}


class _StreamWatch:
    """A WebSocket client reading the stream for the whole run; stop() -> sequence numbers."""

    def __init__(self, dev):
        self.ws = _ws(dev, 10)
        self.seqs = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                op, d = self.ws.recv()
            except (OSError, EOFError):
                return
            if op == 2:
                self.seqs.append(protocol.decode_header(d)[0])

    def stop(self):
        self._stop.set()
        self._t.join(5)
        self.ws.close()
        return self.seqs


def _ws(dev, timeout):
    """A WebSocket client as the page opens it (same Host and Origin)."""
    origin = "http://127.0.0.1:%d" % dev.port
    return WSClient(dev.port, timeout, {"Host": origin[7:], "Origin": origin})


def _manifest(dev):
    m = dev.www if dev.www else None
    path = (m or ROOT / "build" / "fw" / "www") / "manifest.json"
    try:
        return json.loads(open(path).read())
    except OSError:
        return {}


def _nan(name):
    raise ValueError(name)


def _malformed_json(b):
    try:
        json.loads(b.decode("utf-8"), parse_constant=_nan)
        return False
    except (ValueError, UnicodeError):
        return True


def _depth(v, d=1):
    if isinstance(v, dict):
        return max([d] + [_depth(x, d + 1) for x in v.values()])
    if isinstance(v, list):
        return max([d] + [_depth(x, d + 1) for x in v])
    return d
