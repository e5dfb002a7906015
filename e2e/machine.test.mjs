// The simulated machine in the page: with the device's sensor "machine" (device/hal/
// sim_machine.py) the header's scene row offers the machine's faults (from the status'
// "faults") instead of the simulated activity; a click switches the fault on the device
// (PUT /api/sim, the device's truth log gets it) and the row marks it; "normal" ends it.
// Careless paths: without the token the row is gone and the action is refused in the page
// (nothing sent); back on sensor "sim" the activity buttons return. Screenshots
// machine-fault-<width>.png and machine-normal-<width>.png.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

let device, browser;
const openPage = fixture({
  setup: (d) => d.configure({ sensor: "machine" }),
  set: (d, b) => { device = d; browser = b; },
  until: "booted",
});

const row = "#activity";
const onButton = (page) => page.evaluate(
  (sel) => [...document.querySelectorAll(`${sel} button.on`)].map((b) => b.textContent), row);

test("the machine's fault is switched from the page and logged by the device", async () => {
  const { page, nb, errors } = await openPage();
  await page.waitForSelector(`${row} button[data-act="device.fault"]`, { state: "visible", timeout: 20000 });
  assert.match(await page.textContent(row), /simulated machine/);
  const names = await page.$$eval(`${row} button[data-act="device.fault"]`, (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(names, ["normal", "imbalance", "bearing", "looseness"]);
  await page.waitForFunction((sel) => document.querySelector(`${sel} button.on`)?.textContent === "normal",
    row, { timeout: 20000 });

  // a fault on from the page: the device runs it, logs it, and the row marks it
  const reply = page.waitForResponse((r) => r.url().endsWith("/api/sim") && r.request().method() === "PUT");
  await page.click(`${row} button[data-name="bearing"]`);
  assert.equal((await reply).status(), 200);
  const sim = (await device.api("GET", "/api/sim")).json;
  assert.equal(sim.fault, "bearing");
  assert.equal(sim.truth.at(-1)[2], "bearing");
  await page.waitForFunction((sel) => document.querySelector(`${sel} button.on`)?.textContent === "bearing",
    row, { timeout: 20000 });
  assert.deepEqual(await onButton(page), ["bearing"]);
  // the live plot shows it: the impulses ring on z (a window all of bearing, then two more)
  const seq = sim.truth.at(-1)[1];
  await page.waitForFunction((q) => (window.motebook.stats?.last_seq ?? -1) >= q + 2, seq,
    { timeout: 30000 });
  const shots = await shoot(page, "machine-fault");
  for (const [w, o] of Object.entries(shots)) assert.deepEqual(o, [], `overlaps at ${w} px`);

  // back to normal (the "normal" button sends null)
  await page.click(`${row} button[data-name=""]`);
  await page.waitForFunction((sel) => document.querySelector(`${sel} button.on`)?.textContent === "normal",
    row, { timeout: 20000 });
  const after = (await device.api("GET", "/api/sim")).json;
  assert.equal(after.fault, null);
  assert.deepEqual(after.truth.map((t) => t[2]), ["bearing", null]);
  await page.waitForFunction((q) => (window.motebook.stats?.last_seq ?? -1) >= q + 2,
    after.truth.at(-1)[1], { timeout: 30000 });
  await shoot(page, "machine-normal");

  // without the token: the row goes, the action is refused in the page, nothing is sent
  const writes = [];
  page.on("request", (r) => { if (r.method() !== "GET" && r.url().includes("/api/")) writes.push(r.url()); });
  await page.click(`${row} button[data-act="device.forget_token"]`);
  await page.waitForSelector(row, { state: "hidden", timeout: 10000 });
  const r = await nb.act("device.fault", { name: "looseness" });
  assert.match(r.error, /read-only/);
  assert.deepEqual(writes, [], "nothing was sent without the token");
  assert.equal((await device.api("GET", "/api/sim")).json.fault, null);

  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(browser.offsite, [], "no request left 127.0.0.1");
  await page.close();
});

test("back on the simulated sensor the page offers the activities again", async () => {
  await device.configure({ sensor: "sim" });
  const { page, errors } = await openPage();
  await page.waitForSelector(`${row} button[data-act="device.activity"]`, { state: "visible", timeout: 20000 });
  assert.match(await page.textContent(row), /simulated activity/);
  assert.equal(await page.$(`${row} button[data-act="device.fault"]`), null);
  assert.deepEqual(errors, [], "no console errors");
  await device.configure({ sensor: "machine" });     // the open page follows the device
  await page.waitForSelector(`${row} button[data-act="device.fault"]`, { state: "visible", timeout: 30000 });
  await page.close();
});
