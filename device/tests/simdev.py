"""Test helpers: start the real simulated device (scripts/sim.py -> MicroPython unix ->
build/fw/lib) on a free port with a temp data dir, plus a tiny HTTP and WebSocket client
over real sockets (CPython only; masks frames like a browser, can also send broken ones)."""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from shared import protocol  # noqa: E402


def read_to_end(s):
    """Everything a socket receives until the other side closes (or resets) it."""
    out = b""
    while True:
        try:
            c = s.recv(65536)
        except ConnectionResetError:
            return out
        if not c:
            return out
        out += c


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SimDevice:
    def __init__(self, data, replay=None, www=None, port=None, env=None, nofile=None):
        self.data = Path(data)
        self.replay = replay
        self.www = www
        self.nofile = nofile   # descriptor limit of the device process (ESP32-like: 16)
        self.port = port or free_port()
        self.proc = None
        self.extra_env = env or {}
        self.log = self.data.parent / ("device-%d.log" % self.port)

    def command(self):
        """(argv, environment, working directory) of the device process."""
        cmd = [sys.executable, str(ROOT / "scripts" / "sim.py"), "--data", str(self.data),
               "--port", str(self.port), "--quiet"]
        if self.replay:
            cmd += ["--replay", str(self.replay)]
        if self.www:
            cmd += ["--www", str(self.www)]
        if self.nofile:
            cmd += ["--nofile", str(self.nofile)]
        env = dict(os.environ)
        env.pop("PORT", None)
        env.update(self.extra_env)
        return cmd, env, None

    def start(self, timeout=15):
        self.data.mkdir(parents=True, exist_ok=True)
        cmd, env, cwd = self.command()
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._logf, stderr=subprocess.STDOUT, env=env,
                                     cwd=cwd)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("device exited with %s:\n%s" % (self.proc.returncode,
                                                                    self.output()))
            try:
                if self.get("/api/status")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("device did not start:\n" + self.output())

    def output(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_logf", None):
            self._logf.close()

    def pid(self):
        """The MicroPython process (the child of scripts/sim.py)."""
        kids = Path("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)).read_text()
        return int(kids.split()[0])

    def wait_data(self, seconds, timeout=None):
        """Wait until the device has sampled `seconds` more of data, counted in its own windows
        (rate / hop per second), not by the wall clock: a busy machine only makes it slower.
        Fails after a deadline (5 x seconds + 10 s). Returns the last /api/status."""
        s = self.json("GET", "/api/status")[1]
        need = s["windows"] + max(1, -int(-seconds * s["rate"] // s["hop"]))
        deadline = time.monotonic() + (timeout or 5 * seconds + 10)
        while s["windows"] < need:
            assert time.monotonic() < deadline, ("no data", s["windows"], need)
            time.sleep(0.05)
            s = self.json("GET", "/api/status")[1]
        return s

    def sockets(self):
        """How many sockets the device process holds open now (listening one included)."""
        fd = Path("/proc/%d/fd" % self.pid())
        n = 0
        for p in fd.iterdir():
            try:
                n += os.readlink(p).startswith("socket:")
            except OSError:
                pass
        return n

    def alive(self):
        return self.proc.poll() is None

    @property
    def token(self):
        return (self.data / "token").read_text().strip()

    def request(self, method, path, body=None, headers=None, timeout=5):
        """(status, headers dict lower-case, body bytes) over a raw socket."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h = {"Host": "127.0.0.1:%d" % self.port, "Connection": "close"}
        if body is not None:
            h["Content-Type"] = "application/json"
            h["Content-Length"] = str(len(body))
        h.update(headers or {})
        req = "%s %s HTTP/1.1\r\n%s\r\n" % (
            method, path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(req.encode() + (body or b""))
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs, rest

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def json(self, method, path, body=None, token=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        status, hdrs, raw = self.request(method, path, body, h)
        return status, json.loads(raw)

    def put(self, path, body, token=True):
        return self.json("PUT", path, body, self.token if token is True else token)

    def ws(self, timeout=5, headers=None):
        return WSClient(self.port, timeout, headers)


class WSClient:
    def __init__(self, port, timeout=5, headers=None):
        """headers: extra or replaced handshake headers (e.g. Origin); a handshake answered
        with anything but 101 raises HandshakeRefused (status, JSON body)."""
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        h = {"Host": "127.0.0.1", "Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
             "Sec-WebSocket-Version": "13"}
        h.update(headers or {})
        self.s.sendall(("GET /ws HTTP/1.1\r\n%s\r\n" % "".join(
            "%s: %s\r\n" % kv for kv in h.items())).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.s.recv(1)
            if not c:
                self.s.close()
                raise ConnectionError("closed during handshake: %r" % head)
            head += c
        self.status = int(head.split()[1])
        if self.status != 101:
            rest = b""
            while True:
                c = self.s.recv(65536)
                if not c:
                    break
                rest += c
            self.s.close()
            raise HandshakeRefused(self.status, json.loads(rest))

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.s.recv(n - len(buf))
            if not c:
                raise ConnectionError("connection closed")
            buf += c
        return buf

    def recv(self):
        """(opcode, payload bytes)"""
        b0, b1 = self._recv_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._recv_exact(8))[0]
        return b0 & 0x0F, self._recv_exact(n)

    def until(self, pred, limit=400):
        """The first (opcode, payload) for which pred(opcode, payload) is true."""
        for _ in range(limit):
            op, d = self.recv()
            if pred(op, d):
                return op, d
        raise AssertionError("not seen in %d frames" % limit)

    def closed_after(self):
        """True when the device closes the connection (reading what is left)."""
        try:
            while self.s.recv(65536):
                pass
            return True
        except OSError:
            return False

    def recv_json(self, want=None, limit=200):
        """Next text message (skipping binary frames); with want, the next of that type."""
        for _ in range(limit):
            op, data = self.recv()
            if op == 1:
                msg = json.loads(data)
                if want is None or msg.get("type") == want:
                    return msg
        raise AssertionError("no %s message" % want)

    def recv_frame(self, limit=50):
        """Next binary window frame, decoded: (header tuple, samples list)."""
        for _ in range(limit):
            op, data = self.recv()
            if op == 2 and data[0] != protocol.FORMAT_MEL:
                h = protocol.decode_header(data)
                from array import array
                out = array(protocol.typecode(h[3]), bytes(2 * h[2] * h[4]) if h[3] == 0
                            else bytes(4 * h[2] * h[4]))
                protocol.decode_window_into(data, out)
                return h, out
        raise AssertionError("no binary frame")

    def recv_mel(self, limit=400):
        """Next mel frame (protocol.decode_mel), skipping window frames and text."""
        for _ in range(limit):
            op, data = self.recv()
            if op == 2 and data[0] == protocol.FORMAT_MEL:
                return protocol.decode_mel(data)
        raise AssertionError("no mel frame")

    def send_raw(self, opcode, payload, fin=True, mask=True, rsv=0):
        """One frame as given: unfinished, unmasked or with reserved bits (rsv 0..7)."""
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
        m = 0x80 if mask else 0
        if n < 126:
            head += bytes([m | n])
        elif n < 65536:
            head += bytes([m | 126]) + struct.pack(">H", n)
        else:
            head += bytes([m | 127]) + struct.pack(">Q", n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.s.sendall(head + payload)

    def send_text(self, text):
        self.send_raw(1, text.encode() if isinstance(text, str) else text)

    def send_json(self, msg):
        self.send_text(json.dumps(msg))

    def close(self):
        try:
            self.send_raw(8, b"")
        except OSError:
            pass
        self.s.close()


class HandshakeRefused(ConnectionError):
    def __init__(self, status, body):
        super().__init__("handshake answered %d: %r" % (status, body))
        self.status = status
        self.body = body
