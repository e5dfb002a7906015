// End to end: Deploy -> On its own, in Chromium against the simulated device running a model:
// the page stores webhook and unsure-window settings on the device (secrets never come
// back), a local receiver gets the class changes with the token, the history timeline and
// the counts per hour are drawn, and a flagged window labelled in the page becomes a session.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launch, watchErrors } from "./lib/browser.mjs";
import { Device, ROOT } from "./lib/device.mjs";
import { Notebook } from "./lib/notebook.mjs";

let device, browser, receiver;
const got = [];

before(async () => {
  device = await new Device().start();
  await device.configure({ hop: 32 });
  // a model trained on the simulated activities: classes change with the activity, and its
  // five trees' votes split around a change, so windows get flagged
  const text = execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c",
    "from device.tests import models as M; import sys; sys.stdout.write(M.trained(n_trees=5, "
    + "window=dict(M.WINDOW, hop=32))['text'])"],
  { cwd: ROOT }).toString();
  const r = await fetch(`${device.url}api/model`, { method: "PUT", body: text,
    headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "text/csv" } });
  assert.equal(r.status, 200, await r.text());
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => { got.push({ url: req.url, auth: req.headers.authorization, msg: JSON.parse(body) }); res.end(); });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  browser = await launch();
});

after(async () => {
  device?.report();
  await browser?.close();
  await device?.dispose();
  receiver?.close();
});

test("settings, webhooks, timeline and a flagged window labelled into the dataset", async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const errors = watchErrors(page);
  const nb = new Notebook(page);
  // waitState that says, when it times out, what the page was doing
  const wait = async (fn) => {
    try {
      return await nb.waitState(fn);
    } catch (e) {
      const st = await nb.pageState();
      const msgs = Object.entries(st).filter(([, v]) => v && v.message).map(([k, v]) => `${k}: ${v.message}`);
      throw new Error(`${fn} did not come (busy ${st._busy}; ${msgs.join("; ")}; node ${JSON.stringify(st.node).slice(0, 400)}; console: ${errors.join(" | ")})`);
    }
  };
  await nb.open(device.url, { token: device.token });
  await nb.waitBooted();
  await nb.step("deploy");
  await page.click("#node-open");
  await wait("s.node && s.node.settings && s.node.timeline");

  await page.click("#node-settings summary");
  await page.check('input[name="webhooks.enabled"]');
  // settings longer than one JSON body the device reads (2048 bytes): four webhooks with
  // tokens whose backslashes double in JSON, and an MQTT password of the same kind
  const long = () => "x\\".repeat(64);
  const others = [1, 2, 3].map((i) => `http://127.0.0.1:${receiver.address().port}/${"p".repeat(80)}/${i} ${long()}`);
  await page.fill('textarea[name="webhooks.urls"]',
    [`http://127.0.0.1:${receiver.address().port}/hook hook-secret-1`, ...others].join("\n"));
  await page.fill('input[name="mqtt.password"]', long());
  await page.fill('input[name="flagged.threshold"]', "0.99");
  await page.fill('input[name="flagged.min_interval_s"]', "0");
  await page.click("#node-save");
  let s = await wait("s.node.notice === 'settings stored' || s.node.message");
  assert.equal(s.node.message, "");
  assert.deepEqual(s.node.settings.webhooks.urls.map((u) => u.token_set), [true, true, true, true]);
  assert.equal(s.node.settings.mqtt.password_set, true);
  const shown = await device.api("GET", "/api/integrations");
  assert.ok(!shown.text.includes("hook-secret-1"), "a token is never returned");
  assert.ok(!JSON.stringify(s).includes("hook-secret-1"));

  for (const a of ["walking", "shaking", "idle"]) {
    await device.api("PUT", "/api/sim", { activity: a });
    await new Promise((r) => setTimeout(r, 700));
  }
  await page.waitForFunction(() => true);
  const t0 = Date.now();
  const hook = () => got.filter((g) => g.url === "/hook");
  while (hook().length < 2 && Date.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 100));
  if (hook().length < 2) {
    const st = (await device.api("GET", "/api/status")).json;
    assert.fail(`webhook deliveries: ${got.length}; device: ${JSON.stringify(st.node)}`);
  }
  assert.equal(hook()[0].auth, "Bearer hook-secret-1");
  assert.equal(hook()[0].msg.event, "class");
  assert.ok(got.some((g) => g.url.endsWith("/3") && g.auth === "Bearer " + long()),
    "the fourth webhook, with its long token, delivered too");

  await page.click('#node-spans button[data-span="600"]');
  s = await wait("s.node.span === 600 && s.node.timeline.rows.length > 0");
  const traces = await page.evaluate(() => document.getElementById("node-timeline").data.length);
  assert.ok(traces >= 2, "class bands and the RMS line");
  assert.ok(s.node.hours.rows.length >= 1, "counts per hour");

  await page.click('#node-spans button[data-act="node.refresh"]');
  s = await wait("s.node.flagged.length > 0");
  const fid = s.node.flagged[s.node.flagged.length - 1].id;
  await page.selectOption(`#flag-${fid}`, { index: 1 });
  await page.click(`button[data-act="node.label"][data-fid="${fid}"]`);
  s = await wait("s.node.notice.includes('is session')");
  const sessions = (await device.api("GET", "/api/sessions")).json.sessions;
  assert.ok(sessions.some((m) => m.name === `flagged ${fid}` && m.flagged.id === fid));
  assert.ok(!s.node.flagged.some((m) => m.id === fid), "it left the flagged list");
  mkdirSync(join(ROOT, "e2e", "results"), { recursive: true });
  for (const width of [1280, 800]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(ROOT, "e2e", "results", `node-${width}.png`), fullPage: true });
  }
  assert.deepEqual(errors, [], "no console errors");
});
