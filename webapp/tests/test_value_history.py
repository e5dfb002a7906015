# Deploy -> On its own with a regression model (app/node.py, app/view_node.py) without a
# browser: the bridge's node actions against a fake device answering /api/integrations,
# /api/history/summary (with and without the "value" column, as device/history_query.py
# writes it), /api/flagged and GET/PUT /api/value (the token, model_regress.Threshold's checks,
# 409 without a regression, away), drawn by the real drawer into a fake view. The hours table
# shows per hour the windows and min / mean / max of the estimates with the unit, the timeline
# the mean with min..max; a classifier's history is drawn as before; the threshold is set,
# read back and refused (not a number: nothing sent; the device's 400, a wrong token, the
# device away, no regression model) with the reason in the node's message. CPython (pytest).
import asyncio
import json
import sys
import types

from fakes import view_stand_ins

view_stand_ins()
_fake = sys.modules["pyscript"]

from app import device as D  # noqa: E402
from app import net  # noqa: E402
from app import node as N  # noqa: E402
from app import view_node as VN  # noqa: E402
from app.bridge import Bridge  # noqa: E402
from shared import node_settings as NS  # noqa: E402

T0 = 1765000800          # an hour's start (seconds)
UNIT, TARGET = "mmol/L", "concentration"


def _value_summary(bucket):
    rows = [[T0 + 0.0, 12, [], 0, None, [1503.2], [0.58, 0.61, 0.625]],
            [T0 + bucket, 3, [], 3, None, [1498.0], None],          # windows without estimate
            [T0 + 2 * bucket, 30, [], 0, None, [1210.5], [1.08, 1.1, 1.12]]]
    return {"from": T0, "to": T0 + 3 * bucket, "bucket": bucket, "classes": [],
            "channels": ["f1", "f2"], "value": {"target": TARGET, "unit": UNIT},
            "columns": ["t", "windows", "counts", "none", "confidence", "rms", "value"],
            "rows": rows}


def _class_summary(bucket):
    return {"from": T0, "to": T0 + bucket, "bucket": bucket, "classes": ["idle", "run"],
            "channels": ["x"], "columns": ["t", "windows", "counts", "none", "confidence", "rms"],
            "rows": [[T0 + 0.0, 20, [15, 5], 0, 0.9, [0.12]]]}


class _Device:
    """window.motebook: the node's routes as the device answers them."""

    def __init__(self, regress=True, value_route=True):
        self.regress, self.value_route = regress, value_route
        self.token_ok, self.away = True, False
        self.th = {"threshold": None, "hysteresis": None, "target": None, "unit": None}
        self.puts = []

    def nowS(self):
        return str(T0 + 7200)

    @staticmethod
    def _ans(status, obj):
        return json.dumps({"status": status, "text": json.dumps(obj)})

    def _status(self):
        d = dict(self.th)
        d["active"] = self.regress and d["threshold"] is not None and d["unit"] == UNIT
        d["band"] = (d["hysteresis"] if d["hysteresis"] is not None else 0.04) \
            if self.regress else None
        d["over"], d["value"] = False, 0.625 if self.regress else None
        return d

    async def request(self, method, path, body=None):
        if self.away:
            return json.dumps({"status": 0, "text": ""})
        route = path.split("?")[0]
        if route == "/api/integrations":
            s = NS.public(NS.defaults())
            s["status"] = {"name": "motebook-test"}
            return self._ans(200, s)
        if route == "/api/history/summary":
            b = int(path.split("bucket=")[1])
            return self._ans(200, _value_summary(b) if self.regress else _class_summary(b))
        if route == "/api/flagged":
            return self._ans(200, {"flagged": []})
        if route != "/api/value" or not self.value_route:
            return self._ans(404, {"error": "no such API endpoint: %s" % route})
        if method == "GET":
            return self._ans(200, self._status())
        if not self.token_ok:
            return self._ans(401, {"error": "wrong token"})
        b = json.loads(body)
        self.puts.append(b)
        if not self.regress:
            return self._ans(409, {"error": "no regression model runs: send one first"})
        for k in b:               # model_regress.Threshold.apply's checks
            v = b[k]
            if v is not None and (not isinstance(v, (int, float)) or
                                  (k == "hysteresis" and v < 0)):
                return self._ans(400, {"error": "%s must be a number%s (in %s) or null, got %r"
                                       % (k, " >= 0" if k == "hysteresis" else "", UNIT,
                                          str(v)[:20])})
        self.th.update(b)
        self.th["target"], self.th["unit"] = TARGET, UNIT
        return self._ans(200, self._status())


class _View:
    """The drawing layer's part view_node uses: regions' HTML, plotly there."""

    def __init__(self):
        self.html, self.DRAW = {}, {}

    def put(self, i, h):
        self.html[i] = h

    def has(self, obj, name):
        return True

    def js(self, x):
        return x

    def _msg(self, i, part):
        self.html[i] = part.get("message") or part.get("notice") or ""


def _page(**kw):
    dev = _Device(**kw)
    plots = []
    win = types.SimpleNamespace(
        motebook=types.SimpleNamespace(request=dev.request, nowS=dev.nowS),
        Plotly=types.SimpleNamespace(react=lambda i, tr, lay, cfg: plots.append((i, tr, lay))),
        Date=types.SimpleNamespace(new=lambda ms: types.SimpleNamespace(
            toLocaleTimeString=lambda: "%02d:00" % (ms // 3600000 % 24),
            toLocaleString=lambda: "day")))
    net.window = N.window = VN.window = win
    VN.document = types.SimpleNamespace(activeElement=None)
    B = Bridge(types.SimpleNamespace())
    view = _View()
    B.drawer = lambda b, parts: [view.DRAW[p](b.state) for p in parts if p in view.DRAW]
    if kw.get("regress", True):
        B.part("deploy", device_model={"kind": "regress", "target": TARGET, "unit": UNIT})
    _run(N.install(B, view))
    B.flush()
    return B, dev, view, plots


def _run(c):
    return asyncio.new_event_loop().run_until_complete(c)


def test_a_value_history_shows_min_mean_max_per_hour_with_the_unit_and_the_value_over_time():
    B, dev, view, plots = _page()
    h = view.html["node-hours"]
    assert "<caption>concentration (mmol/L) per hour (estimates)</caption>" in h
    assert ">min</th>" in h and ">mean</th>" in h and ">max</th>" in h
    assert ">windows<" in h and "windows per class" not in h
    assert ('<td class="num">12</td><td class="num">0.58</td><td class="num">0.61</td>'
            '<td class="num">0.625</td>') in h
    assert '<td class="num">3</td><td class="num">–</td>' in h      # no estimate: no number
    assert '<td class="num">30</td><td class="num">1.08</td><td class="num">1.1</td>' in h
    i, traces, layout = plots[-1]
    assert i == "node-timeline"
    v = traces[0]
    assert v["name"] == "concentration (mmol/L)" and v["y"] == [0.61, 1.1]     # gap skipped
    assert [round(x, 3) for x in v["error_y"]["array"]] == [0.015, 0.02]
    assert [round(x, 3) for x in v["error_y"]["arrayminus"]] == [0.03, 0.02]
    assert layout["yaxis"]["title"]["text"] == "concentration (mmol/L)"
    assert [t["type"] for t in traces] == ["scatter", "scatter"] and traces[1]["name"] == "level"
    assert B.state["node"]["message"] == ""


def test_a_classes_history_is_drawn_as_before_and_no_threshold_form():
    B, dev, view, plots = _page(regress=False)
    h = view.html["node-hours"]
    assert h == ('<table class="counts"><caption>windows per class per hour</caption><tr><th '
                 'scope="col">hour</th><th scope="col" class="num">idle</th><th scope="col" '
                 'class="num">run</th></tr><tr><td>%02d:00</td><td class="num">15</td><td '
                 'class="num">5</td></tr></table>' % (T0 // 3600 % 24))     # as before
    traces = plots[-1][1]
    assert [t["type"] for t in traces] == ["bar", "bar", "scatter"]
    assert [t["name"] for t in traces] == ["idle", "run", "RMS"]
    assert view.html["node-value"] == ""           # no regression model: no threshold
    B2, dev2, view2, _ = _page(regress=False, value_route=False)   # a board without: 404
    assert B2.state["node"]["value"] is None and B2.state["node"]["message"] == ""


def test_the_threshold_is_set_read_back_and_shown():
    B, dev, view, _ = _page()
    f = view.html["node-value"]
    assert "when the concentration goes over" in f and 'placeholder="default 0.04"' in f
    assert 'data-act="node.value"' in f and "no threshold set" in f
    out, err = _run(B.act("node.value", {"threshold": " 1.2 ", "hysteresis": ""}))
    assert err is None, err
    assert dev.puts == [{"threshold": 1.2, "hysteresis": None}]
    n = B.state["node"]
    assert n["notice"] == ("threshold stored: value_over at 1.2 mmol/L or more, value_under "
                           "below 1.16 mmol/L")
    assert n["value"]["threshold"] == 1.2 and n["value"]["active"]
    _run(B.act("node.refresh"))                       # read back from GET /api/value
    f = view.html["node-value"]
    assert 'id="node-threshold" inputmode="decimal" size="7" value="1.2"' in f
    assert "now under the threshold (last estimate 0.625 mmol/L)" in f
    _run(B.act("node.value", {"threshold": "1", "hysteresis": "0.1"}))
    assert dev.th["hysteresis"] == 0.1 and "below 0.9 mmol/L" in B.state["node"]["notice"]
    _run(B.act("node.value", {"threshold": "", "hysteresis": ""}))      # cleared
    assert dev.th["threshold"] is None
    assert B.state["node"]["notice"] == "no threshold: no value_over / value_under events"


def test_bad_numbers_a_wrong_token_and_the_device_away_are_said():
    B, dev, view, _ = _page()
    _run(B.act("node.value", {"threshold": "lots"}))
    assert B.state["node"]["message"] == "threshold must be a number in mmol/L, got 'lots'"
    assert view.html["node-message"] == B.state["node"]["message"] and dev.puts == []
    _run(B.act("node.value", {"threshold": "1", "hysteresis": "nan"}))
    assert B.state["node"]["message"].startswith("hysteresis must be a number") and not dev.puts
    _run(B.act("node.value", {"threshold": "1", "hysteresis": "-0.5"}))    # the device's 400
    assert B.state["node"]["message"] == ("the device refused the threshold: hysteresis must "
                                          "be a number >= 0 (in mmol/L) or null, got '-0.5'")
    assert dev.th["threshold"] is None
    dev.token_ok = False
    _run(B.act("node.value", {"threshold": "1"}))
    assert B.state["node"]["message"] == "the device refused the threshold: wrong token"
    dev.token_ok, dev.away = True, True
    _run(B.act("node.value", {"threshold": "1"}))
    assert B.state["node"]["message"] == "the device refused the threshold: device unreachable"
    assert dev.th["threshold"] is None
    dev.away, dev.regress = False, False
    _run(B.act("node.value", {"threshold": "1"}))
    assert "no regression model runs" in B.state["node"]["message"]
    assert "node.value" in D.NEEDS_TOKEN          # without a token: refused in the page


def test_hours_html_without_rows():
    assert "no history in the last 24 hours" in VN.hours_html(None, str)
    assert "no history" in VN.hours_html({"rows": [], "classes": []}, str)
