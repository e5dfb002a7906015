# The page's one bridge between Python and the browser: the page state (parts, each a dict of
# plain JSON values) and the named actions that change it. app/view.py draws the parts an
# action changed and turns events in the page into actions, so every change goes through
# act(). Test hooks (window.motebook.act / .state) are attached only with ?debug.
# Memory: the state dicts (no recordings or models: those stay in their modules).
import asyncio
import json


class Refused(Exception):
    """An action the page does not send now (e.g. a write without the device token)."""


class Bridge:
    def __init__(self, transport=None):
        self.t = transport          # window.motebook (glue.js), or a fake in tests
        self.state = {}
        self._actions = {}          # name -> (fn(args), part, lock name or None)
        self._locks = {}
        self._dirty = set()
        self.drawer = None          # fn(bridge, parts): app/view.py's draw
        self.busy = 0
        self.done = 0               # actions finished (tests wait for the next one)
        self.runs = {}              # action name -> times it finished (tests wait for theirs)
        self.log = []               # (action, error) of the last failures, for tests
        self.refuse = None          # fn(name) -> why the action cannot run now, or "" (token)

    # -- state
    def part(self, _part, **defaults):
        p = self.state.get(_part)
        if p is None:
            p = self.state[_part] = {}
        for k in defaults:
            if k not in p:
                p[k] = defaults[k]
        return p

    def update(self, _part, **values):
        self.part(_part).update(values)
        self._dirty.add(_part)

    def touch(self, *names):
        for n in names:
            self._dirty.add(n)

    # -- actions
    def action(self, name, part=None, lock=None):
        """Decorator: fn(args dict) (or async) is the action `name`; its errors become
        state[part]["message"]; actions sharing a lock run one at a time."""
        def deco(fn):
            self._actions[name] = (fn, part, lock)
            return fn
        return deco

    def names(self):
        return sorted(self._actions)

    async def act(self, name, args=None, background=False):
        """Run action `name`; returns (result, error text or None). A background action (the
        refreshes app/sync.py starts) is not counted in `done`, which tests wait on."""
        entry = self._actions.get(name)
        if entry is None:
            return None, "unknown action %r" % name
        fn, part, lock = entry
        self.busy += 1
        out, err = None, None
        try:
            if lock is not None:
                lk = self._locks.get(lock)
                if lk is None:
                    lk = self._locks[lock] = asyncio.Lock()
                await lk.acquire()
            try:
                if part is not None:
                    self.update(part, notice="")
                why = self.refuse(name) if self.refuse is not None else ""
                if why:
                    raise Refused(why)
                out = fn(args if args is not None else {})
                if hasattr(out, "send"):          # a coroutine (async action)
                    out = await out
                if part is not None and not background:
                    # (a background refresh that went well does not wipe the error of what
                    # the user just did: the device away, a label edit refused)
                    self.update(part, message="")
            finally:
                if lock is not None:
                    lk.release()
        except Exception as e:        # every failure is said in the page, in the part it is about
            out = None                # (not the coroutine: MicroPython's json would write its repr)
            err = str(e) or e.__class__.__name__
            if not isinstance(e, (ValueError, OSError, KeyError, TypeError)) and \
                    e.__class__.__name__ not in ("DeviceError", "Refused", "Conflict", "DatasetError",
                                                 "CsvError", "ModelError"):
                err = "%s: %s" % (e.__class__.__name__, err)      # a bug: say what it was
            if part is not None:
                self.update(part, message=err)
            self.log.append((name, err))
            del self.log[:-20]
        finally:
            self.busy -= 1
            if not background:
                self.done += 1
            self.runs[name] = self.runs.get(name, 0) + 1
            self.flush()
        return out, err

    def fire(self, name, args=None, background=False):
        """act() from an event handler (a task: events do not wait); background: a refresh the
        user did not ask for (it does not wipe the part's error when it goes well)."""
        asyncio.create_task(self.act(name, args, background))

    def flush(self):
        """Draw what changed (app/view.py), now."""
        if self._dirty and self.drawer is not None:
            parts, self._dirty = self._dirty, set()
            self.drawer(self, parts)

    # -- test hooks
    def to_json(self):
        """The state, plus "_busy" (actions running), "_done" (actions finished) and "_runs"
        (per action name: background refreshes do not count as the one a test waits for)."""
        s = dict(self.state)
        s["_busy"], s["_done"], s["_runs"] = self.busy, self.done, self.runs
        return json.dumps(s)

    def attach_debug(self):
        """window.motebook.act(name, args) and .state() for the browser tests (?debug; the
        JavaScript side is webapp/debug.js)."""
        from jsffi import create_proxy
        t = self.t

        async def run(cid, name, args):
            out, err = await self.act(name, json.loads(args) if args else {})
            try:
                text = json.dumps({"result": out, "error": err, "state": self.state})
            except (TypeError, ValueError):
                text = json.dumps({"result": None, "error": err, "state": self.state})
            t.acted(cid, text)

        def act(cid, name, args):
            asyncio.create_task(run(cid, name, args))
        self._hooks = (create_proxy(act), create_proxy(self.to_json))
        self._hooks += (create_proxy(lambda *_: t.attachDebug(*self._hooks[:2])),)
        t.debugReady.then(self._hooks[2])      # once glue.js has loaded debug.js
