// The Explore step in Chromium against the simulated device: two sessions of four activities
// recorded WITHOUT labels; k-means with k = 4 separates the activities (adjusted Rand index
// >= 0.8 against the activities the test switched); each cluster is labelled in one action
// (label segments on the device); training evaluated by session reaches >= 90 %; a lasso in the
// scatter lights its windows on the Label timeline and a timeline selection rings its points
// (both asserted through the page state); few-shot proposals on a third, unlabelled session
// accepted in bulk become label segments on the device.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixture } from "./lib/fixture.mjs";
import { shoot } from "./lib/layout.mjs";

const ACTS = ["idle", "walking", "running", "shaking"];
const STEP_S = 4;               // seconds (machine time) of each activity in a session
const RATE = 100, WINDOW = 128, HOP = 16;
const SPEED = 4;                // recorded 4 x faster than real time (PUT /api/sim {"speed"}):
                                // the same samples and windows
const SLACK = 50 + HOP;         // samples the device may have taken beyond its last cut window
let device, browser;
const truth = {};               // session id -> [[first sample, end sample, activity]] (session samples)

const seq = async () => (await device.api("GET", "/api/status")).json.seq;

/** Records a session of acts, STEP_S each, and keeps where each activity surely holds, in the
 * session's samples, by the device's own window count (no clock): sample 0 is the first
 * sample of the session's first window (first_seq), window q starts at (q - first_seq) x HOP.
 * A switch made between two status reads (next window seq b, then a) lies after the end of
 * window b - 1 and before the end of window a plus SLACK. */
async function record(acts) {
  assert.equal((await device.api("PUT", "/api/sim", { speed: SPEED })).status, 200);
  await device.api("PUT", "/api/sim", { activity: acts[0] });
  await device.run(1.5);                               // the new activity fills the ring
  const r = await device.api("POST", "/api/sessions", {});
  const switches = [];
  for (let i = 0; i < acts.length; i++) {
    if (i) {
      const b = await seq();
      await device.api("PUT", "/api/sim", { activity: acts[i] });
      switches.push([b, await seq()]);
    }
    await device.run(STEP_S);
  }
  await device.api("POST", `/api/sessions/${r.json.id}/stop`);
  assert.equal((await device.api("PUT", "/api/sim", { speed: 1 })).status, 200);
  const f = (await device.api("GET", `/api/sessions/${r.json.id}`)).json.first_seq;
  const end = (q) => (q - f) * HOP + WINDOW;           // one past window q's last sample
  truth[r.json.id] = acts.map((act, i) => [i ? end(switches[i - 1][1]) + SLACK : -Infinity,
    i < switches.length ? end(switches[i][0] - 1) : Infinity, act]);
  return r.json.id;
}

/** The activity of a window (start sample), or null if it may hold samples of two. */
function activityOf(sid, start) {
  for (const [a, b, act] of truth[sid]) if (start >= a && start + WINDOW <= b) return act;
  return null;
}

/** scikit-learn's adjusted_rand_score. */
function ari(x, y) {
  const c2 = (n) => n * (n - 1) / 2, t = new Map(), rx = new Map(), ry = new Map();
  for (let i = 0; i < x.length; i++) {
    const k = `${x[i]}|${y[i]}`;
    t.set(k, (t.get(k) || 0) + 1); rx.set(x[i], (rx.get(x[i]) || 0) + 1); ry.set(y[i], (ry.get(y[i]) || 0) + 1);
  }
  const sij = [...t.values()].reduce((s, n) => s + c2(n), 0);
  const sa = [...rx.values()].reduce((s, n) => s + c2(n), 0), sb = [...ry.values()].reduce((s, n) => s + c2(n), 0);
  const exp = sa * sb / c2(x.length), max = (sa + sb) / 2;
  return (sij - exp) / (max - exp);
}

const openPage = fixture({
  setup: (d) => d.configure({ hop: HOP }),
  set: (d, b) => { device = d; browser = b; },
  until: "booted",             // (the test waits for the sessions it needs itself)
});

test("explore: clusters find the activities, label them in one action, train; linked views; few-shot", async () => {
  const s1 = await record(ACTS), s2 = await record([...ACTS].reverse());
  const { page, nb, errors } = await openPage();
  await nb.step("explore");
  await page.waitForSelector("#explore-go", { timeout: 30000 });
  await nb.waitState("s.train.sessions.length === 2");
  await page.fill('form[data-form="explore"] input[name=window]', String(WINDOW));
  await page.fill('form[data-form="explore"] input[name=hop]', String(HOP));
  await page.fill('form[data-form="explore"] input[name=k]', "4");
  let done = (await nb.pageState())._done;
  await page.click("#explore-go");
  let st = await nb.waitState(`s._done > ${done} && s.explore.summary`, 60000);
  assert.equal(st.explore.message, "");
  assert.equal(st.explore.summary.k, 4);

  // k-means separates the activities
  let pts = (await nb.act("explore.points")).result;
  const xs = [], ys = [];
  for (let i = 0; i < pts.starts.length; i++) {
    const act = activityOf(pts.sessions[i], pts.starts[i]);
    if (act) { xs.push(act); ys.push(pts.clusters[i]); }
  }
  const score = ari(xs, ys);
  const table = {};
  for (let i = 0; i < xs.length; i++) table[`${xs[i]}>${ys[i]}`] = (table[`${xs[i]}>${ys[i]}`] || 0) + 1;
  console.log(`# clusters against activities: ${JSON.stringify(table)}`);
  assert.ok(xs.length >= 60, `${xs.length} windows of one activity`);
  assert.ok(score >= 0.8, `adjusted Rand index ${score.toFixed(3)}`);

  // no cluster has labelled windows yet: each asks for its class (no default that mislabels)
  for (let c = 0; c < 4; c++)
    assert.equal(await page.inputValue(`#explore-cls-c${c}`), "", `cluster ${c + 1} asks`);
  // each cluster labelled in one action with the activity most of its windows are
  const given = [];
  for (let c = 0; c < 4; c++) {
    const votes = {};
    for (let i = 0; i < xs.length; i++) if (ys[i] === c) votes[xs[i]] = (votes[xs[i]] || 0) + 1;
    const name = Object.entries(votes).sort((a, b) => b[1] - a[1])[0][0];
    given.push(name);
    done = (await nb.pageState())._done;
    await page.fill(`form[data-form="ex-cl"]:has(#explore-label-c${c}) input[name=cls_new]`, name);
    await page.click(`#explore-label-c${c}`);
    st = await nb.waitState(`s._done > ${done}`);
    assert.equal(st.explore.message, "");
  }
  for (const sid of [s1, s2]) {
    const lab = (await device.api("GET", `/api/sessions/${sid}/labels`)).json;
    assert.ok(lab.segments.length >= 4 && lab.version >= 5, `session ${sid}: ${JSON.stringify(lab).slice(0, 200)}`);
  }
  // now each cluster proposes its majority: the class just given to it
  st = await nb.waitState("s.explore.summary.majority && s.explore.summary.majority.every((m) => m)");
  for (let c = 0; c < 4; c++) {
    const m = st.explore.summary.majority[c];
    assert.equal(m[0], given[c], `cluster ${c + 1}: ${JSON.stringify(m)}`);
    assert.ok(m[1] >= 0.5 && m[2] > 0, `cluster ${c + 1}: ${JSON.stringify(m)}`);
    assert.equal(await page.inputValue(`#explore-cls-c${c}`), m[0], `cluster ${c + 1} proposes ${m[0]}`);
  }
  await shoot(page, "step-explore");

  // a lasso around some points lights their windows on the Label timeline
  const box = await page.evaluate(() => {
    const gd = document.getElementById("explore-plot"), r = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return { x0: r.left + xa._offset, y0: r.top + ya._offset, w: xa._length, h: ya._length };
  });
  const corners = [[0.02, 0.02], [0.98, 0.02], [0.98, 0.98], [0.02, 0.98], [0.02, 0.03]]
    .map(([fx, fy]) => [box.x0 + fx * box.w, box.y0 + fy * box.h]);
  await page.mouse.move(...corners[0]);
  await page.mouse.down();
  for (const c of corners.slice(1)) await page.mouse.move(...c, { steps: 6 });
  await page.mouse.up();
  st = await nb.waitState("s.explore.selection.length > 0");
  const lit = st.explore.lit[String(s1)] || st.explore.lit[String(s2)];
  assert.ok(lit && lit.length > 0, "selected windows lit for their sessions");
  const sidLit = st.explore.lit[String(s1)] ? s1 : s2;
  await nb.openSession(sidLit);
  const shapes = await page.evaluate(() => document.getElementById("timeline").layout.shapes
    .filter((s) => s.fillcolor === "#ffd400").length);
  assert.ok(shapes > 0, "the timeline shows the windows chosen in the scatter");
  // and a selection on the timeline rings its points in the scatter
  await nb.dragTimeline(1.0, 3.0);
  await nb.step("explore");
  st = await nb.waitState("s.explore.timeline_lit.length > 0");
  assert.ok(st.explore.timeline_lit.every((i) => pts.sessions[i] === sidLit));

  // train on the labelled clusters: evaluated by session
  const { training: t } = await nb.train({ n_trees: 10, seed: 1, folds: 2 });
  assert.ok(!t.error, t.error);
  assert.ok(t.estimate && t.accuracy >= 0.9, `accuracy ${t.accuracy} (${t.validation.description})`);

  // few-shot: a third session, unlabelled; proposals from the labelled windows, accepted in bulk
  const s3 = await record(["shaking", "idle"]);
  await nb.step("explore");
  await nb.waitState("s.train.sessions.length === 3");        // (the list follows the device)
  await page.click('#explore button[data-act="train.pick_all"][data-on="1"]');
  await nb.waitState("s.train.sessions.length === 3 && s.train.picked.length === 3");
  done = (await nb.pageState())._done;
  await page.click("#explore-go");
  await nb.waitState(`s._done > ${done} && s.explore.summary && s.explore.summary.n > 0`, 60000);
  done = (await nb.pageState())._done;
  await page.click("#explore-propose");
  st = await nb.waitState(`s._done > ${done}`, 60000);
  assert.equal(st.explore.message, "");
  assert.ok(st.explore.proposed.sure > 10, JSON.stringify(st.explore.proposed).slice(0, 300));
  const before3 = (await device.api("GET", `/api/sessions/${s3}/labels`)).json;
  done = (await nb.pageState())._done;
  await page.click("#explore-accept");
  st = await nb.waitState(`s._done > ${done}`, 60000);
  assert.equal(st.explore.message, "");
  const after3 = (await device.api("GET", `/api/sessions/${s3}/labels`)).json;
  assert.ok(after3.version > before3.version && after3.segments.length >= 2, JSON.stringify(after3).slice(0, 300));
  const names3 = new Set(after3.segments.map((s) => s.label));
  assert.ok(names3.has("shaking") && names3.has("idle"), [...names3].join(","));

  // the model's insight: importance and confusions
  done = (await nb.pageState())._done;
  await page.click("#explore-insight");
  st = await nb.waitState(`s._done > ${done}`);
  assert.equal(st.explore.insight.importance.length, 10);
  console.log(`# ARI ${score.toFixed(3)} over ${xs.length} windows; trained ${(100 * t.accuracy).toFixed(1)}% ` +
    `(${t.validation.description}); ${st.explore.proposed ? "" : "proposals accepted"}`);
  assert.deepEqual(errors, []);
  assert.deepEqual(browser.offsite, []);
  await page.close();
});
