# MQTT publishing of the node (topics in device/NODE.md): availability (retained "online",
# last will "offline"), Home Assistant discovery (retained), each class change (QoS 1,
# retained) and the periodic summary (QoS 0). Events wait in a bounded queue (ringq: the
# oldest is dropped and counted when it is full), so the inference task never waits; one
# message is in flight at a time and is sent again after a reconnect until the broker
# acknowledged it, so class changes arrive in order. Reconnects back off from 1 s to 60 s
# (a broker refusing our credentials: 60 s at once, and the status says why).
# Memory: the queue (settings "queue" slots of small tuples) and one packet at a time.
import asyncio
import json

import board
from mqtt import Client, MQTTError
from ringq import RingQ

BACKOFF_S = (1, 60)
_QOS = {"class": 1, "summary": 0}


class MqttPub:
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
        self._inflight = None
        self._client = None
        self._resend = False
        self._ha_online = False

    def put(self, kind, msg):
        """Queue an event ("class" or "summary"; msg a dict); never waits."""
        self.q.put((kind, msg))

    def status(self):
        return {"state": self.state, "error": self.error, "sent": self.sent,
                "queued": len(self.q) + (1 if self._inflight else 0),
                "dropped": self.q.dropped, "connects": self.connects,
                "failures": self.failures, "topic": self.base}

    async def run(self):
        backoff = BACKOFF_S[0]
        while True:
            c = None
            try:
                self.state = "connecting"
                c = await self._connect()
                self.state, self.error = "connected", None
                backoff = BACKOFF_S[0]
                await self._serve(c)
            except asyncio.CancelledError:
                if c is not None and not c.closed:   # a clean stop: no will is sent, so
                    try:                             # say "offline" ourselves
                        await c.publish(self.base + "/availability", "offline", 1, True,
                                        timeout_ms=2000)
                    except Exception:
                        pass
                    await c.disconnect()
                raise
            except MQTTError as e:
                self.state, self.error = "error", str(e)
                if e.code in (4, 5):        # credentials: retrying soon cannot help
                    backoff = BACKOFF_S[1]
            except Exception as e:          # unreachable, reset, timed out
                self.state = "disconnected"
                self.error = "broker %s:%d: %s" % (self.s["host"], self.s["port"],
                                                   _why(e))
            finally:
                if c is not None:
                    c.close()
            self.failures += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_S[1])

    async def _connect(self):
        s = self.s
        c = Client(self.name, s["host"], s["port"], s["username"], s["password"],
                   s["keepalive_s"], (self.base + "/availability", "offline", True),
                   self._on_message)
        self._client = c
        self.connects += 1
        await c.connect()
        await c.publish(self.base + "/availability", "online", 1, True)
        if s["discovery"]:
            for topic, cfg in self._discovery():
                await c.publish(topic, json.dumps(cfg), 1, True)
            await c.subscribe(s["discovery_prefix"] + "/status")
        self._resend = self._inflight is not None
        return c

    async def _serve(self, c):
        wait_ms = self.s["keepalive_s"] * 500
        while True:
            if self._ha_online:            # Home Assistant restarted: discovery again
                self._ha_online = False
                for topic, cfg in self._discovery():
                    await c.publish(topic, json.dumps(cfg), 1, True)
            if self._inflight is None:
                try:
                    await asyncio.wait_for_ms(self.q.wait(), wait_ms)
                except asyncio.TimeoutError:
                    await c.ping()
                    continue
                self._inflight = self.q.pop()
                self._resend = False
            kind, msg = self._inflight
            q = _QOS.get(kind, 1)
            await c.publish(self.base + "/" + kind, json.dumps(msg), q, kind == "class",
                            self._resend)
            self._inflight = None
            self.sent += 1

    def _on_message(self, topic, payload):
        if topic.endswith("/status") and payload == b"online":
            self._ha_online = True      # (handled within keepalive / 2)

    def _discovery(self):
        """(topic, config) of each Home Assistant entity: the class and its confidence."""
        dev = {"identifiers": [self.name], "name": self.name, "manufacturer": "motebook",
               "model": board.HW["board"] if board.HW else "simulator",
               "sw_version": board.FW_VERSION}
        pre = self.s["discovery_prefix"] + "/sensor/" + self.name
        common = {"state_topic": self.base + "/class",
                  "availability_topic": self.base + "/availability", "device": dev}
        a = dict(common, name="class", unique_id=self.name + "_class",
                 value_template="{{ value_json.class }}", icon="mdi:motion-sensor",
                 json_attributes_topic=self.base + "/class")
        b = dict(common, name="confidence", unique_id=self.name + "_confidence",
                 value_template="{{ (value_json.confidence * 100) | round(0) }}",
                 unit_of_measurement="%")
        return ((pre + "/class/config", a), (pre + "/confidence/config", b))


def _why(e):
    if isinstance(e, asyncio.TimeoutError):
        return "no answer in time"
    return str(e) or e.__class__.__name__
