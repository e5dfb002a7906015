// End to end: the real simulated device serves the notebook; MicroPython-WASM boots from the
// device's files, decodes live windows with shared/protocol and plots them (uPlot; plotly is
// not part of the first load, and a plot waiting for it says so); the simulated
// activity is switched through the API; the stream survives a device restart; a device that
// goes away, a wrong token and a module that cannot be loaded are said in the page, never
// left uncaught.
import assert from "node:assert/strict";
import { test } from "node:test";
import { watchErrors, withoutDeviceAway } from "./lib/browser.mjs";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

let device, browser;

// pages opened until booted (these tests do not need the session list)
const openPage = fixture({
  // faster windows so the test sees 20 of them in a few seconds (100 Hz / 16 = 6 per second)
  setup: (d) => d.configure({ hop: 16 }),
  set: (d, b) => { device = d; browser = b; },
  until: "booted",
});

test("boots from the device, plots 20+ consecutive windows, follows the simulated activity", async () => {
  let t0;
  const { page, nb, errors } = await openPage(() => { t0 = Date.now(); });
  const bootMs = Date.now() - t0;

  assert.equal((await device.api("PUT", "/api/sim", { activity: "idle" })).status, 200);
  const s = await nb.waitWindows(20);
  assert.equal(s.gaps, 0, "no sequence gaps");
  assert.equal(s.bad, 0, "no malformed frames");
  assert.equal(s.last_seq - s.first_seq + 1, s.windows, "consecutive sequence numbers");
  assert.equal(s.rate, 100);
  assert.deepEqual(s.channels, ["x", "y", "z"]);
  const plot = await nb.plotShape();
  assert.deepEqual(plot.series.map((t) => t.name), ["x", "y", "z"], "one series per channel");
  assert.equal(new Set(plot.series.map((t) => t.colour)).size, 3, "one colour per channel");
  for (const t of plot.series) {
    assert.ok(t.finite >= 128 && t.finite === t.n, `series ${t.name} shows ${t.finite} samples`);
    assert.ok(t.drawn >= 50, `series ${t.name} is drawn on the canvas (${t.drawn} px in its colour)`);
  }
  assert.deepEqual(plot.axes, ["time (s), newest at 0", "acceleration (g)"]);
  assert.ok(plot.x[1] === 0 && plot.x[0] < -1, `time axis ${plot.x}`);
  assert.ok(plot.width > 500, `the chart fills its box (${plot.width} px)`);
  await shoot(page, "collect-live");
  await page.setViewportSize({ width: 800, height: 900 });
  await page.waitForFunction(() => window.motebook.livePlot.width < 800, null, { timeout: 5000 });
  await page.setViewportSize({ width: 1280, height: 900 });

  // idle: |a| barely moves; then switch through the page (PUT /api/sim with the stored token)
  const idle = await nb.waitStats((w) => window.motebook.stats.windows >= w, s.windows + 2);
  assert.equal(await nb.setActivity("shaking"), 200);
  const shaking = await nb.waitStats(
    (v) => window.motebook.stats.mag_std > 5 * v + 0.05, idle.mag_std);
  assert.ok(shaking.mag_std > idle.mag_std, `${shaking.mag_std} > ${idle.mag_std}`);
  assert.equal((await device.api("GET", "/api/status")).status, 200);

  // and back, through the API directly
  assert.equal((await device.api("PUT", "/api/sim", { activity: "idle" })).status, 200);
  await nb.waitStats((v) => window.motebook.stats.mag_std < v / 2, shaking.mag_std);
  const end = await nb.stats();
  const frameMs = await page.evaluate(() => window.motebook.frameMs);
  assert.equal(end.gaps, 0);

  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(browser.offsite, [], "no request left 127.0.0.1");
  console.log(`# booted in ${bootMs} ms, ${end.windows} windows, |a| std idle ${idle.mag_std.toFixed(4)}` +
    ` shaking ${shaking.mag_std.toFixed(4)}, ${frameMs.toFixed(2)} ms per frame (stage + decode)`);
  await page.close();
});

test("plotly is not part of the first load: the live plot is drawn before it, it loads after", async () => {
  const { page, nb, errors } = await openPage({ until: "opened" });
  await page.waitForFunction(() => window.motebook.firstPlotAt !== null, null, { timeout: 30000, polling: 10 });
  const drawn = await nb.plotShape();
  assert.ok(drawn.series.length === 3 && drawn.series.every((t) => t.finite > 0), "the first frame is drawn");
  // then plotly comes by itself
  await page.waitForFunction(() => window.Plotly && document.body.dataset.plotly === "ready",
    null, { timeout: 30000 });
  // the requests started before the first live frame was drawn (the page's resource timing)
  const [first, later] = await page.evaluate(() => {
    const t = window.motebook.firstPlotAt, all = performance.getEntriesByType("resource");
    const path = (e) => new URL(e.name).pathname;
    return [all.filter((e) => e.startTime < t).map(path), all.filter((e) => e.startTime >= t).map(path)];
  });
  assert.deepEqual(first.filter((u) => /plotly/.test(u)), [], `first load: ${first.join(" ")}`);
  assert.equal(first.filter((u) => /uPlot/.test(u)).length, 1, "uPlot is");
  assert.equal(later.filter((u) => /plotly/.test(u)).length, 1, `after it: ${later.join(" ")}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a step that plots while plotly cannot be loaded says so, and draws once it loads", async () => {
  const { page, nb, errors } = await openPage((p) => p.route("**/vendor/plotly-basic.*", (r) => r.abort()));
  await nb.waitWindows(1);                          // the live plot does not need plotly
  await page.waitForFunction(() => document.body.dataset.plotly === "failed", null, { timeout: 20000 });
  assert.match(await page.textContent("#plots-why"), /the plots cannot be drawn: could not load .*plotly.*trying again/);
  assert.equal(await page.isVisible("#plots-why"), true);
  await shoot(page, "plotly-failed-collect");
  await nb.step("label");
  const why = await page.evaluate(() => getComputedStyle(document.getElementById("counts-plot"), "::before").content);
  assert.match(why, /plotting library could not be loaded/);
  await nb.step("explore");                         // its plots need plotly: it says it waits
  await page.waitForSelector("#explore-body .plot-wait", { timeout: 20000 });
  assert.match(await page.textContent("#explore-body"), /waiting for the plotting library/);
  assert.match(await page.evaluate(() => getComputedStyle(document.querySelector("#explore-body .plot-wait"), "::after").content),
    /could not be loaded/);
  await shoot(page, "plotly-failed-explore");
  await page.unroute("**/vendor/plotly-basic.*");
  await page.waitForFunction(() => document.body.dataset.plotly === "ready" && window.Plotly,
    null, { timeout: 20000 });
  await page.waitForSelector("#explore-body form[data-form=explore]", { timeout: 20000 });
  await nb.step("collect");
  assert.equal(await page.isVisible("#plots-why"), false);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource: net::ERR_FAILED/.test(e)), []);
  await page.close();
});

test("reconnects by itself after the device restarts", async () => {
  const { page, nb, errors } = await openPage({ token: null });
  await nb.waitWindows(3);
  const before = await nb.state();
  assert.equal(before.connects, 1);

  await device.stop();
  await page.waitForFunction(() => window.motebook.conn !== "open", null, { timeout: 10000 });
  await device.restart();
  await page.waitForFunction((n) => window.motebook.connects > n, before.connects,
    { timeout: 15000 });
  const frames = (await nb.state()).frames;
  await page.waitForFunction((f) => window.motebook.frames >= f + 3, frames, { timeout: 15000 });
  const s = await nb.stats();
  assert.equal(s.bad, 0);
  assert.equal((await nb.state()).conn, "open");
  // while the device was down the browser logs failed requests and WebSocket attempts; nothing else
  assert.deepEqual(withoutDeviceAway(errors), [], "no other console errors");
  assert.deepEqual(browser.offsite, []);
  await page.close();
});

test("a device that goes away is said in the header, and the page recovers when it is back", async () => {
  const { page, nb, errors } = await openPage();
  await nb.waitWindows(3);
  assert.equal(await page.isVisible("#dev-problem"), false);

  await device.stop();
  // the status poll (every 5 s) finds no device; the live stream's pill says it is redialling
  await page.waitForSelector("#dev-problem", { state: "visible", timeout: 15000 });
  assert.match(await page.textContent("#dev-problem"), /device unreachable/);
  assert.match(await page.textContent("#dev-info .pill.closed"), /disconnected, retrying/);
  await shoot(page, "device-away");

  await device.start();
  await page.waitForSelector("#dev-problem", { state: "detached", timeout: 15000 });
  await nb.waitConnected(15000);
  const frames = (await nb.state()).frames;
  await page.waitForFunction((f) => window.motebook.frames >= f + 3, frames, { timeout: 15000 });
  assert.deepEqual(withoutDeviceAway(errors), [], "nothing uncaught, no other console errors");
  await page.close();
});

test("without ?debug the page has no test hooks and never fetches them", async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  const urls = [];
  page.on("request", (r) => urls.push(new URL(r.url()).pathname));
  await page.goto(device.url);
  await page.waitForFunction(() => window.motebook && window.motebook.boot === "ready"
    && window.motebook.frames > 2, null, { timeout: 20000 });
  assert.deepEqual(await page.evaluate(() => ["act", "state", "stats", "stallMs", "debugReady"]
    .filter((k) => window.motebook[k] != null)), []);
  assert.deepEqual(urls.filter((u) => /debug/.test(u)), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a module that cannot be loaded is said in its step, and loads when asked again", async () => {
  const { page, nb, errors } = await openPage();
  await nb.waitWindows(1);
  const blocked = "**/shared/pca.*.py";             // one module of the Explore step's group
  await page.route(blocked, (r) => r.abort());
  await nb.step("explore");
  await page.waitForSelector("#explore-body .err", { timeout: 15000 });
  assert.match(await page.textContent("#explore-body .err"), /could not load .*pca/);
  await page.unroute(blocked);
  await page.click("#explore-body button[data-act='explore.open']");
  await page.waitForSelector("#explore-body form[data-form=explore]", { timeout: 20000 });
  // the aborted request is the one line Chromium logs; nothing uncaught
  assert.deepEqual(errors.filter((e) => !/Failed to load resource: net::ERR_FAILED/.test(e)), []);
  await page.close();
});

test("a wrong token is refused: the page asks for it again and keeps streaming", async () => {
  const { page, nb, errors } = await openPage({ token: "not-the-token" });
  await nb.waitWindows(2);
  // the page checks the token at once (not at the first write): the header says so, the
  // form comes back with the device's reason, the writes are off with it
  await page.waitForSelector("#token-bar", { state: "visible", timeout: 15000 });
  assert.equal(await page.textContent("#auth-state"), "wrong token");
  assert.match(await page.textContent("#token-why"), /refused the token \(401: /);
  assert.equal(await page.isDisabled("#rec-start"), true);
  await shoot(page, "token-refused");
  const frames = (await nb.state()).frames;
  await page.waitForFunction((f) => window.motebook.frames >= f + 2, frames, { timeout: 10000 });
  // the stored token is the right one again after the form
  await page.fill("#token-bar input[name=token]", device.token);
  await page.click("#token-bar button[type=submit]");
  await nb.waitState("s.device.auth === 'ok'");
  assert.equal(await page.isDisabled("#rec-start"), false);
  assert.equal(await nb.setActivity("idle"), 200);
  const other = errors.filter((e) => !/status of 401/.test(e));
  assert.deepEqual(other, [], "no other console errors");
  await page.close();
});

test("drops a silent WebSocket (device hung) and redials when the device is back", async () => {
  const { page, nb, errors } = await openPage({ token: null });
  await nb.waitWindows(2);
  const connects = (await nb.state()).connects;
  device.signalDevice("SIGSTOP");
  try {
    // no frame and no pong for 12 s: the page gives the socket up by itself
    await page.waitForFunction(() => window.motebook.conn !== "open", null, { timeout: 25000 });
  } finally {
    device.signalDevice("SIGCONT");
  }
  await page.waitForFunction((n) => window.motebook.connects > n && window.motebook.conn === "open",
    connects, { timeout: 15000 });
  const frames = (await nb.state()).frames;
  await page.waitForFunction((f) => window.motebook.frames >= f + 2, frames, { timeout: 10000 });
  assert.deepEqual(errors.filter((e) => !/WebSocket connection to .* failed/.test(e)), []);
  await page.close();
});
