# Our small MQTT 3.1.1 client as functions over asyncio streams (no object, no task of its
# own: the caller reads the broker's packets when it waits for one): CONNECT (client id,
# keepalive, last will, user name and password), PUBLISH at QoS 0 or 1, PUBACK, SUBSCRIBE
# at QoS 0, PINGREQ and DISCONNECT. Reconnecting, queueing and resending are mqtt_pub.py's.
# Memory: one packet at a time (topic + payload + 5 bytes); nothing kept between calls;
# publish_into builds a PUBLISH in the caller's preallocated buffer instead.
import asyncio
import struct

CONNACK = ("", "the broker does not speak MQTT 3.1.1", "the broker refused the client id",
           "the broker is unavailable", "bad user name or password",
           "not authorised by the broker")
PUBLISH, PUBACK, SUBACK, PINGRESP = 3, 4, 9, 13
PING = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"


class MQTTError(Exception):
    """The broker refused the connection (.code: the CONNACK code) or broke the protocol."""

    def __init__(self, msg, code=None):
        super().__init__(msg)
        self.code = code


def _str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def packet(head, body):
    n = len(body)
    out = bytearray((head,))
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            break
    return out + body


async def connect(host, port, client_id, user, password, keepalive, will, timeout_ms):
    """(reader, writer) of a new session (clean); will: (topic, payload, retain), sent at
    QoS 1 by the broker if we vanish. MQTTError when the broker says no, OSError when it
    cannot be reached, asyncio.TimeoutError when it does not answer."""
    r, w = await asyncio.wait_for_ms(asyncio.open_connection(host, port), timeout_ms)
    try:
        flags = 0x02
        tail = _str(client_id)
        if will:
            flags |= 0x04 | 0x08 | (0x20 if will[2] else 0)     # will, will QoS 1, retain
            tail += _str(will[0]) + _str(will[1])
        if user:
            flags |= 0x80
            tail += _str(user)
            if password:
                flags |= 0x40
                tail += _str(password)
        w.write(packet(0x10, _str("MQTT") + bytes((4, flags)) + struct.pack(">H", keepalive)
                       + tail))
        await w.drain()
        ack = await asyncio.wait_for_ms(r.readexactly(4), timeout_ms)
        if ack[0] != 0x20 or ack[1] != 2:
            raise MQTTError("the broker did not answer CONNECT with CONNACK")
        if ack[3]:
            code = ack[3]
            raise MQTTError("broker refused the connection: %s (CONNACK %d)"
                            % (CONNACK[code] if code < len(CONNACK) else "?", code), code)
    except BaseException:
        w.close()
        raise
    return r, w


def publish_packet(topic, payload, qos, retain, dup, pid):
    head = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup and qos else 0)
    body = _str(topic) + (struct.pack(">H", pid) if qos else b"")
    return packet(head, body + (payload.encode() if isinstance(payload, str) else payload))


def publish_into(buf, topic, payload, qos, retain, dup, pid):
    """A PUBLISH packet built in buf (bytearray): (start, end) of it, or (0, -bytes buf
    needs) when it does not fit. The body goes at offset 5 and the fixed header (1 to 5
    bytes) right before it, so nothing is copied twice; the strings made on the way are
    garbage when this returns."""
    t = topic.encode() if isinstance(topic, str) else topic
    p = payload.encode() if isinstance(payload, str) else payload
    n = 2 + len(t) + (2 if qos else 0) + len(p)
    if 5 + n > len(buf):
        return 0, -5 - n
    struct.pack_into(">H", buf, 5, len(t))
    i = 7 + len(t)
    buf[7:i] = t
    if qos:
        struct.pack_into(">H", buf, i, pid)
        i += 2
    buf[i:i + len(p)] = p
    k, m = 1, n >> 7                     # bytes of the remaining length
    while m:
        k += 1
        m >>= 7
    start = 4 - k
    buf[start] = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup and qos else 0)
    j, m = start + 1, n
    while True:
        b = m & 0x7F
        m >>= 7
        buf[j] = b | 0x80 if m else b
        j += 1
        if not m:
            break
    return start, 5 + n


def subscribe_packet(topic, pid):
    return packet(0x82, struct.pack(">H", pid) + _str(topic) + b"\x00")


async def read_packet(r):
    """(type, flags, body) of the broker's next packet; EOFError when it closed."""
    h = (await r.readexactly(1))[0]
    n, shift = 0, 0
    while True:
        b = (await r.readexactly(1))[0]
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return h >> 4, h & 0x0F, (await r.readexactly(n) if n else b"")


def incoming(flags, body):
    """(topic, payload, packet id or 0) of a PUBLISH the broker sent us."""
    k = struct.unpack_from(">H", body, 0)[0]
    start = 2 + k
    pid = 0
    if flags & 0x06:
        pid = struct.unpack_from(">H", body, start)[0]
        start += 2
    return bytes(body[2:2 + k]).decode(), bytes(body[start:]), pid


def ack_id(body):
    return struct.unpack_from(">H", body, 0)[0] if len(body) >= 2 else -1
