# MQTT publishing of the node (topics in device/NODE.md): availability (retained "online",
# last will "offline"), Home Assistant discovery (retained), each class change (QoS 1,
# retained) and the periodic summary (QoS 0); with an anomaly model, its state and score
# ("anomaly", QoS 1, retained: a binary_sensor and a sensor in Home Assistant) instead of the
# class entities (their discovery configs are emptied, which removes them); with a regression
# model, its estimate ("value", QoS 1, retained: a sensor in the model's unit); with a slow
# sensor, its readings ("readings", QoS 0, retained: a sensor per channel, with its unit and
# Home Assistant device class where there is one). Events wait in a bounded queue (ringq: the
# oldest is dropped and counted when it is full), so the inference task never waits; one
# message is in flight at a time and is sent again after a reconnect until the broker
# acknowledged it, so class changes arrive in order. Reconnects back off from 1 s to 60 s
# (a broker refusing our credentials: 60 s at once, and the status says why).
# Memory: the queue (settings "queue" slots of small tuples), one connection, one packet at
# a time, built in one of two buffers made once (PACKET bytes each, grown once to the
# largest packet sent: the event in flight, kept there for a resend; availability and
# discovery) and written from it; one task, which also reads the broker's packets (mqtt.py
# has no reader task). While a publish waits, it keeps no copy of its JSON, topic, packet
# or event dict alive: the same small set every time (scripts/heap_transients.py).
import asyncio
import json

import board
import mqtt
from ringq import RingQ

BACKOFF_S = (1, 60)
PACKET = 256               # bytes of the PUBLISH buffer at first
TIMEOUT_MS = 5000
_QOS = {"class": 1, "summary": 0, "anomaly": 1, "value": 1, "readings": 0}
_RETAIN = ("class", "anomaly", "sound", "value", "readings")
# a slow sensor's unit -> (Home Assistant device class, unit)
_HA_UNITS = {"degC": ("temperature", "\u00b0C"), "%RH": ("humidity", "%"),
             "hPa": ("pressure", "hPa"), "kPa": ("pressure", "kPa"),
             "lx": ("illuminance", "lx")}


class MqttPub:
    kind = "classes"               # the running model's kind: which entities discovery sends
    sound = False                  # a microphone runs: its level sensor (set_sound)
    target, unit = "value", ""     # a regression model's quantity and unit (set_value)
    rch, runits = (), ()           # a slow sensor's channels and units (set_readings)
    _gone = ()                     # channels announced before: their configs are emptied

    def __init__(self, settings, name):
        self.s = settings
        self.name = name
        self.base = settings["topic"] or "motebook/" + name
        self.q = RingQ(settings["queue"])
        self.state = "connecting"
        self.error = None
        self.sent = 0
        self.connects = 0
        self.failures = 0
        self._inflight = None      # (kind, its packet in _ev, sent before: resend with DUP)
        self._rw = None
        self._pid = 0
        self._ha = False           # Home Assistant came online: send discovery again
        self._buf = bytearray(PACKET)   # availability, discovery
        self._ev = bytearray(PACKET)    # the event in flight (kept for a resend)
        self._evpid = 0                 # its packet id (0: QoS 0)

    def put(self, kind, msg):
        """Queue an event ("class", "anomaly" or "summary"; msg a dict); never waits."""
        self.q.put((kind, msg))

    def set_sound(self, on):
        """A microphone started or stopped (node.sensor_changed): discovery again."""
        if on != self.sound:
            self.sound = on
            self._ha = True

    def set_kind(self, kind):
        """The model's kind changed ("classes" / "anomaly"): discovery is sent again."""
        if kind != self.kind:
            self.kind = kind
            self._ha = True

    def set_readings(self, channels, units):
        """A slow sensor (or none: ()) started: a sensor entity per channel, announced again."""
        channels = tuple(channels)
        if channels != self.rch:
            self._gone = tuple(c for c in self.rch + self._gone if c not in channels)
            self.rch, self.runits = channels, tuple(units)
            self._ha = True

    def set_value(self, target, unit):
        """A regression model runs (estimating target in unit): its value sensor is announced."""
        self.kind = "regress"
        self.target, self.unit = target, unit
        self._ha = True

    def status(self):
        return {"state": self.state, "error": self.error, "sent": self.sent,
                "queued": len(self.q) + (1 if self._inflight else 0),
                "dropped": self.q.dropped, "connects": self.connects,
                "failures": self.failures, "topic": self.base}

    async def run(self):
        backoff = BACKOFF_S[0]
        while True:
            try:
                self.state = "connecting"
                await self._connect()
                self.state, self.error = "connected", None
                backoff = BACKOFF_S[0]
                await self._serve()
            except asyncio.CancelledError:
                await self._close(True)
                raise
            except mqtt.MQTTError as e:
                self.state, self.error = "error", str(e)
                if e.code in (4, 5):        # credentials: retrying soon cannot help
                    backoff = BACKOFF_S[1]
            except Exception as e:          # unreachable, reset, timed out
                self.state = "disconnected"
                self.error = "broker %s:%d: %s" % (self.s["host"], self.s["port"],
                                                   "no answer in time" if isinstance(
                                                       e, asyncio.TimeoutError)
                                                   else str(e) or e.__class__.__name__)
            await self._close(False)
            if self._inflight:
                self._inflight = (self._inflight[0], self._inflight[1], True)
            self.failures += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_S[1])

    async def _close(self, clean):
        if self._rw is None:
            return
        w = self._rw[1]
        self._rw = None
        if clean:            # a clean stop sends no will: say "offline" ourselves
            try:
                w.write(mqtt.publish_packet(self.base + "/availability", "offline", 0, True,
                                            False, 0) + mqtt.DISCONNECT)
                await asyncio.wait_for_ms(w.drain(), 1000)
            except Exception:
                pass
        try:
            w.close()
        except Exception:
            pass

    async def _connect(self):
        s = self.s
        self.connects += 1
        self._rw = await mqtt.connect(s["host"], s["port"], self.name, s["username"],
                                      s["password"], s["keepalive_s"],
                                      (self.base + "/availability", "offline", True),
                                      TIMEOUT_MS)
        await self._publish(self.base + "/availability", "online", 1, True)
        if s["discovery"]:
            await self._discovery()
            self._pid = self._pid % 65535 + 1
            await self._send(mqtt.subscribe_packet(s["discovery_prefix"] + "/status",
                                                   self._pid))
            await self._until(mqtt.SUBACK, self._pid)

    async def _serve(self):
        wait_ms = self.s["keepalive_s"] * 500
        while True:
            if self._ha:
                self._ha = False
                await self._discovery()
            if self._inflight is None:
                try:
                    await asyncio.wait_for_ms(self.q.wait(), wait_ms)
                except asyncio.TimeoutError:
                    await self._send(mqtt.PING)      # keepalive (and read what came)
                    await self._until(mqtt.PINGRESP)
                    continue
                self._inflight = self._event()
            kind, data, dup = self._inflight
            if dup and self._evpid:
                data[0] |= 0x08          # a resend: the same bytes and packet id, DUP set
            await self._send(data)
            if self._evpid:
                await self._until(mqtt.PUBACK, self._evpid)
            self._inflight = data = None
            self.sent += 1

    def _event(self):
        """The next event's PUBLISH, built once into its own buffer and sent (again after a
        reconnect) from there: (kind, packet, False). A plain function: the event's dict and
        JSON are not kept by this sender once it returns."""
        kind, msg = self.q.pop()
        qos = _QOS.get(kind, 1)
        pid = 0
        if qos:
            self._pid = pid = self._pid % 65535 + 1
        self._evpid = pid
        return kind, self._packet(kind, msg, qos, kind in _RETAIN, False, pid, True), False

    async def _send(self, data):
        w = self._rw[1]
        w.write(data)          # MicroPython's Stream writes at once what the socket takes
        data = None
        if w.out_buf:          # ... and keeps the rest: only then a drain with a timeout
            await asyncio.wait_for_ms(w.drain(), TIMEOUT_MS)
        else:
            await asyncio.sleep_ms(0)

    async def _publish(self, topic, payload, qos, retain, dup=False):
        pid = 0
        if qos:
            self._pid = pid = self._pid % 65535 + 1
        await self._send(self._packet(topic, payload, qos, retain, dup, pid))
        if qos:
            await self._until(mqtt.PUBACK, pid)

    def _packet(self, topic, payload, qos, retain, dup, pid, event=False):
        """The PUBLISH packet: a view of a preallocated buffer (an event's own, else the one
        for availability and discovery; grown when it does not fit). A plain function, not a
        coroutine: the JSON and topic strings made here are garbage when it returns (a
        waiting coroutine's frame keeps whatever its value stack last held)."""
        if isinstance(payload, dict):
            topic, payload = self.base + "/" + topic, json.dumps(payload)
        buf = self._ev if event else self._buf
        start, end = mqtt.publish_into(buf, topic, payload, qos, retain, dup, pid)
        if end < 0:                     # grown once to the largest packet sent
            buf = bytearray(-end)
            if event:
                self._ev = buf
            else:
                self._buf = buf
            start, end = mqtt.publish_into(buf, topic, payload, qos, retain, dup, pid)
        return memoryview(buf)[start:end]

    async def _until(self, kind, pid=None):
        """Read the broker's packets until one of kind (with packet id pid) came, within
        TIMEOUT_MS; a PUBLISH on the way is Home Assistant's status (subscribed at QoS 0:
        nothing to acknowledge)."""
        r = self._rw[0]
        while True:
            t, flags, body = await asyncio.wait_for_ms(mqtt.read_packet(r), TIMEOUT_MS)
            if t == mqtt.PUBLISH:
                topic, payload, _ = mqtt.incoming(flags, body)
                if topic.endswith("/status") and payload == b"online":
                    self._ha = True
            elif t == kind and (pid is None or mqtt.ack_id(body) == pid):
                return

    async def _discovery(self):
        """Home Assistant entities (retained): a classes model's class and its confidence
        (sensors), an anomaly model's state (binary_sensor) and score (sensor); the other
        kind's configs are sent empty (Home Assistant removes those entities)."""
        dev = {"identifiers": [self.name], "name": self.name, "manufacturer": "motebook",
               "model": board.HW["board"] if board.HW else "simulator",
               "sw_version": board.FW_VERSION}
        pre = self.s["discovery_prefix"] + "/"
        anomaly = self.kind == "anomaly"
        for comp, kind in (("sensor", "class"), ("sensor", "confidence"),
                           ("binary_sensor", "anomaly"), ("sensor", "score"),
                           ("sensor", "sound"), ("sensor", "value")):
            topic = pre + comp + "/" + self.name + "/" + kind + "/config"
            if not (self.sound if kind == "sound" else self.kind == "regress"
                    if kind == "value" else anomaly if kind in ("anomaly", "score")
                    else self.kind == "classes"):
                await self._publish(topic, "", 1, True)
                continue
            state = self.base + ("/sound" if kind == "sound" else "/value" if kind == "value"
                                 else "/anomaly" if anomaly else "/class")
            cfg = {"name": kind, "unique_id": self.name + "_" + kind,
                   "state_topic": state, "device": dev,
                   "availability_topic": self.base + "/availability"}
            if kind == "class":
                cfg["value_template"] = "{{ value_json.class }}"
                cfg["json_attributes_topic"] = state
                cfg["icon"] = "mdi:motion-sensor"
            elif kind == "confidence":
                cfg["value_template"] = "{{ (value_json.confidence * 100) | round(0) }}"
                cfg["unit_of_measurement"] = "%"
            elif kind == "anomaly":
                cfg["value_template"] = "{{ 'ON' if value_json.anomaly else 'OFF' }}"
                cfg["device_class"] = "problem"
                cfg["json_attributes_topic"] = state
            elif kind == "sound":       # the minute's Leq; L10/L50/L90... as attributes
                cfg["name"] = "sound level"
                cfg["value_template"] = "{{ value_json.leq }}"
                cfg["unit_of_measurement"] = "dB"
                cfg["device_class"] = "sound_pressure"
                cfg["state_class"] = "measurement"
                cfg["json_attributes_topic"] = state
            elif kind == "value":       # a regression model's estimate, in its unit
                cfg["name"] = self.target
                cfg["value_template"] = "{{ value_json.value }}"
                if self.unit:
                    cfg["unit_of_measurement"] = self.unit
                cfg["state_class"] = "measurement"
                cfg["json_attributes_topic"] = state
            else:
                cfg["value_template"] = "{{ value_json.score }}"
                cfg["state_class"] = "measurement"
                cfg["icon"] = "mdi:chart-bell-curve"
            await self._publish(topic, json.dumps(cfg), 1, True)
        await self._readings_discovery(pre, dev)

    async def _readings_discovery(self, pre, dev):
        """A slow sensor's channels as sensors on <base>/readings; channels announced before
        and gone now are emptied."""
        for ch in self._gone:
            await self._publish(pre + "sensor/" + self.name + "/" + ch + "/config", "", 1, True)
        self._gone = ()
        for i in range(len(self.rch)):
            ch = self.rch[i]
            u = self.runits[i] if i < len(self.runits) else ""
            dc = _HA_UNITS.get(u)
            cfg = {"name": ch, "unique_id": self.name + "_" + ch,
                   "state_topic": self.base + "/readings", "device": dev,
                   "availability_topic": self.base + "/availability",
                   "value_template": "{{ value_json.%s }}" % ch, "state_class": "measurement"}
            if dc:
                cfg["device_class"], cfg["unit_of_measurement"] = dc
            elif u:
                cfg["unit_of_measurement"] = u
            await self._publish(pre + "sensor/" + self.name + "/" + ch + "/config",
                                json.dumps(cfg), 1, True)
            cfg = None
