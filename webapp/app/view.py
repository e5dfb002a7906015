# The one place that draws the page: each part of the bridge's state has a drawer that fills
# its regions (innerHTML only when the HTML changed; plotly for plots), and DOM events become
# the bridge's actions: clicks and submits on [data-act] elements (with the element's data-*
# and its form's values as arguments), file inputs (the file goes into the FS first), ticks,
# paired seconds/samples fields, the step tabs; the timeline's mouse and keys are in
# app/view_label.py. Memory: the last HTML of each region; plot data stays in FS files.
import json

from pyscript import document, window
from jsffi import create_proxy

from app import model_report
from app.device import NEEDS_TOKEN, auth_why, period_field, rate_said, windows_said
from app.html import esc, pct
from shared.limits import PERIOD_S, SLOW_SENSORS
from shared.palette import PALETTE, UNLABELLED, colours
from shared.protocol import period_s as _period_of

B = None                      # the bridge (install)
_last = {}                    # element id -> the HTML drawn there
_keep = []                    # proxies of the event handlers (kept alive)
_keys = []                    # extra keydown handlers (the label step, the notebook)
STEPS = ("collect", "label", "explore", "train", "deploy", "notebook")
COLORS = PALETTE              # clusters and other non-class series (classes: colours())


def el(i):
    return document.getElementById(i)


def put(i, text):
    """innerHTML of element i, written only when it changed."""
    if _last.get(i) != text:
        e = el(i)
        if e is not None:
            e.innerHTML = text
            _last[i] = text


def js(obj):
    """A plain JavaScript object/array of a JSON-able Python value."""
    return window.JSON.parse(json.dumps(obj))


def data(e, key):
    """The data-<key> attribute of element e, or None (a missing dataset key would raise)."""
    try:
        return e.getAttribute("data-" + key)
    except AttributeError:        # not an element (the document, a text node)
        return None


def has(obj, name):
    """obj.name is set (not undefined/null) on a JavaScript object."""
    try:
        return getattr(obj, name, None) is not None
    except Exception:
        return False


def on(target, event, fn, capture=False):
    p = create_proxy(fn)
    _keep.append(p)
    target.addEventListener(event, p, capture)


def on_key(fn):
    """fn(ev) -> True when it handled the key (the label step, the notebook)."""
    _keys.append(fn)


# ---- events -> actions ------------------------------------------------------------------
def form_values(form):
    out = {}
    for e in form.querySelectorAll("input, select, textarea"):
        n = e.name
        if not n:
            continue
        out[n] = bool(e.checked) if e.type == "checkbox" else e.value
    return out


def _args(e):
    out = {}
    ds = e.dataset
    w = ""
    for k in window.Object.keys(ds):
        if k == "with":
            w = getattr(ds, k)
        elif k != "act":
            out[k] = getattr(ds, k)
    for i in w.split(","):
        if i and el(i) is not None:
            out[i] = el(i).value
    return out


def _click(ev):
    try:
        t = ev.target.closest("[data-act]")
    except AttributeError:        # not an element
        return
    if t is None or t.tagName in ("FORM", "INPUT", "SELECT", "LABEL") or \
            (t.tagName == "BUTTON" and t.type == "submit"):
        return
    ev.preventDefault()
    a = _args(t)
    ask = a.pop("confirm", None)          # the question itself, or "1": the button's text
    if ask and not window.confirm(ask if ask != "1" else "%s %s?" % (
            t.textContent.strip(), a.get("sid", ""))):
        return
    B.fire(data(t, "act"), a)


def _submit(ev):
    form = ev.target
    if not data(form, "act"):
        return
    ev.preventDefault()
    a = form_values(form)
    if data(form, "form") in ("token", "new-class"):    # (a class added is not typed again)
        form.reset()
    B.fire(data(form, "act"), a)


async def _file(t):
    f = t.files[0] if t.files.length else None
    if f is None:
        return
    t.value = ""
    from app.sessions import IMPORT
    from shared.limits import MAX_IMPORT_BYTES
    size = f.size
    if size <= MAX_IMPORT_BYTES:
        size = await window.motebook.fileToFS(f, data(t, "fs") or IMPORT)
    await B.act(data(t, "act"), {"size": size, "name": f.name})


def _change(ev):
    t = ev.target
    act = data(t, "act")
    if not act or t.tagName == "FORM":
        return
    if t.type == "file":
        import asyncio
        asyncio.create_task(_file(t))
    elif t.type == "checkbox":
        a = _args(t)
        a["on"] = bool(t.checked)
        B.fire(act, a)
    elif t.tagName == "SELECT":
        a = _args(t)
        a["value"] = t.value
        B.fire(act, a)


def _input(ev):
    """Seconds <-> samples: a field with data-pair fills its partner, at the rate in the
    field (or element) named by data-rate-of; the device settings said again as typed."""
    t = ev.target
    _pair(t)
    f = getattr(t, "form", None)
    if f and data(f, "form") == "config":
        _cfg_live(f, t)


def _pair(t):
    pair = data(t, "pair")
    if not pair:
        return
    r = el(data(t, "rate-of"))
    try:
        rate = float(r.value)
        v = float(t.value)
    except (ValueError, TypeError):
        return
    if rate <= 0:
        return
    other = t.form.elements.namedItem(pair) if t.form else None
    if other is None:
        return
    if t.name.endswith("_s"):
        other.value = str(max(1, int(v * rate + 0.5)))
    else:
        other.value = "%g" % (v / rate)


def _keydown(ev):
    for fn in _keys:
        if fn(ev):
            return


def _route(ev=None):
    step = (window.location.hash or "#collect")[1:]
    if step not in STEPS:
        step = "collect"
    document.body.dataset.step = step
    for a in document.querySelectorAll("#steps a"):
        a.classList.toggle("on", data(a, "step") == step)
    B.update("page", step=step)
    B.touch(step)
    if step in ("notebook", "explore"):
        B.fire(step + ".open")
    if step == "deploy":
        B.fire("deploy.checks", None, True)    # the check list is filled on arrival (not
        # wiping an error the user is reading: a refused Send stays said)
    if step == "train" and not B.state["train"]["sessions"]:
        B.fire("train.sessions", None, True)   # then the device's "changed" messages keep it current
    if has(window, "Plotly"):      # plots drawn while hidden have no size: resize now
        for i in ("timeline", "counts-plot"):
            e = el(i)
            if e is not None and has(e, "data"):
                window.Plotly.Plots.resize(e)
    B.flush()


def install(bridge):
    global B
    B = bridge
    B.drawer = draw
    on(document, "click", _click)
    on(document, "submit", _submit)
    on(document, "change", _change)
    on(document, "input", _input)
    on(document, "keydown", _keydown)
    on(window, "hashchange", _route)
    _route()


# ---- drawing ----------------------------------------------------------------------------
AFTER = []                    # fn(state, parts) after every draw (Explore follows the timeline)


def draw(bridge, parts):
    for fn in AFTER:
        fn(bridge.state, parts)
    for p in parts:
        fn = DRAW.get(p)
        if fn is not None:
            try:
                fn(bridge.state)
            except Exception as e:     # a drawing bug must not stop the page: say it
                window.console.error("draw %s: %s" % (p, e))
    _auth_controls(bridge.state["device"])


def _auth_controls(d):
    """Without the token every write's button is disabled with the reason as its title (after
    the drawers, which redraw buttons); with it, only the buttons this disabled come back."""
    why = auth_why(d)
    for b in document.querySelectorAll("button[data-act], select[data-act], input[data-act]"):
        if b.getAttribute("data-act") not in NEEDS_TOKEN:
            continue
        if why:
            if not b.disabled:
                b.disabled = True
                b.setAttribute("data-auth-off", "1")
            b.title = why
        elif b.hasAttribute("data-auth-off"):
            b.disabled = False
            b.removeAttribute("data-auth-off")
            b.removeAttribute("title")


def _header(st):
    d = st["device"]
    info, s = d.get("info") or {}, d.get("status") or {}
    pills = ['<span class="pill %s">%s</span>' % (esc(d["conn"]), esc(d["conn_text"]))]
    auth = d.get("auth")
    if not d["token"]:   # reads work without the token; writes say why they are off
        pills.append('<span class="pill closed" id="auth-state" role="status" title="%s">%s'
                     '</span>' % (esc(auth_why(d)), "wrong token" if auth == "wrong"
                                  else "read-only: no token"))
    if d.get("problem"):
        pills.append('<span class="pill closed" id="dev-problem" role="status">%s</span>'
                     % esc(d["problem"]))
    if info:
        pills.append('<span class="pill">%s · %s · %s</span>' % (
            esc(info.get("sensor")), rate_said(info["rate"]) if info.get("rate") else "? Hz",
            esc(",".join(info.get("channels") or ()))))
        pills.append('<span class="pill">window %s / hop %s</span>' % (
            info.get("window"), info.get("hop")))
    if s.get("storage_budget"):
        pills.append('<span class="pill">storage %d of %d KB</span>' % (
            s["storage_used"] // 1024, s["storage_budget"] // 1024))
    if s.get("flash_full"):
        pills.append('<span class="pill closed" role="status">flash full</span>')
    if s:
        pills.append('<span class="pill%s">%s</span>' % (
            " on" if s.get("model_hash") else "", "model %s" % esc(s["model_hash"][:8])
            if s.get("model_hash") else "no model"))
        if s.get("recording") is not None:
            pills.append('<span class="pill rec">recording #%s</span>' % s["recording"])
    put("dev-info", "".join(pills))
    put("dev-name", esc(info.get("fw") and "fw %s" % info["fw"] or ""))
    document.body.dataset.conn = d["conn"]
    el("token-bar").hidden = bool(d["token"])
    put("token-why", esc(auth_why(d)) if auth == "wrong" else "")
    act = el("activity")
    sim = info.get("sensor") == "sim" and d["token"]
    machine = info.get("sensor") == "machine" and d["token"] and s.get("faults")
    act.hidden = not (sim or machine)
    if sim:
        put("activity", "<b>simulated activity</b> " + "".join(
            '<button type="button" data-act="device.activity" data-name="%s"%s>%s</button>'
            % (a, ' class="on"' if a == s.get("activity") else "", a)
            for a in ("idle", "walking", "running", "shaking")) +
            ' <button type="button" data-act="device.forget_token" title="forget the stored '
            'token">forget token</button>')
    elif machine:
        put("activity", "<b>simulated machine</b> " + "".join(
            '<button type="button" data-act="device.fault" data-name="%s"%s>%s</button>'
            % (esc(f), ' class="on"' if f == (s.get("fault") or "") else "", esc(f or "normal"))
            for f in [""] + list(s["faults"])) +
            ' <button type="button" data-act="device.forget_token" title="forget the stored '
            'token">forget token</button>')


def _config_form(st):
    info = st["device"].get("info") or {}
    if not info:
        return
    sel = el("cfg-sensor")
    sensors = info.get("sensors") or [info.get("sensor")]
    put("cfg-sensor", "".join('<option%s>%s</option>' % (
        " selected" if s == info.get("sensor") else "", esc(s)) for s in sensors))
    f = el("cfg-rate").form
    if document.activeElement is None or not document.activeElement.closest("#settings"):
        for k in ("window", "hop"):
            el("cfg-" + k).value = str(info.get(k, ""))
        rate = info.get("rate") or 1
        slow = _period_of(rate)                  # one sample every N s: no rate in Hz
        el("cfg-rate").value = "" if slow else str(rate)
        el("cfg-period").value = str(slow or "")
        f.elements.namedItem("window_s").value = "%g" % (info.get("window", 0) / rate)
        f.elements.namedItem("hop_s").value = "%g" % (info.get("hop", 0) / rate)
    el("cfg-period").placeholder = "%d..%d" % PERIOD_S
    sel.disabled = len(sensors) < 2
    _cfg_live(f)


def _cfg_live(f, typed=None):
    """The settings form as typed: "one sample every N s" offered for a slow sensor only,
    the rate it gives (for the seconds <-> samples pairs) and the window and hop said as
    durations; the seconds fields follow the samples unless being typed in."""
    slow = el("cfg-sensor").value in SLOW_SENSORS
    el("cfg-period-l").hidden = not slow
    try:
        p = period_field(el("cfg-period").value) if slow else 0   # (out of limits: not said)
        rate = 1 / p if p else float(el("cfg-rate").value)
        w, h = int(el("cfg-window").value), int(el("cfg-hop").value)
    except (ValueError, TypeError, ZeroDivisionError):
        rate = 0
    el("cfg-said").hidden = rate <= 0             # (an empty span would indent the message)
    if rate <= 0:
        put("cfg-said", "")
        return
    el("cfg-hz").value = repr(rate)
    for k, n in (("window_s", w), ("hop_s", h)):
        e = f.elements.namedItem(k)
        if typed is None or typed.name != k:
            e.value = "%g" % (n / rate)
    put("cfg-said", esc("%s: %s" % (rate_said(rate), windows_said(w, h, rate))))


def _msg(i, part):
    if part.get("message"):
        put(i, '<span class="err">%s</span>' % esc(part["message"]))
    else:
        put(i, esc(part.get("notice") or ""))


def _stream(st):
    s = st["stream"]
    figures = [("windows", s.get("windows", 0)), ("last seq", s.get("last_seq", "–")),
               ("gaps", s.get("gaps", 0)), ("bad frames", s.get("bad", 0))]
    if s.get("channels") != ["level"]:        # (the microphone's level has its own meter)
        figures.append(("motion", "%.3f %s (std of |%s|)" % (
            s.get("mag_std", 0), s.get("unit", ""), ",".join(s.get("channels") or ())))
            if s.get("channels") else ("motion", "–"))
    put("stats", "".join('<span><b>%s</b> %s</span>' % (k, esc(v)) for k, v in figures))
    body = document.body.dataset
    body.windows = s.get("windows", 0)
    body.gaps = s.get("gaps", 0)



def _recording(st):
    """Record / Stop, the class recorded (the one chosen or just added), the question when
    none is chosen, while recording: elapsed time, samples stored, storage left; after Stop:
    what was saved."""
    s = st["sessions"]
    rec = s.get("recording")
    el("rec-start").disabled = rec is not None
    el("rec-stop").disabled = rec is None
    put("rec-class", '<option value="">(choose a class)</option>' + "".join(
        "<option>%s</option>" % esc(c["name"]) for c in s.get("classes") or ()))
    el("rec-class").value = s.get("rec_class") or ""
    lv = s.get("rec_live")
    if rec is not None:
        lv = lv or {}
        left = ""
        if s.get("storage_budget"):
            left = " · %d KB of %d KB left" % (
                max(0, s["storage_budget"] - (s.get("storage_used") or 0)) // 1024,
                s["storage_budget"] // 1024)
        if s.get("flash_full"):
            left += ' · <span class="err">flash full</span>'
        text = ('<b class="rec">&#9679; recording session #%s</b> as %s · <span id="rec-elapsed">'
                '%.1f s</span> · <span id="rec-samples">%d samples</span> stored%s' % (
                    rec, esc(lv.get("label") or "no class"), lv.get("elapsed_s") or 0,
                    lv.get("samples") or 0, left))
    elif s.get("ask"):
        text = ('<span class="err" role="alert" id="rec-ask">Record as which class? Choose it in '
                '"record as" (or add one), or</span> <button type="button" id="rec-unlabelled" '
                'data-act="sessions.record" data-unlabelled="1">record without a class</button>')
    elif s.get("recording_error"):
        text = '<span class="err">%s</span>' % esc("recording stopped: %s" % s["recording_error"])
    else:
        text = '<span id="rec-saved">%s</span>' % esc(s.get("saved") or "")
    put("rec-state", text)


def _sessions(st):
    from app import view_label
    view_label.draw(st)
    _recording(st)


def _train(st):
    t = st["train"]
    session_grid(t, "train-sessions", True)
    session_grid(t, "explore-sessions", False)
    _train_form(t)


def session_grid(t, where, tests_too):
    """The chosen sessions (the Train and Explore steps share the choice)."""
    rows = t["sessions"]
    picked, tests = set(t["picked"]), set(t["tests"])
    if el(where) is None:
        return
    put(where, "".join(
        '<span class="train-s"><label><input type="checkbox" class="train-sid" data-act='
        '"train.pick" data-sid="%d"%s> %s</label> <small>%s</small>%s</span>' % (
            r["id"], " checked" if r["id"] in picked else "", esc(r["name"]),
            esc(", ".join(r["classes"] + ([r["value"].strip()] if r.get("value") else []))
                or "no labels"), (
                ' <label class="tpick"><input type="checkbox" class="train-test" '
                'data-act="train.pick" data-kind="test" data-sid="%d"%s>test</label>' % (
                    r["id"], " checked" if r["id"] in tests else "")) if tests_too else "")
        for r in rows) or "(no sessions yet: record some, or import a CSV)")
    for e in el(where).querySelectorAll(".train-sid"):     # (a redraw keeps the HTML: sync)
        e.checked = int(data(e, "sid")) in picked


_defaults = {}               # input id -> the default it was last given (not typed by a person)


def _train_form(t):
    d = t.get("defaults") or {}
    for k, i in (("classes", "train-classes"), ("window", "train-window"),
                 ("hop", "train-hop")):
        v = str(d[k]) if d.get(k) else ""
        if v and el(i).value in ("", _defaults.get(i)):   # follows the data until edited
            el(i).value = v
            _defaults[i] = v
    if t.get("rate"):
        el("train-rate").value = str(t["rate"])
        for k in ("window", "hop"):
            if el("train-" + k).value:
                el("train-%s-s" % k).value = "%g" % (int(el("train-" + k).value) / t["rate"])
    put("train-rate-note", "at %s Hz" % t["rate"] if t.get("rate") else "")
    el("train-progress").value = t.get("progress") or 0
    el("train-stage").textContent = t.get("stage") or ""
    _msg("train-message", t)
    mode = t.get("mode") or "classes"
    el("train").dataset.mode = mode
    el("train-mode").value = mode
    put("train-mode-why", "the chosen sessions are normal running (no labels needed); "
        "sessions labelled with a fault only test the model" if mode == "anomaly" else
        "the chosen sessions' value labels (e.g. concentration in mmol/L) are learnt; "
        "sessions of one value are held out together" if mode == "value" else "")
    if mode == "value":
        from app import view_regress
        v = t.get("value")
        put("train-result", view_regress.render(v) if v else "")
        if v:
            view_regress.draw_plot(v)
    elif mode == "anomaly":
        a = t.get("anomaly")
        if a:
            from app import anomaly      # (loaded with the anomaly mode's first training)
            put("train-result", anomaly.render(a))
            _anomaly_plot(a)
        else:
            put("train-result", "")
    else:
        put("train-result", model_report.render(t["summary"]) if t.get("summary") else "")
    _send_state(B.state)


def _anomaly_plot(a):
    """The score timeline of the chosen sessions with the threshold (plotly, once loaded)."""
    gd = el("anomaly-plot")
    if gd is None or not a.get("model"):
        return
    if not has(window, "Plotly"):
        from app import view_live
        view_live.want_plotly()        # drawn when it comes (every part is redrawn then)
        return
    if has(gd, "data") and data(gd, "hash") == a["hash"]:
        return
    from app import anomaly
    r = anomaly.LAST.get("result")
    if r is None or r["hash"] != a["hash"]:
        return
    tl = anomaly.timeline(r)
    traces = []
    for i, tr in enumerate(tl["traces"]):
        if tr.get("fault"):
            traces.append({"type": "scatter", "mode": "markers", "name": tr["name"],
                           "x": tr["x"], "y": tr["y"],
                           "marker": {"size": 5, "color": "#c0392b", "symbol": "x"}})
        else:
            traces.append({"type": "scatter", "mode": "lines", "name": tr["name"], "x": tr["x"],
                           "y": tr["y"], "line": {"width": 1, "color": COLORS[i % len(COLORS)]}})
    traces.append({"type": "scatter", "mode": "lines", "name": "threshold %.4g" % tl["threshold"],
                   "x": [0, tl["end"]], "y": [tl["threshold"], tl["threshold"]],
                   "line": {"dash": "dash", "width": 2, "color": "#000"}})
    ys = [v for tr in tl["traces"] for v in tr["y"]]
    log = bool(ys) and min(ys) > 0
    layout = {"margin": {"l": 60, "r": 10, "t": 10, "b": 45},
              "xaxis": {"title": {"text": "running time of the chosen sessions, one after "
                                  "another (s)"}},
              "yaxis": {"title": {"text": "anomaly score%s" % (" (log)" if log else "")},
                        "type": "log" if log else "linear"},
              "legend": {"orientation": "h", "y": -0.25}}
    window.Plotly.react("anomaly-plot", js(traces), js(layout),
                        js({"displaylogo": False, "responsive": True}))
    gd.setAttribute("data-hash", a["hash"])


def _trained(st):
    """The Train mode's trained model (summary), or None: Deploy sends that one."""
    t = st["train"]
    if t.get("mode") in ("anomaly", "value"):
        a = t.get(t["mode"])
        return a if a and a.get("model") else None
    return t.get("summary")


def _send_state(st):
    """Send is on only for a trained model that fits the device; else off, saying why (beside
    it in short: the fit's problems are said just above; the button's title has them all)."""
    f = (st.get("deploy") or {}).get("fit")
    why = short = ""
    v = st["train"].get("value") if st["train"].get("mode") == "value" else None
    if v and not v.get("model"):
        short = "no honest estimate, so no model to send (Train step says why)"
        why = "%s: %s" % (short, v.get("reason") or "")
    elif not _trained(st):
        why = short = "train a model first (Train step)"
    elif f and f.get("problems"):
        short = "the model does not fit the device: switch the device or train for its settings"
        why = "%s (%s)" % (short, "; ".join(f["problems"]))
    b = el("train-send")
    b.disabled = bool(why)
    b.title = why
    put("send-why", esc("Send is off: " + short) if short else "")


def _deploy(st):
    d = st["deploy"]
    f = d.get("fit")
    if f is None:
        put("deploy-fit", "train a model first" if not _trained(st) else "")
    elif f["problems"]:
        put("deploy-fit", '<b class="bad">does not fit the device:</b> %s'
            % esc("; ".join(f["problems"])))
    else:
        put("deploy-fit", '<b class="good">fits the device</b> (%s, %s Hz, window %s)' % (
            esc(",".join(f.get("channels") or ())), f.get("rate"), f.get("window")))
    sw = d.get("switch")
    b = el("deploy-switch")
    b.hidden = not sw
    if sw:
        b.textContent = "switch the device to %s" % ", ".join(
            "%s %s" % (k, sw[k]) for k in sorted(sw))
    m = d.get("device_model")
    put("deploy-what", _deploy_what(st, m))
    if m is None:
        put("train-device", "")
    elif m.get("none"):
        put("train-device", "the device has no model yet")
    elif m.get("kind") in ("anomaly", "regress") or st["train"].get("mode") in (
            "anomaly", "value"):
        put("train-device", _device_model_text(m, _trained(st)))
    else:
        put("train-device", "device runs model <code>%s</code> (%s; %s trees, %s nodes)%s" % (
            esc(m["hash"][:16]), esc(", ".join(m.get("classes") or ())), m.get("trees"),
            m.get("nodes"), "" if m.get("same") or "same" not in m else
            " — trained on the device, not here" if m.get("trained_on_device") else
            " — not the model trained here"))
    t = (m or {}).get("trained_on_device")   # the evaluation a device-trained model keeps
    put("device-trained", model_report.render_device(t) if t else "")
    _send_state(st)
    _msg("deploy-message", d)
    chosen = (d.get("check") or {}).get("sid")     # the list keeps the session checked
    anomaly = (m or {}).get("kind") == "anomaly" if (m or {}).get("hash") else \
        st["train"].get("mode") == "anomaly"
    regress = (m or {}).get("kind") == "regress"
    put("check-how", "a value model is checked by its live estimate above against the true "
        "value; this check compares classes or anomaly scores" if regress else
        "the device scores a recorded session's windows with the model it runs, "
        "the page scores them with the same file and compares:" if anomaly else
        "record a session while the model runs (a replay file labels it; else label it on "
        "the timeline), then")
    put("check-session", "".join('<option value="%d"%s>%s (%d windows%s)</option>' % (
        c["id"], " selected" if c["id"] == chosen else "", esc(c["name"]), c["windows"],
        ", model %s" % esc(c["hash"][:8]) if c["hash"] else "") for c in d["checks"])
        or '<option value="">(record a session%s)</option>' % (
            "" if anomaly else " while the model runs"))
    go = el("check-go")                 # nothing to check: off, saying why
    go.disabled = not d["checks"] or regress
    go.title = "not for a value model" if regress else "" if d["checks"] else (
        "record a session first" if anomaly else
        "record a labelled session while the model runs first")
    put("check-result", render_check(d["check"]) if d.get("check") else "")


def _deploy_what(st, m):
    """The Deploy heading's line: what the device does with the model of this kind (the one
    it runs, else the one trained here)."""
    kind = (m.get("kind") or "classes") if m and m.get("hash") else None
    if kind is None:
        kind = {"anomaly": "anomaly", "value": "regress"}.get(st["train"].get("mode"),
                                                               "classes")
    if kind == "regress":
        return "send the model; the device estimates the value of every window live"
    if kind == "anomaly":
        return ("send the model; the device scores every window and says normal or "
                "ANOMALY live")
    return "send the model; the device classifies live"


def _device_model_text(m, mine):
    """What the device runs, said for either kind, and whether it is the model trained here
    (in the Train mode chosen now)."""
    if m.get("kind") == "regress":
        what = "value model <code>%s</code> (%s in %s; %s trees)" % (
            esc(m["hash"][:16]), esc(m.get("target") or ""), esc(m.get("unit") or ""),
            m.get("trees"))
    elif m.get("kind") == "anomaly":
        h = m.get("hysteresis") or ["?", "?"]
        what = "anomaly model <code>%s</code> (%s, threshold %.4g, alarm at %s of %s windows)" % (
            esc(m["hash"][:16]), esc(m.get("scorer")), m.get("threshold") or 0, h[0], h[1])
    else:
        what = "classes model <code>%s</code> (%s; %s trees)" % (
            esc(m["hash"][:16]), esc(", ".join(m.get("classes") or ())), m.get("trees"))
    if mine is None:
        note = ""
    elif mine.get("hash") == m.get("hash"):
        note = " — the model trained here"
    elif m.get("kind") not in ("anomaly", "regress") and mine.get("kind") == "anomaly":
        note = (" — not the anomaly model trained here: the device classifies, it does not "
                "score normal vs anomaly until you send it")
    else:
        note = " — not the model trained here"
    return "device runs %s%s" % (what, note)


def render_check(c):
    if c.get("kind") == "anomaly":         # (app.anomaly made it: loaded already)
        from app import anomaly as AN
        return AN.render_check(c)
    if not c["n"]:
        return ("no labelled window of %s to compare: label the session on the timeline "
                "(windows must lie wholly inside one label)" % esc(c["session"]))
    est = ""
    if "estimate" in c:
        est = " &middot; offline estimate %s (%s)" % (
            pct(c["estimate"]) if c["estimate"] is not None else "none",
            esc(c.get("estimate_how") or ""))
    extra = []
    if c["no_prediction"]:
        extra.append("%d windows without a prediction" % c["no_prediction"])
    if c["unknown"]:
        extra.append("%d of classes the model does not know" % c["unknown"])
    bal = " &middot; balanced accuracy <b>%s</b> live%s" % (
        pct(c.get("balanced_accuracy")), ", %s estimated" % pct(c["estimate_balanced"])
        if c.get("estimate_balanced") is not None else "")
    return ('device live accuracy on %s: <b>%s</b> of %d labelled windows%s%s%s'
            % (esc(c["session"]), pct(c["accuracy"]), c["n"], est,
               " (%s)" % ", ".join(extra) if extra else "", bal))


def _live(st):
    v = st["live"]
    m = v.get("last")
    an = el("live-anomaly")
    kind = m and m.get("kind")
    if an is not None:
        an.hidden = kind != "anomaly"
        el("live-regress").hidden = kind != "regress"
        for i in ("live-class", "live-history", "live-key"):
            el(i).hidden = kind in ("anomaly", "regress")
    if not m:
        return
    if kind == "regress":
        from app import view_regress
        dm = st["deploy"].get("device_model") or {}
        put("live-regress", view_regress.live_html(m, v.get("values") or (), dm.get("range")))
        return
    if m.get("kind") == "anomaly":
        put("live-anomaly", live_anomaly(m, v.get("scores") or ()))
        return
    sc, i = m.get("scores") or (), m.get("index", 0)
    conf = (' <span id="live-conf" title="share of the trees voting for it in this window">'
            '%s sure</span>' % pct(sc[i])) if 0 <= i < len(sc) else ""
    classes = v["classes"]
    col = colours([c for c in classes if c])       # the one palette, by class name
    put("live-class", '<b class="cls" style="border-color:%s">%s</b>%s <small>seq %s · model '
        '%s</small>' % (col.get(m.get("class"), UNLABELLED), esc(m.get("class")), conf,
                        m.get("seq"), esc((m.get("hash") or "")[:12])))
    put("live-history", "".join('<i style="background:%s" title="%s #%s"></i>' % (
        col.get(classes[idx] if 0 <= idx < len(classes) else "?", UNLABELLED),
        esc(classes[idx] if 0 <= idx < len(classes) else "?"), seq)
        for seq, idx, h in v["history"]))
    key = "".join('<span><i style="background:%s"></i>%s</span>' % (col[c], esc(c))
                  for c in classes if c)
    if v.get("compared"):
        key += ' <small>this page classified %d of the same windows: %d agree with the ' \
               'device</small>' % (v["compared"], v["agree"])
    put("live-key", key)


def live_anomaly(m, scores, w=480, h=90):
    """The device's anomaly state (normal/ANOMALY), score and threshold, and a small trace of
    the last scores with the threshold (SVG: no plotting library needed)."""
    on = bool(m.get("anomaly"))
    t = m.get("threshold")
    head = ('<b class="state %s" id="live-state">%s</b><span id="live-score">score <b>%.4g'
            '</b> &middot; threshold %.4g%s</span><small>seq %s &middot; model %s</small>' % (
                "anomaly" if on else "normal", "ANOMALY" if on else "normal",
                m.get("score") or 0, t or 0, " (over)" if m.get("over") else "", m.get("seq"),
                esc((m.get("hash") or "")[:12])))
    pts = [(s[1], s[2]) for s in scores if isinstance(s[1], (int, float))]
    if len(pts) < 2 or not isinstance(t, (int, float)):
        return head
    import math
    top = max(max(p[0] for p in pts), t)
    low = min(min(p[0] for p in pts), t)
    log = low > 0                      # (distances: a log scale shows normal and fault)
    f = math.log10 if log else float
    hi, lo = f(top) + (0.05 if log else 0.1 * abs(top)), f(low) if log else min(0.0, low)
    L, R, T, Bm = 44, 8, 6, 22

    def y(v):
        return T + (h - T - Bm) * (1 - (f(v) - lo) / ((hi - lo) or 1.0))
    dx = (w - L - R) / max(1, len(pts) - 1)
    line = " ".join("%.1f,%.1f" % (L + i * dx, y(p[0])) for i, p in enumerate(pts))
    marks = "".join('<rect x="%.1f" y="%d" width="%.1f" height="4" fill="#a33"/>' % (
        L + i * dx - dx / 2, h - Bm + 2, max(dx, 1)) for i, p in enumerate(pts) if p[1])
    svg = ('<svg id="live-trace" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="anomaly score of the last %d windows (line) and the threshold (dashed);'
           ' red marks: anomaly state on">'
           '<polyline points="%s" fill="none" stroke="#335" stroke-width="1.5"/>'
           '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#a33" stroke-dasharray="5 3"/>%s'
           '<text x="2" y="%.1f" font-size="10">%.3g</text><text x="2" y="%.1f" font-size="10">'
           'thr.</text><text x="%d" y="%d" font-size="10">score of the last %d windows (oldest '
           'left%s); red: state ANOMALY</text></svg>' % (
               w, h, w, h, len(pts), line, L, w - R, y(t), y(t), marks, T + 8, top, y(t) + 3,
               L, h - 4, len(pts), ", log scale" if log else ""))
    return head + svg


def _page(st):
    _msg("message", st["page"])


def _not_loaded(part, region):
    """A step whose modules load when it is first opened (its own drawer then takes over):
    until then, why they could not be loaded, and a button to try again."""
    def draw(st):
        m = (st.get(part) or {}).get("message")
        if m:
            put(region, '<p class="msg"><span class="err" role="alert">%s</span></p><button '
                'type="button" data-act="%s.open">try again</button>' % (esc(m), part))
    return draw


DRAW = {"device": _header, "config-form": _config_form, "config": lambda st: _msg(
    "cfg-message", st["config"]), "stream": _stream, "page": _page, "sessions": _sessions,
    "train": _train, "deploy": _deploy, "live": _live,
    "explore": _not_loaded("explore", "explore-body"),
    "notebook": _not_loaded("notebook", "nb-root"), "node": _not_loaded("node", "node")}
