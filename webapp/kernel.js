// The notebook's kernel: a MicroPython-WASM interpreter in a Web Worker, so a long or endless
// cell never freezes the page and can be stopped by ending the worker (the page starts a new
// one; the notebook itself lives in the page). Transport only: the cells' code runs through
// nb/kernel.py (last expression shown, tracebacks pointing at the cell's lines) and the
// motebook API (nb/motebook.py) reaches the device with mbFetch. Memory: the interpreter.
import { loadMicroPython } from "./mpy/micropython.mjs";

let mp = null, cur = null, token = "";
const post = (m) => postMessage(m);

/** fetch for Python: JSON {status, text} (or the body into the FS at fsPath: {status, bytes}). */
globalThis.mbFetch = async (method, path, body, fsPath) => {
  try {
    const headers = { Authorization: `Bearer ${token}` };
    if (body) headers["Content-Type"] = "application/json";
    const r = await fetch(path, { method, body: body || undefined, headers, cache: "no-store" });
    if (fsPath && r.ok) {
      const b = new Uint8Array(await r.arrayBuffer());
      mp.FS.writeFile(fsPath, b);
      return JSON.stringify({ status: r.status, bytes: b.length,
        headers: Object.fromEntries(r.headers.entries()) });
    }
    return JSON.stringify({ status: r.status, text: await r.text() });
  } catch (e) { return JSON.stringify({ status: 0, text: String(e.message || e) }); }
};
/** Outputs of the running cell (plots, results, HTML) from nb/kernel.py, as JSON text. */
globalThis.mbPost = (json) => { const m = JSON.parse(json); m.id = cur; post(m); };

async function init(files) {
  mp = await loadMicroPython({
    stdout: (line) => post({ op: "out", id: cur, text: line + "\n" }),
    stderr: (line) => post({ op: "out", id: cur, text: line + "\n", stream: "stderr" }),
  });
  await Promise.all(Object.entries(files).map(async ([url, path]) => {
    const r = await fetch(new URL(url, location.href));
    if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (dir) mp.FS.mkdirTree(dir);
    mp.FS.writeFile(path, new Uint8Array(await r.arrayBuffer()));
  }));
  mp.runPython("import kernel\nimport motebook\n");
}

async function run(id, code) {
  cur = id;
  const k = mp.pyimport("kernel");
  try {
    await mp.runPythonAsync(k.prepare(code));
    post({ op: "done", id });
  } catch (e) {
    post({ op: "error", id, text: k.traceback(String(e.message || e)) });
    post({ op: "done", id, error: true });
  }
}

self.onmessage = async (ev) => {
  const m = ev.data;
  try {
    if (m.op === "init") {
      token = m.token || "";
      await init(m.files);
      post({ op: "ready" });
    } else if (m.op === "run") {
      await run(m.id, m.code);
    }
  } catch (e) { post({ op: "crash", text: String(e.message || e) }); }
};
