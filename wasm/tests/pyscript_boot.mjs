// motebook: boot PyScript 0.7.31 with a MicroPython-WASM build in headless Chromium and run
// wasm/tests/mp_modules_test.py in the page, plus the PyScript features whose Python needs our
// frozen helpers (when(): inspect + functools; display(): html + base64; boot: pathlib/os.path).
//   node wasm/tests/pyscript_boot.mjs [--mjs build/wasm/web/micropython.mjs]
// Prints one line "RESULT {json}" with the in-page result and the console errors.
import { createServer } from "node:http";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
let mjs = path.join(ROOT, "build/wasm/web/micropython.mjs");
for (let i = 2; i < process.argv.length; i++) if (process.argv[i] === "--mjs") mjs = path.resolve(process.argv[++i]);
const DIST = path.join(ROOT, "node_modules/@pyscript/core/dist");
const PLUGINS = '["!donkey","!py-editor","!py-game","!py-terminal","!deprecations-manager"]';

const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/pyscript/core.css"><script type="module" src="/pyscript/core.js"></script>
<py-config>{"plugins": ${PLUGINS}}</py-config></head><body>
<button id="with-event">a</button><button id="no-event">b</button><button id="done">c</button><div id="out"></div><pre id="result"></pre>
<script type="mpy" config='{"interpreter": "/mpy/micropython.mjs", "plugins": ${PLUGINS},
  "files": {"/mp_modules_test.py": "./mp_modules_test.py"}}'>
import json, sys
from pyscript import when, display, document
sys.path.append("/")
clicks = []

@when("click", "#with-event")
def on_a(event):
    clicks.append(event.target.id)

@when("click", "#no-event")
def on_b():
    clicks.append("no-event")

display("<b>escaped</b>", target="out")
import mp_modules_test
result = mp_modules_test.run(lambda line: None)

def finish(event=None):
    result["clicks"] = clicks
    document.getElementById("result").innerText = json.dumps(result)

@when("click", "#done")
def on_done(event):
    finish()
document.body.setAttribute("data-ready", "1")
</script></body></html>`;

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".html": "text/html", ".py": "text/plain" };
function resolve(url) {
  const p = decodeURIComponent(new URL(url, "http://x").pathname);
  if (p === "/" || p === "/index.html") return { body: PAGE, type: TYPES[".html"] };
  if (p === "/mp_modules_test.py") return { file: path.join(ROOT, "wasm/tests/mp_modules_test.py") };
  if (p.startsWith("/pyscript/")) return { file: path.join(DIST, path.basename(p)) };
  if (p.startsWith("/mpy/")) return { file: path.join(path.dirname(mjs), path.basename(p)) };
  return null;
}
const server = createServer((req, res) => {
  const r = resolve(req.url);
  if (r && r.file && existsSync(r.file)) {
    res.writeHead(200, { "content-type": TYPES[path.extname(r.file)] || "application/octet-stream" });
    return res.end(readFileSync(r.file));
  }
  if (r && r.body) { res.writeHead(200, { "content-type": r.type }); return res.end(r.body); }
  res.writeHead(404); res.end();
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const url = `http://127.0.0.1:${server.address().port}/`;

const dir = mkdtempSync(path.join(tmpdir(), "motebook-wasm-chromium-"));
const errors = [];
let result = null;
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  await ctx.route("**/*", (r) => (new URL(r.request().url()).hostname === "127.0.0.1" ? r.continue() : r.abort()));
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector("body[data-ready]", { timeout: 60000 });
  const bootMs = Date.now() - t0;
  await page.click("#with-event");
  await page.click("#no-event");
  await page.click("#done");
  await page.waitForFunction(() => document.getElementById("result").innerText.length > 0, null, { timeout: 10000 });
  result = JSON.parse(await page.innerText("#result"));
  result.boot_ms = bootMs;
  result.display_html = await page.innerHTML("#out");
} catch (e) {
  errors.push("harness: " + e.message);
} finally {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
  server.close();
}
console.log("RESULT " + JSON.stringify({ page: result, errors }));
