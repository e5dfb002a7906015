# The Label step's value labels ("how much?", issue 21): the open session's value (name,
# number, unit) and its value segments (a number for a selected stretch), read with GET and
# saved with PUT/DELETE /api/sessions/<id>/value (token). shared.values checks a change first
# (not a number, a bad name or unit, a segment out of the session: the session and segment
# named); the device checks again and also refuses a unit that differs from another session's
# value of the same name. One level of undo (the label before the last change, put back).
# text() is the one way the page writes a session's value (Label's and Train's lists).
# Memory: the open session's value label (a small dict, at most MAX_SEGMENTS segments).
from app import net
from shared import dataset as D
from shared import values as V


def text(summary):
    """A session's meta "value" summary as the lists show it: "0.25 mmol/L",
    "concentration in segments" (value segments only), "" (none)."""
    v = summary or {}
    x = v.get("value")
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return ("%g %s" % (x, v.get("unit") or "")).strip()
    return "%s in segments" % v.get("name") if v.get("segments") else ""


def names(metas):
    """[(name, unit)] the sessions' values use, the most used first: the form's prefill, so
    a new value keeps the unit the others have."""
    seen = {}
    for m in metas:
        v = m.get("value") or {}
        if v.get("name"):
            k = (v["name"], v.get("unit") or "")
            seen[k] = seen.get(k, 0) + 1
    return [list(k) for k in sorted(seen, key=lambda k: -seen[k])]


def number(a, sid):
    """The typed number (text) as a float; "" -> None; anything else -> shared.values'
    refusal naming the session ("session #3: value 'lots' is not a number ...")."""
    t = a.get("value", a.get("value-number"))
    t = t.strip() if isinstance(t, str) else t
    if t in ("", None):
        return None
    try:
        t = float(t)
    except (TypeError, ValueError):
        pass
    return V.number(t, V.where(sid))


class Values:
    """The open session's value label: label is the device's {"name", "value", "unit",
    "segments": [[start, end, value]]} or None; summary the meta "value" it was read at (a
    refresh that finds another one reads it again: a change made in another tab)."""

    def __init__(self):
        self.sid = None
        self.label = None
        self.summary = None
        self.why = ""                # why the label could not be read
        self.undo = None             # (sid, the label before the last change)

    async def load(self, sid, meta):
        self.sid, self.summary, self.why = sid, (meta or {}).get("value"), ""
        if sid != (self.undo or (None,))[0]:
            self.undo = None
        self.label = None
        if not self.summary:
            return
        try:
            self.label = await net.call("GET", "/api/sessions/%d/value" % sid)
        except net.DeviceError as e:
            if e.status != 404:
                self.why = "its value could not be read (%s)" % e

    def stale(self, meta):
        return self.sid is not None and (meta or {}).get("value") != self.summary

    def state(self):
        lab = self.label
        summ = None
        if lab:
            summ = {"name": lab.get("name"), "value": lab.get("value"), "unit": lab.get("unit"),
                    "segments": len(lab.get("segments") or ())}
        return {"label": lab, "text": text(summ), "why": self.why, "undo": bool(self.undo)}

    def _form(self, a, sid):
        """name and unit typed (else the label's)."""
        lab = self.label or {}
        name = (a.get("name") or a.get("value-name") or lab.get("name") or "").strip()
        unit = a.get("unit", a.get("value-unit"))
        unit = (lab.get("unit") or "") if unit is None else unit.strip()
        V.check_name_unit(name, unit, V.where(sid))
        return name, unit

    async def put(self, sid, n_samples, new):
        """Save new (a label dict, or None: remove it), checked by shared.values first; the
        device's refusal (unit, token, away) is raised as it said it; the label before is
        kept for undo."""
        old = self.label
        if new is not None and new["value"] is None and not new["segments"]:
            new = None                   # nothing left: the label goes
        if new is None:
            if old is not None:
                try:
                    await net.call("DELETE", "/api/sessions/%d/value" % sid)
                except net.DeviceError as e:
                    if e.status != 404:
                        raise
        else:
            lab = V.check_label({"name": new["name"], "value": new["value"],
                                 "unit": new["unit"]}, sid)
            segs = V.check_segments([tuple(x) for x in new["segments"]], n_samples, sid)
            lab["segments"] = [list(x) for x in segs]
            new = await net.call("PUT", "/api/sessions/%d/value" % sid, lab)
        self.undo = (sid, old)
        self.label = new
        self.summary = None if new is None else {"name": new["name"], "value": new["value"],
                                                 "unit": new["unit"],
                                                 "segments": len(new["segments"])}
        return new

    async def set(self, sid, n_samples, a):
        """The session's value from the form (name, number, unit); its segments stay."""
        name, unit = self._form(a, sid)
        v = number(a, sid)
        if v is None:
            raise ValueError("type the session's number (e.g. 0.25), or select a stretch and "
                             "give it a value")
        segs = (self.label or {}).get("segments") or []
        return await self.put(sid, n_samples, {"name": name, "value": v, "unit": unit,
                                               "segments": segs})

    async def stretch(self, sid, n_samples, sel, a):
        """The selection [s, e) gets the typed number (empty: its values are cleared)."""
        if sel is None:
            raise ValueError("select a stretch on the timeline first (drag, or click a window)")
        v = number(a, sid)
        lab = self.label or {}
        if v is None and not lab:
            raise ValueError("type the stretch's number (e.g. 0.25)")
        name, unit = self._form(a, sid)
        segs = D.assign([tuple(x) for x in lab.get("segments") or ()], sel[0], sel[1], v,
                        n_samples)   # (the one segment cutter: class labels use it too)
        return await self.put(sid, n_samples, {"name": name, "value": lab.get("value"),
                                               "unit": unit, "segments": segs})

    async def back(self, sid, n_samples):
        """Undo: the label before the last change, put back."""
        if not self.undo or self.undo[0] != sid:
            raise ValueError("no value change to undo in this session")
        prev = self.undo[1]
        await self.put(sid, n_samples, prev)
        self.undo = None
