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

// ---- train panel and live predictions (issue 6; the logic is in app/train.py) --------
// Hooks for tests: mb.training (summary of the last training), mb.pushed (the device's answer
// to the last push), mb.predictions() (live predictions + page-vs-device comparison),
// mb.stallMs (longest gap of a 10 ms timer while training: how long the page froze).
mb.training = null; mb.pushed = null; mb.stallMs = 0;
let stallTimer = null;
mb.attachTrain = (train, send, sessions, predictions, trainLive, keep) => {
  mb.trainPy = { trainLive, keep };
  mb.predictions = () => JSON.parse(predictions());
  $("train-go").addEventListener("click", () => train());
  $("train-send").addEventListener("click", () => send());
  $("train-refresh").addEventListener("click", () => sessions());
};
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
  mb.pushed = { status, hash: reply.hash || null, error: reply.error || null, sent: hash };
  return JSON.stringify({ status, body: reply });
};

// ==== dataset (issue 5): device requests, window downloads and the IndexedDB cache for ====
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
    let bytes = new Uint8Array(c.bytes), fs = c.fs, fetched = 0;
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
    return JSON.stringify({ n: fs ? bytes.length / fs : 0, frame_size: fs || 1, fetched, cached: bytes.length - fetched });
  },
  /** An imported recording: the bytes Python wrote at fsPath plus its labels JSON. */
  async putFile(key, fsPath, text) {
    const u8 = mb.interpreter.FS.readFile(fsPath);
    await mb.ds.put(key, { text, bytes: u8.slice().buffer });
  },
  async getFile(key, fsPath) {
    const v = await mb.ds.get(key);
    if (!v) return null;
    mb.interpreter.FS.writeFile(fsPath, new Uint8Array(v.bytes));
    return v.text;
  },
};
