// Runs the portable shared/ suite (shared/tests/mprun.py) on MicroPython-WASM under Node.
// Usage: node shared/tests/wasm_run.mjs [--mjs path/to/micropython.mjs] [--bench] [module ...]
// Interpreter: --mjs, else our build build/wasm/web/micropython.mjs if present, else the npm
// @micropython/micropython-webassembly-pyscript build. The suite's files (mprun.suite_files())
// are copied into the interpreter's FS by browser_suite.mjs, exactly as a page would do it.
// Exit status 1 if any test failed.
import { existsSync, readdirSync, readFileSync, mkdtempSync, copyFileSync,
         writeFileSync, rmSync } from "node:fs";
import { join, dirname, resolve, basename } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runSharedSuite } from "./browser_suite.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
let mjs = null;
let bench = false;
const modules = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--mjs") mjs = resolve(args[++i]);
  else if (args[i] === "--bench") bench = true;
  else modules.push(args[i]);
}
const ours = join(root, "build/wasm/web/micropython.mjs");
const npm = join(root, "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs");
if (!mjs) mjs = existsSync(ours) ? ours : npm;

// Our emscripten-3.1.6 build needs a module-scope preamble in Node (TOOLCHAIN.md section 3):
// `require`/`__dirname`, and no fetch so the .wasm is read from disk. The npm build does not.
let tmp = null;
async function load(path) {
  let url = pathToFileURL(path).href;
  const text = readFileSync(path, "utf8");
  if (path !== npm && !text.includes("createRequire")) {
    const dir = tmp = mkdtempSync(join(tmpdir(), "mpwasm-"));
    for (const f of readdirSync(dirname(path))) {
      if (f.endsWith(".wasm")) copyFileSync(join(dirname(path), f), join(dir, f));
    }
    const pre = 'import { createRequire } from "node:module";\n' +
      'const require = createRequire(import.meta.url);\n' +
      'const __dirname = new URL(".", import.meta.url).pathname;\n';
    writeFileSync(join(dir, basename(path)), pre + text);
    url = pathToFileURL(join(dir, basename(path))).href;
  }
  globalThis.fetch = undefined;
  return import(url);
}

const lines = [];
const report = (l) => { lines.push(l); console.log(l); };
const { loadMicroPython } = await load(mjs);
const mp = await loadMicroPython({ stdout: report, stderr: (l) => console.error(l) });
if (tmp) rmSync(tmp, { recursive: true, force: true });   // the .wasm is compiled by now
console.log("interpreter: " + mjs);
// the same copy-and-run as the page (browser_suite.mjs), reading files from disk, not fetch
const read = async (p) => readFileSync(join(root, p));
let result;
try {
  if (bench) {
    await runSharedSuite(mp, { read, report, extra: ["shared/tests/bench_features.py"],
      python: "from shared.tests import bench_features\nbench_features.main()\n" });
    process.exit(0);
  }
  const mods = modules.length ? JSON.stringify(modules) : "None";
  result = await runSharedSuite(mp, { read, report, python:
    `_m = ${mods}\njs.__mprun_done(json.dumps(mprun.run(js.__mprun_report, ` +
    "tuple(_m) if _m else mprun.MODULES)))\n" });
} catch (e) {
  console.log("FAIL interpreter error: " + String(e.message || e).replace(/\n/g, " | "));
  process.exit(2);
}
process.exit(JSON.parse(result).failed === 0 ? 0 : 1);
