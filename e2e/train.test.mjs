// End to end: from a fresh simulated device, two sessions of each of four simulated activities
// are recorded in the page and labelled, a model is trained in the page's MicroPython-WASM (the
// shared pipeline, evaluated by session), sent to the device, and the device's live predictions
// follow the activity; the page classifies the same windows with the same shared code and
// agrees window by window; after a device restart the same model hash is still classifying.
// Recording and labelling go through the sessions panel, training data through
// app/dataset.py's labelled_windows, training through the train panel's buttons.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launch, watchErrors, withoutDeviceAway } from "./lib/browser.mjs";
import { Device, ROOT } from "./lib/device.mjs";
import { shoot } from "./lib/layout.mjs";
import { Notebook } from "./lib/notebook.mjs";

const ACTIVITIES = ["idle", "walking", "running", "shaking"];
const RECORD_S = 4.5;        // machine seconds per session, two per activity: ~20 windows of 128 every 16
const SPEED = 4;             // the simulator runs 4 x real time (PUT /api/sim {"speed"}): the same
                             // samples and windows, the device classifies each
const SETTLE = 14;           // windows after a switch (read from the device) that may still hold
                             // old samples: (128 + 50 taken but not yet cut at speed) / 16 + 2
const CHECK = 20;            // windows checked after a switch settled

let device, browser;

before(async () => {
  device = await new Device().start();
  // 100 Hz, window 128, hop 16: 6 windows a second (24 at SPEED)
  await device.configure({ hop: 16 });
  browser = await launch();
});

after(async () => {
  device?.report();
  await browser?.close();
  await device?.dispose();
});

/** Share of the device's predictions for windows first..first+n-1 that name `cls`. */
function share(preds, classes, first, n, cls) {
  const got = preds.history.filter(([seq]) => seq >= first && seq < first + n);
  const ok = got.filter(([, idx]) => classes[idx] === cls).length;
  return { ok, n: got.length, frac: got.length ? ok / got.length : 0 };
}

/** Switches the activity in the page, waits until the change settled and CHECK windows were
 * classified by the device; returns the share of them that name the activity. */
async function follow(nb, act, classes, hash) {
  assert.equal(await nb.setActivity(act), 200);
  const from = (await device.api("GET", "/api/status")).json.seq + SETTLE;   // (not the page's: it may lag)
  const p = await nb.waitPrediction(from + CHECK - 1, hash);
  return share(p, classes, from, CHECK, act);
}

const t0 = Date.now();
const mark = (what) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

test("record, train in the page, send, device follows live; same classes page vs device; survives a restart", async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  if (process.env.DEBUG_CONSOLE) page.on("console", (m) => console.log(`# console ${m.type()}: ${m.text().slice(0, 300)}`));
  const nb = new Notebook(page);
  await nb.open(device.url, { token: device.token });
  await nb.waitBooted();
  await nb.waitWindows(3);
  assert.equal((await device.api("GET", "/api/model")).status, 404, "fresh device: no model");
  mark("booted");

  // record and label in the page: the class is chosen before recording (sessions panel)
  for (const c of ACTIVITIES) {
    await page.fill("#new-class", c);
    await page.click("#add-class");
    await nb.dsWait(`s.classes.some((k) => k.name === ${JSON.stringify(c)})`);
  }
  assert.equal((await device.api("PUT", "/api/sim", { speed: SPEED })).status, 200);
  for (const act of [...ACTIVITIES, ...ACTIVITIES]) {  // two sessions each: an honest estimate
    assert.equal(await nb.setActivity(act), 200);
    await nb.recordLabelled(act, () => device.run(RECORD_S));
  }
  mark("recorded");
  await nb.step("collect");
  const layout = { collect: await shoot(page, "step-collect") };

  // Label: the first session on the timeline; a window is cleared with 0, then undone
  let s = await nb.openSession((await nb.dsState()).sessions[0].id);
  const segsBefore = JSON.stringify(s.cur.segments);
  await nb.clickTimeline(0.5);
  s = await nb.key("0");
  assert.notEqual(JSON.stringify(s.cur.segments), segsBefore, "the window was cleared");
  s = await nb.key("z");
  assert.equal(JSON.stringify(s.cur.segments), segsBefore, "undone");
  layout.label = await shoot(page, "step-label");

  const { training: t, stallMs } = await nb.train({ n_trees: 10, max_depth: 12, seed: 1 });
  layout.train = await shoot(page, "step-train");
  const windows = t.n_windows;
  assert.ok(!t.error, `training failed: ${t.error}`);
  assert.ok(windows >= ACTIVITIES.length * 30, `${windows} labelled windows`);
  assert.deepEqual(t.classes, ACTIVITIES);
  assert.ok(t.estimate && t.accuracy >= 0.9, `accuracy ${t.accuracy} (${JSON.stringify(t.validation)})`);
  assert.equal(t.validation.sessions, 8);
  assert.match(await page.textContent("#train-result"), /accuracy on \d+ windows the model did not see \(5-fold by session: 8 sessions/);
  assert.equal(await page.locator("table.cm td").count(), ACTIVITIES.length ** 2, "confusion matrix table");
  assert.ok(t.size.nodes > 0 && t.size.file_bytes === t.bytes);
  assert.ok(stallMs < 250, `the page froze for ${stallMs} ms while training`);

  // a wrong token is refused with a clear message, the device keeps no model
  await page.evaluate(() => localStorage.setItem("motebook.token", "wrong"));
  const bad = await nb.sendModel();
  assert.equal(bad.status, 401);
  assert.match(await page.textContent("#deploy-message"), /refused the token \(401\)/);
  await page.waitForSelector("#token-bar", { state: "visible" });
  await page.fill("#token-bar input[name=token]", device.token);
  await page.click("#token-bar button[type=submit]");
  assert.equal((await device.api("GET", "/api/model")).status, 404);

  mark("trained");
  const pushed = await nb.sendModel();
  assert.equal(pushed.status, 200, `push: ${pushed.error}`);
  await nb.waitPrediction(0, t.hash);
  layout.deploy = await shoot(page, "step-deploy");
  for (const [step, byWidth] of Object.entries(layout))
    for (const [w, found] of Object.entries(byWidth))
      assert.deepEqual(found, [], `overlapping text in ${step} at ${w} px`);
  assert.equal(pushed.hash, t.hash, "the device runs the hash the page computed");
  assert.match(await page.textContent("#train-device"), new RegExp(t.hash.slice(0, 16)));
  const gm = await device.api("GET", "/api/model");
  assert.equal(gm.json.hash, t.hash);

  // the page's message for the other refusals (answers faked in the browser: the device's own
  // refusals are tested in device/tests); the device keeps running the model it has
  const fake = { 409: /another model \(409\)/, 413: /too large for the device \(413\)/,
    400: /rejected the model \(400\): invalid model: bad line/ };
  for (const [status, re] of Object.entries(fake)) {
    await page.route("**/api/model", (r) => r.fulfill({ status: Number(status),
      contentType: "application/json", body: JSON.stringify({ error: "invalid model: bad line" }) }));
    const f = await nb.sendModel();
    await page.unroute("**/api/model");
    assert.equal(f.status, Number(status));
    assert.match(await page.textContent("#deploy-message"), re);
  }
  assert.equal((await device.api("GET", "/api/model")).json.hash, t.hash);

  // the device's live predictions follow the simulated activity
  const follows = {};
  for (const act of ["walking", "shaking", "running", "idle"]) {
    const s = await follow(nb, act, t.classes, t.hash);
    follows[act] = s;
    assert.ok(s.n >= CHECK * 0.8, `${act}: only ${s.n} predictions of ${CHECK} windows`);
    assert.ok(s.frac >= 0.9, `${act}: ${s.ok}/${s.n} windows classified as ${act}`);
  }
  assert.match(await page.textContent("#live-class"), /idle/);
  // with its confidence: the share of the trees voting for the class shown
  const sc = (await nb.predictions()).last;
  assert.match(await page.textContent("#live-conf"), /^\d+\.\d% sure$/);
  assert.ok(sc.scores && sc.scores[sc.index] > 0, JSON.stringify(sc));
  assert.ok(await page.locator("#live-history i").count() > 20, "history strip");

  mark("followed");
  // same code: the page's class of each window it received equals the device's class
  const p1 = await nb.predictions();
  assert.equal(p1.page_hash, t.hash);
  assert.ok(p1.compared >= 80, `only ${p1.compared} windows compared`);
  assert.deepEqual(p1.mismatches, [], "page and device disagree");
  assert.equal(p1.agree, p1.compared);

  // restart the device process: the same model hash is classifying again
  await device.restart();
  await page.waitForFunction(() => window.motebook.connects >= 2 && window.motebook.conn === "open",
    null, { timeout: 20000 });
  const n0 = (await nb.predictions()).count;      // predictions of the new connection
  await page.waitForFunction((n) => window.motebook.state().live.count >= n + 3, n0,
    { timeout: 20000, polling: 100 });
  const st = await device.api("GET", "/api/status");
  assert.equal(st.json.model_hash, t.hash, "model kept across the restart");
  assert.equal((await device.api("PUT", "/api/sim", { speed: SPEED })).status, 200);  // (a new process)
  mark("restarted");
  const after = await follow(nb, "shaking", t.classes, t.hash);
  assert.ok(after.frac >= 0.9, `after restart: ${after.ok}/${after.n} shaking`);
  const p2 = await nb.predictions();
  assert.ok(p2.compared > p1.compared + 10, "compared again after the restart");
  assert.deepEqual(p2.mismatches, []);
  assert.equal(p2.last.hash, t.hash);

  // a page opened now learns from the device which model it runs
  const page2 = await browser.context.newPage();
  const errors2 = watchErrors(page2);
  const nb2 = new Notebook(page2);
  await nb2.open(device.url);
  await nb2.waitBooted();
  await page2.waitForFunction((h) => document.getElementById("train-device").textContent
    .includes(h), t.hash.slice(0, 16), { timeout: 15000 });
  await nb2.waitPrediction(0, t.hash);
  assert.deepEqual(errors2, [], "no console errors in the second page");
  await page2.close();

  // (the restart above takes the device away: Chromium's own lines for the page's requests
  // then are not page errors; an uncaught one still counts)
  const other = withoutDeviceAway(errors).filter((e) => !/status of (401|409|413|400)/.test(e));
  assert.deepEqual(other, [], "no other console errors");
  assert.deepEqual(browser.offsite, [], "no request left 127.0.0.1");

  const figures = { windows, train_ms: t.train_ms, accuracy: t.accuracy, n_test: t.n_test,
    max_slice_ms: t.max_stall_ms, page_stall_ms: Math.round(stallMs), steps: t.steps,
    model_bytes: t.bytes, nodes: t.size.nodes, predict_us: t.predict_us,
    classify_ms: t.classify_ms, compared: p2.compared, agree: p2.agree, follows, after };
  mkdirSync(join(ROOT, "e2e", "results"), { recursive: true });
  writeFileSync(join(ROOT, "e2e", "results", "train.json"), JSON.stringify(figures, null, 1));
  console.log(`# trained on ${windows} windows in ${t.train_ms} ms in the page, accuracy ` +
    `${(100 * t.accuracy).toFixed(1)}% on ${t.n_test}, longest slice ${t.max_stall_ms} ms, ` +
    `page stall ${Math.round(stallMs)} ms; ${p2.compared} windows page == device`);
  await page.close();
});
