// Deploy's on-device check in Chromium against the simulated device running a model: two
// labelled sessions recorded while it ran, the older one chosen in the list is the one
// checked (its id and window count, not the newest's), right after the page opened, while
// the training modules (shared/evaluate.py among them) are still on their way (held by the
// test as a slow link would).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "./lib/device.mjs";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

const HOLD_MS = 3000;        // how long each request for shared/evaluate.py is held
let device, browser;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const openPage = fixture({
  setup: async (device) => {
    await device.configure({ hop: 32 });
    const text = execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c",
      "from device.tests import models as M; import sys; sys.stdout.write(M.trained(n_trees=5, "
      + "window=dict(M.WINDOW, hop=32))['text'])"], { cwd: ROOT }).toString();
    const r = await fetch(`${device.url}api/model`, { method: "PUT", body: text,
      headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "text/csv" } });
    assert.equal(r.status, 200, await r.text());
    // two sessions of different lengths, labelled at record time, while the model runs; at
    // 4 x real time (PUT /api/sim {"speed"}: the same samples and windows)
    assert.equal((await device.api("PUT", "/api/sim", { speed: 4 })).status, 200);
    for (const [act, secs] of [["idle", 3], ["shaking", 6]]) {
      await device.api("PUT", "/api/sim", { activity: act });
      const s = await device.api("POST", "/api/sessions", { label: act });
      assert.equal(s.status, 201, s.text);
      await device.run(secs);                            // (the recording's length, machine time)
      await device.api("POST", `/api/sessions/${s.json.id}/stop`);
    }
    assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  },
  set: (d, b) => { device = d; browser = b; },
});

test("on-device check: the session chosen in the list, right after the page opened", async () => {
  const list = (await device.api("GET", "/api/sessions")).json.sessions;
  const [older, newer] = list.sort((a, b) => a.id - b.id);
  assert.ok(older.predictions && newer.predictions, "both sessions recorded predictions");
  assert.notEqual(older.predictions.windows, newer.predictions.windows);

  const evaluate = { asked: 0, served: 0 };
  const { page, nb, errors } = await openPage({ until: "booted", prepare: (p) => p.route("**/shared/evaluate.*", async (r) => {
    evaluate.asked++;
    await sleep(HOLD_MS);
    evaluate.served++;
    return r.fallback();
  }) });
  await nb.step("deploy");
  let s = await nb.waitState("s.deploy.checks.length === 2");
  assert.deepEqual(s.deploy.checks.map((c) => c.id), [newer.id, older.id], "newest first");
  await page.selectOption("#check-session", String(older.id));

  // the page began to load the training modules (after its first plot); check before they came
  const deadline = Date.now() + 20000;
  while (evaluate.asked === 0) {
    assert.ok(Date.now() < deadline, "the page never asked for shared/evaluate.py");
    await sleep(50);
  }
  const done = s._done;
  await page.click("#check-go");
  assert.equal(evaluate.served, 0, "checked before shared/evaluate.py arrived");
  s = await nb.waitState(`s._done > ${done} && (s.deploy.check || s.deploy.message)`, 30000);
  assert.equal(s.deploy.message, "");
  const c = s.deploy.check;
  assert.equal(c.sid, older.id);
  assert.equal(c.windows, older.predictions.windows);
  assert.equal(c.hash, older.predictions.hash);
  assert.ok(c.n >= 1, `${c.n} labelled windows checked`);
  assert.ok(c.n + c.no_prediction <= older.predictions.windows);
  assert.match(await page.textContent("#check-result"), new RegExp(`device live accuracy on #${older.id}: `));
  assert.equal(await page.inputValue("#check-session"), String(older.id), "the list still shows it");
  await shoot(page, "step-deploy-check");

  // the default (nothing chosen by hand) is still the newest
  const r = await nb.act("deploy.check", {});
  assert.equal(r.error, null);
  assert.equal(r.result.sid, newer.id);
  assert.equal(r.result.windows, newer.predictions.windows);
  // a deleted session leaves the list and takes its result with it (on the next arrival)
  await page.selectOption("#check-session", String(older.id));
  await nb.act("deploy.check", { sid: older.id });
  const del = await device.api("DELETE", `/api/sessions/${older.id}`);
  assert.equal(del.status, 200, del.text);
  await nb.step("collect");
  await nb.step("deploy");
  s = await nb.waitState(`s.deploy.checks.length === 1`);
  assert.equal(s.deploy.check, null, "the deleted session's result is gone");
  assert.equal(await page.locator("#check-session option").count(), 1);
  assert.equal((await page.textContent("#check-result")).trim(), "");
  assert.deepEqual(errors, []);
  assert.deepEqual(browser.offsite, []);
  await page.close();
});
