# The page follows the device: the WebSocket's {"type": "changed", "part", "id"?} messages
# (shared/protocol.py; any page's, client's or the device's own writes) become a refresh of
# only what the page shows of that part, gathered for DEBOUNCE_MS so a burst costs one round
# of requests; a reconnect (a new hello after the first) refreshes every part, since changes
# may have been missed. No refresh button anywhere. Memory: a small dict of pending parts.
import asyncio

from shared import protocol

DEBOUNCE_MS = 150


class Sync:
    def __init__(self, B, panel, dep):
        self.B, self.panel, self.dep = B, panel, dep
        self.pending = {}          # part -> list of ids (None: the part as a whole)
        self._task = None
        self._hellos = 0
        self.applied = 0           # rounds of refreshes done (tests)

    def on_text(self, msg):
        """A control message (decoded): True when it was a "changed" one."""
        if msg.get("type") != "changed":
            return False
        part = msg.get("part")
        if part in protocol.PARTS:
            self._want(part, msg.get("id"))
        return True

    def on_hello(self):
        """After a reconnect, everything may have changed while the socket was away."""
        self._hellos += 1
        if self._hellos > 1:
            for p in protocol.PARTS:
                self._want(p, None)

    def _want(self, part, key):
        ids = self.pending.setdefault(part, [])
        if key not in ids:
            ids.append(key)
        if self._task is None:
            self._task = asyncio.create_task(self._later())

    async def _later(self):
        # One round at a time: what changes during a round (e.g. 40 sessions imported by this
        # page, whose refreshes wait for its lock) is gathered into one more round after it.
        try:
            while self.pending:
                await asyncio.sleep_ms(DEBOUNCE_MS)
                parts, self.pending = self.pending, {}
                try:
                    await self.apply(parts)
                except Exception as e:   # a refresh that failed says so in its part
                    print("sync: %s" % e)
                self.applied += 1
        finally:
            self._task = None

    async def apply(self, parts):
        """Refresh what the page shows of parts (as background actions: tests waiting for
        their own action's `_done` are not woken by these)."""
        B, names = self.B, self.B.names()
        if "sessions" in parts or "labels" in parts:
            await B.act("sessions.refresh", None, True)   # the list, counts, the open one
            r = self.panel.rec
            if r is not None and r.sid in parts.get("labels", ()):
                await B.act("sessions.reload", None, True)   # its labels, saved elsewhere
            st = B.state
            if st.get("train", {}).get("sessions"):       # (else filled when Train opens)
                await B.act("train.sessions", None, True)     # Train's list, its classes
            dep = st.get("deploy") or {}
            runs = ((st.get("device") or {}).get("status") or {}).get("model_hash") or \
                (dep.get("device_model") or {}).get("hash")
            if "model" not in parts and (dep.get("checks") or runs):
                await self.dep.refresh_checks()      # Deploy's check list (a session gone)
                B.flush()
        if "model" in parts:
            await B.act("deploy.model", None, True)       # what the device runs; checks
        if "config" in parts or "sessions" in parts or "model" in parts:
            await B.act("device.status", None, True)      # the header: recording, model
        if "notebooks" in parts and "notebook.run" in names:
            from app import notebook
            if notebook._ONE:
                await notebook._ONE[0].names()
                B.flush()
        if ("history" in parts or "integrations" in parts) and "node.refresh" in names:
            await B.act("node.refresh", None, True)
