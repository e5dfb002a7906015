// The notebook's kernel: a MicroPython-WASM interpreter in a Web Worker, so a long or endless
// cell never freezes the page and can be stopped by ending the worker (the page starts a new
// one; the notebook itself lives in the page). Transport only: the cells' code runs through
// nb/kernel.py (last expression shown, tracebacks pointing at the cell's lines) and the
// motebook API (nb/motebook.py) reaches the device with mbFetch (transport.js, shared with the
// page's glue.js). Memory: the interpreter.
import { loadMicroPython } from "./mpy/micropython.mjs";
import { asset, request } from "./transport.js";

let mp = null, cur = null, token = "";
const post = (m) => postMessage(m);

/** fetch for Python: JSON {status, text} (or the body into the FS at fsPath: {status, bytes}). */
globalThis.mbFetch = async (method, path, body, fsPath) => JSON.stringify(await request(method, path,
  { body, token, into: fsPath ? (b) => mp.FS.writeFile(fsPath, b) : undefined }));
/** Outputs of the running cell (plots, results, HTML) from nb/kernel.py, as JSON text. */
globalThis.mbPost = (json) => { const m = JSON.parse(json); m.id = cur; post(m); };

async function init(files) {
  mp = await loadMicroPython({
    stdout: (line) => post({ op: "out", id: cur, text: line + "\n" }),
    stderr: (line) => post({ op: "out", id: cur, text: line + "\n", stream: "stderr" }),
  });
  await Promise.all(Object.entries(files).map(async ([url, path]) => {
    const b = await asset(new URL(url, location.href));
    if (!b) throw new Error(`could not load ${url} (device unreachable?)`);
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (dir) mp.FS.mkdirTree(dir);
    mp.FS.writeFile(path, b);
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
