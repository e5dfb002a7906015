// motebook page glue: DOM, WebSocket, plotting, token. No protocol code here: every frame
// is written into the interpreter's FS and decoded by shared/protocol.py in MicroPython.
// Memory: one Float32Array view per plot update (over the bytes Python wrote), nothing per frame.
import { hooks } from "./pyscript/core.js";

const STAGE = "/stage.bin";          // the last binary frame, read by app/stream.py
const PLOT = "/plot.bin";            // float32 plot data written by app/plot.py
const FLUSH_MS = 250;                // plot/DOM updates: at most 4 per second
const TOKEN_KEY = "motebook.token";
const $ = (id) => document.getElementById(id);
const body = document.body;

const mb = (window.motebook = {
  boot: "loading", conn: "idle", stats: {}, interpreter: null, py: null,
  connects: 0, frames: 0, frameMs: null, firstFrameAt: null, firstPlotAt: null, plots: 0, errors: [],
});

hooks.main.onReady.add((wrap) => { mb.interpreter = wrap.interpreter; });

function setBoot(state, text) {
  mb.boot = state; body.dataset.boot = state; $("boot").textContent = text;
}

// Called once by app/main.py with its handlers.
mb.attach = (onFrame, onText, flush, ping) => {
  if (!mb.interpreter) throw new Error("interpreter not ready");
  mb.py = { onFrame, onText, flush, ping };
  setBoot("ready", "MicroPython ready");
  connect();
  setInterval(update, FLUSH_MS);
};

// ---- WebSocket with reconnect and backoff -------------------------------------------
let ws = null, backoff = 250, lastMsgAt = 0;
const PING_MS = 5000, DEAD_MS = 12000;   // keepalive; a silent socket is closed and redialled
function setConn(state, text) { mb.conn = state; body.dataset.conn = state; $("conn").textContent = text; }

function connect() {
  setConn("connecting", "connecting…");
  ws = new WebSocket(`ws://${location.host}/ws`);
  lastMsgAt = performance.now();
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    mb.connects++; backoff = 250; lastMsgAt = performance.now(); setConn("open", "connected");
  };
  ws.onmessage = (ev) => {
    lastMsgAt = performance.now();
    try {
      if (typeof ev.data === "string") { mb.py.onText(ev.data); return; }
      const t = performance.now();
      mb.interpreter.FS.writeFile(STAGE, new Uint8Array(ev.data));
      mb.frames++;
      mb.py.onFrame(ev.data.byteLength);
      const dt = performance.now() - t;   // staging + decode, moving average
      mb.frameMs = mb.frameMs === null ? dt : 0.9 * mb.frameMs + 0.1 * dt;
      if (mb.firstFrameAt === null) mb.firstFrameAt = performance.now();   // first decoded
      if (mb.plots === 0) update();  // show the first window at once, then throttled
    } catch (e) { report(e); }
  };
  ws.onclose = closed;
  ws.onerror = () => {};             // onclose follows and schedules the retry
}

function closed() {
  ws = null;
  const wait = backoff; backoff = Math.min(backoff * 2, 4000);
  setConn("closed", `disconnected, retrying in ${(wait / 1000).toFixed(1)} s`);
  setTimeout(connect, wait);
}
setInterval(() => {                   // keepalive: the device answers a ping with a pong
  if (!ws || ws.readyState > 1) return;
  if (performance.now() - lastMsgAt > DEAD_MS) {      // silent (or stuck dialling): drop it
    ws.onclose = ws.onmessage = null; ws.close(); closed(); return;  // without a handshake
  }
  if (ws.readyState === 1) ws.send(mb.py.ping());               // the message is encoded by shared/protocol
}, PING_MS);

function report(e) {
  const text = String(e && e.message || e);
  mb.errors.push(text); $("message").textContent = text;
}

// ---- throttled DOM + plot update ----------------------------------------------------
let xs = null, xKey = "", pending = null;   // pending: plot data written before Plotly loaded
function update() {
  let out;
  try { out = mb.py.flush(); } catch (e) { report(e); return; }
  if (!out) { if (pending && window.Plotly) draw(pending); return; }
  const s = (mb.stats = JSON.parse(out));
  body.dataset.windows = s.windows; body.dataset.gaps = s.gaps;
  body.dataset.lastSeq = s.last_seq; body.dataset.magStd = s.mag_std;
  $("rate").textContent = s.rate; $("windows").textContent = s.windows;
  $("last-seq").textContent = s.last_seq; $("gaps").textContent = s.gaps;
  $("shape").textContent = `${s.window} / ${s.hop}`;
  $("mag-std").textContent = s.mag_std.toFixed(3);
  if (s.error) $("message").textContent = s.error;
  for (const b of document.querySelectorAll("#activity button[data-activity]"))
    b.disabled = s.sensor !== "sim";   // only the simulated sensor takes an activity
  if (s.plot) { pending = s; if (window.Plotly) draw(s); }
}

// plotly (the largest file) loads after MicroPython so the interpreter boots first; the
// first windows wait in `pending` and are drawn as soon as it lands
loadPlotly();
function loadPlotly() {
  const s = document.createElement("script");
  s.src = document.querySelector("meta[name=motebook-plotly]").content;
  s.onload = () => { if (pending) draw(pending); };
  s.onerror = () => report(new Error(`could not load ${s.src}`));
  document.head.append(s);
}

function draw(s) {
  pending = null;
  const n = s.plot, bytes = mb.interpreter.FS.readFile(PLOT);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  if (xKey !== `${n}/${s.rate}`) {
    xKey = `${n}/${s.rate}`; xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = (i - n + 1) / s.rate;
  }
  const traces = s.channels.map((name, c) => ({
    x: xs, y: data.subarray(c * n, (c + 1) * n), name, mode: "lines", type: "scatter",
    line: { width: 1.5 },
  }));
  window.Plotly.react("plot", traces, {
    margin: { l: 50, r: 10, t: 10, b: 40 }, uirevision: "live",
    xaxis: { title: { text: "seconds" } }, yaxis: { title: { text: s.unit || "" } },
    legend: { orientation: "h" },
  }, { displayModeBar: false, responsive: true });
  mb.plots++;
  if (mb.firstPlotAt === null) mb.firstPlotAt = performance.now();
  body.dataset.plots = mb.plots;
}

// ---- token (asked once, kept in localStorage) and the simulator's activity switcher --
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get("token")) {
  localStorage.setItem(TOKEN_KEY, hash.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
}
function showToken() {
  const has = !!localStorage.getItem(TOKEN_KEY);
  $("token-form").hidden = has; $("activity").hidden = !has;
}
$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const t = $("token-input").value.trim();
  if (t) { localStorage.setItem(TOKEN_KEY, t); $("token-input").value = ""; $("message").textContent = ""; }
  showToken();
});
$("forget-token").addEventListener("click", () => { localStorage.removeItem(TOKEN_KEY); showToken(); });

// State-changing request to the device with the stored token; resolves to the JSON reply.
mb.put = async (path, obj) => {
  const r = await fetch(path, {
    method: "PUT", body: JSON.stringify(obj),
    headers: { "Content-Type": "application/json",
               Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) || ""}` },
  });
  const reply = await r.json().catch(() => ({}));
  if (r.status === 401 || r.status === 403) { localStorage.removeItem(TOKEN_KEY); showToken(); }
  if (!r.ok) throw new Error(reply.error || `HTTP ${r.status}`);
  return reply;
};
for (const b of document.querySelectorAll("#activity button[data-activity]")) {
  b.addEventListener("click", async () => {
    try {
      await mb.put("/api/sim", { activity: b.dataset.activity });
      for (const o of document.querySelectorAll("#activity button")) o.classList.toggle("on", o === b);
      $("message").textContent = "";
    } catch (e) { $("message").textContent = `activity: ${e.message}`; }
  });
}
showToken();

// ---- train and deploy panels, live predictions (the logic is in app/train.py, app/deploy.py)
// Hooks for tests: mb.training (summary of the last training), mb.pushed (the device's answer
// to the last push), mb.predictions() (live predictions + page-vs-device comparison),
// mb.fit (does the model fit the device), mb.check (the last on-device check),
// mb.stallMs (longest gap of a 10 ms timer while training: how long the page froze).
mb.training = null; mb.pushed = null; mb.stallMs = 0; mb.fit = null; mb.check = null;
let stallTimer = null;
// The browser's clock for Python as text: a JavaScript number above 2**31 handed to
// MicroPython-WASM as an int is cut to 32 bits (every session showed 8 January 1970).
mb.nowS = () => String(Date.now() / 1000);
mb.attachTrain = (train, send, sessions, predictions, switchCfg, check) => {
  mb.predictions = () => JSON.parse(predictions());
  $("train-go").addEventListener("click", () => train());
  $("train-send").addEventListener("click", () => send());
  $("train-refresh").addEventListener("click", () => sessions());
  $("deploy-switch").addEventListener("click", () => switchCfg());
  $("check-go").addEventListener("click", () => check());
  for (const [id, on] of [["train-all", true], ["train-none", false]])
    $(id).addEventListener("click", () => { for (const b of document.querySelectorAll(".train-sid")) b.checked = on; });
  // window and hop in seconds or samples, at the rate app/train.py put on #train-rate
  const rate = () => Number($("train-rate").dataset.rate) || 0;
  for (const k of ["window", "hop"]) {
    $(`train-${k}-s`).addEventListener("input", () => { if (rate()) $(`train-${k}`).value = Math.max(1, Math.round($(`train-${k}-s`).value * rate())); });
    $(`train-${k}`).addEventListener("input", () => { if (rate()) $(`train-${k}-s`).value = +($(`train-${k}`).value / rate()).toFixed(4); });
  }
};
mb.fitShown = (fit) => { mb.fit = JSON.parse(fit); };
mb.checkDone = (res) => { mb.check = JSON.parse(res); };
mb.trainStarted = () => {
  mb.training = null; mb.stallMs = 0; body.dataset.training = "running";
  let last = performance.now();
  clearInterval(stallTimer);
  stallTimer = setInterval(() => {
    const now = performance.now();
    mb.stallMs = Math.max(mb.stallMs, now - last - 10); last = now;
  }, 10);
};
mb.trainDone = (summary) => {
  clearInterval(stallTimer);
  mb.training = JSON.parse(summary); body.dataset.training = mb.training.error ? "error" : "done";
};
// PUT /api/model: the model file text as the body, its hash in X-Model-Hash; resolves to JSON
// text {status, body} (status 0: the device could not be reached).
// The training modules are not in PyScript's boot files (the live plot does not wait for
// them): app/train.py asks for them once the page is live, or when Train is pressed.
const TRAIN_FILES = {
  "./shared/fft.py": "/shared/fft.py", "./shared/features.py": "/shared/features.py",
  "./shared/quant.py": "/shared/quant.py", "./shared/model.py": "/shared/model.py",
  "./shared/modelformat.py": "/shared/modelformat.py", "./shared/trainer.py": "/shared/trainer.py",
  "./shared/evaluate.py": "/shared/evaluate.py", "./shared/pipeline.py": "/shared/pipeline.py",
};
mb.loadTrainFiles = async () => {
  await Promise.all(Object.entries(TRAIN_FILES).map(async ([url, dest]) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
    mb.interpreter.FS.writeFile(dest, new Uint8Array(await r.arrayBuffer()));
  }));
  return true;
};
let lastPut = null;
mb.pushDone = () => { mb.pushed = lastPut; };     // after app/train.py showed the answer
mb.putModel = async (text, hash) => {
  let status = 0, reply = {};
  try {
    const r = await fetch("/api/model", {
      method: "PUT", body: text,
      headers: { "Content-Type": "text/csv", "X-Model-Hash": hash,
                 Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) || ""}` },
    });
    status = r.status;
    reply = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (r.status === 401 || r.status === 403) { localStorage.removeItem(TOKEN_KEY); showToken(); }
  } catch (e) { reply = { error: String(e.message || e) }; }
  lastPut = { status, hash: reply.hash || null, error: reply.error || null, sent: hash };
  return JSON.stringify({ status, body: reply });
};

// ==== dataset: device requests, window downloads and the IndexedDB cache for ====
// app/dataset.py (which owns the logic). Values stored: JSON strings and ArrayBuffers.
const IDB_NAME = "motebook", IDB_STORE = "kv";
let idbOpen = null;
function idb() {
  if (!idbOpen) idbOpen = new Promise((res, rej) => {
    const r = indexedDB.open(IDB_NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(IDB_STORE);
    r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error);
  });
  return idbOpen;
}
async function idbDo(mode, fn) {
  const db = await idb();
  return new Promise((res, rej) => {
    const tx = db.transaction(IDB_STORE, mode), req = fn(tx.objectStore(IDB_STORE));
    tx.oncomplete = () => res(req.result === undefined ? null : req.result);
    tx.onerror = () => rej(tx.error); tx.onabort = () => rej(tx.error);
  });
}
const authHeader = () => ({ Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) || ""}` });
mb.ds = {
  get: (k) => idbDo("readonly", (s) => s.get(k)),
  put: (k, v) => idbDo("readwrite", (s) => s.put(v, k)),
  del_: (k) => idbDo("readwrite", (s) => s.delete(k)),
  clear: () => idbDo("readwrite", (s) => s.clear()),
  keys: async () => JSON.stringify(await idbDo("readonly", (s) => s.getAllKeys())),
  stats: { fetched: 0, cached: 0 },          // window bytes downloaded / taken from the cache
  /** Device request with the token: JSON {status, text}; status 0 when unreachable. */
  async request(method, path, body) {
    try {
      const r = await fetch(path, { method, body: body ?? undefined, cache: "no-store",
        headers: { ...authHeader(), ...(body ? { "Content-Type": "application/json" } : {}) } });
      return JSON.stringify({ status: r.status, text: await r.text() });
    } catch (e) { return JSON.stringify({ status: 0, text: "" }); }
  },
  /** Windows 0..total of a session into the interpreter FS at fsPath: the cached ones (same
   * session id and start time) plus a download of the rest. JSON {n, frame_size, fetched,
   * cached} or {error, status}. */
  async windows(sid, started, total, fsPath) {
    const key = `win:${sid}`;
    let c = await mb.ds.get(key);
    if (!c || c.started !== started || c.n > total) c = { started, n: 0, fs: 0, bytes: new ArrayBuffer(0) };
    let bytes = new Uint8Array(c.bytes), fs = c.fs, fetched = 0, t0 = performance.now();
    if (c.n < total) {
      let r;
      try { r = await fetch(`/api/sessions/${sid}/windows?start=${c.n}&count=${total - c.n}`, { cache: "no-store" }); }
      catch (e) { if (!c.n) return JSON.stringify({ error: "device unreachable", status: 0 }); }
      if (r && !r.ok) return JSON.stringify({ error: (await r.json().catch(() => ({}))).error || `HTTP ${r.status}`, status: r.status });
      if (r) {
        const more = new Uint8Array(await r.arrayBuffer());
        fs = Number(r.headers.get("X-Frame-Size")) || fs;
        const all = new Uint8Array(bytes.length + more.length);
        all.set(bytes); all.set(more, bytes.length); bytes = all; fetched = more.length;
        const n = fs ? bytes.length / fs : 0;
        await mb.ds.put(key, { started, n, fs, bytes: bytes.buffer });
      }
    }
    mb.ds.stats.fetched += fetched; mb.ds.stats.cached += bytes.length - fetched;
    mb.interpreter.FS.writeFile(fsPath, bytes);
    return JSON.stringify({ n: fs ? bytes.length / fs : 0, frame_size: fs || 1, fetched, cached: bytes.length - fetched,
      ms: Math.round(performance.now() - t0) });
  },
  /** POST the bytes Python wrote at fsPath (an import's frames) with the token: JSON
   * {status, text}; status 0 when the device could not be reached. */
  async upload(path, fsPath) {
    try {
      const r = await fetch(path, { method: "POST", body: mb.interpreter.FS.readFile(fsPath),
        headers: { ...authHeader(), "Content-Type": "application/octet-stream" } });
      return JSON.stringify({ status: r.status, text: await r.text() });
    } catch (e) { return JSON.stringify({ status: 0, text: "" }); }
  },
  /** GET path into the interpreter FS at fsPath: JSON {status, bytes} or {status, error}. */
  async download(path, fsPath) {
    try {
      const r = await fetch(path, { cache: "no-store" });
      if (!r.ok) return JSON.stringify({ status: r.status, error: (await r.json().catch(() => ({}))).error || `HTTP ${r.status}` });
      const b = new Uint8Array(await r.arrayBuffer());
      mb.interpreter.FS.writeFile(fsPath, b);
      return JSON.stringify({ status: r.status, bytes: b.length });
    } catch (e) { return JSON.stringify({ status: 0, error: "device unreachable" }); }
  },
};

// ==== sessions panel: draws app/sessions.py's state, turns DOM events into its ====
// ops. Hooks: mb.dataset.call(op, args) -> Promise of {result, error, state};
// mb.dataset.state (the last state); mb.dataset.timelineDraws.
const COLORS = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#222222"];
const colorOf = (i) => COLORS[i % COLORS.length];
const dsx = (mb.dataset = { state: null, timelineDraws: 0, pending: new Map(), seq: 0, busy: 0 });
let dsPaths = null, tlRev = -1, tlTraces = null;
mb.attachDataset = (call, timeline, exportPath, importPath, maxImport) => {
  dsPaths = { timeline, exportPath, importPath, maxImport };
  dsx.call = (op, args = {}) => new Promise((resolve) => {
    const id = ++dsx.seq; dsx.busy++;
    dsx.pending.set(id, resolve);
    call(id, op, JSON.stringify(args));
  });
  dsx.call("refresh");
};
mb.dsDone = (id, out, err, state) => {
  dsx.busy--;
  dsx.state = JSON.parse(state);
  try { dsRender(dsx.state); } catch (e) { report(e); }
  const resolve = dsx.pending.get(id); dsx.pending.delete(id);
  if (resolve) resolve({ result: JSON.parse(out), error: err || null, state: dsx.state });
};
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
function dsRender(s) {
  $("ds-message").textContent = s.message || (s.online ? "" : "device unreachable: showing the cached copy; label edits are refused until it is back");
  $("ds-message").className = s.message || !s.online ? "err" : "";
  if (!s.message && s.online && s.notice) $("ds-message").textContent = s.notice;
  body.dataset.dsOnline = s.online; body.dataset.recording = s.recording ?? "";
  const recSel = $("rec-class"), keep = recSel.value;
  recSel.innerHTML = `<option value="">(no class)</option>` + s.classes.map((c) => `<option>${esc(c.name)}</option>`).join("");
  recSel.value = keep;
  $("rec-start").disabled = s.recording != null; $("rec-stop").disabled = s.recording == null;
  $("storage").textContent = s.storage_budget ? `${Math.round(s.storage_used / 1024)} of ${Math.round(s.storage_budget / 1024)} KB used` + (s.recording_error ? ` — recording stopped: ${s.recording_error}` : "") : "";
  $("session-list").innerHTML = s.sessions.map((m) => `<tr data-sid="${esc(m.id)}"${s.cur && String(s.cur.sid) === String(m.id) ? ' class="open"' : ""}>
    <td>${esc(m.name)}</td><td>${m.started ? new Date(m.started * 1000).toLocaleString() : "time unknown"}${m.source === "import" ? " (imported)" : ""}</td>
    <td>${(m.duration_s || 0).toFixed(1)} s</td><td>${m.recording ? "recording…" : esc(m.label || "")}</td>
    <td>${m.segments} labelled</td><td><button data-op="open">open</button> <button data-op="delete">delete</button></td></tr>`).join("");
  $("class-list").innerHTML = s.classes.map((c, i) => `<span class="cls-item" data-cls="${i}"><i style="background:${colorOf(i)}"></i>${i + 1} ${esc(c.name)} <small>${c.samples}</small></span>`).join("");
  $("label").hidden = !s.cur;
  if (window.Plotly && s.classes.length) {
    window.Plotly.react("counts-plot", [{ type: "bar", x: s.classes.map((c) => c.name), y: s.classes.map((c) => c.samples), marker: { color: s.classes.map((c, i) => colorOf(i)) } }],
      { margin: { l: 50, r: 10, t: 10, b: 30 }, yaxis: { title: { text: "samples" } } }, { displayModeBar: false });
  }
  if (s.cur) drawTimeline(s);
}
function drawTimeline(s) {
  const c = s.cur;
  $("label-title").textContent = `session ${c.name}: ${c.n} samples at ${c.rate} Hz, labels version ${c.version ?? "local"}`;
  $("selection").textContent = c.sel ? `selected ${(c.sel[0] / c.rate).toFixed(2)}–${(c.sel[1] / c.rate).toFixed(2)} s` : "drag on the plot or click a window";
  $("lab-undo").disabled = !c.undo; $("lab-redo").disabled = !c.redo;
  if (!window.Plotly) return;
  if (tlRev !== c.tl_rev) {
    const b = mb.interpreter.FS.readFile(dsPaths.timeline);
    const f = new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
    const n = f.length / (c.channels.length + 1);
    tlTraces = c.channels.map((name, i) => ({ x: f.subarray(0, n), y: f.subarray((i + 1) * n, (i + 2) * n), name, mode: "lines", type: "scatter", line: { width: 1 }, hoverinfo: "none" }));
    tlRev = c.tl_rev;
  }
  const rect = (a, b, color, op) => ({ type: "rect", xref: "x", yref: "paper", x0: a / c.rate, x1: b / c.rate, y0: 0, y1: 1, fillcolor: color, opacity: op, line: { width: 0 }, layer: "below" });
  const shapes = c.segments.map(([a, b, k]) => rect(a, b, colorOf(k), 0.25));
  if (c.sel) shapes.push({ ...rect(c.sel[0], c.sel[1], "rgba(0,0,0,0)", 1), layer: "above", line: { width: 2, color: "#000", dash: "dot" } });
  window.Plotly.react("timeline", tlTraces, { margin: { l: 50, r: 10, t: 10, b: 40 }, dragmode: false, hovermode: false, uirevision: c.sid,
    xaxis: { title: { text: "seconds" } }, legend: { orientation: "h" }, shapes }, { displayModeBar: false, responsive: true });
  dsx.timelineDraws++;
}
// mouse on the timeline (our own, so it works on line traces): a drag selects that time range,
// a click without a drag selects the window under the pointer (shift: add it to the selection)
let down = null;
const tlSample = (ev) => {
  const gd = $("timeline"), xa = gd._fullLayout && gd._fullLayout.xaxis, c = dsx.state && dsx.state.cur;
  if (!xa || !c) return null;
  const px = ev.clientX - gd.getBoundingClientRect().left - xa._offset;
  return px < 0 || px > xa._length ? null : Math.round(xa.p2l(px) * c.rate);
};
$("timeline").addEventListener("mousedown", (ev) => { down = { x: ev.clientX, y: ev.clientY, s: tlSample(ev) }; }, true);
document.addEventListener("mouseup", (ev) => {   // (plotly may put a cover over the page while dragging)
  const d = down, s = tlSample(ev); down = null;
  if (!d || d.s === null || s === null) return;
  if (Math.abs(ev.clientX - d.x) > 4) dsx.call("select", { start: Math.min(d.s, s), end: Math.max(d.s, s) });
  else dsx.call("click", { x: s, extend: ev.shiftKey });
}, true);
document.addEventListener("keydown", (ev) => {
  if (!dsx.state || !dsx.state.cur || /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
  const k = ev.key;
  let op = null;
  if (/^[1-9]$/.test(k) && !ev.ctrlKey && !ev.metaKey) op = ["label", { cls: Number(k) - 1 }];
  else if (k === "0" || k === "Delete" || k === "Backspace") op = ["label", { cls: -1 }];
  else if (k === "ArrowLeft" || k === "ArrowRight") op = ["move", { dir: k === "ArrowRight" ? 1 : -1, extend: ev.shiftKey }];
  else if (k.toLowerCase() === "z" && ev.shiftKey && (ev.ctrlKey || ev.metaKey)) op = ["redo"];
  else if (k.toLowerCase() === "y" && (ev.ctrlKey || ev.metaKey)) op = ["redo"];
  else if (k.toLowerCase() === "z" && !ev.shiftKey) op = ["undo"];
  if (!op) return;
  ev.preventDefault();
  dsx.call(...op);
});
$("session-list").addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-op]"); if (!b) return;
  const raw = b.closest("tr").dataset.sid, sid = /^\d+$/.test(raw) ? Number(raw) : raw;
  if (b.dataset.op === "delete" && !confirm(`Delete session ${raw} and its labels?`)) return;
  dsx.call(b.dataset.op, { sid });
});
$("rec-start").addEventListener("click", () => dsx.call("record", { label: $("rec-class").value }));
setInterval(() => {        // while recording, the list follows the session's growth
  if (dsx.state && dsx.state.recording != null && dsx.busy === 0) dsx.call("refresh");
}, 2000);
$("rec-stop").addEventListener("click", () => dsx.call("stop"));
$("ds-refresh").addEventListener("click", () => dsx.call("refresh"));
$("add-class").addEventListener("click", async () => {
  const r = await dsx.call("add_class", { name: $("new-class").value });
  if (!r.error) $("new-class").value = "";
});
$("lab-undo").addEventListener("click", () => dsx.call("undo"));
$("lab-redo").addEventListener("click", () => dsx.call("redo"));
$("class-list").addEventListener("click", (ev) => {
  const i = ev.target.closest("[data-cls]"); if (i) dsx.call("label", { cls: Number(i.dataset.cls) });
});
/** Export: the op writes the file into the FS, this hands it to the browser as a download. */
dsx.download = async (op) => {
  const r = await dsx.call(op);
  if (r.error) return r;
  const bytes = mb.interpreter.FS.readFile(r.result.path);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes], { type: r.result.type }));
  a.download = r.result.name; a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return r;
};
$("export-csv").addEventListener("click", () => dsx.download("export_csv"));
$("export-zip").addEventListener("click", () => dsx.download("export_zip"));
$("import-csv").addEventListener("change", async (ev) => {
  const f = ev.target.files[0]; if (!f) return;
  ev.target.value = "";
  if (f.size > dsPaths.maxImport) { await dsx.call("import_csv", { size: f.size }); return; }   // refused there, with the limit
  mb.interpreter.FS.writeFile(dsPaths.importPath, new Uint8Array(await f.arrayBuffer()));
  dsx.lastImport = await dsx.call("import_csv", { size: f.size });
});
