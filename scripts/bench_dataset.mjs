// Benchmark (not a test): time to download and show a 10-minute session in the page.
//
// The session: 10 minutes of 3-axis int16 at the default 100 Hz, hop 64 (938 records, 383 KB
// on flash). Recording it live would take 10 minutes, so it is written into the simulator's
// data folder from device/SESSIONS.md (frames of shared/protocol + CRC-32 in 32 KB chunk
// files, meta.json, labels.json with a few segments) before the device starts; the real
// device code then checks it at boot (Store.recover: chunk sizes, CRCs) and serves it.
// The samples are synthetic walking/idle-like signals (sine + noise), not the simulator's.
//
// Measured in Chromium, median of 3, each in a fresh browser profile:
//   cold:  open the session in a fresh page (download + decode in Python + timeline drawn)
//   warm:  the same after a reload (windows from IndexedDB, labels from the device)
// on localhost and throttled to 2 Mbit/s / 20 ms (Chromium network emulation).
//   usage: node scripts/bench_dataset.mjs [--minutes 10] [--runs 3]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { argv } from "node:process";
import { launch } from "../e2e/lib/browser.mjs";
import { Device } from "../e2e/lib/device.mjs";
import { Notebook } from "../e2e/lib/notebook.mjs";

const arg = (name, d) => { const i = argv.indexOf(name); return i > 0 ? Number(argv[i + 1]) : d; };
const MINUTES = arg("--minutes", 10), RUNS = arg("--runs", 3);
const RATE = 100, HOP = 64, NCH = 3, SCALE = 1 / 4096, SID = 1;
const PROFILES = {
  localhost: null,
  "2 Mbit/s, 20 ms": { offline: false, latency: 20, downloadThroughput: 2e6 / 8, uploadThroughput: 2e6 / 8 },
};

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Writes session SID (records of HOP samples) into dataDir/sessions per device/SESSIONS.md. */
function writeSession(dataDir) {
  const n = Math.ceil(MINUTES * 60 * RATE / HOP);
  const fs = 20 + NCH * HOP * 2, rs = fs + 4, per = Math.max(1, Math.floor(32768 / rs));
  const dir = join(dataDir, "sessions", String(SID));
  mkdirSync(dir, { recursive: true });
  let seed = 1;
  const noise = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff - 0.5; };
  const chunks = [];
  for (let i = 0; i < n; i++) {
    const fr = Buffer.alloc(rs);
    fr.writeUInt8(0x57, 0); fr.writeUInt8(1, 1); fr.writeUInt32LE(1000 + i, 2);
    fr.writeUInt32LE((i * HOP * 1000 / RATE) >>> 0, 6); fr.writeUInt8(NCH, 10); fr.writeUInt8(0, 11);
    fr.writeUInt16LE(HOP, 12); fr.writeUInt16LE(RATE, 14); fr.writeFloatLE(SCALE, 16);
    const walking = Math.floor(i * HOP / RATE / 30) % 2 === 1;      // 30 s idle, 30 s walking...
    for (let c = 0; c < NCH; c++)
      for (let k = 0; k < HOP; k++) {
        const t = (i * HOP + k) / RATE;
        const g = c === 2 ? 1 : 0;
        const v = g + (walking ? 0.6 * Math.sin(2 * Math.PI * 1.8 * t + c) : 0) + 0.02 * noise();
        fr.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v / SCALE))), 20 + 2 * (c * HOP + k));
      }
    fr.writeUInt32LE(crc32(fr.subarray(0, fs)), fs);
    const ci = Math.floor(i / per);
    (chunks[ci] ||= []).push(fr);
  }
  chunks.forEach((c, i) => writeFileSync(join(dir, `${String(i).padStart(4, "0")}.rec`), Buffer.concat(c)));
  const samples = n * HOP, segs = [];
  for (let s = 0; s + 30 * RATE <= samples; s += 60 * RATE)
    segs.push({ start: s + 2 * RATE, end: s + 28 * RATE, label: "idle" });
  const counts = { idle: segs.reduce((t, x) => t + x.end - x.start, 0) };
  writeFileSync(join(dir, "meta.json"), JSON.stringify({
    id: SID, started: Date.now() / 1000, clock: "client", rate: RATE, channels: ["x", "y", "z"],
    window: 2 * HOP, hop: HOP, scale: SCALE, sensor: "sim", record_size: rs, frame_size: fs,
    label: null, recording: false, error: null, windows: n, bytes: n * rs,
    duration_s: n * HOP / RATE, first_seq: 1000, gaps: 0,
    labels: { version: 2, classes: ["idle"], segments: segs.length, counts } }));
  writeFileSync(join(dir, "labels.json"), JSON.stringify({ version: 2, classes: ["idle"], segments: segs }));
  writeFileSync(join(dataDir, "sessions", "next_id"), String(SID + 1));
  return { records: n, bytes: n * rs, samples };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

async function once(device, network) {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Network.enable");
    if (network) await cdp.send("Network.emulateNetworkConditions", network);
    const nb = new Notebook(page);
    const open = async () => {
      await nb.waitBooted(60000);
      await nb.dsWait("s.sessions.length >= 1", 60000);
      const t0 = Date.now();
      const r = await nb.dsCall("open", { sid: SID });
      if (r.error) throw new Error(r.error);
      await page.waitForFunction(() => window.motebook.dataset.timelineDraws > 0, null, { timeout: 60000 });
      return { ms: Date.now() - t0, ...r.result };
    };
    await nb.open(device.url, { token: device.token });
    const cold = await open();
    await page.reload();
    const warm = await open();
    return { cold, warm };
  } finally { await browser.close(); }
}

const device = new Device();
const made = writeSession(device.dataDir);
await device.start();
try {
  console.log(`session: ${MINUTES} min, ${made.samples} samples x ${NCH} channels at ${RATE} Hz, ` +
    `${made.records} records, ${(made.bytes / 1024).toFixed(0)} KB on flash`);
  for (const [name, net] of Object.entries(PROFILES)) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await once(device, net));
    const f = (k, sel) => median(runs.map((r) => sel(r[k])));
    for (const k of ["cold", "warm"]) {
      console.log(`${name.padEnd(16)} ${k}: shown in ${(f(k, (x) => x.ms) / 1000).toFixed(2)} s ` +
        `(download ${f(k, (x) => x.download.ms)} ms, ${(f(k, (x) => x.download.fetched) / 1024).toFixed(0)} KB fetched, ` +
        `${(f(k, (x) => x.download.cached) / 1024).toFixed(0)} KB from IndexedDB; load+decode ${f(k, (x) => x.load_ms)} ms ` +
        `incl. download; timeline ${f(k, (x) => x.timeline_ms)} ms for ${f(k, (x) => x.points)} points/channel) median of ${RUNS}`);
    }
  }
} finally { await device.dispose(); }
