#!/usr/bin/env node
// Boot benchmark of the notebook page (not a test). Prints, on localhost and throttled
// through Chromium's network emulation (2 Mbit/s, 20 ms latency): first-load bytes of
// everything the page loads (as transferred: gzip + headers), bytes on a cached reload, and
// the time from navigation until the plot shows live data (median of 5 cold loads, each in a
// fresh browser profile). Goals: <= 700 KB, <= 20 KB, <= 2.5 s throttled.
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
    const [t, tf] = await page.evaluate(() => [window.motebook.firstPlotAt, window.motebook.firstFrameAt]);
    await page.waitForLoadState("networkidle");
    return { ms: t, frameMs: tf, bytes, urls: new Map(urls) };
  };
  const cold = await run(() => page.goto(url, { waitUntil: "commit" }));
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
    const times = [], sizes = [], reloads = [], reloadTimes = [], frameTimes = [];
    for (let i = 0; i < RUNS; i++) {
      const browser = await launch({ route: false });   // routing would disable the cache
      try {
        const { cold, warm } = await load(browser, network, true);
        times.push(cold.ms); sizes.push(cold.bytes); reloads.push(warm.bytes); reloadTimes.push(warm.ms);
        frameTimes.push(cold.frameMs);
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
  }
  console.log("goals: first load <= 700 KB, cached reload <= 20 KB, live plot <= 2.5 s throttled");
} finally {
  await device?.dispose();
}
