// The Notebook step in Chromium against the simulated device: the starter notebook runs (its
// cells reach the device's sessions through the motebook API in a worker interpreter) and
// draws a plot; an error shows its traceback with the cell's line; an endless loop is stopped
// and the next cell runs; edits survive a reload and appear in a second browser (the device
// keeps notebooks: every source, and the outputs that fit, the rest kept in the browser that
// ran them); a notebook too large for the device says so; the .ipynb export passes
// nbformat.validate and imports back unchanged.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { launch } from "./lib/browser.mjs";
import { fixture } from "./lib/fixture.mjs";
import { ROOT } from "./lib/device.mjs";
import { shoot } from "./lib/layout.mjs";
import { openNotebook } from "./lib/notebook.mjs";

let device, browser, dir;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// the device's notebook limit (shared/limits.py)
const MAX_NB = Number(execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c",
  "from shared.limits import MAX_NOTEBOOK_BYTES as M; print(M)"], { cwd: ROOT }).toString());

// pages opened until booted (the step's ready time is measured from there)
const openPage = fixture({
  setup: async (device) => {
    dir = mkdtempSync(join(tmpdir(), "motebook-nb-"));
    await device.configure({ hop: 32 });
    // two labelled sessions to look at; the starter plots the last, long enough that the run
    // notebook passes the device's limit with its outputs
    // (recorded at 8 x real time: PUT /api/sim {"speed"}, the same samples)
    await device.api("PUT", "/api/sim", { speed: 8 });
    for (const [act, s] of [["idle", 2.5], ["shaking", 8]]) {
      await device.api("PUT", "/api/sim", { activity: act });
      const r = await device.api("POST", "/api/sessions", { label: act });
      await device.run(s);                               // (the recording's length, machine time)
      await device.api("POST", `/api/sessions/${r.json.id}/stop`);
    }
    await device.api("PUT", "/api/sim", { speed: 1 });
  },
  set: (d, b) => { device = d; browser = b; },
  cleanup: () => dir && rmSync(dir, { recursive: true, force: true }),
  until: "booted",
});

/** The notebook part of the page's state. */
const nbState = async (nb) => (await nb.pageState()).notebook;

/** Waits until the kernel is ready and no cell runs or waits. */
async function idle(page, timeout = 60000) {
  await page.waitForFunction(() => { const n = window.motebook.state().notebook;
    return n && n.kernel === "ready" && !n.cells.some((c) => c.running || (c.outputs || []).some((o) => o.text === "(queued)\n")); },
  null, { timeout, polling: 100 });
}

/** Adds a code cell at the end with `code` and runs it with Shift-Enter; returns the cell. */
async function runNew(page, nb, code) {
  const before = (await nbState(nb)).cells.length;
  await page.click('#nb-root > .nb-bar button[data-type="code"]');
  await page.waitForFunction((n) => window.motebook.state().notebook.cells.length > n, before);
  const cell = (await nbState(nb)).cells.at(-1);
  await page.fill(`#src-${cell.id}`, code);
  await page.focus(`#src-${cell.id}`);
  await page.keyboard.press("Shift+Enter");
  await page.waitForFunction((id) => window.motebook.state().notebook.cells.find((c) => c.id === id).count > 0, cell.id);
  return cell.id;
}

const outputsOf = async (nb, id) => (await nbState(nb)).cells.find((c) => c.id === id).outputs;

test("notebook: starter with a plot, traceback lines, stop an endless loop, saved on the device, .ipynb round trip", async () => {
  const { page, nb, errors } = await openPage();
  const t0 = Date.now();
  await nb.step("notebook");
  await page.waitForFunction(() => { const n = window.motebook.state().notebook;
    return n && n.kernel === "ready" && n.cells.length > 0; }, null, { timeout: 30000 });
  const readyMs = Date.now() - t0;
  let n = await nbState(nb);
  assert.equal(n.name, "starter");

  // the starter notebook: every cell runs; the recording is plotted under its cell
  await page.click("#nb-run-all");
  await page.waitForFunction(() => window.motebook.state().notebook.cells.every((c) => c.type !== "code" || c.count > 0),
    null, { timeout: 60000 });
  await idle(page);
  n = await nbState(nb);
  const code = n.cells.filter((c) => c.type === "code");
  for (const c of code) {
    assert.ok(c.count > 0, `cell ${c.id} ran`);
    assert.deepEqual(c.outputs.filter((o) => o.kind === "error"), [], `cell ${c.id}: ${JSON.stringify(c.outputs).slice(0, 400)}`);
  }
  assert.match(code[0].outputs.map((o) => o.text).join(""), /2 sessions/);
  const plots = code.flatMap((c) => c.outputs.filter((o) => o.kind === "plot"));
  assert.ok(plots.length >= 2, "the recording and the feature scatter are plotted");
  assert.ok(await page.locator("#nb-cells .out .js-plotly-plot").count() >= 2, "drawn by plotly");
  assert.match(code.at(-1).outputs.map((o) => o.text).join(""), /by session|no estimate|label windows/);
  assert.ok(JSON.stringify(n.cells).length > MAX_NB, "with its outputs, the run starter passes the device's limit");

  // an error: the traceback names the cell's line
  let id = await runNew(page, nb, "x = 1\ny = 0\nx / y");
  await idle(page);
  let out = (await outputsOf(nb, id)).map((o) => o.text).join("");
  assert.match(out, /File "cell", line 3/);
  assert.match(out, /ZeroDivisionError/);

  // an endless loop: stopped (the kernel restarts), and the next cell runs
  id = await runNew(page, nb, "while True:\n    pass");
  await page.waitForFunction(() => window.motebook.state().notebook.kernel === "busy");
  await sleep(1000);
  await page.click("#nb-stop");
  await page.waitForFunction(() => window.motebook.state().notebook.kernel === "ready", null, { timeout: 30000 });
  assert.match((await outputsOf(nb, id)).map((o) => o.text).join(""), /stopped: the kernel was restarted/);
  id = await runNew(page, nb, "import motebook\nprint('after the loop')\n(await motebook.status())['rate']");
  await idle(page);
  out = await outputsOf(nb, id);
  assert.equal(out[0].text, "after the loop\n");
  assert.equal(out[1].text, "100");
  // Explore's functions in the motebook API: two clusters over every window
  id = await runNew(page, nb, "lw = await motebook.windows(unlabelled=True)\n" +
    "ex = await motebook.explore(lw, k=2)\nprint(ex)\nlen(ex.kmeans.sizes()), " +
    "-1 <= motebook.ari(ex.clusters, lw.labels) <= 1");
  await idle(page);
  out = await outputsOf(nb, id);
  assert.match(out[0].text, /^<exploration: \d+ windows, PCA explains \d+% \+ \d+%, clusters/);
  assert.equal(out.at(-1).text, "(2, True)");
  await shoot(page, "step-notebook");

  // saved: in this browser and on the device (every source; the outputs that fit), so a
  // reload and a second browser see the edits
  const ran = await nbState(nb);
  const sources = ran.cells.map((c) => c.source);
  assert.ok(sources.some((s) => s.startsWith("while True")));
  let stored = null;
  for (const deadline = Date.now() + 30000; ; await sleep(200)) {      // (the autosave after the last run)
    const r = await device.api("GET", "/api/notebooks/starter");
    stored = r.status === 200 ? r : null;
    if (stored && JSON.stringify(r.json.cells.map((c) => c.source)) === JSON.stringify(sources)) break;
    assert.ok(Date.now() < deadline, `the device's copy never had the page's sources (${r.status})`);
  }
  assert.ok(Buffer.byteLength(stored.text) <= MAX_NB);
  const trimmed = stored.json.cells.filter((c) => c.metadata.motebook?.trimmed);
  assert.ok(trimmed.length >= 1, "the plot that does not fit stays in this browser");
  for (const c of trimmed) {
    assert.match(c.outputs[0].text, /kept in the browser that ran this cell/);
    assert.ok(ran.cells.find((x) => x.id === c.id).outputs.some((o) => o.kind === "plot"), "the page still has it");
  }
  assert.ok(stored.json.cells.some((c) => (c.outputs || []).some((o) => o.output_type === "stream" && /2 sessions/.test(o.text))),
    "small outputs are on the device");
  await page.waitForFunction(() => { const n = window.motebook.state().notebook;
    return n.saved_device === true && /^saved in this browser and on the device/.test(n.saved || ""); }, null, { timeout: 20000 });
  assert.match(await page.textContent("#nb-saved"), /^saved in this browser and on the device \(the outputs of \d+ cells?, \d+ KB, only in this browser/);
  await shoot(page, "step-notebook-saved");
  const plotCells = ran.cells.filter((c) => (c.outputs || []).some((o) => o.kind === "plot")).map((c) => c.id);
  await page.reload();
  await nb.waitBooted();
  await nb.step("notebook");
  await page.waitForFunction(() => (window.motebook.state().notebook || {}).cells?.length > 0, null, { timeout: 30000 });
  assert.deepEqual((await nbState(nb)).cells.map((c) => c.source), sources, "edits survive a reload");
  assert.deepEqual((await nbState(nb)).cells.filter((c) => (c.outputs || []).some((o) => o.kind === "plot")).map((c) => c.id),
    plotCells, "this browser gives the plots the device did not keep back");
  const other = await launch();
  try {
    const { page: p2, nb: nb2 } = await openNotebook(other, device, { until: "booted" });
    await nb2.step("notebook");
    await p2.waitForFunction(() => (window.motebook.state().notebook || {}).cells?.length > 0, null, { timeout: 30000 });
    assert.deepEqual((await nbState(nb2)).cells.map((c) => c.source), sources, "a second browser sees them");
    await p2.waitForFunction((id) => /kept in the browser that ran this cell/.test(
      document.getElementById(`out-${id}`)?.textContent || ""), trimmed[0].id, { timeout: 10000 });
    await shoot(p2, "step-notebook-other-browser");
  } finally { await other.close(); }

  // .ipynb: export validates with nbformat, imports back as the same notebook
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click('#nb-root button[data-act="notebook.export"]')]);
  const file = join(dir, "starter.ipynb");
  await dl.saveAs(file);
  execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c",
    "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", file]);
  const exported = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(exported.cells.length, sources.length);
  await page.setInputFiles("#nb-import", { name: "again.ipynb", mimeType: "application/json", buffer: readFileSync(file) });
  await page.waitForFunction(() => /^imported /.test(window.motebook.state().notebook.notice || ""), null, { timeout: 20000 });
  const [dl2] = await Promise.all([page.waitForEvent("download"), page.click('#nb-root button[data-act="notebook.export"]')]);
  const file2 = join(dir, "again.ipynb");
  await dl2.saveAs(file2);
  const again = JSON.parse(readFileSync(file2, "utf8"));
  assert.notEqual(again.metadata.motebook.name, exported.metadata.motebook.name);
  again.metadata.motebook.name = exported.metadata.motebook.name;
  assert.deepEqual(again, exported, "imported back unchanged");

  // a notebook whose code alone passes the device's limit: kept in this browser, and said why
  await page.fill('form[data-form="nb-new"] input[name="name"]', "big");
  await page.press('form[data-form="nb-new"] input[name="name"]', "Enter");
  await page.waitForFunction(() => window.motebook.state().notebook.name === "big" && !!document.querySelector("#nb-cells textarea"));
  const first = (await nbState(nb)).cells[0].id;
  // (66 KB into one cell: on a busy machine the page takes its time over it)
  await page.fill(`#src-${first}`, "# a long comment\n".repeat(Math.ceil(MAX_NB / 17) + 100),
    { timeout: 120000 });
  await page.click('#nb-root button[data-act="notebook.save"]');
  await page.waitForFunction(() => window.motebook.state().notebook.saved_device === false, null, { timeout: 20000 });
  assert.match(await page.textContent("#nb-saved"),
    new RegExp(`^saved in this browser only: its code and text take \\d+ KB, the device keeps notebooks of up to ${MAX_NB / 1024} KB$`));
  assert.equal(await page.getAttribute("#nb-saved", "class"), "err");
  const onDevice = await device.api("GET", "/api/notebooks/big");     // (the empty one it began as)
  assert.ok(onDevice.status === 200 && onDevice.json.cells[0].source.length < 100);
  await shoot(page, "step-notebook-browser-only");
  const long = (await nbState(nb)).cells[0].source;
  await page.reload();                                 // this browser's newer copy wins
  await nb.waitBooted();
  await nb.step("notebook");
  await page.waitForFunction(() => (window.motebook.state().notebook || {}).cells?.length > 0, null, { timeout: 30000 });
  assert.equal((await nbState(nb)).name, "big");
  assert.equal((await nbState(nb)).cells[0].source, long);
  writeFileSync(join(ROOT, "e2e", "results", "notebook.json"), JSON.stringify({ ready_ms: readyMs }));
  console.log(`# notebook ready ${readyMs} ms after opening the step`);
  assert.deepEqual(errors, []);
  assert.deepEqual(browser.offsite, []);
  await page.close();
});
