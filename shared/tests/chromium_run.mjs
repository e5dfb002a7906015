// Runs the shared/ suite in Debian Chromium: serves the repo on 127.0.0.1, opens a bare page
// that boots MicroPython-WASM and calls runSharedSuite (browser_suite.mjs), prints the result.
// A stand-in until the page's own Playwright test runs the suite in the real page.
// Usage: node shared/tests/chromium_run.mjs [--mjs repo/relative/micropython.mjs]
import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, dirname, resolve, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const argv = process.argv.slice(2);
const npm = "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs";
let mjs = argv[0] === "--mjs" ? argv[1]
  : existsSync(join(root, "build/wasm/web/micropython.mjs")) ? "build/wasm/web/micropython.mjs" : npm;
const types = { ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
  ".py": "text/plain", ".json": "application/json", ".csv": "text/plain", ".html": "text/html" };
const page = `<!doctype html><meta charset="utf-8"><title>shared suite</title><pre id="log"></pre>
<script type="module">
import { loadMicroPython } from "/${mjs}";
import { runSharedSuite } from "/shared/tests/browser_suite.mjs";
const log = (l) => { document.getElementById("log").textContent += l + "\\n"; };
try {
  const mp = await loadMicroPython({ stdout: log, stderr: log });
  window.__suite = await runSharedSuite(mp, { base: "/", report: log });
} catch (e) { window.__suite = { failed: -1, error: String(e) }; }
</script>`;

const server = createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (url === "/__suite.html") { res.writeHead(200, { "content-type": "text/html" }); return res.end(page); }
  const p = join(root, url);
  if (!p.startsWith(root) || !existsSync(p) || !statSync(p).isFile()) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { "content-type": types[extname(p)] || "application/octet-stream" });
  res.end(readFileSync(p));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
let status = 1;
try {
  const tab = await browser.newPage();
  await tab.route("**/*", (r) => r.request().url().startsWith(base) ? r.continue() : r.abort());
  await tab.goto(base + "/__suite.html");
  await tab.waitForFunction(() => window.__suite !== undefined, null, { timeout: 120000 });
  const result = await tab.evaluate(() => window.__suite);
  const log = await tab.evaluate(() => document.getElementById("log").textContent);
  console.log(log.trim());
  console.log("chromium " + browser.version() + " interpreter " + mjs);
  console.log(JSON.stringify(result));
  status = result.failed === 0 ? 0 : 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(status);
