// The sound level meter in the page (issue 20): with the device's sensor the simulated
// microphone (sensor "mic", device/hal/sim_mic.py) the Collect step shows the Fast level (a big
// number and a bar), the last second's Leq/Lmax/Lmin and the level timeline of the last minutes
// (the stream's channel "level"). A 1 kHz tone at a known level (PUT /api/sim scene): the page
// reads the device's GET /api/sound within 0.5 dB, and follows it to another level; a tone
// past full scale is said as clipping (no number, a gap in the timeline); the calibrator's
// 94 dB tone, "calibrate" clicked: the device reads 94.0 +- 0.3 and the page says calibrated;
// a wrong token: the button is off with the device's reason and nothing is sent; the device
// away: the meter says so with no uncaught error, and comes back. Screenshots
// sound-{meter,clipping,calibrated,away}-{1280,800}.png.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withoutDeviceAway } from "./lib/browser.mjs";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

let device, browser;
const openPage = fixture({
  setup: (d) => d.configure({ sensor: "mic" }),
  set: (d, b) => { device = d; browser = b; },
  until: "booted",
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function scene(s) {
  const r = await device.api("PUT", "/api/sim", { scene: s });
  assert.equal(r.status, 200, r.text);
}
const tone = (db) => scene({ noise_db: 30, sources: [{ kind: "tone", db, freq: 1000 }] });

/** The device's meter once a whole clean second of a steady level near `near` (dB) passed
 * (one that ended after the device's time `after`, s). */
async function steady(near, { after = 0, timeout = 30000 } = {}) {
  for (const end = Date.now() + timeout; ;) {
    const s = (await device.api("GET", "/api/sound")).json;
    const sec = s.second || {};
    if (!s.clipping && sec.leq != null && sec.t > after && Math.abs(sec.leq - near) < 3 && sec.lmax - sec.lmin < 0.3)
      return s;
    if (Date.now() > end) throw new Error(`no steady level near ${near} dB: ${JSON.stringify(s)}`);
    await sleep(200);
  }
}

/** The big number the page shows (a number, or its text when it is not one). */
const bigText = (page) => page.evaluate(() => document.querySelector("#sound-fast")?.textContent);

async function pageReads(page, near, timeout = 20000) {
  await page.waitForFunction((n) => {
    const v = parseFloat(document.querySelector("#sound-fast")?.textContent);
    return Math.abs(v - n) < 3;
  }, near, { timeout });
}

/** Waits (deadline) until the page's Fast level and Leq 1 s are within 0.5 dB of the device's
 * GET /api/sound read at the same moment (the page polls once a second); the device's answer. */
async function agrees(page, timeout = 20000) {
  let last;
  for (const end = Date.now() + timeout; ;) {
    const dev = (await device.api("GET", "/api/sound")).json;
    const shown = await page.evaluate(() => [document.querySelector("#sound-fast")?.textContent,
      document.querySelector("#sound-leq")?.textContent].map(parseFloat));
    last = { page: shown, device: [dev.fast, dev.second?.leq] };
    if (Math.abs(shown[0] - dev.fast) <= 0.5 && Math.abs(shown[1] - dev.second.leq) <= 0.5) return dev;
    if (Date.now() > end) assert.fail(`the page's Fast and Leq vs the device's: ${JSON.stringify(last)}`);
    await sleep(250);
  }
}

/** The newest levels the timeline chart holds (uPlot's data): null is a gap in uPlot's line,
 * NaN (which uPlot joins over) comes back as "NaN". */
const timelineTail = (page, k) => page.evaluate((n) => {
  const u = window.motebook.levelPlot;
  if (!u) return null;
  return Array.from(u.data[1].slice(-n), (v) => (v === null ? null : Number.isNaN(v) ? "NaN" : v));
}, k);

test("the meter reads the device's level, says clipping, and calibrates", async () => {
  const { page, nb, errors } = await openPage();
  await page.waitForSelector("#sound", { state: "visible", timeout: 20000 });
  assert.equal(await page.isVisible("#activity"), false);

  for (const db of [70, 85]) {
    await tone(db);
    const dev = await steady(db);
    await pageReads(page, dev.fast);
    const now = await agrees(page);
    assert.ok(Math.abs(now.fast - db) < 3, `the tone's ${db} dB reads ${now.fast} dB`);
    assert.match(await page.textContent("#sound-meter"), /dB\(A\) Fast/);
    // the timeline: the stream's newest levels are the tone's
    await page.waitForFunction((d) => {
      const u = window.motebook.levelPlot;
      const y = u && u.data[1];
      return y && y.length >= 10 && Math.abs(y[y.length - 1] - d) < 0.5;
    }, now.fast, { timeout: 20000 });
  }
  const shots = await shoot(page, "sound-meter");
  for (const [w, o] of Object.entries(shots)) assert.deepEqual(o, [], `overlaps at ${w} px`);

  // past full scale: clipping, never a number; a gap in the timeline
  await tone(130);
  await page.waitForFunction(() => document.querySelector("#sound-fast")?.textContent === "clipping",
    null, { timeout: 20000 });
  assert.equal((await device.api("GET", "/api/sound")).json.clipping, true);
  // (Fast says clipping at once; the second that ended clean before it shows until the next ends)
  await page.waitForFunction(() => /the last second clipped/.test(
    document.querySelector("#sound-meter .meter-stats")?.textContent), null, { timeout: 20000 });
  assert.doesNotMatch(await page.textContent("#sound-meter .meter-big"), /\d/);
  assert.doesNotMatch(await page.textContent("#sound-meter .meter-stats"), /\d\.\d/);
  await page.waitForFunction(() => {
    const y = window.motebook.levelPlot.data[1];
    return !Number.isFinite(y[y.length - 1]);
  }, null, { timeout: 20000 });
  assert.ok((await timelineTail(page, 300)).some((v) => v > 80), "the 85 dB before it is kept");
  // the live plot too: a gap, not the stream's clipping code as 327.67 dB
  await page.waitForFunction(() => {
    const y = window.motebook.livePlot.data[1];
    return y[y.length - 1] === null;       // a gap (uPlot joins over NaN)
  }, null, { timeout: 20000 });
  const drawn = await page.evaluate(() => Array.from(window.motebook.livePlot.data[1]).filter(Number.isFinite));
  assert.ok(drawn.length > 0 && Math.max(...drawn) < 140, `live plot levels up to ${Math.max(...drawn)} dB`);
  await shoot(page, "sound-clipping");

  // the calibrator's tone (94 dB SPL, 1 kHz): calibrate from the page
  await scene("calibrator");
  await steady(94);
  await sleep(1100);            // a whole second of the tone alone
  const put = page.waitForResponse((r) => r.url().endsWith("/api/sound") && r.request().method() === "PUT");
  await page.click("#sound-calibrate");
  const answer = await put;
  assert.equal(answer.status(), 200);
  const calAt = (await answer.json()).second.t;
  await page.waitForFunction(() => /calibrated at 94\.0 dB/.test(document.querySelector("#sound-message")?.textContent),
    null, { timeout: 10000 });
  const cal = await steady(94, { after: calAt });   // a second measured with the new offset
  assert.equal(cal.calibrated, true);
  assert.ok(Math.abs(cal.second.leq - 94) <= 0.3, `calibrated: ${cal.second.leq} dB`);
  await page.waitForFunction(() => /^calibrated/.test(document.querySelector("#sound-cal-state")?.textContent.split(" · ")[1]),
    null, { timeout: 10000 });
  await pageReads(page, 94);
  assert.ok(Math.abs(parseFloat(await bigText(page)) - 94) <= 0.5);
  // the clipped stretch is a gap in the timeline between the levels before and after it
  await page.waitForFunction(() => {
    const y = window.motebook.levelPlot.data[1];
    return Math.abs(y[y.length - 1] - 94) < 0.5;
  }, null, { timeout: 20000 });
  const tl = await timelineTail(page, 100000);
  assert.ok(!tl.includes("NaN"), "no NaN given to uPlot (it joins over them)");
  const firstGap = tl.findIndex((v, i) => v === null && tl.slice(0, i).some((x) => x !== null));
  assert.ok(firstGap > 0 && tl.slice(0, firstGap).some((v) => Math.abs(v - 86) < 1.5),
    `the 85 dB tone, then a gap: ${JSON.stringify(tl.filter((v, i) => i % 25 === 0))}`);
  await shoot(page, "sound-calibrated");

  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(browser.offsite, [], "no request left 127.0.0.1");
  await page.close();
});

test("a wrong token: calibrating is refused in the page with the reason, nothing sent", async () => {
  await tone(70);
  const { page, nb, errors } = await openPage({ token: "not-the-token" });
  await page.waitForSelector("#sound", { state: "visible", timeout: 20000 });
  await page.waitForFunction(() => /wrong token/.test(document.querySelector("#auth-state")?.textContent),
    null, { timeout: 20000 });
  const writes = [];
  page.on("request", (r) => { if (r.method() !== "GET" && r.url().includes("/api/sound")) writes.push(r.url()); });
  assert.equal(await page.isDisabled("#sound-calibrate"), true);
  assert.match(await page.getAttribute("#sound-calibrate", "title"), /refused the token/);
  const r = await nb.act("sound.calibrate", { db: 94 });
  assert.match(r.error, /refused the token/);
  assert.match(await page.textContent("#sound-message"), /refused the token/);
  assert.deepEqual(writes, [], "nothing was sent");
  // reads still work: the meter shows the level
  await page.waitForFunction(() => Number.isFinite(parseFloat(document.querySelector("#sound-fast")?.textContent)),
    null, { timeout: 20000 });
  assert.deepEqual(withoutDeviceAway(errors).filter((e) => !/401/.test(e)), [], "no console errors");
  await page.close();
});

test("the device away: the meter says so, and reads again when it is back", async () => {
  const { page, errors } = await openPage();
  await tone(70);
  await pageReads(page, (await steady(70)).fast);
  await page.waitForFunction(() => window.motebook.levelPlot?.data[1].some(Number.isFinite), null,
    { timeout: 20000 });     // the timeline is drawn (it was an empty panel when the meter showed late)
  await device.stop();
  await page.waitForSelector("#sound-away", { state: "visible", timeout: 15000 });
  assert.match(await page.textContent("#sound-away"), /cannot be reached/);
  assert.equal(await bigText(page), "–");
  assert.doesNotMatch(await page.textContent("#sound-meter .meter-stats"), /\d\.\d/, "no stale Leq/Lmax/Lmin");
  await shoot(page, "sound-away");

  await device.start();
  await page.waitForSelector("#sound-away", { state: "detached", timeout: 20000 });
  await page.waitForFunction(() => Number.isFinite(parseFloat(document.querySelector("#sound-fast")?.textContent)),
    null, { timeout: 20000 });
  assert.deepEqual(withoutDeviceAway(errors), [], "nothing uncaught, no other console errors");

  // another sensor: the meter goes
  await device.configure({ sensor: "sim" });
  await page.waitForSelector("#sound", { state: "hidden", timeout: 20000 });
  await page.close();
});
