// "Is this normal?" in the page (issue 19 item 5): on the simulated machine (sensor "machine",
// device/hal/sim_machine.py) three sessions of normal running and one where imbalance comes on
// half-way are recorded through the device API; Train in "normal vs anomaly" mode (the page's
// MicroPython-WASM runs shared.anomaly_train) gives a promise with the minutes it was measured
// on, a table by session beside the RMS baseline, and the score timeline with its threshold;
// Deploy first says honestly that the device runs a classes model, not the anomaly model
// trained here; Send; Deploy shows the live score and state, which turns ANOMALY within the
// deadline after imbalance is switched on through the API, and normal again after. Explore
// colours the windows by the anomaly score. Careless paths: anomaly mode with no session
// chosen, with one short session (no promise: "record 2 more sessions"), a device whose window
// changed (does not fit, Send off, the device's refusal shown) and the device away. axe-core and
// layout problems (lib/tour.mjs) with screenshots tour-anomaly-{train,deploy,explore}-*.png.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { withoutDeviceAway } from "./lib/browser.mjs";
import { ROOT } from "./lib/device.mjs";
import { fixture } from "./lib/fixture.mjs";
import { Notebook } from "./lib/notebook.mjs";
import { Tour } from "./lib/tour.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const NORMAL_S = 24;           // per normal session: 3 x 142 windows at hop 16 (375 needed)
const SPEED = 8;               // recorded 8 x faster than real time (PUT /api/sim {"speed"}):
                               // the same samples, machine time as written here
let device, browser;
const sids = [];

async function record(ms, fault = null) {
  assert.equal((await device.api("PUT", "/api/sim", { speed: SPEED })).status, 200);
  const r = await device.api("POST", "/api/sessions", {});
  assert.equal(r.status, 201, r.text);
  if (fault) {
    await sleep(ms / 2 / SPEED);
    assert.equal((await device.api("PUT", "/api/sim", { fault })).status, 200);
    await sleep(ms / 2 / SPEED);
  } else {
    await sleep(ms / SPEED);
  }
  assert.equal((await device.api("POST", `/api/sessions/${r.json.id}/stop`)).status, 200);
  if (fault) assert.equal((await device.api("PUT", "/api/sim", { fault: null })).status, 200);
  assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  sids.push(r.json.id);
  return r.json.id;
}

const openPage = fixture({
  setup: async (d) => {
    device = d;
    await d.configure({ sensor: "machine", rate: 100, window: 128, hop: 16 });
    // a classes model on the device (the Deploy text must not call it the page's model)
    const text = execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c",
      "import sys; from device.tests import models as M; sys.stdout.write(M.trained()['text'])"],
    { cwd: ROOT, encoding: "utf8" });
    const put = await fetch(`${d.url}api/model`, { method: "PUT", body: text,
      headers: { Authorization: `Bearer ${d.token}`, "Content-Type": "text/csv" } });
    assert.equal(put.status, 200, await put.text());
    for (let i = 0; i < 3; i++) await record(NORMAL_S * 1000);
    await record(20000, "imbalance");
  },
  set: (d, b) => { device = d; browser = b; },
  until: "sessions",
});

test("normal vs anomaly: train, promise, timeline, send, live state, Explore by score", async () => {
  const { page, errors } = await openPage();
  const nb = new Notebook(page), tour = new Tour(page);
  await nb.step("train");
  await page.waitForSelector("#train-sessions .train-sid", { timeout: 20000 });
  await page.selectOption("#train-mode", "anomaly");
  await page.waitForFunction(() => window.motebook.state().train.mode === "anomaly", null, { timeout: 10000 });
  assert.ok(await page.isVisible("#train-a-fah") && !(await page.isVisible("#train-classes")),
    "the anomaly options replace the classes ones");

  // careless: no session chosen; then one short session
  await nb.clickAction("#train-none", "train.pick_all");
  await nb.clickAction("#train-go", "train.go");
  assert.match((await nb.pageState()).train.message, /choose the sessions of normal running/);
  await page.check(`#train-sessions .train-sid[data-sid="${sids[0]}"]`);
  await page.waitForFunction((s) => window.motebook.state().train.picked.includes(s), sids[0]);
  await nb.clickAction("#train-go", "train.go", 120000);
  let a = (await nb.pageState()).train.anomaly;
  assert.equal(a.promise, null);
  assert.match(a.need_more, /record 2 more sessions of normal running/);
  assert.match(await page.textContent("#train-result"), /No false-alarm promise/);
  assert.ok(await page.isDisabled("#train-send"), "nothing to send without a model");

  // every session: the promise, the table, the timeline
  await nb.clickAction("#train-all", "train.pick_all");
  await page.fill("#train-window", "128");
  await page.fill("#train-hop", "16");
  await nb.clickAction("#train-go", "train.go", 180000);
  console.log(`# training froze the page for ${await page.evaluate(() => window.motebook.stallMs)} ms`);
  const st = await nb.pageState();
  a = st.train.anomaly;
  assert.equal(st.train.message, "", st.train.message);
  assert.ok(a.promise, `a promise (${a.need_more})`);
  assert.ok(a.promise.measured_minutes >= 1, JSON.stringify(a.promise));
  const faulty = a.rows.filter((r) => !r.normal);
  assert.equal(faulty.length, 1);
  assert.equal(faulty[0].model.detection_rate, 1, JSON.stringify(faulty[0]));
  assert.ok(faulty[0].model.roc_auc > 0.9, JSON.stringify(faulty[0]));
  assert.equal(a.rows.filter((r) => r.normal).length, 3);
  const text = await page.textContent("#train-result");
  assert.match(text, /Promise: at most 1 false alarm per hour/);
  assert.match(text, /minutes of unseen normal running/);
  assert.match(text, /RMS baseline/);
  await page.waitForFunction(() => document.querySelector("#anomaly-plot .main-svg") !== null,
    null, { timeout: 60000 });
  const plot = await page.evaluate(() => {
    const gd = document.getElementById("anomaly-plot");
    return { names: gd.data.map((t) => t.name), x: gd.layout.xaxis.title.text, y: gd.layout.yaxis.title.text };
  });
  assert.ok(plot.names.some((n) => /^threshold/.test(n)), plot.names.join());
  assert.ok(plot.names.some((n) => /fault windows/.test(n)), plot.names.join());
  assert.match(plot.x, /\(s\)/);
  assert.match(plot.y, /anomaly score/);
  const shots = await tour.look("anomaly-train");
  assert.deepEqual(shots, { 1280: [], 800: [] });

  // Deploy: the classes model on the device is not called the page's
  await nb.step("deploy");
  await page.waitForFunction(() => /classes model/.test(document.getElementById("train-device").textContent),
    null, { timeout: 20000 });
  assert.match(await page.textContent("#train-device"), /not the anomaly model trained here/);
  assert.match(await page.textContent("#deploy-what"), /the device classifies live/);
  const free = (await device.api("GET", "/api/status")).json.mem_free;
  console.log(`# device mem_free before Send: ${free} bytes (the classes model running, the page connected)`);
  const pushed = await nb.sendModel(60000);
  assert.equal(pushed.status, 200, pushed.error);
  assert.equal(pushed.hash, a.hash);
  await page.waitForFunction(() => /anomaly model .* the model trained here/.test(
    document.getElementById("train-device").textContent), null, { timeout: 20000 });
  assert.match(await page.textContent("#deploy-what"), /scores every window and says normal or ANOMALY/);
  await page.waitForFunction(() => window.motebook.state().live.last?.kind === "anomaly" &&
    window.motebook.state().live.scores.length >= 10, null, { timeout: 30000 });
  assert.equal(await page.textContent("#live-state"), "normal");
  assert.ok(await page.isVisible("#live-trace"));

  // a fault on: ANOMALY within the deadline, normal again after it ends
  const t0 = Date.now();
  assert.equal((await device.api("PUT", "/api/sim", { fault: "imbalance" })).status, 200);
  await page.waitForFunction(() => document.getElementById("live-state")?.textContent === "ANOMALY",
    null, { timeout: 15000, polling: 100 });
  console.log(`# ANOMALY shown ${((Date.now() - t0) / 1000).toFixed(1)} s after the fault`);
  const dshots = await tour.look("anomaly-deploy");
  assert.deepEqual(dshots, { 1280: [], 800: [] });
  assert.equal((await device.api("PUT", "/api/sim", { fault: null })).status, 200);
  await page.waitForFunction(() => document.getElementById("live-state")?.textContent === "normal",
    null, { timeout: 30000, polling: 100 });
  // the on-device check: the device scores the faulty session with its model, the page too
  const chk = await nb.act("deploy.check", { "check-session": String(sids[3]) });
  assert.ok(!chk.error, chk.error);
  const said = await page.textContent("#check-result");
  assert.match(said, /^the device agrees: \d+ false alarms? in [\d.]+ s, fault detected after [\d.]+ s/, said);
  console.log(`# on-device check: ${said}`);
  assert.deepEqual(await tour.look("anomaly-check"), { 1280: [], 800: [] });

  // Explore: colour by the anomaly score
  await nb.step("explore");
  await page.waitForSelector("#explore-go", { timeout: 60000 });
  await page.fill('#explore-body input[name="window"]', "128");
  await page.fill('#explore-body input[name="hop"]', "16");
  await nb.clickAction("#explore-go", "explore.run", 120000);
  await page.selectOption("#explore-color", "anomaly score");
  await page.waitForFunction(() => {
    const gd = document.getElementById("explore-plot");
    return gd?.data?.[0]?.name === "anomaly score" && Array.isArray(gd.data[0].marker.color);
  }, null, { timeout: 30000 });
  assert.equal((await nb.pageState()).explore.message, "");
  const eshots = await tour.look("anomaly-explore");
  assert.deepEqual(eshots, { 1280: [], 800: [] });

  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(browser.offsite, [], "no request left 127.0.0.1");

  // careless: the device's window changed under the model: the page says it does not fit and
  // Send is off; sent anyway (the action), the device refuses it and the page shows its reason
  await device.configure({ window: 64, hop: 16 });
  await nb.step("deploy");
  await page.waitForFunction(() => /does not fit the device/.test(
    document.getElementById("deploy-fit").textContent), null, { timeout: 20000 });
  assert.ok(await page.isDisabled("#train-send"));
  const refused = await nb.act("deploy.send");
  assert.match(refused.error, /the device rejected the model \(400\): .*128/, refused.error);
  assert.equal(await page.textContent("#deploy-message"), refused.error);
  // the device away: said, nothing claimed
  await device.stop();
  const away = await nb.act("deploy.send");
  assert.match(away.error, /could not reach the device/, away.error);
  assert.deepEqual(withoutDeviceAway(errors).filter((e) => !/status of 400/.test(e)), [],
    "no console errors but the refused model's 400 and the device's absence");
  await page.close();
});
