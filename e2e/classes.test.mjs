// End to end: recording and classes. A class just added is the class recorded; Record with no
// class chosen asks (and records nothing); while recording the page shows elapsed time,
// samples and storage left, and Stop says what was saved. A class renamed, merged and
// deleted across every session, each undone (checked on the device through its API); delete
// asks with what is lost; a failed Train clears the old result and Send says why it is off.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let device;
const openPage = fixture({ set: (d) => { device = d; } });

const labelsOf = async (sid) => (await device.api("GET", `/api/sessions/${sid}/labels`)).json;
const namesOf = (lab) => lab.segments.map((g) => `${g.start}:${g.end}:${g.label}`).join(" ");
const text = (page, sel) => page.evaluate((s) => document.querySelector(s)?.textContent || "", sel);

/** Records a session on the device directly (labelled at record time), ms of machine time
 * long, at 4 x real time (PUT /api/sim {"speed"}: the same samples). */
async function deviceRecord(label, ms) {
  assert.equal((await device.api("PUT", "/api/sim", { speed: 4 })).status, 200);
  await device.api("PUT", "/api/sim", { activity: label === "idle" ? "idle" : "walking" });
  const r = await device.api("POST", "/api/sessions", { label });
  assert.equal(r.status, 201, r.text);
  await device.run(ms / 1000);
  const s = await device.api("POST", `/api/sessions/${r.json.id}/stop`);
  assert.equal(s.status, 200, s.text);
  assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  return r.json.id;
}

test("a new class is recorded as that class; no class asks; feedback while recording; Stop says what was saved", async () => {
  const { page, nb, errors } = await openPage();
  await device.api("PUT", "/api/sim", { activity: "walking" });
  await page.fill("#new-class", "walking");
  await page.click("#add-class");
  await page.waitForFunction(() => document.getElementById("rec-class").value === "walking",
    null, { timeout: 15000 });
  await page.click("#rec-start");
  const s = await nb.dsWait("s.recording != null");
  const sid = s.recording;
  assert.equal((await device.api("GET", `/api/sessions/${sid}`)).json.label, "walking",
    "the class just added is the class recorded");
  // feedback while recording: elapsed time and samples grow, storage left is said
  await page.waitForFunction(() => {
    const e = parseFloat(document.getElementById("rec-elapsed")?.textContent || "0");
    const n = parseInt(document.getElementById("rec-samples")?.textContent || "0", 10);
    return e >= 2 && n > 0;
  }, null, { timeout: 20000, polling: 100 });
  const during = await text(page, "#rec-state");
  assert.match(during, new RegExp(`recording session #${sid} as walking · \\d+\\.\\d s · \\d+ samples stored · \\d+ KB of \\d+ KB left`));
  await shoot(page, "classes-recording");
  await page.click("#rec-stop");
  await nb.dsWait("s.recording == null && s.saved");
  const meta = (await device.api("GET", `/api/sessions/${sid}`)).json;
  const saved = await text(page, "#rec-saved");
  assert.match(saved, new RegExp(`^saved session #${sid}: \\d+\\.\\d s, ${meta.samples} samples, walking$`));
  await shoot(page, "classes-saved");

  // Record with no class chosen asks, and nothing is recorded
  const before = (await device.api("GET", "/api/sessions")).json.sessions.length;
  await page.selectOption("#rec-class", "");
  await nb.dsWait("s.rec_class === ''");
  await page.click("#rec-start");
  await page.waitForSelector("#rec-ask", { state: "visible", timeout: 15000 });
  assert.match(await text(page, "#rec-ask"), /Record as which class\?/);
  await nb.dsWait("s.ask");
  assert.equal((await device.api("GET", "/api/status")).json.recording ?? null, null);
  assert.equal((await device.api("GET", "/api/sessions")).json.sessions.length, before);
  assert.ok(await page.isVisible("#rec-unlabelled"), "recording without a class is a choice");
  await shoot(page, "classes-ask");
  // choosing a class answers the question
  await page.selectOption("#rec-class", "walking");
  await page.waitForSelector("#rec-ask", { state: "detached", timeout: 15000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("rename, merge and delete a class in every session, each undone; delete asks what is lost", async () => {
  const w1 = await deviceRecord("walking", 1500), w2 = await deviceRecord("walking", 1500);
  const i1 = await deviceRecord("idle", 1500);
  const all = (await device.api("GET", "/api/sessions")).json.sessions.map((m) => m.id);
  const orig = {};
  for (const sid of all) orig[sid] = namesOf(await labelsOf(sid));
  const walking = all.filter((sid) => /walking/.test(orig[sid]));   // (the first test's too)
  assert.ok(walking.includes(w1) && walking.includes(w2) && !walking.includes(i1));
  assert.match(orig[w1], /walking/);
  const { page, nb, errors } = await openPage();
  await nb.step("label");
  await nb.dsWait(`s.sessions.length >= 3 && s.classes.some((c) => c.name === "idle")`);
  await page.waitForSelector("#class-edit-go", { timeout: 15000 });

  // each change waits (with a deadline) for what the page then offers to undo: the change
  // with its sessions and samples (the notice itself goes with the next refresh)
  const edit = async (name, op, to, expect) => {
    await page.selectOption("#class-edit-name", name);
    await page.selectOption("#class-edit-op", op);
    await page.fill("#class-edit-to", to);
    await page.click("#class-edit-go");
    const s = await nb.dsWait(`s.message || new RegExp(${JSON.stringify(expect.source)}).test(s.class_undo || "")`, 30000);
    assert.equal(s.message, "");
    assert.match(await text(page, "#class-undo"), new RegExp("undo: " + expect.source.slice(1)));
    return s;
  };
  const undo = async () => {
    await page.click("#class-undo");
    const s = await nb.dsWait("s.message || s.class_undo == null", 30000);
    assert.equal(s.message, "");
    for (const sid of all)
      assert.equal(namesOf(await labelsOf(sid)), orig[sid], `session ${sid} came back`);
    await page.waitForSelector("#class-undo[disabled]");
    return s;
  };

  // rename: walking -> strolling in both walking sessions, idle untouched
  let s = await edit("walking", "rename", "strolling",
    new RegExp(`^renamed walking to strolling: ${walking.length} sessions, \\d+ samples$`));
  for (const sid of walking) {
    const lab = await labelsOf(sid);
    assert.equal(namesOf(lab), orig[sid].replace(/walking/g, "strolling"));
    assert.ok(!lab.classes.includes("walking") && lab.classes.includes("strolling"), JSON.stringify(lab.classes));
  }
  assert.equal(namesOf(await labelsOf(i1)), orig[i1]);
  assert.deepEqual(s.classes.map((c) => c.name).filter((c) => c === "walking"), []);
  assert.match(await text(page, `#session-list tr[data-sid="${w1}"]`), /strolling/);
  await shoot(page, "classes-renamed");
  s = await undo();
  assert.ok(s.classes.some((c) => c.name === "walking"));

  // merge: idle into walking (an existing class)
  s = await edit("idle", "rename", "walking", /^merged idle into walking: 1 session, \d+ samples$/);
  assert.equal(namesOf(await labelsOf(i1)), orig[i1].replace(/idle/g, "walking"));
  assert.ok(!s.classes.some((c) => c.name === "idle"), "idle is gone from the page's classes");
  await undo();

  // delete: walking's labels go from every session
  s = await edit("walking", "delete", "",
    new RegExp(`^deleted class walking: ${walking.length} sessions, \\d+ samples$`));
  for (const sid of walking) assert.equal(namesOf(await labelsOf(sid)), "");
  assert.equal(namesOf(await labelsOf(i1)), orig[i1]);
  await shoot(page, "classes-deleted");
  await undo();

  // delete of a session asks with what is lost; dismissed, nothing is deleted
  let asked = null;
  page.once("dialog", (d) => { asked = d.message(); d.dismiss(); });
  await page.click(`#session-list tr[data-sid="${w1}"] button[data-act="sessions.delete"]`);
  const deadline = Date.now() + 10000;
  while (asked === null && Date.now() < deadline) await sleep(50);
  assert.match(asked || "", new RegExp(`^Delete session #${w1} \\(walking, \\d+\\.\\d s\\)\\? Its samples and labels are lost\\.$`));
  assert.equal((await device.api("GET", `/api/sessions/${w1}`)).status, 200, "still there");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a failed Train clears the old result and its stage; Send is off with why", async () => {
  const { page, nb, errors } = await openPage();
  await nb.step("deploy");
  await page.waitForFunction(() => /Send is off: train a model first/.test(
    document.getElementById("send-why").textContent), null, { timeout: 15000 });
  assert.ok(await page.isDisabled("#train-send"));
  const ok = await nb.train({ classes: "walking, idle", window: 50, hop: 25 });
  assert.ok(ok.training && ok.training.hash, JSON.stringify(ok.training));
  assert.notEqual((await text(page, "#train-result")).trim(), "");
  // a model for 50-sample windows does not fit a device cutting 128: Send is off, saying why
  await nb.step("deploy");
  await page.waitForFunction(() => /does not fit the device/.test(
    document.getElementById("send-why").textContent), null, { timeout: 15000 });
  assert.ok(await page.isDisabled("#train-send"));
  assert.match(await text(page, "#send-why"), /^Send is off: the model does not fit the device: switch the device or train for its settings$/);
  assert.match(await page.getAttribute("#train-send", "title"), /the device cuts windows of 128 samples; the model needs 50/);
  assert.ok(await page.isVisible("#deploy-switch"), "the fix is offered");
  await shoot(page, "classes-send-off");
  const bad = await nb.train({ classes: "walking, idle", window: 4000, hop: 25 });
  assert.match(bad.training.error || "", /cannot train/);
  const st = await nb.pageState();
  assert.equal(st.train.summary, null, "the old result is gone");
  assert.equal(st.train.stage, "");
  assert.equal((await text(page, "#train-result")).trim(), "");
  assert.equal((await text(page, "#train-stage")).trim(), "");
  await shoot(page, "classes-train-failed");
  await nb.step("deploy");
  assert.ok(await page.isDisabled("#train-send"), "nothing to send");
  assert.match(await text(page, "#send-why"), /train a model first/);
  assert.deepEqual(errors, []);
  await page.close();
});
