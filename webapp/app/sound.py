# The sound level meter in the page (the device's sensor "mic": device/sound.py, API.md
# "Sound"): the "sound" part of the bridge. While the sensor is the microphone and the Collect
# step is shown, GET /api/sound once a second gives the meter (Fast level, the last second's
# Leq/Lmax/Lmin, clipping, what the I2S acquisition lost); the stream's channel "level" (0.01
# dB a count) fills the level timeline of the last minutes (app/view_sound.py draws both).
# Action "sound.calibrate": PUT /api/sound {"calibrate": dB} with the calibrator's tone playing.
# Memory: one PlotBuffer of TIMELINE_S x the level rate float32 and a window-sized float32.
import array
import asyncio

from pyscript import document, window

from app import net
from app.plot import PlotBuffer
from shared.protocol import LEVEL_CLIPPED, LEVEL_NONE

POLL_S = 1
TIMELINE_S = 300       # the level timeline: the last 5 minutes
LEVELS = "/levels.bin"
LOSSES = ("overruns", "dropped_blocks", "lost_samples", "short_reads", "dropped_levels")
_NAN = float("nan")


def _shown():
    """The meter is on screen: the Collect step of a visible tab."""
    step = (window.location.hash or "#collect")[1:]
    return step in ("collect", "") and not document.hidden


class Meter:
    def __init__(self, B):
        self.B = B
        self.part = B.part("sound", on=False, level=None, away="", message="", notice="")
        self.levels = PlotBuffer(TIMELINE_S * 10)
        self._f = array.array("f", bytes(4 * 64))

    def sensor_on(self):
        info = self.B.state["device"].get("info") or {}
        return info.get("sensor") == "mic"

    def convert(self, out, h):
        """A decoded window of the stream as levels in dB, a clipped level (or none yet) NaN:
        (levels, its header with scale 1) for the plots; None when the sensor is not the
        microphone."""
        seq, t_ms, nch, dtype, ns, rate, scale = h
        if nch != 1 or not self.sensor_on():
            return None
        if len(self._f) < ns:
            self._f = array.array("f", bytes(4 * ns))
        f = self._f
        for i in range(ns):
            v = out[i]
            f[i] = _NAN if v == LEVEL_CLIPPED or v == LEVEL_NONE else v * scale
        return f, (seq, t_ms, 1, dtype, ns, rate, 1.0)

    def add(self, lv, new_connection):
        """convert()'s levels into the timeline."""
        if lv is None:
            return
        rate = lv[1][5]
        if rate and self.levels.n != TIMELINE_S * rate:
            self.levels = PlotBuffer(TIMELINE_S * rate)
        self.levels.add(lv[0], lv[1], new_connection)

    async def poll_once(self):
        try:
            js = await net.call("GET", "/api/sound")
        except net.DeviceError as e:
            self.B.update("sound", away="the device cannot be reached: no level now"
                          if not e.status else "the level meter: %s" % e)
            return
        self.B.update("sound", level=js, away="")

    async def poll(self):
        while True:
            on = self.sensor_on()
            if on != self.part["on"]:
                self.B.update("sound", on=on)
            if on and _shown():
                try:
                    await self.poll_once()
                except Exception as e:          # the poll never stops the page
                    print("sound: %s" % e)
                self.B.flush()
            await asyncio.sleep(POLL_S)


def install(B):
    m = Meter(B)

    @B.action("sound.calibrate", part="sound")
    async def calibrate(a):
        """The calibrator's tone (1 kHz, at the level given: 94 dB SPL unless said) is playing
        now: the device sets its offset so that the last clean second reads that level."""
        try:
            db = float(a.get("sound-cal") or a.get("db") or 94)
        except ValueError:
            raise ValueError("the calibrator's level must be a number of dB")
        js = await net.call("PUT", "/api/sound", {"calibrate": db}, what="calibration")
        B.update("sound", level=js, notice="calibrated at %.1f dB: offset %.2f dB" % (
            db, js["offset_db"]))

    asyncio.create_task(m.poll())
    return m
