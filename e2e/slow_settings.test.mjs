// Slow sensors in the page's device settings (Collect -> "Device settings", issue 21.1): with
// the simulated room sensor chosen the form offers "one sample every N s" (config period_s,
// shared/limits PERIOD_S; the sensors it is for: limits.SLOW_SENSORS); one sample every 60 s
// with window 10 / hop 5 applied through the form, the device's status says rate 1/60 and its
// config period 60, and the form says the window and hop as durations ("10 min ... every 5
// min"). Careless paths: a period of 1 s refused in the page naming the limit (nothing sent);
// back on the fast simulated sensor the period is hidden and the device samples at 100 Hz
// again. Screenshots slow-settings-1280/800.png (the form with the room sensor applied).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

let device, browser;
const openPage = fixture({
  setup: (d) => d.configure({ sensor: "sim", rate: 100, window: 128, hop: 64 }),
  set: (d, b) => { device = d; browser = b; },
  until: "booted",
});

const text = (page, sel) => page.textContent(sel).then((t) => t.replace(/\s+/g, " ").trim());

test("one sample a minute for the room sensor from the settings form", async () => {
  const { page, errors } = await openPage();
  await page.click("#settings summary");
  await page.waitForFunction(() => document.querySelectorAll("#cfg-sensor option").length > 1,
    null, { timeout: 20000 });
  await page.waitForFunction(() => /window 128 samples = 1\.28 s, a new one every 640 ms/
    .test(document.querySelector("#cfg-said").textContent), null, { timeout: 20000 });
  assert.equal(await page.isVisible("#cfg-period"), false, "a fast sensor: no period");

  // the room sensor: the period is offered, the form says the durations as typed
  await page.selectOption("#cfg-sensor", "room");
  await page.waitForSelector("#cfg-period", { state: "visible", timeout: 10000 });
  assert.equal(await page.getAttribute("#cfg-period", "placeholder"), "2..3600");
  await page.fill("#cfg-period", "60");
  await page.fill("#cfg-window", "10");
  await page.fill("#cfg-hop", "5");
  assert.equal(await text(page, "#cfg-said"),
    "one sample every 60 s: window 10 samples = 10 min, a new one every 5 min");
  assert.equal(await page.inputValue("input[name=window_s]"), "600");
  assert.equal(await page.inputValue("input[name=hop_s]"), "300");

  const reply = page.waitForResponse((r) => r.url().endsWith("/api/config") && r.request().method() === "PUT");
  await page.click("#settings button[type=submit]");
  const put = await reply;
  assert.equal(put.status(), 200);
  assert.deepEqual(JSON.parse(put.request().postData()),
    { sensor: "room", rate: 100, period_s: 60, window: 10, hop: 5 });
  await page.waitForFunction(() => /^applied:/.test(document.querySelector("#cfg-message").textContent),
    null, { timeout: 20000 });
  assert.equal(await text(page, "#cfg-message"), "applied: sensor room, one sample every 60 s, " +
    "window 10 samples = 10 min, a new one every 5 min");
  const st = (await device.api("GET", "/api/status")).json;
  assert.equal(st.sensor, "room");
  assert.ok(Math.abs(st.rate - 1 / 60) < 1e-6, `status rate ${st.rate}`);
  assert.deepEqual([st.window, st.hop], [10, 5]);
  const cfg = (await device.api("GET", "/api/config")).json;
  assert.equal(cfg.period_s, 60);
  assert.match(await text(page, "#cfg-said"), /window 10 samples = 10 min, a new one every 5 min/);
  const shots = await shoot(page, "slow-settings");
  for (const [w, o] of Object.entries(shots)) assert.deepEqual(o, [], `overlaps at ${w} px`);

  // a period of 1 s: refused in the page, the limit named, nothing sent
  const writes = [];
  page.on("request", (r) => { if (r.method() !== "GET" && r.url().includes("/api/config")) writes.push(r.url()); });
  await page.fill("#cfg-period", "1");
  assert.equal(await text(page, "#cfg-said"), "", "no durations said for a period out of range");
  await page.click("#settings button[type=submit]");
  await page.waitForFunction(() => /2\.\.3600/.test(document.querySelector("#cfg-message").textContent),
    null, { timeout: 20000 });
  assert.equal(await text(page, "#cfg-message"), "one sample every N seconds: N must be a whole " +
    "number 2..3600 (1 h), or empty for a rate in Hz; got 1");
  assert.deepEqual(writes, [], "nothing was sent");
  assert.equal((await device.api("GET", "/api/config")).json.period_s, 60);
  await shoot(page, "slow-settings-refused");

  // back to the simulated accelerometer: the period is hidden, the device at 100 Hz again
  await page.selectOption("#cfg-sensor", "sim");
  await page.waitForSelector("#cfg-period", { state: "hidden", timeout: 10000 });
  await page.fill("#cfg-window", "128");
  await page.fill("#cfg-hop", "64");
  assert.equal(await text(page, "#cfg-said"),
    "100 Hz: window 128 samples = 1.28 s, a new one every 640 ms");
  await page.click("#settings button[type=submit]");
  await page.waitForFunction(() => /^applied: sensor sim/.test(document.querySelector("#cfg-message").textContent),
    null, { timeout: 20000 });
  assert.deepEqual(writes.length, 1);
  const back = (await device.api("GET", "/api/config")).json;
  assert.equal(back.sensor, "sim");
  assert.equal(back.period_s, undefined, "a fast sensor ends the slow pace");
  assert.equal((await device.api("GET", "/api/status")).json.rate, 100);

  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(browser.offsite, [], "no request left 127.0.0.1");
  await page.close();
});
