// Two tabs of the page on one simulated device stay in sync with no refresh button: what one
// tab (or another client) changes reaches the other through the WebSocket's "changed"
// messages within SYNC_MS: a recording started and stopped, labels, a class renamed across
// sessions, a model sent, a session deleted (gone from Label and from Deploy's check list).
// The token as a state: no token (read-only), a wrong one (said, writes off with the reason,
// nothing sent), the right one; screenshots of those states at 1280 and 800 px.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launch, watchErrors } from "./lib/browser.mjs";
import { Device, ROOT } from "./lib/device.mjs";
import { shoot } from "./lib/layout.mjs";
import { Notebook } from "./lib/notebook.mjs";

const SYNC_MS = 1000;     // what the issue asks: the other tab shows a change within 1 s
let device, browser;
const lag = [];           // [what, ms] for the report

before(async () => {
  device = await new Device().start();
  browser = await launch();
});

after(async () => {
  if (lag.length) console.log(`# sync lag (ms): ${lag.map(([w, ms]) => `${w} ${ms}`).join(", ")}`);
  device?.report();
  await browser?.close();
  await device?.dispose();
});

async function tab(token) {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  const nb = new Notebook(page);
  await nb.open(device.url, { token });
  await nb.waitBooted();
  await nb.waitWindows(1);
  return { page, nb, errors };
}

/** Waits (with a generous deadline) until the page-side predicate `fn` over the state s holds
 * in tab t; returns how long it took from `since`. */
async function seen(t, what, fn, since) {
  await t.page.waitForFunction(`(() => { const s = window.motebook.state(); return ${fn}; })()`,
    null, { timeout: 15000, polling: 20 });
  const ms = Date.now() - since;
  lag.push([what, ms]);
  return ms;
}

test("two tabs stay in sync: record, labels, class rename, model, delete", async () => {
  const a = await tab(device.token);
  const b = await tab();                     // same browser: the token is shared
  await b.nb.step("deploy");                 // tab 2 looks at Deploy and at Label

  // a recording started in tab 1 appears in tab 2's list, then its stop
  let t0 = Date.now();
  const rec = await a.nb.act("sessions.record", { label: "walking" });
  assert.equal(rec.error, null);
  const sid = rec.state.sessions.recording;
  assert.ok(sid != null, "recording");
  let ms = await seen(b, "record", `s.sessions.sessions.some((x) => x.id === ${sid} && x.recording)`, t0);
  assert.ok(ms <= SYNC_MS, `tab 2 showed the recording after ${ms} ms`);
  await a.page.waitForTimeout(1500);         // (the recording's length: data to label)
  t0 = Date.now();
  assert.equal((await a.nb.act("sessions.stop", {})).error, null);
  ms = await seen(b, "stop", `s.sessions.sessions.some((x) => x.id === ${sid} && !x.recording)`, t0);
  assert.ok(ms <= SYNC_MS, `tab 2 showed the stop after ${ms} ms`);
  // tab 2's Train list has it too, with no button pressed
  await b.nb.step("train");
  await b.page.waitForSelector(`#train-sessions .train-sid`, { timeout: 15000 });

  // labels edited in tab 1 show in tab 2, which has the same session open
  await a.nb.openSession(sid);
  await b.nb.openSession(sid);
  const n = (await a.nb.dsState()).cur.n;
  t0 = Date.now();
  const cls = (await a.nb.dsState()).classes.map((c) => c.name);
  const k = cls.indexOf("walking");
  assert.ok(k >= 0, `classes ${cls}`);
  let r = await a.nb.act("sessions.set_segments", { segments: [[0, Math.floor(n / 2), k]] });
  assert.equal(r.error, null);
  ms = await seen(b, "labels", `s.sessions.cur && s.sessions.cur.segments.length === 1 &&
    s.sessions.cur.segments[0][1] === ${Math.floor(n / 2)}`, t0);
  assert.ok(ms <= SYNC_MS, `tab 2 showed the labels after ${ms} ms`);

  // a class renamed across sessions in tab 1: tab 2's open session names the new class
  t0 = Date.now();
  r = await a.nb.act("sessions.class_edit", { name: "walking", to: "strolling" });
  assert.equal(r.error, null);
  ms = await seen(b, "rename", `s.sessions.cur && s.sessions.cur.segments.length === 1 &&
    s.sessions.classes[s.sessions.cur.segments[0][2]].name === "strolling"`, t0);
  assert.ok(ms <= SYNC_MS, `tab 2 showed the renamed class after ${ms} ms`);

  // a model sent (by another client: the page's own send is in train.test): both tabs'
  // Deploy show it; a session recorded while it runs joins tab 2's check list
  const text = execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c",
    "from device.tests import models as M; import sys; sys.stdout.write(M.trained(n_trees=5)"
    + "['text'])"], { cwd: ROOT }).toString();
  await b.nb.step("deploy");
  t0 = Date.now();
  const put = await fetch(`${device.url}api/model`, { method: "PUT", body: text,
    headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "text/csv" } });
  const answer = await put.text();
  assert.equal(put.status, 200, answer);
  const hash = JSON.parse(answer).hash;
  ms = await seen(b, "model", `s.deploy.device_model && s.deploy.device_model.hash === "${hash}"`, t0);
  assert.ok(ms <= SYNC_MS, `tab 2 showed the model after ${ms} ms`);
  await b.page.waitForFunction((h) => document.querySelector("#deploy").textContent
    .includes(h.slice(0, 8)), hash, { timeout: 5000 });
  const rec2 = await a.nb.act("sessions.record", { label: "strolling" });
  const sid2 = rec2.state.sessions.recording;
  await a.page.waitForTimeout(2500);         // long enough for a few predictions
  assert.equal((await a.nb.act("sessions.stop", {})).error, null);
  await b.page.waitForSelector(`#check-session option[value="${sid2}"]`, { state: "attached",
    timeout: 15000 });

  // deleted in tab 1: gone from tab 2's sessions and from its Deploy check list
  t0 = Date.now();
  assert.equal((await a.nb.act("sessions.delete", { sid: sid2 })).error, null);
  ms = await seen(b, "delete", `!s.sessions.sessions.some((x) => x.id === ${sid2}) &&
    !s.deploy.checks.some((c) => c.id === ${sid2})`, t0);
  assert.ok(ms <= SYNC_MS, `tab 2 dropped the deleted session after ${ms} ms`);
  assert.equal(await b.page.locator(`#check-session option[value="${sid2}"]`).count(), 0);

  for (const t of [a, b]) {
    assert.deepEqual(t.errors, [], "no console errors");
    await t.page.close();
  }
});

test("the token is a state: read-only, wrong (said, writes off, nothing sent), right", async () => {
  // a session on the device (reads work without the token), a fresh profile: no token stored
  const made = await device.api("POST", "/api/sessions", { label: "readable" });
  assert.equal(made.status, 201, made.text);
  assert.equal((await device.api("POST", `/api/sessions/${made.json.id}/stop`)).status, 200);
  const other = await launch();
  try {
    const page = await other.context.newPage();
    const errors = watchErrors(page);
    const nb = new Notebook(page);
    const writes = [];
    page.on("request", (r) => { if (r.method() !== "GET" && r.url().includes("/api/")) writes.push(r.url()); });
    await nb.open(device.url);
    await nb.waitBooted();
    await nb.waitWindows(1);
    // read-only: the header says it, the stream and the lists work, writes are off with why
    await page.waitForSelector("#token-bar", { state: "visible" });
    assert.equal(await page.textContent("#auth-state"), "read-only: no token");
    await nb.dsWait(`s.sessions.some((x) => x.id === ${made.json.id})`);
    assert.equal(await page.isDisabled("#rec-start"), true);
    assert.match(await page.getAttribute("#rec-start", "title"), /read-only: enter the device token/);
    const r = await nb.act("sessions.record", { label: "x" });
    assert.match(r.error, /read-only/);
    assert.match(await page.textContent("#ds-message"), /read-only/);   // said in its step
    assert.deepEqual(writes, [], "nothing was sent without the token");
    await shoot(page, "auth-readonly");

    // a wrong token: checked at once, the header says "wrong token", the form comes back
    // with the device's reason, and the writes stay off
    await page.fill("#token-bar input[name=token]", "not-the-token");
    await page.click("#token-bar button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#auth-state")?.textContent === "wrong token",
      null, { timeout: 10000 });
    assert.equal(await page.isVisible("#token-bar"), true);
    assert.match(await page.textContent("#token-why"), /the device refused the token \(401: /);
    assert.equal(await page.isDisabled("#rec-start"), true);
    assert.match(await page.getAttribute("#rec-start", "title"), /refused the token/);
    await shoot(page, "auth-wrong-token");

    // the right one: the header's warning goes, the writes come back and work
    await page.fill("#token-bar input[name=token]", device.token);
    await page.click("#token-bar button[type=submit]");
    await nb.waitState("s.device.auth === 'ok'");
    assert.equal(await page.isVisible("#token-bar"), false);
    assert.equal(await page.locator("#auth-state").count(), 0);
    assert.equal(await page.isDisabled("#rec-start"), false);
    await shoot(page, "auth-ok");
    assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), [], "no other console errors");
    await page.close();
  } finally {
    await other.close();
  }
});
