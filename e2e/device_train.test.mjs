// The node learns on its own (issue 22.3), then the page shows it (real Chromium, simulated
// device): with no page open, through the API only (the token, PUT /api/sim {"speed": 8}),
// labelled sessions of idle and shaking are recorded and trained on the device (POST
// /api/train), then sessions of walking, which that model does not know, and all are trained
// again. Then the page opens: Deploy shows the new model (walking among its classes) as
// trained on the device, with its evaluation by session (accuracy on held-out sessions, the
// baseline, the per-session table) from GET /api/model's trained_on_device, and the live
// prediction follows the simulated activity. With the page open, a training on one session per
// class replaces it: the page reads it again and says there is no estimate, and why. Careless:
// a train call with a wrong token is refused (401) and changes nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

const WINDOWS = 10;          // per session: 3 sessions of each of 3 activities -> 90 windows
const PARAMS = { n_trees: 5, max_depth: 8, seed: 3 };
let device, browser;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function record(act) {
  assert.equal((await device.api("PUT", "/api/sim", { activity: act })).status, 200);
  const s = await device.api("POST", "/api/sessions", { label: act });
  assert.equal(s.status, 201, s.text);
  const id = s.json.id;
  await until(`${WINDOWS} windows of session ${id}`, async () =>
    (await device.api("GET", `/api/sessions/${id}`)).json.windows >= WINDOWS);
  const st = await device.api("POST", `/api/sessions/${id}/stop`);
  assert.equal(st.status, 200, st.text);
  return id;
}

async function train(body, token) {
  const r = await device.api("POST", "/api/train", { ...PARAMS, ...body }, token);
  return r;
}

const model = async () => (await device.api("GET", "/api/model")).json;
const sids = { idle: [], shaking: [], walking: [] };
let first, second;

const openPage = fixture({
  setup: async (d) => {
    device = d;
    assert.equal((await device.api("PUT", "/api/sim", { speed: 8 })).status, 200);
    for (let k = 0; k < 3; k++)
      for (const act of ["idle", "shaking"]) sids[act].push(await record(act));
    const r = await train({ sessions: [...sids.idle, ...sids.shaking] });
    assert.equal(r.status, 200, r.text);
    first = r.json;
    assert.deepEqual((await model()).classes, ["idle", "shaking"]);
    for (let k = 0; k < 3; k++) sids.walking.push(await record("walking"));
    const r2 = await train({ sessions: "all" });
    assert.equal(r2.status, 200, r2.text);
    second = r2.json;
    assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  },
  set: (d, b) => { device = d; browser = b; },
});

test("a model the node trained on its own: Deploy shows it evaluated by session, live", async () => {
  assert.deepEqual(first.classes, ["idle", "shaking"]);
  assert.deepEqual(second.classes, ["idle", "shaking", "walking"], "the new activity");
  assert.equal(second.sessions.length, 9);
  assert.equal(second.validation.estimate, true, JSON.stringify(second.validation));
  const m = await model();
  assert.equal(m.hash, second.hash);
  assert.equal(m.trained_on_device.accuracy, second.accuracy);

  // careless: a wrong token -> 401, nothing changed
  const bad = await train({ sessions: [sids.idle[0], sids.walking[0]] }, "not-the-token");
  assert.equal(bad.status, 401, bad.text);
  assert.equal((await model()).hash, second.hash);

  const { page, nb, errors } = await openPage();
  await nb.step("deploy");
  let s = await nb.waitState(`(s.deploy.device_model || {}).hash === ${JSON.stringify(second.hash)}`);
  assert.deepEqual(s.deploy.device_model.trained_on_device.per_session.map((p) => p.session),
    second.per_session.map((p) => p.session));
  const line = await page.textContent("#train-device");
  assert.match(line, /idle, shaking, walking/);
  assert.match(line, /trained on the device/);
  const shown = await page.textContent("#device-trained");
  assert.match(shown, new RegExp(`trained on the device from ${second.windows} windows of 9 sessions`));
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  assert.ok(shown.includes(`${pct(second.accuracy)} accuracy on`), shown);
  assert.ok(shown.includes(`(${second.validation.description})`), shown);
  assert.ok(shown.includes(`majority-class baseline (always “${second.baseline.class}”): ${pct(second.baseline.accuracy)}`), shown);
  assert.match(shown, /per session, worst first/);
  const wrong = second.per_session.filter((p) => p.correct < p.n);
  for (const p of wrong.slice(0, 12))
    assert.ok(await page.locator(`#device-trained table.per-session td:text-is("#${p.session}")`).count() === 1, `session #${p.session} in the table`);
  const right = second.per_session.length - wrong.length;
  if (right) assert.match(shown, new RegExp(`${right} sessions? with every window right`));

  // live: the device's predictions follow the simulated activity, by the new model
  for (const act of ["walking", "shaking", "idle"]) {
    const since = (s.live.last || { seq: -1 }).seq;
    assert.equal((await device.api("PUT", "/api/sim", { activity: act })).status, 200);
    await page.waitForFunction(([a, h, q]) => {
      const v = window.motebook.state().live;
      const hs = v.history.filter((e) => e[0] > q + 2);     // windows of the new activity
      return hs.length >= 5 && hs.slice(-5).every((e) => v.classes[e[1]] === a) &&
        v.last.hash === h;
    }, [act, second.hash, since], { timeout: 60000, polling: 200 });
    s = await nb.pageState();
    assert.equal(s.live.last.class, act);
  }
  const shots = await shoot(page, "deploy-device-trained");
  for (const w of Object.keys(shots)) assert.deepEqual(shots[w], [], `overlaps at ${w} px`);

  // with the page open: one session per class trains a model with no estimate; the page reads
  // it again (the device's "model" change) and says why there is no number
  const r = await train({ sessions: [sids.idle[0], sids.shaking[0], sids.walking[0]] });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.validation.estimate, false);
  s = await nb.waitState(`(s.deploy.device_model || {}).hash === ${JSON.stringify(r.json.hash)}`, 30000);
  const none = await page.textContent("#device-trained");
  assert.match(none, /No accuracy estimate\./);
  assert.ok(none.includes(r.json.validation.why), none);
  assert.match(none, /the device runs was trained on all \d+ windows, but nobody knows/);
  assert.doesNotMatch(none, /per session, worst first/);
  await shoot(page, "deploy-device-trained-noest");
  assert.deepEqual(errors, []);
});
