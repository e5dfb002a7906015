// Page object of the motebook page: opens it with the test hooks on (?debug), waits for
// MicroPython, moves between the steps (Collect, Label, Explore, Train, Deploy, Notebook) and
// drives them through their buttons; reads the page's state as the Python bridge holds it
// (window.motebook.state()) and runs its actions (window.motebook.act(name, args)).
// openNotebook: a new page of a browser opened on a device, watched for errors.
import { watchErrors } from "./browser.mjs";

/** A new page of `browser` (lib/browser.mjs launch) opened on `device` (lib/device.mjs) with the
 * test hooks: {page, nb, errors}. token: the device's unless given (null: none); until:
 * "sessions" (booted, with the session list in), "booted" or "opened" (the address asked for,
 * nothing awaited); prepare(page), if given, runs before the page opens (routes, listeners). */
export async function openNotebook(browser, device, { token = device.token, until = "sessions", prepare } = {}) {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await prepare?.(page);
  const nb = new Notebook(page);
  await nb.open(device.url, { token });
  if (until !== "opened") await nb.waitBooted();
  if (until === "sessions") await nb.dsWait("s.sessions");
  return { page, nb, errors };
}

export class Notebook {
  constructor(page) { this.page = page; }

  async open(url, { token } = {}) {
    await this.page.goto(`${url}?debug=1${token ? `#token=${encodeURIComponent(token)}` : ""}`);
    return this;
  }

  /** Waits until MicroPython has booted and app/main.py attached the bridge. */
  async waitBooted(timeout = 20000) {
    try {
      await this.page.waitForFunction(() => window.motebook && window.motebook.boot === "ready"
        && window.motebook.act && window.motebook.state, null, { timeout });
    } catch (e) {       // say how far the page got
      const m = await this.page.evaluate(() => window.motebook && { boot: window.motebook.boot,
        conn: window.motebook.conn, hooks: !!window.motebook.act, errors: window.motebook.errors,
        body: document.body.dataset.boot });
      throw new Error(`${e.message}; the page: ${JSON.stringify(m)}`);
    }
  }

  async waitConnected(timeout = 10000) {
    await this.page.waitForFunction(() => window.motebook && window.motebook.conn === "open",
      null, { timeout });
  }

  /** Shows a step (its tab). */
  async step(name) {
    await this.page.click(`#steps a[data-step="${name}"]`);
    await this.page.waitForFunction((n) => document.body.dataset.step === n, name);
  }

  /** The page's state (app/bridge.py): parts device, stream, sessions, train, deploy, live... */
  async pageState() { return this.page.evaluate(() => window.motebook.state()); }

  /** Runs a bridge action: {result, error, state}. */
  async act(name, args = {}) { return this.page.evaluate(([n, a]) => window.motebook.act(n, a), [name, args]); }

  /** Waits until no action runs and `fn` (a page-side predicate over the state s) holds. */
  async waitState(fn = "true", timeout = 20000) {
    await this.page.waitForFunction(`(() => { const s = window.motebook.state();
      return s._busy === 0 && (${fn}); })()`, null, { timeout, polling: 50 });
    return this.pageState();
  }

  /** Stats decoded by the page's Python (windows, gaps, first_seq, last_seq, mag_std...). */
  async stats() { return this.page.evaluate(() => ({ ...window.motebook.stats })); }

  async state() {
    return this.page.evaluate(() => {
      const m = window.motebook;
      return { boot: m.boot, conn: m.conn, connects: m.connects, frames: m.frames,
        plots: m.plots, errors: [...m.errors], body: { ...document.body.dataset } };
    });
  }

  /** Waits until the page shows at least n windows (and plotted them). */
  async waitWindows(n, timeout = 30000) {
    await this.page.waitForFunction((n) => ((window.motebook.stats || {}).windows || 0) >= n
      && window.motebook.plots > 0, n, { timeout, polling: 100 });
    return this.stats();
  }

  /** Waits until predicate(arg) holds in the page. */
  async waitStats(predicate, arg, timeout = 20000) {
    await this.page.waitForFunction(predicate, arg, { timeout, polling: 100 });
    return this.stats();
  }

  /** What the live plot (uPlot, window.motebook.livePlot with ?debug) shows: per channel its
   * name, colour, points given and finite, and the canvas pixels drawn in its colour; the axes'
   * titles and the x range given. */
  async plotShape() {
    return this.page.evaluate(() => {
      const u = window.motebook.livePlot;
      if (!u) return { series: [], axes: [] };
      const c = u.ctx.canvas, px = u.ctx.getImageData(0, 0, c.width, c.height).data;
      const rgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
      const series = u.series.slice(1).map((s, i) => {
        const colour = typeof s.stroke === "function" ? s.stroke(u, i + 1) : s.stroke;
        const [r, g, b] = rgb(colour);
        let drawn = 0;
        for (let k = 0; k < px.length; k += 4)
          if (px[k + 3] > 200 && Math.abs(px[k] - r) + Math.abs(px[k + 1] - g) + Math.abs(px[k + 2] - b) < 40) drawn++;
        const y = u.data[i + 1];
        return { name: s.label, colour, n: y.length, finite: Array.from(y).filter(Number.isFinite).length, drawn };
      });
      const x = u.data[0];
      return { series, axes: u.axes.map((a) => a.label), x: [x[0], x[x.length - 1]],
        width: c.width, height: c.height };
    });
  }

  /** Clicks an activity button of the simulated sensor; waits for the device's answer. */
  async setActivity(name) {
    await this.step("collect");
    const reply = this.page.waitForResponse((r) => r.url().endsWith("/api/sim"));
    await this.page.click(`#activity button[data-name="${name}"]`);
    return (await reply).status();
  }

  // ---- record, train, deploy -----------------------------------------------------------
  /** Records a session labelled `cls` at record time (Collect), of the current simulated
   * activity: for `ms` milliseconds, or until `ms()` (a function: e.g. device.run(s)) resolved. */
  async recordLabelled(cls, ms) {
    await this.step("collect");
    await this.page.selectOption("#rec-class", cls);
    await this.page.click("#rec-start");
    await this.dsWait("s.recording != null");
    if (typeof ms === "function") await ms();
    else await new Promise((r) => setTimeout(r, ms));
    await this.page.click("#rec-stop");
    return this.dsWait("s.recording == null");
  }

  /** Train step: lists the sessions, sets the form, presses Train and waits for the result;
   * returns {training: the summary (or {error}), stallMs}. */
  async train(params = {}, timeout = 120000) {
    await this.step("train");      // (its list is filled on arrival and kept current)
    await this.page.waitForSelector("#train-sessions .train-sid", { timeout: 20000 });
    await this.waitState();
    for (const [k, v] of Object.entries(params)) {
      const id = `#train-${k.replace(/_/g, "-")}`;
      if (k === "method" || k === "validation") await this.page.selectOption(id, v);
      else await this.page.fill(id, String(v));
    }
    await this.clickAction("#train-go", "train.go", timeout);
    const s = await this.pageState();
    const training = s.train.message ? { error: s.train.message } : s.train.summary;
    return { training, stallMs: await this.page.evaluate(() => window.motebook.stallMs) };
  }

  /** Deploy step: "Send to device"; returns the device's answer {status, hash, error, sent}. */
  async sendModel(timeout = 30000) {
    await this.step("deploy");
    await this.clickAction("#train-send", "deploy.send", timeout);
    return (await this.pageState()).deploy.pushed;
  }

  /** Clicks `selector` and waits until the bridge's action `name` has finished once more (the
   * refreshes that the device's change messages start in the background do not count). */
  async clickAction(selector, name, timeout = 30000) {
    const before = ((await this.pageState())._runs || {})[name] || 0;
    await this.page.click(selector);
    await this.page.waitForFunction(([n, b]) => (window.motebook.state()._runs[n] || 0) > b,
      [name, before], { timeout, polling: 100 });
  }

  /** Live predictions and the page-vs-device comparison (the "live" part). */
  async predictions() { return (await this.pageState()).live; }

  /** Waits until the device's prediction for a window with seq >= minSeq arrived. */
  async waitPrediction(minSeq, hash, timeout = 30000) {
    await this.page.waitForFunction(([s, h]) => {
      const p = window.motebook.state().live.last;
      return p && p.seq >= s && (!h || p.hash === h);
    }, [minSeq, hash], { timeout, polling: 100 });
    return this.predictions();
  }

  // ---- sessions and labels: the bridge's "sessions.*" actions -----------------------------
  /** Runs sessions op(args): {result, error, state: the "sessions" part}. */
  async dsCall(op, args = {}) {
    const r = await this.act(`sessions.${op}`, args);
    return { result: r.result, error: r.error, state: r.state.sessions };
  }

  async dsState() { return (await this.pageState()).sessions; }

  /** Waits until no action runs and fn(state) holds (fn: a page-side predicate over the
   * "sessions" part, named s). */
  async dsWait(fn = "true", timeout = 15000) {
    await this.page.waitForFunction(`(() => { const t = window.motebook.state(), s = t.sessions;
      return t._busy === 0 && (${fn}); })()`, null, { timeout, polling: 50 });
    return this.dsState();
  }

  /** Opens session sid by its row's button (Label) and waits for its timeline. */
  async openSession(sid) {
    await this.step("label");
    await this.page.click(`#session-list tr[data-sid="${sid}"] button[data-act="sessions.open"]`);
    return this.dsWait(`s.cur && String(s.cur.sid) === ${JSON.stringify(String(sid))}`);
  }

  /** Page pixel of time t (seconds) on the timeline, vertically in the middle. */
  async timelineXY(t) {
    return this.page.evaluate((t) => {
      const gd = document.getElementById("timeline");
      gd.scrollIntoView({ block: "center" });
      const r = gd.getBoundingClientRect();
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      return { x: r.left + xa._offset + xa.l2p(t), y: r.top + ya._offset + ya._length / 2 };
    }, t);
  }

  /** Drags the mouse across the timeline from t0 to t1 seconds. */
  async dragTimeline(t0, t1) {
    const a = await this.timelineXY(t0), b = await this.timelineXY(t1);
    await this.page.mouse.move(a.x, a.y);
    await this.page.mouse.down();
    await this.page.mouse.move((a.x + b.x) / 2, a.y, { steps: 4 });
    await this.page.mouse.move(b.x, b.y, { steps: 4 });
    await this.page.mouse.up();
    return this.dsWait("s.cur && s.cur.sel");
  }

  /** Clicks the timeline at t seconds (selects the window there; shift adds it). */
  async clickTimeline(t, { shift = false } = {}) {
    const a = await this.timelineXY(t);
    const before = ((await this.pageState())._runs || {})["sessions.click"] || 0;
    await this.page.mouse.click(a.x, a.y, { modifiers: shift ? ["Shift"] : [] });
    await this.page.waitForFunction((b) => (window.motebook.state()._runs["sessions.click"] || 0) > b,
      before, { timeout: 10000 });
    return this.dsWait();
  }

  /** Presses a key (e.g. "2", "z", "Control+Shift+Z") and waits for the action it started. */
  async key(k) {
    // a label or move key waits for its own action (a background refresh finishing first,
    // e.g. when the device goes away, once made a test read the state before the edit ran)
    const name = /^([0-9]|Delete|Backspace)$/.test(k) ? "sessions.label"
      : /^Arrow(Left|Right)$/.test(k) ? "sessions.move" : null;
    const st = await this.pageState();
    const before = name ? (st._runs || {})[name] || 0 : st._done;
    await this.page.keyboard.press(k);
    await this.page.waitForFunction(([n, b]) => (n ? window.motebook.state()._runs[n] || 0
      : window.motebook.state()._done) > b, [name, before], { timeout: 10000 });
    return this.dsWait();
  }

  /** Clicks an export button (Label) and returns the downloaded file's bytes. */
  async exportFile(button) {
    await this.step("label");
    const [dl] = await Promise.all([this.page.waitForEvent("download"), this.page.click(button)]);
    const chunks = [];
    for await (const c of await dl.createReadStream()) chunks.push(c);
    return Buffer.concat(chunks);
  }

  /** Imports a CSV through the file input (Label); resolves when the import answered. */
  async importCsv(name, buffer) {
    await this.step("label");
    // its own action: another one finishing first (the page setting the device's clock after
    // the restart) once let a full run read the state before the import had started
    const before = ((await this.pageState())._runs || {})["sessions.import_csv"] || 0;
    await this.page.setInputFiles("#import-csv", { name, mimeType: "text/csv", buffer });
    await this.page.waitForFunction((b) => { const s = window.motebook.state();
      return s._busy === 0 && (s._runs["sessions.import_csv"] || 0) > b; }, before,
    { timeout: 60000, polling: 100 });
    return this.dsState();
  }
}
