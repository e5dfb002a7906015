#!/usr/bin/env node
// Boot benchmark of the page (not a test). Prints, on localhost and throttled through
// Chromium's network emulation (2 Mbit/s, 20 ms latency): the live view's first-load bytes
// (as transferred: gzip + headers, until the live plot, uPlot, has drawn its first frame:
// window.motebook.firstPlotAt, set by app/view_live.py), the bytes loaded lazily after it
// (plotly, the training modules), bytes on a cached reload, the time from navigation until
// that first drawn frame, and, in the same page, the Notebook: bytes it loads and the time
// from opening it until its first code cell's output (median of 5 cold loads, each in a fresh
// browser profile). Goals: <= 350 KB first load, <= 20 KB cached reload, live plot <= 2.0 s
// throttled and <= 1.0 s on localhost.
// Usage: node scripts/bench_boot.mjs [--url http://127.0.0.1:8080/] [--runs 5] [--list]
//   without --url it starts its own simulator (scripts/sim.py) on a free port.
import { launch } from "../e2e/lib/browser.mjs";
import { Device } from "../e2e/lib/device.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const RUNS = Number(opt("--runs", 5));
const LIST = argv.includes("--list");
const PROFILES = {
  localhost: null,
  "2 Mbit/s, 20 ms": { offline: false, latency: 20,
    downloadThroughput: 2e6 / 8, uploadThroughput: 2e6 / 8 },
};

async function load(browser, network, reload) {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (network) await cdp.send("Network.emulateNetworkConditions", network);
  const urls = new Map();
  let bytes = 0;
  const reqs = new Map();
  cdp.on("Network.responseReceived", (e) => reqs.set(e.requestId, `${e.response.status} ${e.response.url}`));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    urls.set(reqs.get(e.requestId) || e.requestId, e.encodedDataLength);
  });
  const run = async (navigate) => {
    bytes = 0; urls.clear();
    await navigate();
    await page.waitForFunction(() => window.motebook && window.motebook.firstPlotAt !== null,
      null, { timeout: 60000, polling: 20 });
    const first = bytes;
    const [t, tf] = await page.evaluate(() => [window.motebook.firstPlotAt, window.motebook.firstFrameAt]);
    await page.waitForLoadState("networkidle");
    return { ms: t, frameMs: tf, bytes: first, lazy: bytes - first, urls: new Map(urls) };
  };
  const cold = await run(() => page.goto(url + "?debug=1", { waitUntil: "commit" }));
  // the Notebook, opened in the same page: its bytes and the time to the first cell's output
  bytes = 0;
  const t0 = await page.evaluate(() => { location.hash = "notebook"; return performance.now(); });
  await page.waitForFunction(() => { const n = window.motebook.state().notebook;
    return n && n.kernel === "ready" && n.cells.some((c) => c.type === "code"); }, null, { timeout: 60000, polling: 20 });
  const id = await page.evaluate(() => window.motebook.state().notebook.cells.find((c) => c.type === "code").id);
  await page.click(`button[data-act="notebook.run"][data-id="${id}"]`);
  await page.waitForFunction((i) => (window.motebook.state().notebook.cells.find((c) => c.id === i).outputs || []).length > 0,
    id, { timeout: 60000, polling: 20 });
  const nbMs = await page.evaluate((t) => performance.now() - t, t0);
  await page.waitForLoadState("networkidle");
  cold.notebook = { ms: nbMs, bytes };
  let warm = null;
  if (reload) warm = await run(() => page.reload({ waitUntil: "commit" }));
  await page.close();
  return { cold, warm };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
let device = null;
let url = opt("--url", null);
if (!url) { device = await new Device().start(); url = device.url; }
try {
  console.log(`bench_boot: ${url}, ${RUNS} cold loads per profile (fresh profile each)`);
  for (const [name, network] of Object.entries(PROFILES)) {
    const times = [], sizes = [], reloads = [], reloadTimes = [], frameTimes = [], lazy = [],
      nbTimes = [], nbBytes = [];
    for (let i = 0; i < RUNS; i++) {
      const browser = await launch({ route: false });   // routing would disable the cache
      try {
        const { cold, warm } = await load(browser, network, true);
        times.push(cold.ms); sizes.push(cold.bytes); reloads.push(warm.bytes + warm.lazy);
        reloadTimes.push(warm.ms); frameTimes.push(cold.frameMs); lazy.push(cold.lazy);
        nbTimes.push(cold.notebook.ms); nbBytes.push(cold.notebook.bytes);
        if (LIST && i === 0) {
          for (const [u, b] of cold.urls) console.log(`  ${String(b).padStart(8)}  ${u}`);
          console.log("  cached reload:");
          for (const [u, b] of warm.urls) console.log(`  ${String(b).padStart(8)}  ${u}`);
        }
        if (browser.offsite.length) console.log(`  WARNING: off-site requests ${browser.offsite}`);
      } finally { await browser.close(); }
    }
    console.log(`${name.padEnd(16)} first load ${(median(sizes) / 1000).toFixed(1)} KB, ` +
      `cached reload ${(median(reloads) / 1000).toFixed(1)} KB, ` +
      `live plot after ${(median(times) / 1000).toFixed(2)} s median ` +
      `[${times.map((t) => (t / 1000).toFixed(2)).join(" ")}], ` +
      `(first window decoded ${(median(frameTimes) / 1000).toFixed(2)} s), ` +
      `cached reload to live plot ${(median(reloadTimes) / 1000).toFixed(2)} s`);
    console.log(`${"".padEnd(16)} loaded later: plotly and the training modules ${(median(lazy) / 1000).toFixed(1)} KB; ` +
      `Notebook ${(median(nbBytes) / 1000).toFixed(1)} KB, first cell's output ` +
      `${(median(nbTimes) / 1000).toFixed(2)} s after opening it`);
  }
  console.log("goals: first load <= 350 KB, cached reload <= 20 KB, live plot <= 2.0 s throttled, <= 1.0 s on localhost");
} finally {
  await device?.dispose();
}
