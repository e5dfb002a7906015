# The Notebook's value labels (webapp/nb/motebook.py): a Recording carries the session's value
# label and value segments from the device's answers, motebook.sessions() lists the value
# summary, and motebook.value_windows() cuts windows with values (shared/values.py), refusing
# sessions in different units by name. The device's HTTP answers are stood in for at _get.
import asyncio
import os
import sys
import types
from array import array

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "nb"))
sys.modules.setdefault("js", types.ModuleType("js"))
import motebook     # noqa: E402  (webapp/nb/motebook.py: a top module in the worker)

from shared.dataset import DatasetError   # noqa: E402

N = 40


def _meta(sid, value):
    return {"id": sid, "name": "#%d" % sid, "channels": ["a", "b"], "rate": 10, "scale": 1.0,
            "samples": N, "windows": 4, "hop": 10, "window": 20, "value": value}


@pytest.fixture
def device(monkeypatch):
    values = {1: {"name": "concentration", "value": 0.25, "unit": "mmol/L", "segments": []},
              2: {"name": "concentration", "value": None, "unit": "mmol/L",
                  "segments": [[0, 20, 0.5], [20, 40, 0.75]]}}
    summaries = {k: dict(v, segments=len(v["segments"])) for k, v in values.items()}
    summaries[3] = None

    async def load(sid):
        sid = int(sid)
        samples = array("h", range(2 * N))
        return motebook.Recording(_meta(sid, summaries[sid]), samples, N,
                                  {"classes": [], "segments": []}, values.get(sid))

    async def status():
        return {"window": 20, "hop": 10}

    async def sessions():
        return [{"id": k, "value": summaries[k]} for k in (1, 2, 3)]

    async def find(x):
        return int(x)
    monkeypatch.setattr(motebook, "load", load)
    monkeypatch.setattr(motebook, "status", status)
    monkeypatch.setattr(motebook, "sessions", sessions)
    monkeypatch.setattr(motebook, "_find", find)
    return values


def test_value_windows_take_segment_then_session_values(device):
    r = asyncio.run(motebook.load(2))
    assert r.value == {"name": "concentration", "value": None, "unit": "mmol/L"}
    assert r.value_segments == [(0, 20, 0.5), (20, 40, 0.75)]
    vw = asyncio.run(motebook.value_windows())
    assert (vw.name, vw.unit) == ("concentration", "mmol/L")
    assert list(zip(vw.groups, vw.y)) == [(1, 0.25), (1, 0.25), (1, 0.25), (2, 0.5),
                                          (2, 0.75)], list(zip(vw.groups, vw.y))


def test_sessions_in_other_units_are_refused_by_name(device):
    device[2]["unit"] = "mg/L"
    with pytest.raises(DatasetError) as e:
        asyncio.run(motebook.value_windows([1, 2]))
    assert "session #1" in str(e.value) and "session #2" in str(e.value)
    assert "'mg/L'" in str(e.value)
