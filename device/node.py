# The node on its own: for every window the model classifies (inference's hook) the history
# logs it, an unsure one may be flagged, and a class change is queued for MQTT and webhooks;
# a task writes old history blocks and queues the periodic summary. An anomaly model's windows
# come through on_score: the history logs state and score, windows over the threshold while
# the state is on are kept like flagged ones, and a state change is queued for MQTT ("anomaly",
# retained) and webhooks ("anomaly_start" / "anomaly_end"). A regression model's estimates
# come through on_value: the history logs the value (history_log.value_code), a threshold
# (model_regress.Threshold, PUT /api/value) sends value_over / value_under to MQTT and
# webhooks, MQTT gets the value. A slow sensor's readings (SLOW kinds) go to MQTT
# ("readings", a Home Assistant sensor per channel) at most every TICK_S. Settings (validated by
# shared.node_settings) live in <data>/integrations.json; applying them restarts the senders.
# Memory: a count per class for the summary; the history (its open block) and the flagged
# store are made on first use, the senders (their queues) when enabled.
import binascii
import gc
import json
import os
import time
from array import array

import asyncio

import board
import clock

FILE = "integrations.json"
TICK_S = 5
SLOW = ("bme280", "bh1750", "as7341", "room", "spectrometer")   # readings on MQTT


def _units(sensor):
    """A unit per channel: the sensor's units, else its one unit for every channel."""
    u = getattr(sensor, "units", None)
    return u if u else (sensor.unit or "",) * len(sensor.channels)


def _name(dev, data_dir):
    """motebook-xxxx: the Wi-Fi name on a board, else a random id made on first boot."""
    if dev.wifi is not None:
        return dev.wifi.name
    p = data_dir + "/node_id"
    try:
        with open(p) as f:
            v = f.read().strip()
        if len(v) == 4:
            return "motebook-" + v
    except OSError:
        pass
    v = binascii.hexlify(os.urandom(2)).decode()
    try:
        with open(p, "w") as f:
            f.write(v)
    except OSError as e:   # a full flash: boot goes on, the name lasts until the next one
        print("motebook: node id not saved (%s)" % e)
    return "motebook-" + v


class Node:
    def __init__(self, dev, data_dir):
        self.dev = dev
        self.data = data_dir
        self.settings, self.warning = self._load()
        self.name = None
        self.mdns = None           # what mdns.announce reported
        self._hist = self._flagged = None
        self.mqtt = self.hooks = None
        self._tasks = []
        self._cls = None           # (model hash, class index) last published
        self._counts = array("I", [0] * 31)
        self._top = 0.0            # sum of top scores (classes) or of scores (anomaly)
        self._n = 0
        self._akey = None          # hash of the anomaly model whose state was published
        self._vkey = None          # hash of the regression model whose entity was announced
        self._vat = 0              # ticks_ms of the last value sent on MQTT
        self._vth = None           # model_regress.Threshold, made on the first estimate
        self._slow = None          # a slow sensor (its readings go to MQTT), or None
        self._rcount = -1          # the ring's sample count at the last readings sent
        self._over = 0             # anomaly: windows over the threshold since the summary
        self._smax = None
        self._score = None         # anomaly: the last window's score and the state
        self._on = False
        self._sum_at = time.ticks_ms()
        self.sound_log = None      # a microphone's minutes (sound.Log), made with one
        self._mic = False

    @property
    def hist(self):
        """The history (history_log.History), loaded on first use."""
        if self._hist is None:
            from history_log import History
            self._hist = History(self.data, self.settings["history"]["budget"],
                                 board.HISTORY_CHUNK)
            self._hist.on_append = lambda: self.dev.hub.changed("history")
        return self._hist

    @property
    def flagged(self):
        """The flagged windows (flagged_store.Flagged), loaded on first use."""
        if self._flagged is None:
            from flagged_store import Flagged
            self._flagged = Flagged(self.data, self.settings["flagged"])
        return self._flagged

    def _load(self):
        """The stored settings, validated (the validator is dropped after: ~2 KB)."""
        from shared import node_settings as NS
        try:
            with open(self.data + "/" + FILE) as f:
                return NS.validate(NS.defaults(), json.load(f)), None
        except OSError:
            return NS.defaults(), None
        except ValueError as e:
            return NS.defaults(), "stored integrations ignored: %s" % e
        finally:
            import model_store
            model_store.forget("shared.node_settings")

    def save(self, new):
        p = self.data + "/" + FILE
        with open(p + ".tmp", "w") as f:
            f.write(json.dumps(new))
        os.rename(p + ".tmp", p)

    def start(self):
        """After Wi-Fi is known (the name): start the senders the settings enable."""
        self.name = _name(self.dev, self.data)
        self._tasks.append(asyncio.create_task(self._tick()))
        self._senders()

    def _senders(self):
        for t in self._tasks[1:]:
            t.cancel()
        del self._tasks[1:]
        self.mqtt = self.hooks = None
        gc.collect()
        s = self.settings
        if s["mqtt"]["enabled"]:
            from mqtt_pub import MqttPub
            self.mqtt = MqttPub(s["mqtt"], self.name)
            m = self.dev.model.current
            self.mqtt.kind = m.kind if m is not None else "classes"
            self.mqtt.sound = self._mic
            if self._slow is not None:
                self.mqtt.set_readings(self._slow.channels, _units(self._slow))
            self._akey = None      # the state again for the new connection
            self._vkey = None
            self._tasks.append(asyncio.create_task(self.mqtt.run()))
        if s["webhooks"]["enabled"]:
            from webhooks import Webhooks
            self.hooks = Webhooks(s["webhooks"], self.name)
            for sender in self.hooks.senders():
                self._tasks.append(asyncio.create_task(sender))

    def apply(self, new):
        """Store and use new settings (validated); OSError when they cannot be stored."""
        self.save(new)
        old, self.settings = self.settings, new
        if self._hist is not None:
            st = self._hist.store
            st.budget = new["history"]["budget"]
            while len(st.chunks) > st.max_chunks():
                st.drop_oldest()
        if self._flagged is not None:
            self._flagged.s = new["flagged"]
        if old["mqtt"] != new["mqtt"] or old["webhooks"] != new["webhooks"]:
            self._senders()

    def sensor_changed(self, sensor):
        """The acquisition's new sensor (its hook): a microphone's minutes (sound.py) go to
        the sound log beside the history, MQTT (\"sound\") and webhooks (\"sound\")."""
        if sensor.name == "mic":
            if self.sound_log is None:
                from sound import Log
                self.sound_log = Log(self.data)
            sensor.on_minute = self._sound_minute
            sensor.on_event = self._emit       # sound_over / sound_under (threshold_db)
        elif self._mic:             # the microphone went: its modules go too (~10 KB)
            self.sound_log = None
            import model_store
            model_store.forget("sound", "api_sound", "shared.soundlevel", "shared.iir",
                               "hal.sim_mic", "hal.i2s_mic", "hal.wav")
        self._mic = sensor.name == "mic"
        self._slow = sensor if getattr(sensor, "KIND", sensor.name) in SLOW else None
        self._rcount = -1
        if self.mqtt:
            self.mqtt.set_sound(self._mic)
            if self._slow is not None:
                self.mqtt.set_readings(sensor.channels, _units(sensor))
            else:
                self.mqtt.set_readings((), ())

    def _sound_minute(self, mi):
        if self.settings["history"]["enabled"]:
            self.sound_log.add(mi)
        self._emit("sound", mi)

    # -- the inference hook
    def on_window(self, seq, idx, scores, inf):
        m = inf.store.current
        if self.mqtt and self.mqtt.kind != "classes":
            self.mqtt.set_kind("classes")
        top = 0.0
        for c in range(len(scores)):
            if scores[c] > top:
                top = scores[c]
        if self.settings["history"]["enabled"]:
            self.hist.add(seq, idx, top, inf.features, inf.fe.per_axis, m, inf.acq)
        if top < self.settings["flagged"]["threshold"]:
            self.flagged.check(seq, idx, top, scores, inf.window, m, inf.acq)
        if idx < 31:
            self._counts[idx] += 1
        self._top += top
        self._n += 1
        key = (m.hash, idx)
        if key != self._cls:
            self._cls = key
            if self.mqtt or self.hooks:
                self._emit("class", {"t": clock.now(), "seq": seq, "class": m.classes[idx],
                                     "index": idx, "confidence": round(top, 4),
                                     "scores": [round(scores[c], 4)
                                                for c in range(len(scores))],
                                     "hash": m.hash})

    def on_score(self, seq, score, over, changed, inf):
        """An anomaly model scored window seq (over: above the threshold; changed: the state
        inf.hyst.on changed with it)."""
        m = inf.store.current
        on = inf.hyst.on
        if self.settings["history"]["enabled"]:
            from history_log import level
            self.hist.add(seq, 1 if on else 0, level(score, m.threshold), inf.features,
                          inf.fe.per_axis, m, inf.acq)
        if on and over:
            self.flagged.anomaly(seq, score, inf.window, m, inf.acq)
        self._n += 1
        self._top += score
        self._over += 1 if over else 0
        if self._smax is None or score > self._smax:
            self._smax = score
        self._score, self._on = score, on
        if self._akey != m.hash:        # a new model: its kind and state, once
            self._akey = m.hash
            if self.mqtt:
                self.mqtt.set_kind("anomaly")
                self.mqtt.put("anomaly", self._state(seq, score, on, m))
        if changed:
            msg = self._state(seq, score, on, m)
            if self.mqtt:
                self.mqtt.put("anomaly", msg)
            if self.hooks:
                self.hooks.put("anomaly_start" if on else "anomaly_end", msg)

    def value_threshold(self):
        """The estimate's threshold (model_regress.Threshold), loaded on first use."""
        if self._vth is None:
            from model_regress import Threshold
            self._vth = Threshold(self.data)
        return self._vth

    def on_value(self, seq, value, inf):
        """A regression model estimated window seq's value: the history (its code over the
        model's range), the threshold's value_over / value_under (MQTT and webhooks), MQTT (a
        Home Assistant sensor in the model's unit, announced once per model; at most one value
        a second)."""
        m = inf.store.current
        if self.settings["history"]["enabled"]:
            from history_log import value_code
            fe = inf.fe
            pa = getattr(fe, "per_axis", None)      # (the spectral set: the channel's mean)
            self.hist.add(seq, 0, 0.0, inf.features, pa or 3, m, inf.acq,
                          value_code(value, m.range[0], m.range[1]), 4 if pa else 0)
        th = self.value_threshold()
        ev = th.update(value, m)
        if ev:
            self._emit(ev, th.event(seq, value, m))
        mq = self.mqtt
        if not mq:
            return
        now = time.ticks_ms()
        if self._vkey != m.hash:
            self._vkey = m.hash
            mq.set_value(m.target, m.unit)
        elif time.ticks_diff(now, self._vat) < 1000:
            return
        self._vat = now
        mq.put("value", {"t": clock.now(), "seq": seq, "value": value, "unit": m.unit,
                         "target": m.target, "hash": m.hash})

    def _state(self, seq, score, on, m):
        return {"t": clock.now(), "seq": seq, "anomaly": on, "score": round(score, 4),
                "threshold": round(m.threshold, 4), "hash": m.hash}

    def _emit(self, kind, msg):
        if self.mqtt:
            self.mqtt.put(kind, msg)
        if self.hooks:
            self.hooks.put(kind, msg)

    async def _tick(self):
        while True:
            await asyncio.sleep(TICK_S)
            try:
                if self._hist is not None:
                    self._hist.tick()
                if self._slow is not None and self.mqtt:
                    self._readings()
                every = self.settings["mqtt"]["summary_s"]
                if every and time.ticks_diff(time.ticks_ms(), self._sum_at) >= every * 1000:
                    self._summary(every)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                print("motebook: node tick failed: %r" % (e,))

    def _readings(self):
        """The slow sensor's newest sample (physical units) on MQTT, when there is a new one."""
        w = self.dev.acq.windower
        if w is None or w.ring.count == self._rcount or not w.ring.count:
            return
        r = w.ring
        self._rcount = r.count
        s = self._slow
        off = ((r.count - 1) % r.capacity) * r.channels
        sc = s.scale
        msg = {"t": clock.now()}
        for c in range(min(r.channels, len(s.channels))):
            msg[s.channels[c]] = round(r.buf[off + c] * sc, 4)
        self.mqtt.put("readings", msg)

    def _summary(self, every):
        self._sum_at = time.ticks_ms()
        m = self.dev.model.current
        n = self._n
        if m is None or not n:
            return
        if m.kind == "anomaly":
            msg = {"t": clock.now(), "period_s": every, "windows": n, "over": self._over,
                   "score_mean": round(self._top / n, 4), "score_max": None if self._smax is None else round(self._smax, 4),
                   "anomaly": self._on, "threshold": round(m.threshold, 4), "hash": m.hash}
            self._top, self._n, self._over, self._smax = 0.0, 0, 0, None
            self._emit("summary", msg)
            if self.mqtt and self._score is not None:   # the score sensor follows
                self.mqtt.put("anomaly", self._state(None, self._score, self._on, m))
            return
        counts = {}
        for i in range(min(len(m.classes), 31)):
            if self._counts[i]:
                counts[m.classes[i]] = self._counts[i]
            self._counts[i] = 0
        msg = {"t": clock.now(), "period_s": every, "windows": n, "counts": counts,
               "class": m.classes[self._cls[1]] if self._cls else None,
               "confidence": round(self._top / n, 4), "hash": m.hash}
        self._top, self._n = 0.0, 0
        self._emit("summary", msg)

    def status(self):
        # (a store in use is loaded here, with a model running; else it is reported as None
        # until it is used: no model, no heap for it)
        runs = getattr(self.dev.model, "current", None) is not None
        fl = self.flagged if runs and self.settings["flagged"]["threshold"] > 0 \
            else self._flagged
        h = self.hist if runs and self.settings["history"]["enabled"] else self._hist
        s = {"name": self.name, "mdns": self.mdns, "history": h.status() if h else None,
             "flagged": {"kept": len(fl.ids), "since_boot": fl.count, "error": fl.error}
             if fl else None,
             "mqtt": self.mqtt.status() if self.mqtt else None,
             "webhooks": self.hooks.status() if self.hooks else None}
        if self.warning:
            s["warning"] = self.warning
        return s
