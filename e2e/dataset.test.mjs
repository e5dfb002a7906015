// End to end: record two sessions from the simulated device while switching its
// activity, label ranges with the mouse and the keyboard, undo/redo, find the labels after a
// page reload (windows from IndexedDB, not downloaded again) and after a device restart,
// export CSV and import it back sample for sample; then bad input: malformed and 200k-row
// CSV, out-of-bounds ranges, unknown class ids, two pages editing at once (409), device away.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture } from "./lib/fixture.mjs";

let device, browser;
const openPage = fixture({ set: (d, b) => { device = d; browser = b; } });

/** The device's samples of a session decoded here, independently of the page:
 * frames of hop samples, channel-major int16 after a 20-byte header. */
async function deviceSamples(sid) {
  const r = await fetch(`${device.url}api/sessions/${sid}/windows`);
  const buf = Buffer.from(await r.arrayBuffer());
  const fs = Number(r.headers.get("X-Frame-Size")), n = buf.length / fs;
  const nch = buf[10], hop = buf.readUInt16LE(12);
  const out = new Array(nch * n * hop);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < nch; c++)
      for (let k = 0; k < hop; k++)
        out[c * n * hop + i * hop + k] = buf.readInt16LE(i * fs + 20 + 2 * (c * hop + k));
  return out;
}

const labelsOf = async (sid) => (await device.api("GET", `/api/sessions/${sid}/labels`)).json;
const segs = (s) => s.cur.segments.map((x) => x.join(":")).join(" ");

test("record, label (mouse + keys), undo/redo, reload, restart, CSV round trip", async () => {
  let { page, nb, errors } = await openPage();
  // classes first, then record with one chosen (label at record time)
  for (const c of ["idle", "walking", "shaking"]) {
    await page.fill("#new-class", c);
    await page.click("#add-class");
    await nb.dsWait(`s.classes.some((k) => k.name === ${JSON.stringify(c)})`);
  }
  // recorded at 4 x real time (PUT /api/sim {"speed"}: the same samples), each stretch's
  // length counted in the device's windows (machine time)
  assert.equal((await device.api("PUT", "/api/sim", { speed: 4 })).status, 200);
  await device.api("PUT", "/api/sim", { activity: "walking" });
  await page.selectOption("#rec-class", "walking");
  await page.click("#rec-start");
  let s = await nb.dsWait("s.recording != null");
  const sidA = s.recording;
  await device.run(1.6);
  await device.api("PUT", "/api/sim", { activity: "shaking" });
  await device.run(1.6);
  await page.click("#rec-stop");
  await nb.dsWait("s.recording == null");
  // second session without a record-time class: idle, then shaking
  await device.api("PUT", "/api/sim", { activity: "idle" });
  await page.selectOption("#rec-class", "");
  await page.click("#rec-start");
  await page.click("#rec-unlabelled");                 // (no class chosen: the page asks)
  s = await nb.dsWait("s.recording != null");
  const sidB = s.recording;
  await device.run(2.5);
  await device.api("PUT", "/api/sim", { activity: "shaking" });
  await device.run(2.5);
  await page.click("#rec-stop");
  s = await nb.dsWait("s.recording == null && s.sessions.length === 2");
  assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  assert.equal(s.sessions[0].label, "walking");

  // session B: mouse drag 0.3..1.9 s -> idle (key 1); click the window at ~3.5 s, grow it
  // by one hop with shift+right, key 3 -> shaking
  s = await nb.openSession(sidB);
  const { rate, hop, window: win, n } = s.cur;
  assert.ok(n >= 5 * rate - 2 * hop, `session B has ${n} samples`);
  s = await nb.dragTimeline(0.3, 1.9);
  assert.ok(Math.abs(s.cur.sel[0] - 0.3 * rate) <= 2 && Math.abs(s.cur.sel[1] - 1.9 * rate) <= 2,
    `drag selected ${s.cur.sel}`);
  const idle = s.cur.sel;
  s = await nb.key("1");
  assert.deepEqual(s.cur.segments, [[idle[0], idle[1], 0]]);
  s = await nb.clickTimeline(3.5);
  const k0 = Math.floor(3.5 * rate / hop) * hop;
  assert.ok(Math.abs(s.cur.sel[0] - k0) <= hop && s.cur.sel[1] - s.cur.sel[0] === win, `click selected ${s.cur.sel}`);
  const w0 = s.cur.sel[0];
  s = await nb.key("Shift+ArrowRight");
  assert.deepEqual(s.cur.sel, [w0, w0 + win + hop]);
  s = await nb.key("3");
  const labelled = segs(s);
  assert.equal(labelled, `${idle[0]}:${idle[1]}:0 ${w0}:${w0 + win + hop}:2`);
  const v = s.cur.version;
  // undo twice (z, ctrl-z), redo twice (ctrl-shift-z)
  s = await nb.key("z");
  assert.equal(segs(s), `${idle[0]}:${idle[1]}:0`);
  s = await nb.key("Control+z");
  assert.deepEqual(s.cur.segments, []);
  assert.deepEqual((await labelsOf(sidB)).segments, [], "undo reached the device");
  s = await nb.key("Control+Shift+Z");
  s = await nb.key("Control+Shift+Z");
  assert.equal(segs(s), labelled);
  assert.equal(s.cur.version, v + 4, "each edit is one saved version");
  let dev = await labelsOf(sidB);
  assert.deepEqual(dev.segments.map((x) => `${x.start}:${x.end}:${x.label}`),
    [`${idle[0]}:${idle[1]}:idle`, `${w0}:${w0 + win + hop}:shaking`]);
  // session A: arrows move a clicked window; key 2 labels it walking over "walking"
  s = await nb.openSession(sidA);
  assert.equal(segs(s), `0:${s.cur.n}:1`, "record-time class covers session A");
  s = await nb.clickTimeline(0.1);
  s = await nb.key("ArrowRight");
  assert.deepEqual(s.cur.sel, [hop, hop + win]);
  s = await nb.key("0");                  // clear that window
  assert.equal(segs(s), `0:${hop}:1 ${hop + win}:${s.cur.n}:1`);
  const labelsA = segs(s);
  assert.deepEqual(errors, []);

  // reload: the labels are there and the windows come from IndexedDB (nothing downloaded)
  await page.reload();
  await nb.waitBooted();
  await nb.dsWait("s.sessions.length === 2");
  s = await nb.openSession(sidB);
  assert.equal(segs(s), labelled);
  assert.equal(s.cur.download.fetched, 0, "session B came from the IndexedDB cache");
  assert.ok(s.cur.download.cached > 0);

  // device restart: sessions and labels are still there
  await device.restart();
  await page.close();
  ({ page, nb, errors } = await openPage());
  s = await nb.dsWait("s.sessions.length === 2");
  // dated now (the page's clock reaches Python as text: a JS number was cut to 32 bits and
  // every session showed 8 January 1970), across the restart
  const started = s.sessions.find((m) => m.id === sidA).started;
  assert.ok(Math.abs(started - Date.now() / 1000) < 600, `session A started ${started}`);
  const when = await page.textContent(`#session-list tr[data-sid="${sidA}"] td:nth-child(2)`);
  assert.ok(when.includes(String(new Date().getFullYear())), `session A shown as ${when}`);
  s = await nb.openSession(sidA);
  assert.equal(segs(s), labelsA);
  s = await nb.openSession(sidB);
  assert.equal(segs(s), labelled);

  // export CSV, import it back (the import lands on the device as new sessions named after
  // the exported ones): same samples, same labels, sample for sample
  const csv = await nb.exportFile("#export-csv");
  const lines = csv.toString().trimEnd().split("\n");
  assert.equal(lines[0], "session,t,x,y,z,label");
  s = await nb.importCsv("motebook.csv", csv);
  assert.equal(s.message, "");
  assert.match(s.notice, /^imported 2 sessions \(\d+ rows at 100 Hz; channels x, y, z; classes /);
  assert.equal(s.sessions.length, 4);
  for (const sid of [sidA, sidB]) {
    const imp = s.sessions.find((m) => m.name === String(sid));
    assert.ok(imp && imp.source === "import", `session ${sid} imported`);
    const a = (await nb.dsCall("samples", { sid })).result;
    const b = (await nb.dsCall("samples", { sid: imp.id })).result;
    assert.equal(b.n, a.n); assert.equal(b.rate, a.rate); assert.equal(b.scale, a.scale);
    assert.deepEqual(b.samples, a.samples, `session ${sid}: imported samples equal`);
    assert.deepEqual(b.segments, a.segments, `session ${sid}: imported labels equal`);
    assert.deepEqual(a.samples, await deviceSamples(sid), `session ${sid}: page = device bytes`);
    assert.equal((await labelsOf(imp.id)).version, b.segments.length ? 2 : 1);
  }
  assert.equal(lines.length - 1, s.sessions.filter((m) => m.source === "device")
    .reduce((t, m) => t + m.windows * hop, 0));
  // importing the same file again: refused by name, nothing doubled
  s = await nb.importCsv("motebook.csv", csv);
  assert.match(s.message, new RegExp(`already has session\\(s\\) named ${sidA}, ${sidB}`));
  assert.equal(s.sessions.length, 4);
  // the npy zip holds every session
  const zip = await nb.exportFile("#export-zip");
  assert.equal(zip.readUInt32LE(0), 0x04034b50);
  assert.ok(zip.includes("manifest.json") && zip.includes(`${sidA}.npy`));
  // training windows through the Dataset API (labelled only when one segment covers them)
  const w = (await nb.dsCall("windows", { sids: [sidB], classes: ["idle", "shaking"], window: win, hop })).result;
  const covered = (a, b) => { let m = 0; for (let k = 0; k + win <= n; k += hop) if (k >= a && k + win <= b) m++; return m; };
  assert.deepEqual(w.per_class, [covered(idle[0], idle[1]), covered(w0, w0 + win + hop)]);
  assert.deepEqual(errors, []);
  assert.deepEqual(browser.offsite, []);
  await page.close();
});

test("bad input: CSV errors, 200k rows, out of bounds, unknown class, two pages, device away", async () => {
  const A = await openPage();
  const { nb } = A;
  let s = await nb.dsWait("s.sessions.length >= 2");
  const count = s.sessions.length;
  const sid = s.sessions.find((m) => m.source === "device").id;

  // malformed CSV: line-numbered errors, nothing imported
  const bad = "session,t,x,y,z,label\nq,0,1,2,3,\nq,0.01,1,two,3,\nq,0.02,1,2\n";
  s = await nb.importCsv("bad.csv", Buffer.from(bad));
  assert.match(s.message, /line 3: y: 'two' is not a number/);
  assert.match(s.message, /line 4: expected 6 fields/);
  assert.equal(s.sessions.length, count);
  // 200k data rows + 1: refused before parsing, with the limit
  const big = "session,t,x,y,z,label\n" + "q,0,1,2,3,\n".repeat(200001);
  const t0 = Date.now();
  s = await nb.importCsv("big.csv", Buffer.from(big));
  assert.match(s.message, /200001 rows; at most 200000 rows/);
  assert.ok(Date.now() - t0 < 10000, `refused in ${Date.now() - t0} ms`);
  assert.equal(s.sessions.length, count);

  // out of bounds and unknown class ids: refused in the page and by the device
  s = await nb.openSession(sid);
  const before = await labelsOf(sid);
  let r = await nb.dsCall("set_segments", { segments: [[0, s.cur.n + 10, 0]] });
  assert.match(r.error, /out of bounds: the session has \d+ samples/);
  r = await nb.dsCall("set_segments", { segments: [[0, 10, 17]] });
  assert.match(r.error, /unknown class id 17/);
  await nb.clickTimeline(0.2);
  s = await nb.key("9");
  assert.match(s.message, /unknown class id 9: classes are 1\.\.3/);
  const put = await device.api("PUT", `/api/sessions/${sid}/labels`,
    { version: before.version, classes: ["idle"], segments: [{ start: 0, end: 1e7, label: "idle" }] });
  assert.equal(put.status, 400); assert.match(put.json.error, /out of bounds/);
  const put2 = await device.api("PUT", `/api/sessions/${sid}/labels`,
    { version: before.version, segments: [{ start: 0, end: 5, label: "nope" }] });
  assert.equal(put2.status, 400); assert.match(put2.json.error, /unknown class/);
  assert.deepEqual(await labelsOf(sid), before, "nothing changed");

  // two pages edit the same session, and B has not heard of A's edit (the device's change
  // message to it held back, as a full queue or a slow link would): B is told (409), reloads,
  // nothing is lost
  let holdChanges = false;
  const B = await openPage((page) => page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((m) => {
      if (!(holdChanges && typeof m === "string" && m.includes('"changed"'))) ws.send(m);
    });
    ws.onMessage((m) => server.send(m));
  }));
  await B.nb.openSession(sid);
  holdChanges = true;
  await nb.clickTimeline(0.1);
  s = await nb.key("1");                       // A: first window -> idle
  const afterA = (await labelsOf(sid));
  await B.nb.clickTimeline(1.5);
  let sb = await B.nb.key("3");                // B: based on the old version -> 409
  holdChanges = false;
  assert.match(sb.message, /changed elsewhere/);
  assert.deepEqual(sb.cur.segments, s.cur.segments, "B now shows A's labels");
  assert.deepEqual(await labelsOf(sid), afterA, "A's edit kept");
  sb = await B.nb.key("3");                    // B again, now on the current version
  assert.equal(sb.message, "");
  const both = await labelsOf(sid);
  assert.equal(both.version, afterA.version + 1);
  assert.ok(both.segments.some((x) => x.label === "idle") && both.segments.some((x) => x.label === "shaking"),
    JSON.stringify(both.segments));

  // device away: the edit is refused with a message, labels unchanged in the page
  await device.stop();
  const segsBefore = (await nb.dsCall("reload")).state.cur.segments;
  await nb.clickTimeline(2.5);
  s = await nb.key("2");
  assert.match(s.message, /cannot be reached: this edit was not saved/);
  assert.deepEqual(s.cur.segments, segsBefore);
  await device.start();
  s = (await nb.dsCall("refresh")).state;
  assert.equal(s.online, true);
  s = await nb.key("2");
  assert.equal(s.message, "");
  assert.equal((await labelsOf(sid)).version, both.version + 1);
  // deleting: imported and recorded sessions go from the device
  const imported = s.sessions.find((m) => m.source === "import").id;
  s = (await nb.dsCall("delete", { sid: imported })).state;
  assert.ok(!s.sessions.some((m) => m.id === imported));
  assert.equal((await device.api("GET", `/api/sessions/${imported}`)).status, 404);
  const other = s.sessions.find((m) => m.source === "device" && m.id !== sid).id;
  s = (await nb.dsCall("delete", { sid: other })).state;
  assert.ok(!s.sessions.some((m) => m.id === other));
  assert.equal((await device.api("GET", `/api/sessions/${other}`)).status, 404);
  const keys = JSON.parse(await A.page.evaluate(() => window.motebook.ds.keys()));
  assert.ok(!keys.includes(`win:${other}`) && keys.includes(`win:${sid}`), keys.join(" "));
  assert.deepEqual(A.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket/.test(e)), []);
  assert.deepEqual(browser.offsite, []);
});
