// Honest numbers, end to end: recordings made by another tool (6 channels, 10 Hz, peaks of
// hundreds: scripts/make_activity_csv.py) are imported through the page's CSV import (they
// land on the device), the page first says why its default window cannot work, then trains
// with 5 s windows evaluated by session, shows that the model does not fit the device's
// settings and switches them, sends it; the device replays UNSEEN recordings of the same tool
// (its replay sensor plays a test file, whose labels label the session recorded from it), and
// the page's on-device check shows the device's own live accuracy: at least 90 % and within
// 10 points of the page's estimate. The page classifies the same windows and agrees.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { watchErrors } from "./lib/browser.mjs";
import { fixture } from "./lib/fixture.mjs";
import { Device, ROOT } from "./lib/device.mjs";
import { Notebook } from "./lib/notebook.mjs";

const PYTHON = join(ROOT, ".venv", "bin", "python");
const CLASSES = ["idle", "walking", "running", "cycling"];
const CHECK_S = 70;          // seconds (machine time) of the replayed test file recorded for the check
const SPEED = 8;             // the replay plays 8 x faster than real time (PUT /api/sim {"speed"}):
                             // the same samples, the same windows, the model runs on each

let device, browser, dir;

fixture({
  start: async () => {
    dir = mkdtempSync(join(tmpdir(), "motebook-honest-"));
    const make = (out, cases) => execFileSync(PYTHON, [join(ROOT, "scripts", "make_activity_csv.py"),
      join(dir, out), "--cases", String(cases), "--seed", "1"]);
    make("train", 40);        // train/train.csv: 40 cases (seed 1)
    make("check", 12);        // check/test.csv: 12 unseen cases (seed 1001), replayed by the device
    device = await new Device({ replay: join(dir, "check", "test.csv") }).start();
    // the replay plays at SPEED x real time from the start (its first 12.8 s window too)
    assert.equal((await device.api("PUT", "/api/sim", { speed: SPEED })).status, 200);
    return device;
  },
  set: (d, b) => { device = d; browser = b; },
  cleanup: () => dir && rmSync(dir, { recursive: true, force: true }),
});

const t0 = Date.now();
const mark = (what) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

test("imported recordings of another sensor train honestly; the device's live accuracy on unseen recordings matches the page's estimate", async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  if (process.env.DEBUG_CONSOLE) page.on("console", (m) => console.log(`# console ${m.type()}: ${m.text().slice(0, 300)}`));
  const nb = new Notebook(page);
  await nb.open(device.url, { token: device.token });
  await nb.waitBooted();
  await nb.waitWindows(1, 40000);
  const st0 = (await device.api("GET", "/api/status")).json;
  assert.deepEqual([st0.sensor, st0.rate, st0.channels.length], ["replay", 10, 6]);
  mark("booted");

  // import: every session of the file lands on the device, with its labels; the page says so
  let s = await nb.importCsv("train.csv", readFileSync(join(dir, "train", "train.csv")));
  assert.equal(s.message, "");
  assert.match(s.notice, /^imported 40 sessions \(4000 rows at 10 Hz; channels ax, ay, az, gx, gy, gz; classes idle, walking, running, cycling\) to the device$/);
  const names = s.sessions.map((m) => m.name);
  assert.deepEqual(names.slice(0, 12), ["train-0", "train-1", "train-2", "train-3", "train-4",
    "train-5", "train-6", "train-7", "train-8", "train-9", "train-10", "train-11"], "natural order");
  assert.ok(s.sessions.every((m) => m.segments === 1), "every import shows its label");
  assert.ok(s.classes.length >= 4 && CLASSES.every((c) => s.classes.some((k) => k.name === c)));
  const list = (await device.api("GET", "/api/sessions")).json.sessions;
  assert.equal(list.length, 40);
  assert.ok(list.every((m) => m.source === "import" && m.samples === 100 && m.rate === 10 && m.labels.version === 2));
  // another browser sees them (they live on the device), with their labels
  const page2 = await browser.context.newPage();
  const nb2 = new Notebook(page2);
  await nb2.open(device.url);
  await nb2.waitBooted();
  const s2 = await nb2.dsWait("s.sessions.length === 40");
  assert.deepEqual(s2.sessions.map((m) => m.name), names);
  await page2.close();
  mark("imported");

  // the train panel: sessions by name, classes from the imports
  await nb.step("train");
  await page.waitForFunction(() => document.querySelectorAll("#train-sessions .train-sid")
    .length === 40, null, { timeout: 30000 });
  assert.equal(await page.locator("#train-sessions .train-sid").count(), 40);
  assert.equal(await page.inputValue("#train-classes"), "idle, walking, running, cycling");
  assert.match(await page.textContent("#train-sessions"), /train-10\s*running/);
  // the device's default window (128 samples = 12.8 s at 10 Hz) does not fit the 10 s sessions
  assert.equal(await page.inputValue("#train-window"), "128");
  let r = await train(page);
  assert.ok(r.error);
  assert.equal(await page.textContent("#train-message"), "cannot train: the sessions are 100 " +
    "samples long (10 s) and the window is 128 samples (12.8 s): no window fits; shorten the window to at most 100 samples");

  // 5 s windows every second, typed in seconds
  await page.fill("#train-window-s", "5");
  await page.fill("#train-hop-s", "1");
  assert.equal(await page.inputValue("#train-window"), "50");
  assert.equal(await page.inputValue("#train-hop"), "10");
  r = await train(page);
  assert.ok(!r.error, r.error);
  assert.equal(r.estimate, true);
  assert.equal(r.validation.method, "kfold");
  assert.equal(r.validation.sessions, 40);
  assert.deepEqual(r.validation.sessions_per_class, { idle: 10, walking: 10, running: 10, cycling: 10 });
  assert.equal(r.n_test, r.n_windows, "k-fold: every window tested once, by a model that did not see its session");
  assert.equal(r.per_session.length, 40);
  assert.deepEqual(r.window, { rate: 10, window: 50, hop: 10, channels: ["ax", "ay", "az", "gx", "gy", "gz"] });
  const text = await page.textContent("#train-result");
  assert.match(text, /accuracy on \d+ windows the model did not see \(5-fold by session: 40 sessions/);
  assert.match(text, /majority-class baseline \(always .\w+.\): 25\.0% accuracy · 25\.0% balanced accuracy/);
  assert.match(text, /sessions per class: idle 10, walking 10, running 10, cycling 10/);
  mark(`trained: ${(100 * r.accuracy).toFixed(1)}% estimated`);

  // the model does not fit the device's window: the page says so and switches it
  await nb.step("deploy");
  await page.waitForFunction(() => { const d = window.motebook.state().deploy; return d.switch && d.switch.window === 50; });
  assert.match(await page.textContent("#deploy-fit"), /does not fit the device: the device cuts windows of 128 samples; the model needs 50/);
  await page.click("#deploy-switch");
  await page.waitForFunction(() => { const f = window.motebook.state().deploy.fit; return f && f.problems.length === 0; }, null, { timeout: 20000 });
  assert.match(await page.textContent("#deploy-fit"), /fits the device/);
  const cfg = (await device.api("GET", "/api/config")).json;
  assert.equal(cfg.window, 50); assert.equal(cfg.hop, 10);

  const pushed = await nb.sendModel();
  assert.equal(pushed.status, 200, pushed.error);
  assert.equal(pushed.hash, r.hash);
  mark("sent");

  // the on-device check: record the replayed, unseen test file while the model runs
  await nb.dsWait();
  await nb.step("collect");
  assert.equal((await device.api("GET", "/api/sim")).json.speed, SPEED);
  await page.click("#rec-start");
  await page.click("#rec-unlabelled");               // the replay file labels it
  await nb.dsWait("s.recording != null");
  await device.run(CHECK_S);                         // CHECK_S of machine time, in windows
  await page.click("#rec-stop");
  s = await nb.dsWait("s.recording == null");
  assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  const sid = s.sessions.filter((m) => m.source !== "import").at(-1).id;
  const meta = (await device.api("GET", `/api/sessions/${sid}`)).json;
  assert.equal(meta.labels_from, "replay file");
  assert.equal(meta.predictions.hash, r.hash);
  mark("recorded the check session");
  await nb.step("deploy");
  await nb.clickAction("#check-go", "deploy.check");     // (not Deploy's own list refresh)
  const after = await nb.pageState();
  assert.equal(after.deploy.message, "");
  const c = after.deploy.check;
  assert.ok(c.n >= 30, `only ${c.n} labelled windows checked`);
  assert.ok(c.accuracy >= 0.9, `device live accuracy ${c.accuracy}`);
  assert.ok(Math.abs(c.accuracy - r.accuracy) <= 0.10,
    `device ${c.accuracy} vs page estimate ${r.accuracy}`);
  assert.equal(c.estimate, r.accuracy);
  assert.match(await page.textContent("#check-result"), /device live accuracy on #\d+: \d+\.\d% of \d+ labelled windows · offline estimate \d+\.\d% \(5-fold by session/);
  assert.match(await page.textContent("#check-result"), /· balanced accuracy \d+\.\d% live, \d+\.\d% estimated$/);
  assert.ok(c.balanced_accuracy >= 0.85, `device live balanced accuracy ${c.balanced_accuracy}`);

  // page == device, window by window, on the replayed stream
  const p = await nb.predictions();
  assert.ok(p.compared >= 20, `only ${p.compared} windows compared`);
  assert.deepEqual(p.mismatches, []);
  assert.ok(await page.locator("#live-key span").count() === 4, "colour key of the history strip");

  const figures = { windows: r.n_windows, estimate: r.accuracy, baseline: r.baseline.accuracy,
    device_live: c.accuracy, device_windows: c.n, no_prediction: c.no_prediction,
    compared: p.compared, train_ms: r.train_ms };
  mkdirSync(join(ROOT, "e2e", "results"), { recursive: true });
  writeFileSync(join(ROOT, "e2e", "results", "honest.json"), JSON.stringify(figures, null, 1));
  console.log(`# estimate ${(100 * r.accuracy).toFixed(1)}% (5-fold by session, ${r.n_windows} windows), ` +
    `device live ${(100 * c.accuracy).toFixed(1)}% on ${c.n} windows of unseen recordings`);
  for (const width of [1280, 800]) {       // for a person to look at (e2e/results)
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(ROOT, "e2e", "results", `honest-${width}.png`), fullPage: true });
  }
  assert.deepEqual(errors, []);
  assert.deepEqual(browser.offsite, []);
  await page.close();
});

/** Presses Train and returns the training's summary (or {error}). */
async function train(page) {
  const done = await page.evaluate(() => window.motebook.state()._done);
  await page.click("#train-go");
  await page.waitForFunction((d) => { const s = window.motebook.state(); return s._busy === 0 && s._done > d; },
    done, { timeout: 120000, polling: 100 });
  const s = await page.evaluate(() => window.motebook.state());
  return s.train.message ? { error: s.train.message } : s.train.summary;
}
