// motebook page glue: transport only. The page's state, its actions and all drawing live in
// Python (app/bridge.py, app/view.py); this file moves bytes: the WebSocket (each binary frame
// written into the interpreter's FS for app/stream.py), device requests with the stored token,
// the IndexedDB cache, files between the browser and the FS (paths chosen by Python), loading
// the chart libraries (uPlot, plotly.js) and the notebook's worker interpreter. Memory:
// nothing per frame but the FS write.
import { hooks } from "./pyscript/core.js";
import { asset, request } from "./transport.js";

const STAGE = "/stage.bin";          // the last binary frame, read by app/stream.py
const TOKEN_KEY = "motebook.token";
const mb = (window.motebook = {
  boot: "loading", conn: "idle", connects: 0, frames: 0, frameMs: null, firstFrameAt: null,
  firstPlotAt: null, plots: 0, timelineDraws: 0, errors: [], interpreter: null, py: null,
  debug: new URLSearchParams(location.search).has("debug"),   // test hooks (debug.js)
});
// uPlot is asked for when the interpreter is in (its 22 KB then fill the time Python takes to
// start, instead of slowing the download of MicroPython itself)
hooks.main.onReady.add((wrap) => { mb.interpreter = wrap.interpreter; mb.uplot(); });

function report(e) {
  const text = String(e && e.message || e);
  mb.errors.push(text); console.error(text);
}

/** Called once by app/main.py: its handlers (onFrame(n), onText(text), onConn(state, text),
 * ping() -> text); starts the WebSocket. */
mb.attach = (onFrame, onText, onConn, ping) => {
  mb.py = { onFrame, onText, onConn, ping };
  mb.boot = "ready";
  connect();
};

// ---- WebSocket with reconnect, backoff and keepalive ------------------------------------
let ws = null, backoff = 250, lastMsgAt = 0;
const PING_MS = 5000, DEAD_MS = 12000;   // a silent socket is closed and redialled
function setConn(state, text) { mb.conn = state; try { mb.py.onConn(state, text); } catch (e) { report(e); } }

function connect() {
  setConn("connecting", "connecting…");
  ws = new WebSocket(`ws://${location.host}/ws`);
  lastMsgAt = performance.now();
  ws.binaryType = "arraybuffer";
  ws.onopen = () => { mb.connects++; backoff = 250; lastMsgAt = performance.now(); setConn("open", "connected"); };
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
      if (mb.firstFrameAt === null) mb.firstFrameAt = performance.now();
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
setInterval(() => {
  if (!ws || ws.readyState > 1) return;
  if (performance.now() - lastMsgAt > DEAD_MS) {      // silent (or stuck dialling): drop it
    ws.onclose = ws.onmessage = null; ws.close(); closed(); return;
  }
  if (ws.readyState === 1) ws.send(mb.py.ping());     // encoded by shared/protocol
}, PING_MS);

// ---- device requests with the stored token (transport.js; decoded by app/net.py) ----------
const token = () => localStorage.getItem(TOKEN_KEY) || "";
/** JSON {status, text}; status 0 when the device could not be reached. */
mb.request = async (method, path, body, type) =>
  JSON.stringify(await request(method, path, { body, type, token: token() }));
/** Sends the bytes Python wrote at fsPath: JSON {status, text}. */
mb.upload = async (path, fsPath, method = "POST", type = "application/octet-stream", extra = "{}") =>
  JSON.stringify(await request(method, path, { body: mb.interpreter.FS.readFile(fsPath), type,
    token: token(), headers: JSON.parse(extra) }));
/** GET path into the FS at fsPath: JSON {status, bytes} or {status, text, error} (error: the
 * text, read by app/deploy.py). */
mb.download = async (path, fsPath) => {
  const r = await request("GET", path, { token: token(), into: (b) => mb.interpreter.FS.writeFile(fsPath, b) });
  if (r.text !== undefined) r.error = r.status ? `HTTP ${r.status}: ${r.text}` : r.text;
  return JSON.stringify(r);
};

// ---- the page's Python modules: lists made by scripts/build_www.py from the imports --------
// (modules.json: {"groups": {module: {url: FS path}}, "worker": {url: FS path}}); PyScript's
// boot files are in index.html. A group is loaded when Python first needs it (app/net.py).
let lists = null;
const loaded = new Set();           // URLs already in the FS
async function moduleLists() {
  if (!lists) {
    const b = await asset(document.querySelector("meta[name=motebook-modules]").content);
    if (b) lists = JSON.parse(new TextDecoder().decode(b));
  }
  return lists;
}
// Two at a time: the device serves a few connections from a small heap.
const LOAD_AT_ONCE = 2;
/** The modules of the groups named (a JSON list) into the FS: "" when done, else the reason. */
mb.need = async (names) => {
  const all = await moduleLists();
  if (!all) return "the list of the page's modules could not be loaded (device unreachable?)";
  const want = new Map();            // groups share modules (shared/features.py...): once
  for (const n of JSON.parse(names)) {
    if (!all.groups[n]) return `no module group ${n}`;
    for (const [url, dest] of Object.entries(all.groups[n])) if (!loaded.has(url)) want.set(url, dest);
  }
  const todo = [...want.entries()];
  const failed = [];
  const worker = async () => {
    for (let e = todo.shift(); e; e = todo.shift()) {
      const [url, dest] = e, b = await asset(url);
      if (!b) { failed.push(url); continue; }
      const dir = dest.slice(0, dest.lastIndexOf("/"));
      if (dir) mb.interpreter.FS.mkdirTree(dir);
      mb.interpreter.FS.writeFile(dest, b);
      loaded.add(url);
    }
  };
  await Promise.all(Array.from({ length: LOAD_AT_ONCE }, worker));
  return failed.length ? `could not load ${failed.join(", ")} (device unreachable?)` : "";
};

// ---- IndexedDB (key -> JSON text or {bytes}) and the session window cache -----------------
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
mb.ds = {
  get: (k) => idbDo("readonly", (s) => s.get(k)),
  put: (k, v) => idbDo("readwrite", (s) => s.put(v, k)),
  del_: (k) => idbDo("readwrite", (s) => s.delete(k)),
  keys: async () => JSON.stringify(await idbDo("readonly", (s) => s.getAllKeys())),
  stats: { fetched: 0, cached: 0 },          // window bytes downloaded / taken from the cache
  /** Windows 0..total of a session into the FS at fsPath: the cached ones (same session id
   * and start time) plus a download of the rest. JSON {n, frame_size, fetched, cached} or
   * the device's answer {status, text}. */
  async windows(sid, started, total, fsPath) {
    const key = `win:${sid}`;
    let c = await mb.ds.get(key);
    if (!c || c.started !== started || c.n > total) c = { started, n: 0, fs: 0, bytes: new ArrayBuffer(0) };
    let bytes = new Uint8Array(c.bytes), fs = c.fs, fetched = 0;
    const t0 = performance.now();
    if (c.n < total) {
      let more = null;
      const r = await request("GET", `/api/sessions/${sid}/windows?start=${c.n}&count=${total - c.n}`,
        { into: (b) => { more = b; } });
      if (!more && (r.status || !c.n)) return JSON.stringify(r);   // (offline: the cached ones)
      if (more) {
        fs = Number(r.headers["x-frame-size"]) || fs;
        const all = new Uint8Array(bytes.length + more.length);
        all.set(bytes); all.set(more, bytes.length); bytes = all; fetched = more.length;
        await mb.ds.put(key, { started, n: fs ? bytes.length / fs : 0, fs, bytes: bytes.buffer });
      }
    }
    mb.ds.stats.fetched += fetched; mb.ds.stats.cached += bytes.length - fetched;
    mb.interpreter.FS.writeFile(fsPath, bytes);
    return JSON.stringify({ n: fs ? bytes.length / fs : 0, frame_size: fs || 1, fetched,
      cached: bytes.length - fetched, ms: Math.round(performance.now() - t0) });
  },
};

// ---- bytes between the browser and the FS -----------------------------------------------
/** A float32 view of an FS file (plot data Python wrote), for plotly. */
mb.f32 = (path) => { const b = mb.interpreter.FS.readFile(path); return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2); };
/** Floats i..j of such a file as a plain array with NaN as null: a gap in a uPlot line (uPlot
 * joins over NaN; e.g. the microphone's clipped levels). */
mb.f32gaps = (path, i, j) => Array.from(mb.f32(path).subarray(i, j), (v) => (Number.isNaN(v) ? null : v));
/** A File the person chose, into the FS at path; resolves to its size. */
mb.fileToFS = async (file, path) => { mb.interpreter.FS.writeFile(path, new Uint8Array(await file.arrayBuffer())); return file.size; };
/** An FS file handed to the browser as a download. */
mb.saveFile = (path, name, type) => {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([mb.interpreter.FS.readFile(path)], { type }));
  a.download = name; a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
};
mb.nowS = () => String(Date.now() / 1000);   // (a JS number > 2**31 reaches Python cut to 32 bits)

// The chart libraries: uPlot (the live plot, small) is asked for once MicroPython is in (above);
// plotly (the largest file, every other plot) when app/view_live.py asks: after the
// first live plot, or when a step that plots opens.
const scripts = {};
/** Resolves to "" once the script named by <meta name="motebook-NAME"> is in, else to the
 * reason (asked again on the next call). */
function script(name) {
  return scripts[name] || (scripts[name] = new Promise((res) => {
    const s = document.createElement("script");
    s.src = document.querySelector(`meta[name=motebook-${name}]`).content;
    s.onload = () => res("");
    s.onerror = () => { scripts[name] = null; s.remove(); res(`could not load ${s.src} (device unreachable?)`); };
    document.head.append(s);
  }));
}
mb.uplot = () => script("uplot");
mb.plotly = () => script("plotly");
/** The live plot drew a frame (bench_boot.mjs waits for the first). */
mb.plotted = () => { mb.plots++; if (mb.firstPlotAt === null) mb.firstPlotAt = performance.now(); };

// ---- the notebook's kernel: a MicroPython interpreter in a worker (kernel.js) -------------
let worker = null;
mb.kernel = {
  /** Starts a fresh worker; onMessage(json text) gets its outputs (op "crash": it could
   * not start, with the reason). */
  async start(onMessage) {
    if (worker) worker.terminate();
    worker = null;
    const all = await moduleLists();
    if (!all) {
      onMessage(JSON.stringify({ op: "crash", text: "the list of the kernel's modules could not be loaded (device unreachable?)" }));
      return;
    }
    worker = new Worker(document.querySelector("meta[name=motebook-kernel]").content, { type: "module" });
    worker.onmessage = (ev) => onMessage(JSON.stringify(ev.data));
    worker.onerror = (ev) => { ev.preventDefault(); onMessage(JSON.stringify({ op: "crash", text: String(ev.message || "the kernel could not start") })); };
    worker.postMessage({ op: "init", files: all.worker, token: token() });
  },
  run(id, code) { worker.postMessage({ op: "run", id, code }); },
  /** An endless cell cannot be interrupted inside the worker: it is ended with its worker. */
  stop() { if (worker) worker.terminate(); worker = null; },
};

// ---- test hooks: only with ?debug, all in debug.js (app/bridge.py attaches to them) ------
// (asked again after a failure: the device answers 503 when short of memory, and index.html's
// retry covers fetch(), not a module import; a new query string, as a failed import is kept)
async function importAgain(url) {
  for (let i = 0; ; i++) {
    try { return await import(i ? `${url}?again=${i}` : url); } catch (e) {
      if (i === 3) throw e;
      await new Promise((r) => setTimeout(r, 300 * (i + 1)));
    }
  }
}
mb.debugReady = mb.debug ? importAgain("./debug.js").then((m) => m.install(mb)) : null;
