# Our small MQTT 3.1.1 client over asyncio streams: CONNECT (client id, keepalive, last will,
# user name and password), PUBLISH at QoS 0 or 1 (a QoS 1 publish returns once its PUBACK
# came), PINGREQ, SUBSCRIBE at QoS 0 and DISCONNECT. One reader task per connection takes
# every packet the broker sends. Reconnecting, queueing and resending are the caller's
# (mqtt_pub.py). Memory: one packet at a time (bytes of topic + payload + 5), no buffers kept.
import asyncio
import struct

CONNACK = ("", "the broker does not speak MQTT 3.1.1", "the broker refused the client id",
           "the broker is unavailable", "bad user name or password",
           "not authorised by the broker")


class MQTTError(Exception):
    """The broker refused the connection (CONNACK code) or broke the protocol."""

    def __init__(self, msg, code=None):
        super().__init__(msg)
        self.code = code


def _str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def _packet(head, body):
    n = len(body)
    out = bytearray((head,))
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            break
    return out + body


class Client:
    def __init__(self, client_id, host, port=1883, user="", password="", keepalive=30,
                 will=None, on_message=None):
        """will: (topic, payload, retain) sent by the broker at QoS 1 if we vanish;
        on_message(topic, payload) gets messages of subscribed topics."""
        self.client_id, self.host, self.port = client_id, host, port
        self.user, self.password, self.keepalive = user, password, keepalive
        self.will, self.on_message = will, on_message
        self._r = self._w = None
        self._pid = 0
        self._acked = 0             # packet id of the last PUBACK / SUBACK
        self._ev = asyncio.Event()  # set on each PUBACK, SUBACK, PINGRESP or when closed
        self._task = None
        self.closed = True
        self.pongs = 0

    async def connect(self, timeout_ms=5000):
        """Open the connection; MQTTError when the broker says no, OSError when it cannot
        be reached, asyncio.TimeoutError when it does not answer."""
        self._r, self._w = await asyncio.wait_for_ms(
            asyncio.open_connection(self.host, self.port), timeout_ms)
        self.closed = False
        flags = 0x02                                   # clean session
        body = _str("MQTT") + bytes((4,))
        tail = _str(self.client_id)
        if self.will:
            topic, payload, retain = self.will
            flags |= 0x04 | 0x08 | (0x20 if retain else 0)   # will, will QoS 1, retain
            tail += _str(topic) + _str(payload)
        if self.user:
            flags |= 0x80
            tail += _str(self.user)
            if self.password:
                flags |= 0x40
                tail += _str(self.password)
        body += bytes((flags,)) + struct.pack(">H", self.keepalive) + tail
        await self._send(_packet(0x10, body))
        ack = await asyncio.wait_for_ms(self._r.readexactly(4), timeout_ms)
        if ack[0] != 0x20 or ack[1] != 2:
            raise MQTTError("the broker did not answer CONNECT with CONNACK")
        if ack[3]:
            code = ack[3]
            raise MQTTError("broker refused the connection: %s (CONNACK %d)"
                            % (CONNACK[code] if code < len(CONNACK) else "?", code), code)
        self._task = asyncio.create_task(self._reader())

    async def _send(self, data):
        self._w.write(data)
        await self._w.drain()

    def _next_pid(self):
        self._pid = self._pid % 65535 + 1
        return self._pid

    async def publish(self, topic, payload, qos=0, retain=False, dup=False, timeout_ms=5000):
        """Send one message; with qos 1, returns once the broker acknowledged it (else
        asyncio.TimeoutError / OSError: the caller reconnects and sends it again)."""
        head = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup and qos else 0)
        body = _str(topic)
        pid = 0
        if qos:
            pid = self._next_pid()
            body += struct.pack(">H", pid)
        b = payload.encode() if isinstance(payload, str) else payload
        self._ev.clear()
        await self._send(_packet(head, body + b))
        if qos:
            await self._wait(lambda: self._acked == pid, timeout_ms)

    async def subscribe(self, topic, timeout_ms=5000):
        pid = self._next_pid()
        self._ev.clear()
        await self._send(_packet(0x82, struct.pack(">H", pid) + _str(topic) + b"\x00"))
        await self._wait(lambda: self._acked == pid, timeout_ms)

    async def ping(self, timeout_ms=5000):
        n = self.pongs
        self._ev.clear()
        await self._send(b"\xc0\x00")
        await self._wait(lambda: self.pongs != n, timeout_ms)

    async def _wait(self, done, timeout_ms):
        async def until():
            while not done():
                if self.closed:
                    raise OSError("connection to the broker lost")
                await self._ev.wait()
                self._ev.clear()
        await asyncio.wait_for_ms(until(), timeout_ms)

    async def _reader(self):
        r = self._r
        try:
            while True:
                h = (await r.readexactly(1))[0]
                n, shift = 0, 0
                while True:
                    b = (await r.readexactly(1))[0]
                    n |= (b & 0x7F) << shift
                    shift += 7
                    if not b & 0x80:
                        break
                body = await r.readexactly(n) if n else b""
                kind = h >> 4
                if kind in (4, 9) and n >= 2:           # PUBACK, SUBACK
                    self._acked = struct.unpack_from(">H", body, 0)[0]
                elif kind == 13:                        # PINGRESP
                    self.pongs += 1
                elif kind == 3:                         # PUBLISH to us (QoS 0 subscription)
                    k = struct.unpack_from(">H", body, 0)[0]
                    q = (h >> 1) & 3
                    topic = bytes(body[2:2 + k]).decode()
                    start = 2 + k + (2 if q else 0)
                    if q == 1:                          # (we subscribe at QoS 0; be polite)
                        await self._send(b"\x40\x02" + body[2 + k:start])
                    if self.on_message:
                        self.on_message(topic, bytes(body[start:]))
                self._ev.set()
        except asyncio.CancelledError:
            raise
        except Exception:             # EOF, reset: the connection is over
            pass
        finally:
            self.closed = True
            self._ev.set()

    async def disconnect(self):
        try:
            await self._send(b"\xe0\x00")
        except Exception:
            pass
        self.close()

    def close(self):
        self.closed = True
        self._ev.set()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._w is not None:
            try:
                self._w.close()
            except Exception:
                pass
            self._w = None
