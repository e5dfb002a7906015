# The page's bridge (app/bridge.py) and real actions on it, with a fake transport and no DOM:
# actions change the state and mark what to draw; errors land in the part they are about, as
# the text the page shows; actions sharing a lock run one at a time; the sessions actions run
# against a scripted device (the fake glue.js of test_dataset_page). CPython (pytest).
import asyncio
import json
import types

from test_dataset_page import _Ds, _fake   # installs the fake `pyscript` module

from app.bridge import Bridge


def _run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def test_actions_change_state_and_say_errors_in_their_part():
    B = Bridge(types.SimpleNamespace())
    drawn = []
    B.drawer = lambda b, parts: drawn.append(sorted(parts))

    @B.action("demo.set", part="demo")
    def set_(a):
        B.update("demo", value=a["value"], notice="set to %s" % a["value"])
        return a["value"] * 2

    @B.action("demo.fail", part="demo")
    async def fail(a):
        raise ValueError("the device refused the settings: rate must be 1..1000 Hz, got 0")

    assert _run(B.act("demo.set", {"value": 21})) == (42, None)
    assert B.state["demo"] == {"value": 21, "notice": "set to 21", "message": ""}
    assert drawn[-1] == ["demo"]
    out, err = _run(B.act("demo.fail", {}))
    assert out is None and err.startswith("the device refused the settings")
    assert B.state["demo"]["message"] == err and B.state["demo"]["notice"] == ""
    out, err = _run(B.act("demo.missing"))
    assert err == "unknown action 'demo.missing'"
    assert B.done == 2 and B.busy == 0           # (an unknown action never ran)
    s = json.loads(B.to_json())
    assert s["_done"] == 2 and s["_busy"] == 0 and s["demo"]["value"] == 21


def test_a_bug_says_what_it_was_and_the_result_is_never_a_coroutine():
    B = Bridge(types.SimpleNamespace())

    @B.action("demo.bug", part="demo")
    async def bug(a):
        return {}["missing"] + 1

    @B.action("demo.crash", part="demo")
    async def crash(a):
        raise ZeroDivisionError("division by zero")
    out, err = _run(B.act("demo.bug"))
    assert out is None and err == "'missing'"            # KeyError: its text
    out, err = _run(B.act("demo.crash"))
    assert out is None and err == "ZeroDivisionError: division by zero"


def test_actions_sharing_a_lock_run_one_at_a_time():
    B = Bridge(types.SimpleNamespace())
    order = []

    @B.action("demo.slow", lock="l")
    async def slow(a):
        order.append(("start", a["n"]))
        await asyncio.sleep(0.01)
        order.append(("end", a["n"]))

    async def both():
        await asyncio.gather(B.act("demo.slow", {"n": 1}), B.act("demo.slow", {"n": 2}))
    _run(both())
    assert order == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_sessions_actions_against_a_scripted_device():
    from app import sessions
    ds = _Ds(n_rec=8)
    store = {}
    _fake.window.motebook = types.SimpleNamespace(ds=ds, request=ds.request,
                                                  nowS=lambda: "1796000000.5",
                                                  saveFile=lambda *a: None)
    _fake.window.localStorage = types.SimpleNamespace(
        getItem=lambda k: store.get(k), setItem=lambda k, v: store.__setitem__(k, v))
    sessions.DS._ONE.clear()
    sessions.DS._STAGE = "/tmp/motebook_test_bridge_stage.bin"
    sessions.TIMELINE = "/tmp/motebook_test_bridge_timeline.bin"
    B = Bridge(_fake.window.motebook)

    async def main():
        sessions.install(B)
        await asyncio.sleep(0)
        await B.act("sessions.refresh")
        assert [m["id"] for m in B.state["sessions"]["sessions"]] == [1]
        out, err = await B.act("sessions.add_class", {"name": "a"})
        assert err is None and B.state["sessions"]["classes"][0]["name"] == "a"
        out, err = await B.act("sessions.add_class", {"name": "x" * 40})
        assert err == "a class name has 1..32 characters and no comma"
        assert B.state["sessions"]["message"] == err
        out, err = await B.act("sessions.open", {"sid": 1})
        assert err is None and B.state["sessions"]["cur"]["n"] == 64
        await B.act("sessions.select", {"start": 0, "end": 32})
        out, err = await B.act("sessions.label", {"cls": 0})
        assert err is None and ds.segments == [{"start": 0, "end": 32, "label": "a"}]
        assert B.state["sessions"]["cur"]["segments"] == [[0, 32, 0]]
        out, err = await B.act("sessions.set_segments", {"segments": [[0, 99, 0]]})
        assert err == "segment 0: end 99 is out of bounds: the session has 64 samples"
        assert ds.segments == [{"start": 0, "end": 32, "label": "a"}]      # nothing sent
        ds.up = False                        # the device goes away: the edit is refused
        out, err = await B.act("sessions.label", {"cls": -1})
        assert "cannot be reached" in err and B.state["sessions"]["online"] is False
        assert B.state["sessions"]["cur"]["segments"] == [[0, 32, 0]]
    _run(main())
