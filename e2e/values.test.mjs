// Value labels in the Label step (issue 21): the simulated spectrometer records two sessions
// at 0.5 mmol/L (8 x faster than real time; the simulator labels them with their
// concentration) and the second one's value is removed, as a session recorded with a real
// sensor has none. In the page (Label, app/values_page.py): the form is prefilled with the
// name and unit the other session uses; the session is given 0.75 and reads back from the
// device (GET /api/sessions/<id>/value) and in the list; a selected stretch gets 1.25 (a value
// segment); a second tab shows the change (the device's "changed" message). Refused with the
// reason in the Label message, the device unchanged and the typed text kept: a number that is
// not one ("lots"), another unit than the other session's; undo puts the label before back.
// A wrong token: refused in the page with the reason, nothing sent. axe-core and layout
// problems (lib/tour.mjs), screenshots tour-label-value-{1280,800}.png.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withoutDeviceAway } from "./lib/browser.mjs";
import { fixture } from "./lib/fixture.mjs";
import { Tour } from "./lib/tour.mjs";

const SPEED = 8;
let device, browser;
const sids = [];

const openPage = fixture({
  setup: async (d) => {
    device = d;
    await d.configure({ sensor: "spectrometer", rate: 10, window: 20, hop: 20 });
    assert.equal((await d.api("PUT", "/api/sim", { concentration: 0.5 })).status, 200);
    assert.equal((await d.api("PUT", "/api/sim", { speed: SPEED })).status, 200);
    await d.run(4);                               // the new concentration in every sample
    for (let i = 0; i < 2; i++) {
      const r = await d.api("POST", "/api/sessions", {});
      assert.equal(r.status, 201, r.text);
      await d.run(20);                            // 20 s of samples
      assert.equal((await d.api("POST", `/api/sessions/${r.json.id}/stop`)).status, 200);
      sids.push(r.json.id);
    }
    assert.equal((await d.api("PUT", "/api/sim", { speed: 1 })).status, 200);
    const v0 = await d.api("GET", `/api/sessions/${sids[0]}/value`);
    assert.equal(v0.json?.value, 0.5, v0.text);
    assert.equal((await d.api("DELETE", `/api/sessions/${sids[1]}/value`)).status, 200);
  },
  set: (d, b) => { device = d; browser = b; },
  until: "sessions",
});

const value = async (sid) => device.api("GET", `/api/sessions/${sid}/value`);
const message = (page) => page.textContent("#ds-message");

test("a value in the Label step: set, a stretch, refusals said, undo, a second tab sees it", async () => {
  const { page, nb, errors } = await openPage();
  const [a, b] = sids;
  await nb.openSession(b);
  await page.waitForSelector("#value-form", { state: "visible" });
  assert.equal(await page.inputValue("#value-name"), "concentration", "prefilled from session A");
  assert.equal(await page.inputValue("#value-unit"), "mmol/L");
  assert.equal(await page.inputValue("#value-number"), "");
  assert.match(await page.textContent("#value-now"), /no value yet/);

  // the session's value
  await page.fill("#value-number", "0.75");
  await nb.clickAction("#value-save", "sessions.value_set");
  let v = await value(b);
  assert.equal(v.status, 200, v.text);
  assert.deepEqual([v.json.name, v.json.value, v.json.unit, v.json.segments], ["concentration", 0.75, "mmol/L", []]);
  assert.match(await message(page), new RegExp(`session #${b}: value 0\\.75 mmol/L`));
  await page.waitForFunction((s) => document.querySelector(`#session-list tr[data-sid="${s}"] td.value`)?.textContent === "0.75 mmol/L", b);

  // a second tab on the same session sees it (and the next change) without a reload
  const two = await openPage();
  await two.nb.openSession(b);
  assert.match(await two.page.textContent("#value-now"), /concentration 0\.75 mmol\/L/);

  // a stretch: the selection gets 1.25
  await nb.dragTimeline(4, 12);
  const sel = (await nb.dsState()).cur.sel;
  await page.fill("#value-number", "1.25");
  await nb.clickAction("#value-stretch", "sessions.value_segment");
  v = await value(b);
  assert.deepEqual(v.json.segments, [[sel[0], sel[1], 1.25]]);
  assert.equal(v.json.value, 0.75, "the session's value stays");
  assert.match(await page.textContent("#value-now"), /stretches: 4\.\d–1[12]\.\d s: 1\.25 mmol\/L/);
  await two.page.waitForFunction(() => /stretches: .*1\.25 mmol\/L/.test(document.querySelector("#value-now")?.textContent),
    null, { timeout: 10000 });
  await two.page.close();

  // careless: not a number; the device unchanged, the typed text kept
  await page.fill("#value-number", "lots");
  await nb.clickAction("#value-save", "sessions.value_set");
  assert.match(await message(page), new RegExp(`session #${b}: value 'lots' is not a number`));
  assert.equal(await page.inputValue("#value-number"), "lots", "what was typed is kept");
  // another unit than session A's: the device refuses, naming session A
  await page.fill("#value-number", "750");
  await page.fill("#value-unit", "umol/L");
  await nb.clickAction("#value-save", "sessions.value_set");
  assert.match(await message(page), new RegExp(`but session #${a} has concentration in 'mmol/L': use one unit`));
  assert.equal(await page.inputValue("#value-unit"), "umol/L", "what was typed is kept");
  v = await value(b);
  assert.deepEqual([v.json.value, v.json.unit, v.json.segments.length], [0.75, "mmol/L", 1], "nothing changed");

  const tour = new Tour(page);
  assert.deepEqual(await tour.look("label-value"), { 1280: [], 800: [] });

  // undo: the label before the stretch is back
  await nb.clickAction("#value-undo", "sessions.value_undo");
  v = await value(b);
  assert.deepEqual([v.json.value, v.json.segments], [0.75, []]);
  assert.ok(await page.isDisabled("#value-undo"), "one level of undo");
  // remove
  page.once("dialog", (d) => d.accept());
  await nb.clickAction("#value-remove", "sessions.value_delete");
  assert.equal((await value(b)).status, 404);
  assert.match(await message(page), new RegExp(`session #${b}: no value`));
  assert.deepEqual(withoutDeviceAway(errors).filter((e) => !/status of 400/.test(e)), [],
    "no console errors but the browser's note of the unit refused");
  await page.close();
});

test("a wrong token: the value is refused in the page with the reason, nothing sent", async () => {
  const { page, nb, errors } = await openPage({ token: "not-the-token" });
  await page.waitForFunction(() => /wrong token/.test(document.querySelector("#auth-state")?.textContent),
    null, { timeout: 20000 });
  const writes = [];
  page.on("request", (r) => { if (r.method() !== "GET" && r.url().includes("/value")) writes.push(r.url()); });
  await nb.openSession(sids[0]);
  assert.equal(await page.inputValue("#value-number"), "0.5", "the session's value in the form");
  assert.ok(await page.isDisabled("#value-save"));
  assert.match(await page.getAttribute("#value-save", "title"), /refused the token/);
  const r = await nb.act("sessions.value_set", { name: "concentration", value: "2", unit: "mmol/L" });
  assert.match(r.error, /refused the token/);
  assert.match(await message(page), /refused the token/);
  assert.deepEqual(writes, [], "nothing was sent");
  assert.equal((await value(sids[0])).json.value, 0.5);
  assert.deepEqual(withoutDeviceAway(errors).filter((e) => !/401/.test(e)), [], "no console errors");
  await page.close();
});
