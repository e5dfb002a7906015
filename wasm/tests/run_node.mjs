// motebook: run a MicroPython script in our WASM build (or any micropython.mjs) under Node.
//   node wasm/tests/run_node.mjs [--mjs build/wasm/web/micropython.mjs] [--heap 8388608]
//        [--file local_path:/fs/path ...] script.py
// The script's stdout/stderr go to ours; exit status 1 on an uncaught Python exception.
// Files given with --file are copied into the interpreter's in-memory FS before the run.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
let mjs = "build/wasm/web/micropython.mjs";
let heap = 8 * 1024 * 1024;
const files = [];
let script = null;
for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--mjs") mjs = argv[++i];
    else if (argv[i] === "--heap") heap = parseInt(argv[++i], 10);
    else if (argv[i] === "--file") files.push(argv[++i]);
    else script = argv[i];
}
if (!script) {
    console.error("usage: run_node.mjs [--mjs X.mjs] [--heap N] [--file src:/dst] script.py");
    process.exit(2);
}
const mjsPath = path.resolve(mjs);
// The emscripten .mjs expects CommonJS globals under Node, and must read the .wasm from disk
// (Node's fetch cannot load file paths): the two-line preamble of wasm/README.md.
globalThis.require = createRequire(import.meta.url);
globalThis.__dirname = path.dirname(mjsPath);
globalThis.fetch = undefined;

const { loadMicroPython } = await import(pathToFileURL(mjsPath).href);
const out = (line) => process.stdout.write(line + "\n");
const err = (line) => process.stderr.write(line + "\n");
const mp = await loadMicroPython({ heapsize: heap, stdout: out, stderr: err });
for (const spec of files) {
    const i = spec.lastIndexOf(":");
    const src = spec.slice(0, i), dst = spec.slice(i + 1);
    const parts = dst.split("/").filter(Boolean);
    let dir = "";
    for (const p of parts.slice(0, -1)) {
        dir += "/" + p;
        try { mp.FS.mkdir(dir); } catch (e) { /* exists */ }
    }
    mp.FS.writeFile(dst, readFileSync(src));
}
try {
    mp.runPython(readFileSync(script, "utf8"));
} catch (e) {
    err(e && e.message ? e.message : String(e));
    process.exit(1);
}
