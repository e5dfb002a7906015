// The tour: every step of the page (Collect, Label, Explore, Train, Deploy with the node's
// history, Notebook) with real data, at 1280 and 800 px: axe-core finds no serious or critical
// violation, nothing overlaps, no plot label is clipped, no panel is empty, and a screenshot
// of each (e2e/results/tour-*.png) is there to be looked at. The data: recordings of another
// tool (6 channels, 10 Hz: scripts/make_activity_csv.py) imported through the page, with
// sessions shorter than the 5 s window: the Train step names them and why, and advises a
// shorter window where that is the cause (not "record another session").
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { watchErrors } from "./lib/browser.mjs";
import { fixture } from "./lib/fixture.mjs";
import { Device, ROOT } from "./lib/device.mjs";
import { Notebook } from "./lib/notebook.mjs";
import { Tour } from "./lib/tour.mjs";

const PYTHON = join(ROOT, ".venv", "bin", "python");
let device, browser, dir, csv;

/** train.csv plus sessions cut short: short-walk (walking, 29 samples) and jumping with one
 * 100-sample session and two of 30 and 40 samples; and free-0, not labelled. */
function withShortSessions(text) {
  const lines = text.trimEnd().split("\n");
  const rows = lines.slice(1).map((l) => l.split(","));
  const walk = rows.filter((r) => r[r.length - 1] === "walking");
  const first = walk.filter((r) => r[0] === walk[0][0]);
  const cut = (name, n, label) => first.slice(0, n).map((r, i) =>
    [name, (i / 10).toFixed(4), ...r.slice(2, -1), label].join(","));
  return [...lines, ...cut("free-0", 100, ""), ...cut("short-walk", 29, "walking"), ...cut("jump-1", 100, "jumping"),
    ...cut("jump-2", 30, "jumping"), ...cut("jump-3", 40, "jumping")].join("\n") + "\n";
}

fixture({
  start: async () => {
    dir = mkdtempSync(join(tmpdir(), "motebook-tour-"));
    const make = (out, cases) => execFileSync(PYTHON, [join(ROOT, "scripts", "make_activity_csv.py"),
      join(dir, out), "--cases", String(cases), "--seed", "1"]);
    make("train", 16);
    make("check", 4);
    csv = withShortSessions(readFileSync(join(dir, "train", "train.csv"), "utf8"));
    device = await new Device({ replay: join(dir, "check", "test.csv") }).start();
    // the replay plays at 8 x real time (PUT /api/sim {"speed"}: the same samples and windows)
    // until the first windows are there (12.8 s each at 1 x)
    assert.equal((await device.api("PUT", "/api/sim", { speed: 8 })).status, 200);
    return device;
  },
  set: (d, b) => { device = d; browser = b; },
  cleanup: () => dir && rmSync(dir, { recursive: true, force: true }),
});

/** Presses Train; returns the "train" part once the action finished. */
async function train(nb) {
  const done = (await nb.pageState())._done;
  await nb.page.click("#train-go");
  return (await nb.waitState(`s._done > ${done}`, 180000)).train;
}

const t0 = Date.now();
const mark = (what) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

test("every step, with real data, at 1280 and 800 px: accessible, nothing overlaps or is clipped, no empty panel; short sessions named with the right advice", async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  const nb = new Notebook(page), tour = new Tour(page);
  await nb.open(device.url, { token: device.token });
  await nb.waitBooted(40000);
  await nb.waitWindows(2, 40000);
  assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  mark("booted");
  await tour.look("collect");
  // the steps before there is any data: each says what to do, no empty panel
  for (const step of ["label", "explore", "train", "deploy"]) {
    await nb.step(step);
    await nb.waitState("true", 60000);
    if (step === "explore") await page.waitForSelector("#explore-go", { timeout: 60000 });
    await tour.look(`${step}-empty`);
  }
  // keyboard: the step tabs are links reached with Tab and followed with Enter
  await page.focus('#steps a[data-step="collect"]');
  await page.keyboard.press("Tab");
  assert.deepEqual(await page.evaluate(() => [document.activeElement.dataset.step,
    getComputedStyle(document.activeElement).outlineStyle]), ["label", "solid"],
  "Tab reaches the next step's tab, and it shows its focus ring");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.body.dataset.step === "label");

  // Label: the imports, one of them open on the timeline
  let s = await nb.importCsv("train.csv", Buffer.from(csv));
  assert.equal(s.message, "");
  s = await nb.dsWait("s.sessions.length === 21", 30000);
  const jump2 = s.sessions.find((m) => m.name === "jump-2");
  // labelled on the timeline: its row's classes column says so at once
  const free = s.sessions.find((m) => m.name === "free-0");
  assert.equal(await page.textContent(`#session-list tr[data-sid="${free.id}"] td:nth-child(4)`), "");
  await nb.openSession(free.id);
  await nb.dragTimeline(0.5, 6);
  const idle = (await nb.dsState()).classes.findIndex((c) => c.name === "idle");
  await nb.key(String(idle + 1));
  await page.waitForFunction((sid) => document.querySelector(`#session-list tr[data-sid="${sid}"] td:nth-child(4)`)
    .textContent === "idle", free.id, { timeout: 10000 });
  await nb.openSession(s.sessions[0].id);
  await tour.look("label");
  assert.match(await page.textContent("#session-list thead"), /session\s*started\s*length\s*classes/);

  // Explore: clusters of the windows
  await nb.step("explore");
  await page.waitForSelector("#explore-go", { timeout: 60000 });
  await page.fill('form[data-form="explore"] input[name=window]', "20");   // (sessions: 100)
  await page.fill('form[data-form="explore"] input[name=hop]', "10");
  let done = (await nb.pageState())._done;
  await page.click("#explore-go");
  const ex = await nb.waitState(`s._done > ${done} && (s.explore.summary || s.explore.message)`, 120000);
  assert.equal(ex.explore.message, "");
  mark("explored");
  await tour.look("explore");

  // Train with jumping: its only long session cannot be tested on another; the two others
  // are too short for the 5 s window, so the advice is a shorter window, not another session
  await nb.step("train");
  await page.waitForFunction(() => document.querySelectorAll("#train-sessions .train-sid").length === 21,
    null, { timeout: 30000 });
  await page.fill("#train-classes", "idle, walking, running, cycling, jumping");
  await page.fill("#train-window-s", "5");
  await page.fill("#train-hop-s", "1");
  assert.equal(await page.inputValue("#train-window"), "50");
  let t = await train(nb);
  assert.equal(t.message, "");
  assert.equal(t.summary.estimate, false);
  const result = () => page.textContent("#train-result");
  let text = await result();
  assert.match(text, /jumping \(only session jump-1; jump-2, jump-3 give no window: shorter than the 50-sample window\)/);
  assert.match(text, /shorten the window to at most 40 samples, so that 2 sessions of jumping give a window/);
  assert.doesNotMatch(text, /record \(or import\) another session of jumping/);
  assert.match(text, /no window from session short-walk \(walking\): 29 samples, shorter than the 50-sample window/);
  assert.match(text, /no window from session jump-2 \(jumping\): 30 samples, shorter than the 50-sample window/);
  await tour.look("train-short");

  // the four activities: an estimate, balanced accuracy beside it, the baseline on both
  await page.fill("#train-classes", "idle, walking, running, cycling");
  t = await train(nb);
  assert.equal(t.message, "");
  assert.equal(t.summary.estimate, true);
  text = await result();
  assert.match(text, /\d+\.\d% accuracy on \d+ windows the model did not see .* \d+\.\d% balanced accuracy/);
  assert.match(text, /majority-class baseline \(always .\w+.\): \d+\.\d% accuracy · 25\.0% balanced accuracy/);
  assert.match(text, /no window from session short-walk \(walking\): 29 samples/);
  mark("trained");
  await tour.look("train");

  // Deploy: the device's window switched to the model's, sent, live predictions; the history
  await nb.step("deploy");
  await page.waitForFunction(() => { const d = window.motebook.state().deploy; return d.switch || (d.fit && !d.fit.problems.length); },
    null, { timeout: 30000 });
  if (await page.isVisible("#deploy-switch")) {
    await page.click("#deploy-switch");
    await page.waitForFunction(() => { const f = window.motebook.state().deploy.fit; return f && f.problems.length === 0; }, null, { timeout: 30000 });
  }
  const pushed = await nb.sendModel();
  assert.equal(pushed.status, 200, pushed.error);
  await nb.waitPrediction(0, pushed.hash, 60000);
  await page.click("#node-open");
  await nb.waitState("s.node && s.node.timeline && s.node.timeline.rows.length > 0", 60000);
  await page.click('#node-spans button[data-span="600"]');
  // a few buckets of history (the node classifies a window a second), read again until there
  // (polled once a second, with a deadline)
  for (const end = Date.now() + 60000; ;) {
    const st = await nb.waitState("s.node.span === 600 && s.node.timeline.rows.length > 0", 30000);
    if (st.node.timeline.rows.length >= 3) break;
    assert.ok(Date.now() < end, `history rows: ${st.node.timeline.rows.length} after 60 s`);
    await page.waitForTimeout(1000);
    await page.click('#node-spans button[data-act="node.refresh"]');
  }
  assert.match(await page.textContent("#node-timeline .ytitle"), /^windows per (\d+ )?(s|min|hour)/);
  mark("history");
  await tour.look("deploy");

  // Notebook: the starter notebook run
  await nb.step("notebook");
  await page.waitForFunction(() => { const n = window.motebook.state().notebook;
    return n && n.kernel === "ready" && n.cells.length > 0; }, null, { timeout: 60000 });
  await page.click("#nb-run-all");
  await page.waitForFunction(() => window.motebook.state().notebook.cells.every((c) => c.type !== "code" || c.count > 0),
    null, { timeout: 120000 });
  const nbs = await nb.waitState();
  assert.deepEqual(nbs.notebook.cells.flatMap((c) => (c.outputs || []).filter((o) => o.kind === "error")), [],
    "the starter notebook (its train() over sessions shorter than the window too) runs without an error");
  mark("notebook");
  await tour.look("notebook");

  assert.ok(jump2, "jump-2 imported");
  assert.deepEqual(tour.all(), []);
  assert.deepEqual(errors, []);
  assert.deepEqual(browser.offsite, []);
  await page.close();
});
