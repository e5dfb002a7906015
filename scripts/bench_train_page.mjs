#!/usr/bin/env node
// Training benchmark in the real page (not a test): the simulated device, four activities
// recorded and labelled through the sessions panel, then the train panel's Train button in
// headless Chromium: time to train, holdout accuracy, windows, and how long the page froze
// (longest gap of a 10 ms timer while training; longest Python slice between yields).
// More windows without longer recordings: the device's hop is lowered before training, so
// app/dataset.py cuts more (overlapping) windows from the same sessions.
// Usage: node scripts/bench_train_page.mjs [--seconds 12] [--hops 16,8,4] [--trees 10]
import { launch } from "../e2e/lib/browser.mjs";
import { Device } from "../e2e/lib/device.mjs";
import { openNotebook } from "../e2e/lib/notebook.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const SECONDS = Number(opt("--seconds", 12));
const HOPS = opt("--hops", "16,8,4").split(",").map(Number);
const TREES = Number(opt("--trees", 10));
const ACTIVITIES = ["idle", "walking", "running", "shaking"];

const device = await new Device().start();
const browser = await launch();
try {
  await device.api("PUT", "/api/config", { hop: 16 });
  const { page, nb, errors } = await openNotebook(browser, device, { until: "booted" });
  await nb.waitWindows(2);
  for (const c of ACTIVITIES) {
    await page.fill("#new-class", c);
    await page.click("#add-class");
    await nb.dsWait(`s.classes.some((k) => k.name === ${JSON.stringify(c)})`);
  }
  for (const act of ACTIVITIES) {
    await nb.setActivity(act);
    await nb.recordLabelled(act, SECONDS * 1000);
  }
  const rows = [];
  for (const hop of HOPS) {
    const r = await device.api("PUT", "/api/config", { hop });
    if (r.status !== 200) throw new Error(`hop ${hop}: ${r.text}`);
    await nb.waitStats((h) => window.motebook.stats.hop === h, hop);
    const { training: t, stallMs } = await nb.train({ n_trees: TREES });
    if (t.error) throw new Error(t.error);
    rows.push({ hop, windows: t.n_windows, train_ms: t.train_ms, accuracy: t.accuracy,
      n_test: t.n_test, max_slice_ms: t.max_stall_ms, page_stall_ms: Math.round(stallMs),
      load_ms: t.load_ms, steps: t.steps, nodes: t.size.nodes, bytes: t.bytes,
      trees_us: Math.round(t.predict_us), classify_ms: t.classify_ms });
  }
  console.log(`# ${SECONDS} s per activity x ${ACTIVITIES.length}, ${TREES} trees, Chromium ` +
    "headless, page MicroPython-WASM");
  console.table(rows);
  if (errors.length) console.log("console errors:", errors);
} finally {
  await browser.close();
  await device.dispose();
}
