# The page following the device (app/sync.py) and the token as a state (app/bridge.py's
# refuse hook), without a browser: a burst of "changed" messages becomes one round of the
# refreshes its parts need (the open session's labels only when they are its own), a
# reconnect refreshes everything, an action refused in the page never runs. CPython (pytest).
import asyncio
import types

import test_dataset_page   # noqa: F401  (installs the fake `pyscript` module)

from app.bridge import Bridge
from app.sync import Sync

if not hasattr(asyncio, "sleep_ms"):         # MicroPython's, for CPython
    asyncio.sleep_ms = lambda ms: asyncio.sleep(ms / 1000)


def _page(open_sid=None):
    B = Bridge(types.SimpleNamespace())
    ran = []
    for name in ("sessions.refresh", "sessions.reload", "train.sessions", "deploy.model",
                 "device.status"):
        B.action(name)(lambda a, name=name: ran.append(name))
    dep = types.SimpleNamespace()

    async def checks(a=None):
        ran.append("deploy.checks")
    dep.refresh_checks = checks
    panel = types.SimpleNamespace(rec=types.SimpleNamespace(sid=open_sid) if open_sid else None)
    B.part("train", sessions=[{"id": 1}])          # Train was opened: its list is kept
    B.part("device", status={"model_hash": "ab12"})  # a model runs: Deploy's checks are kept
    return B, Sync(B, panel, dep), ran


def test_a_burst_of_changes_is_one_round_of_the_refreshes_it_needs():
    async def go():
        B, s, ran = _page(open_sid=2)
        assert s.on_text({"type": "hello"}) is False          # not a change
        for m in ({"type": "changed", "part": "sessions", "id": 1, "version": 1},
                  {"type": "changed", "part": "labels", "id": 2, "version": 1},
                  {"type": "changed", "part": "labels", "id": 2, "version": 2},
                  {"type": "changed", "part": "nonsense", "version": 1}):
            assert s.on_text(m) is True
        assert ran == []                                      # debounced
        await asyncio.sleep(0.4)
        assert ran == ["sessions.refresh", "sessions.reload", "train.sessions", "deploy.checks",
                       "device.status"]                  # (the header: recording, model)
        assert s.applied == 1
        assert B.done == 0 and B.runs["sessions.refresh"] == 1   # background: tests' _done kept
        ran.clear()
        s.on_text({"type": "changed", "part": "labels", "id": 3, "version": 3})  # not open
        s.on_text({"type": "changed", "part": "model", "version": 1})
        await asyncio.sleep(0.4)
        assert ran == ["sessions.refresh", "train.sessions", "deploy.model", "device.status"]
    asyncio.new_event_loop().run_until_complete(go())


def test_refreshes_only_what_the_page_shows_and_one_round_at_a_time():
    async def go():
        B, s, ran = _page()
        B.state["train"]["sessions"] = []          # Train never opened: filled when it is
        B.state["device"]["status"] = {}           # no model, no checks listed
        slow = []

        async def refresh(a):
            ran.append("sessions.refresh")
            await asyncio.sleep(0.3)               # e.g. waiting for this page's import
            slow.append(1)
        B.action("sessions.refresh")(refresh)
        for i in range(5):                         # a burst while the first round runs
            s.on_text({"type": "changed", "part": "sessions", "id": i, "version": i})
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.2)
        assert ran == ["sessions.refresh", "device.status"] * 2 and s.applied == 2
    asyncio.new_event_loop().run_until_complete(go())


def test_a_reconnect_refreshes_every_part():
    async def go():
        B, s, ran = _page()
        s.on_hello()                   # the first connection: the page loads everything anyway
        await asyncio.sleep(0.3)
        assert ran == []
        s.on_hello()                   # a reconnect: changes may have been missed
        await asyncio.sleep(0.4)
        assert ran == ["sessions.refresh", "train.sessions", "deploy.model", "device.status"]
    asyncio.new_event_loop().run_until_complete(go())


def test_an_action_refused_in_the_page_says_why_and_never_runs():
    B = Bridge(types.SimpleNamespace())
    ran = []
    B.action("sessions.record", part="sessions")(lambda a: ran.append(1))
    B.refuse = lambda name: "read-only: enter the device token above" if name == "sessions.record" else ""
    out, err = asyncio.new_event_loop().run_until_complete(B.act("sessions.record", {}))
    assert ran == [] and err == "read-only: enter the device token above"
    assert B.state["sessions"]["message"] == err


def test_the_token_states_and_their_reasons():
    """No token: read-only (a refusal keeps it so); a stored token refused: "wrong", with the
    device's reason, and forgotten."""
    from app import device
    store = {}
    device.window.localStorage = types.SimpleNamespace(
        getItem=store.get, setItem=store.__setitem__, removeItem=lambda k: store.pop(k, None))
    B = Bridge(types.SimpleNamespace())
    d = B.part("device", token=False, auth="none", auth_msg="")
    assert device.auth_why(d).startswith("read-only: enter the device token")
    device.drop_token(B, "401: missing token")     # e.g. the Notebook's autosave without one
    assert d["auth"] == "none"
    store[device.TOKEN_KEY] = "not-the-token"
    d.update(token=True, auth="unchecked")
    assert device.auth_why(d) == ""
    device.drop_token(B, "401: wrong token")
    assert d["auth"] == "wrong" and device.TOKEN_KEY not in store
    assert device.auth_why(d) == ("the device refused the token (401: wrong token): enter the "
                                  "right one above")
