# WebSocket /ws clients (at most 4): one sender task per client sends queued control
# messages then the newest frame, so a slow client skips windows (counted), never the sampler.
# Each client runs in a task of its own, after the HTTP handler that upgraded it has returned
# (its request and frames are freed). Memory: about 3.3 KB per client on the simulator (two
# tasks, a bounded outbox, a 256-byte scratch buffer); frames are not copied.
# Mel frames: a client sends {"type": "mel", "on": true|false} (sensor "mic" only); while one
# wants them the microphone's task makes them (sound.Sound.set_mel -> melstream.MelStream, a
# ring of 0.5 s) and each such client gets every frame, a run of them in one write; one more than
# the ring behind loses the oldest (counted in /api/sound mel.lost), never stalls the sound.
import asyncio
import socket
import struct

import board

from shared import protocol

MAX_CLIENTS = 4
MAX_OUTBOX = 4
MAX_MESSAGE = protocol.MAX_CONTROL_BYTES   # longest client message we parse
_DISCARD_LIMIT = 1 << 20                   # longer messages: error, then close
_TEXT, _BINARY, _CLOSE, _PING, _PONG = 1, 2, 8, 9, 10


class Client:
    def __init__(self, hub, writer):
        self.hub = hub
        self.w = writer
        self.ev = asyncio.Event()
        self.outbox = []        # (opcode, bytes) waiting for the sender; at most MAX_OUTBOX
        self.last_total = None  # hub.total at the last frame sent
        self.sent = 0
        self.dropped = 0
        self.closed = False
        self.mel = False        # wants mel frames
        self.mel_sent = 0       # the MelStream's total at the last mel frame sent

    def queue(self, opcode, data):
        if len(self.outbox) < MAX_OUTBOX:
            self.outbox.append((opcode, data))
            self.ev.set()
            return True
        return False

    def queue_control(self, msg):
        return self.queue(_TEXT, protocol.encode_control(msg).encode())


class Hub:
    def __init__(self, acq, hello):
        self.acq = acq
        self._hello = hello     # callable returning the hello dict
        self.clients = []
        self.pending = 0        # slots reserved by connections in their handshake
        self.total = 0          # frames published since boot
        self.dropped = 0        # frames skipped by slow clients (also those gone)
        self.versions = {}      # part -> how many times it changed since boot (protocol.PARTS)
        self._mel_notify = self.mel_notify      # one bound method, made once

    def mel_notify(self):
        for c in self.clients:
            if c.mel:
                c.ev.set()

    def sync_mel(self):
        """Mel frames on while a client wants them and the sensor is the microphone, else off
        (their heap given back). Returns the MelStream or None."""
        s = self.acq.sensor
        if s is None or not hasattr(s, "set_mel"):
            return None
        want = False
        for c in self.clients:
            if c.mel:
                want = True
        ms = s.set_mel(self._mel_notify if want else None)
        return ms

    def publish(self, seq):
        self.total += 1
        for c in self.clients:
            c.ev.set()

    def broadcast(self, msg):
        """Queue one control message (encoded once) for every client; a full outbox skips it."""
        if self.clients:
            data = protocol.encode_control(msg).encode()
            for c in self.clients:
                c.queue(_TEXT, data)

    def changed(self, part, id=None):
        """The one place a change is told: bump part's version and queue {"type": "changed",
        "part", "id"?, "version"} for every page (shared.protocol.changed); nothing is kept
        per client."""
        v = self.versions[part] = self.versions.get(part, 0) + 1
        self.broadcast(protocol.changed(part, v, id))

    def full(self):
        return len(self.clients) + self.pending >= MAX_CLIENTS

    def reserve(self):
        """Hold a client slot for a connection about to do its handshake (checked and taken
        in one step, so simultaneous connects cannot exceed MAX_CLIENTS); serve() takes it
        over, unreserve() gives it back."""
        if self.full():
            return False
        self.pending += 1
        return True

    def unreserve(self):
        self.pending -= 1

    def hello_all(self):
        """After a reconfiguration: every client gets a new hello (new shape, next seq)."""
        for c in self.clients:
            c.last_total = None
            c.queue_control(self._hello())
        ms = self.sync_mel()          # a new microphone: frames again for those who asked
        for c in self.clients:
            c.mel_sent = ms.total if ms is not None else 0

    def client_dropped(self):
        n = self.dropped
        for c in self.clients:
            n += c.dropped
            if c.last_total is not None and self.total - c.last_total > 1:
                n += self.total - c.last_total - 1   # skipped while its socket is full
        return n

    async def serve(self, reader, writer, close):
        """Run one client (in the slot reserve() held, as a task of its own) until it closes;
        then close(socket)."""
        try:
            await self._serve(reader, writer)
        except Exception as e:
            print("motebook: ws client error:", repr(e))
        finally:
            close(writer.s)

    async def _serve(self, reader, writer):
        self.pending -= 1
        c = Client(self, writer)
        if board.WS_SNDBUF:
            try:  # device-sized socket buffer, so a slow client backs up quickly
                writer.s.setsockopt(socket.SOL_SOCKET, board.SO_SNDBUF, board.WS_SNDBUF)
            except (AttributeError, OSError):
                pass
        self.clients.append(c)
        hello = self._hello()
        f = self.acq.framer
        if f is not None and f.frame_len and self.total:
            # the newest window goes out right after the hello, not a hop later (a page's
            # first plot waited up to a hop for it); the hello names it as the first seq
            c.last_total = self.total - 1
            hello["seq"] -= 1
        else:
            c.last_total = self.total
        c.queue_control(hello)
        done = asyncio.Event()
        sender = asyncio.create_task(self._until_done(self._send_loop(c), done))
        receiver = asyncio.create_task(self._until_done(self._read_loop(c, reader), done))
        try:
            await done.wait()      # either side ended: the client left, closed or stalled
        finally:
            if c.outbox and not sender.done():   # e.g. the close frame answering the client's
                try:
                    await asyncio.wait_for_ms(self._flush(c), 200)
                except Exception:
                    pass
            c.closed = True
            for t in (receiver, sender):
                t.cancel()          # a task waiting on its socket leaves the poller cleanly
                try:
                    await t
                except BaseException:
                    pass
            self.clients.remove(c)
            if c.mel:
                c.mel = False
                self.sync_mel()
            self.dropped += c.dropped
            if c.last_total is not None and self.total - c.last_total > 1:
                self.dropped += self.total - c.last_total - 1

    async def _until_done(self, coro, done):
        try:
            await coro
        except (OSError, EOFError):
            pass
        finally:
            done.set()

    async def _drain(self, w):
        # A client that takes nothing for WS_STALL_MS (a phone gone to sleep, a half-open
        # connection) is dropped, so it cannot hold one of the few client slots forever.
        try:
            await asyncio.wait_for_ms(w.drain(), board.WS_STALL_MS)
        except asyncio.TimeoutError:
            print("motebook: dropping a WebSocket client that stopped reading")
            raise OSError("client stalled")   # ends serve(), which closes the socket

    async def _flush(self, c):
        while c.outbox and not c.closed:
            await asyncio.sleep_ms(5)

    async def _send_loop(self, c):
        w = c.w
        try:
            while not c.closed:
                await c.ev.wait()
                c.ev.clear()
                while c.outbox:
                    op, data = c.outbox.pop(0)
                    # one write: a header sent alone waits for the client's delayed ACK
                    # (Nagle), ~40 ms per message
                    w.write(_header(op, len(data)) + data)
                    await self._drain(w)
                    if op == _CLOSE:
                        c.closed = True
                        return
                if c.last_total is None:       # new hello queued: restart counting
                    c.last_total = self.total
                    continue
                f = self.acq.framer
                if self.total != c.last_total and f is not None and f.frame_len:
                    c.dropped += self.total - c.last_total - 1
                    c.last_total = self.total
                    n = f.frame_len
                    # The WebSocket header goes right before the frame, in the same buffer,
                    # so one write() copies everything out synchronously (no allocation).
                    buf = f.buf
                    if n < 126:
                        buf[2] = 0x82
                        buf[3] = n
                        w.write(f.view[2:4 + n])
                    else:
                        buf[0] = 0x82
                        buf[1] = 126
                        buf[2] = n >> 8
                        buf[3] = n & 0xFF
                        w.write(f.view[0:4 + n])
                    c.sent += 1
                    await self._drain(w)
                if c.mel:
                    await self._send_mel(c, w)
        except (OSError, EOFError):
            c.closed = True

    async def _send_mel(self, c, w):
        ms = getattr(self.acq.sensor, "melstream", None)
        if ms is None:
            return
        from melstream import RING
        slot = ms.slot
        while c.mel_sent < ms.total and not c.closed:
            behind = ms.total - c.mel_sent
            if behind > RING:             # overwritten before this client took them
                ms.lost += behind - RING
                c.mel_sent = ms.total - RING
            i = c.mel_sent % RING
            k = ms.total - c.mel_sent
            if k > RING - i:
                k = RING - i
            w.write(ms.view[i * slot:(i + k) * slot])   # k frames, each with its WS header
            c.mel_sent += k
            await self._drain(w)

    async def _read_loop(self, c, r):
        scratch = memoryview(bytearray(256))
        while not c.closed:
            h = await r.readexactly(2)
            fin, op, masked, n = h[0] & 0x80, h[0] & 0x0F, h[1] & 0x80, h[1] & 0x7F
            if h[0] & 0x70 or not masked:   # RFC 6455 5.1, 5.2: fail the connection
                c.queue(_CLOSE, _close_payload(1002, "reserved bits set" if h[0] & 0x70
                                               else "client frames must be masked"))
                return
            if n == 126:
                n = struct.unpack(">H", await r.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", await r.readexactly(8))[0]
            mask = await r.readexactly(4) if masked else None
            if op == _CLOSE:
                if n:
                    await _discard(r, n, scratch)
                c.queue(_CLOSE, b"")
                return
            err = None
            if op == _PING or op == _PONG:
                if n > 125:
                    err = "control frame too long"
            elif not fin or op == 0:
                err = "fragmented WebSocket messages are not supported"
            elif op == _BINARY:
                err = "binary messages from the client are not accepted; send JSON text"
            elif op != _TEXT:
                err = "unknown WebSocket opcode %d" % op
            elif n > MAX_MESSAGE:
                err = "message too long (%d > %d bytes)" % (n, MAX_MESSAGE)
            if err:
                if n > _DISCARD_LIMIT:
                    c.queue_control({"type": "error", "error": err + "; closing"})
                    c.queue(_CLOSE, b"")
                    return
                await _discard(r, n, scratch)
                c.queue_control({"type": "error", "error": err})
                continue
            data = await r.readexactly(n) if n else b""
            if mask:
                data = bytearray(data)
                for i in range(n):
                    data[i] ^= mask[i & 3]
            if op == _PING:
                c.queue(_PONG, bytes(data))
            elif op == _TEXT:
                self._on_text(c, data)

    def _on_text(self, c, data):
        try:
            try:
                text = bytes(data).decode()
            except UnicodeError:
                raise protocol.ProtocolError("message is not valid UTF-8")
            msg = protocol.decode_control(text)
            t = msg["type"]
            if t == "ping":
                c.queue_control({"type": "pong", "id": msg.get("id")})
            elif t == "hello":
                c.queue_control(self._hello())
            elif t == "mel":
                self._on_mel(c, msg)
            else:
                raise protocol.ProtocolError("unknown message type %r (known: ping, hello, "
                                             "mel)" % t)
        except ValueError as e:   # ProtocolError is a ValueError
            c.queue_control({"type": "error", "error": str(e)})
        except (RuntimeError, MemoryError):   # e.g. too deep to encode an answer
            c.queue_control({"type": "error", "error": "message refused: too big or too "
                             "deeply nested for the device"})


    def _on_mel(self, c, msg):
        on = msg.get("on", True)
        if not isinstance(on, bool):
            raise protocol.ProtocolError("mel: 'on' must be true or false")
        s = self.acq.sensor
        if on and (s is None or not hasattr(s, "set_mel")):
            raise protocol.ProtocolError("mel frames need sensor 'mic' (now %r)"
                                         % (self.acq.cfg.get("sensor"),))
        c.mel = on
        try:
            ms = self.sync_mel()
        except ValueError:          # no C mel binding in this firmware
            c.mel = False
            raise
        if ms is None:
            c.queue_control({"type": "mel", "on": False})
            return
        c.mel_sent = ms.total
        st = ms.status()
        st["type"] = "mel"
        st["on"] = True
        st["fs"] = ms.fs
        c.queue_control(st)


def _close_payload(code, reason):
    return struct.pack(">H", code) + reason.encode()


def _header(op, n):
    if n < 126:
        return bytes((0x80 | op, n))
    return bytes((0x80 | op, 126, n >> 8, n & 0xFF))


async def _discard(r, n, scratch):
    while n > 0:
        k = await r.readinto(scratch[:min(n, len(scratch))])
        if not k:
            raise EOFError()
        n -= k
