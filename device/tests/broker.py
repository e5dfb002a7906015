"""Test helpers (CPython): a real Debian mosquitto broker on a free 127.0.0.1 port (anonymous,
or with a password file; in-memory persistence of QoS 1 sessions across a restart on the same
port), a paho-mqtt subscriber that records every message, and a local HTTP receiver for
webhooks that can answer errors, stall or be down."""
import getpass
import json
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paho.mqtt.client as mqtt

from device.tests.simdev import free_port

MOSQUITTO = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")


class Broker:
    def __init__(self, workdir, users=None):
        """users: {name: password} (then anonymous clients are refused)."""
        if not MOSQUITTO:
            raise RuntimeError("mosquitto is not installed (Debian package mosquitto): "
                               "`scripts/setup test` installs it (scripts/test_programs.txt)")
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc = None
        conf = ["listener %d 127.0.0.1" % self.port, "persistence true",
                "persistence_location %s/" % self.dir, "autosave_interval 1",
                "log_dest stderr", "log_type error",
                "user %s" % getpass.getuser()]   # (as root it would switch to "mosquitto")
        if users:
            pw = self.dir / "passwd"
            pw.write_text("".join("%s:%s\n" % kv for kv in users.items()))
            pw.chmod(0o600)
            subprocess.run(["mosquitto_passwd", "-U", str(pw)], check=True)
            conf += ["allow_anonymous false", "password_file %s" % pw]
        else:
            conf += ["allow_anonymous true"]
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text("\n".join(conf) + "\n")

    def start(self):
        self.log = open(self.dir / "broker.log", "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        import socket
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start: %s" % (self.dir / "broker.log").read_text())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if getattr(self, "log", None):
            self.log.close()


class Subscriber:
    """Records (topic, payload bytes, retain) of every message under `topic`; a persistent
    QoS 1 session (clean_session False) keeps what arrives while it reconnects."""

    def __init__(self, port, topic="#", client_id="test-sub", auth=None):
        self.msgs = []
        self.lock = threading.Lock()
        c = self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                 clean_session=False)
        if auth:
            c.username_pw_set(*auth)
        c.reconnect_delay_set(0.1, 0.5)
        self.topic = topic
        c.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe(topic, qos=1)
        c.on_message = self._on
        c.connect("127.0.0.1", port, keepalive=10)
        c.loop_start()

    def _on(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic, bytes(m.payload), m.retain))

    def json(self, suffix):
        """Payloads (decoded JSON) of topics ending with suffix, in arrival order."""
        with self.lock:
            return [json.loads(p) for t, p, r in self.msgs if t.endswith(suffix)]

    def wait(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self):
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class Receiver:
    """A local webhook receiver on 127.0.0.1: records (path, headers, JSON body); `plan` is a
    list of status codes answered to the next requests (then 200); stop()/start() on the same
    port make it unreachable for a while."""

    def __init__(self):
        self.port = free_port()
        self.got = []
        self.plan = []
        self.requests = 0
        self.srv = None

    def start(self):
        rx = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                rx.requests += 1
                code = rx.plan.pop(0) if rx.plan else 200
                if code == 200:
                    rx.got.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass
        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.srv:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None
