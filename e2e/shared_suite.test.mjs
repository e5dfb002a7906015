// The shared/ golden suite inside the real page: the simulated device serves the notebook, the
// page boots MicroPython-WASM from the device's files, and the suite runs in that interpreter
// against the shared/*.py files the device served (only shared/tests/* and the golden vectors
// come from the checkout). The page publishes a JSON result that this test reads and keeps in
// e2e/results/shared_suite.json.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launch, watchErrors } from "./lib/browser.mjs";
import { Device, ROOT } from "./lib/device.mjs";
import { Notebook } from "./lib/notebook.mjs";

let device, browser;

before(async () => {
  device = await new Device().start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await device?.dispose();
});

/** repo path "shared/x.py" -> the URL path the device serves it under (content-hashed). */
function deviceSharedPaths() {
  const manifest = JSON.parse(readFileSync(join(ROOT, "build/fw/www/manifest.json"), "utf8"));
  const out = {};
  for (const url of Object.keys(manifest)) {
    const m = url.match(/^\/shared\/(\w+)\.[0-9a-f]+\.py$/);
    if (m) out[`shared/${m[1]}.py`] = url;
  }
  return out;
}

/** How many test functions the suite has: mprun.MODULES, `def test_` lines in each. */
function expectedTests() {
  const mprun = readFileSync(join(ROOT, "shared/tests/mprun.py"), "utf8");
  const names = mprun.match(/^MODULES = \(([^)]*)\)/m)[1].match(/"(\w+)"/g).map((s) => s.slice(1, -1));
  return names.reduce((n, m) => n + (readFileSync(join(ROOT, `shared/tests/${m}.py`), "utf8")
    .match(/^def test_\w+\(/gm) || []).length, 0);
}

test("the shared golden suite passes in the page's MicroPython-WASM on the device's files", async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  // shared/tests/* are not on the device's flash: the test serves them under /__suite/
  await page.route("**/__suite/**", (r) => {
    const rel = new URL(r.request().url()).pathname.replace(/^\/__suite\//, "");
    if (!/^shared\/tests\/[\w/.-]+$/.test(rel) || rel.includes("..")) return r.fulfill({ status: 404 });
    return r.fulfill({ status: 200, body: readFileSync(join(ROOT, rel)),
      contentType: rel.endsWith(".mjs") ? "text/javascript" : "text/plain" });
  });
  const nb = new Notebook(page);
  await nb.open(device.url, { token: device.token });
  await nb.waitBooted();

  const served = deviceSharedPaths();
  assert.ok(served["shared/features.py"] && served["shared/protocol.py"], "device serves shared/");
  const result = await page.evaluate(async (served) => {
    const { runSharedSuite } = await import("/__suite/shared/tests/browser_suite.mjs");
    const lines = [];
    const fromDevice = new Set();
    const read = async (p) => {
      const url = served[p] ?? (p.startsWith("shared/tests/") ? "/__suite/" + p : null);
      if (!url) throw new Error(`the device does not serve ${p}`);
      if (served[p]) fromDevice.add(p);
      const r = await fetch(url);
      if (!r.ok) throw new Error(`fetch ${url}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    };
    // root "" puts the files where the page keeps shared/ (/shared), so the package the
    // page already imported and the suite's modules are the same files
    const res = await runSharedSuite(window.motebook.interpreter,
      { root: "", read, report: (l) => lines.push(l) });
    window.motebook.sharedSuite = res;
    return { res, lines, fromDevice: [...fromDevice] };
  }, served);

  mkdirSync(join(ROOT, "e2e", "results"), { recursive: true });
  writeFileSync(join(ROOT, "e2e", "results", "shared_suite.json"), JSON.stringify(result, null, 1));
  const { res, lines, fromDevice } = result;
  assert.ok(res, "the suite returned a result");
  assert.equal(res.failed, 0, "failures in the page:\n" + lines.filter((l) => /FAIL|Error/.test(l)).join("\n"));
  assert.equal(res.passed, expectedTests(), "ran the whole suite");
  assert.ok(fromDevice.includes("shared/features.py") && fromDevice.includes("shared/model.py"),
    "shared modules came from the device");
  console.log(`# in-page suite: ${res.passed} passed, ${res.failed} failed, runtime ${JSON.stringify(res.runtime)}, fft ${JSON.stringify(res.fft)}`);
  assert.deepEqual(errors, [], "no console errors");
});
