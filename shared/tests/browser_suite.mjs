// Runs the shared/ suite inside an already booted MicroPython-WASM interpreter (the page's, via
// PyScript's `hooks.main.onReady` interpreter, or one loaded in Node) and returns its result.
//   import { runSharedSuite } from "./shared/tests/browser_suite.mjs";
//   const result = await runSharedSuite(interpreter, { base: "/" });   // fetches the files
//   // result: {runtime, passed, failed, failures, fft}; publish it for Playwright.
// Options: base (URL prefix for fetch), read(path) -> Promise<Uint8Array> (instead of fetch),
// report(line) per output line (default console.log), root (FS folder, default /motebook),
// extra (more repo paths to copy), python (code to run instead of the suite; it may call
// js.__mprun_done(text) to return text).
// The file list comes from shared/tests/mprun.py (SHARED_FILES + MODULES), so the page copies
// exactly what the suite needs.
export async function runSharedSuite(mp, opts = {}) {
  const base = opts.base ?? "./";
  const root = opts.root ?? "/motebook";
  const report = opts.report ?? ((l) => console.log(l));
  const read = opts.read ?? (async (p) => {
    const r = await fetch(base + p);
    if (!r.ok) throw new Error(`fetch ${base + p}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  });
  const put = async (p) => {
    const dst = `${root}/${p}`;
    mp.FS.mkdirTree(dst.slice(0, dst.lastIndexOf("/")));
    mp.FS.writeFile(dst, await read(p));
  };
  // 1. the runner itself, to ask it for the file list
  for (const p of ["shared/__init__.py", "shared/tests/__init__.py", "shared/tests/mprun.py"]) {
    await put(p);
  }
  let done = null;
  globalThis.__mprun_done = (text) => { done = String(text); };
  globalThis.__mprun_report = (line) => report(String(line));
  const prelude = `import sys, json, js\nif '${root}' not in sys.path:\n    sys.path.insert(0, '${root}')\n` +
    "from shared.tests import mprun\n";
  mp.runPython(prelude + "js.__mprun_done(json.dumps(mprun.suite_files()))\n");
  const files = JSON.parse(done).concat(opts.extra ?? []);
  // 2. everything else, then run
  for (const p of files) await put(p);
  done = null;
  mp.runPython(prelude + (opts.python ??
    "js.__mprun_done(json.dumps(mprun.run(js.__mprun_report, mprun.MODULES)))\n"));
  return done === null ? null : (opts.python ? done : JSON.parse(done));
}
