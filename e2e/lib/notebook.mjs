// Page object of the notebook page: opens it, waits for MicroPython, reads the test hooks
// (window.motebook and the data- attributes of <body>) and drives the activity switcher.
export class Notebook {
  constructor(page) { this.page = page; }

  async open(url, { token } = {}) {
    await this.page.goto(token ? `${url}#token=${encodeURIComponent(token)}` : url);
    return this;
  }

  /** Waits until MicroPython has booted and app/main.py attached its handlers. */
  async waitBooted(timeout = 20000) {
    await this.page.waitForFunction(() => window.motebook && window.motebook.boot === "ready",
      null, { timeout });
  }

  async waitConnected(timeout = 10000) {
    await this.page.waitForFunction(() => window.motebook && window.motebook.conn === "open",
      null, { timeout });
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
    await this.page.waitForFunction((n) => (window.motebook.stats.windows || 0) >= n
      && window.motebook.plots > 0, n, { timeout, polling: 100 });
    return this.stats();
  }

  /** Waits until fn(stats) holds; fn is a page-side predicate given as a string body. */
  async waitStats(predicate, arg, timeout = 20000) {
    await this.page.waitForFunction(predicate, arg, { timeout, polling: 100 });
    return this.stats();
  }

  /** Number of traces and points per trace in the plot. */
  async plotShape() {
    return this.page.evaluate(() => {
      const d = document.getElementById("plot").data || [];
      return d.map((t) => ({ name: t.name, n: t.y.length,
        finite: Array.from(t.y).filter((v) => Number.isFinite(v)).length }));
    });
  }

  /** Clicks an activity button (PUT /api/sim with the stored token); waits for the reply. */
  async setActivity(name) {
    const reply = this.page.waitForResponse((r) => r.url().endsWith("/api/sim"));
    await this.page.click(`#activity button[data-activity="${name}"]`);
    return (await reply).status();
  }

  // ---- train panel and live predictions (issue 6) -------------------------------------

  /** Records a session labelled `cls` at record time through the sessions panel (the class
   * must exist there), for `ms` milliseconds of the current simulated activity. */
  async recordLabelled(cls, ms) {
    await this.page.selectOption("#rec-class", cls);
    await this.page.click("#rec-start");
    await this.dsWait("s.recording != null");
    await new Promise((r) => setTimeout(r, ms));
    await this.page.click("#rec-stop");
    return this.dsWait("s.recording == null");
  }

  /** Train panel: lists the sessions, sets the parameters, presses Train and waits for the
   * result; returns {training: window.motebook.training, stallMs}. */
  async train(params = {}, timeout = 90000) {
    await this.page.click("#train-refresh");
    await this.page.waitForSelector(".train-sid", { timeout: 20000 });
    for (const [k, v] of Object.entries(params)) {
      const id = `#train-${k.replace(/_/g, "-")}`;
      if (k === "method") await this.page.selectOption(id, v); else await this.page.fill(id, String(v));
    }
    await this.page.evaluate(() => { window.motebook.training = null; });
    await this.page.click("#train-go");
    await this.page.waitForFunction(() => window.motebook.training, null, { timeout });
    return this.page.evaluate(() => ({ training: window.motebook.training,
      stallMs: window.motebook.stallMs }));
  }

  /** Clicks "Send to device"; returns window.motebook.pushed ({status, hash, error, sent}). */
  async sendModel(timeout = 30000) {
    await this.page.evaluate(() => { window.motebook.pushed = null; });
    await this.page.click("#train-send");
    await this.page.waitForFunction(() => window.motebook.pushed, null, { timeout });
    return this.page.evaluate(() => window.motebook.pushed);
  }

  /** Live predictions and the page-vs-device comparison (app/predict.py's hook). */
  async predictions() { return this.page.evaluate(() => window.motebook.predictions()); }

  /** Waits until the device's prediction for a window with seq >= minSeq arrived. */
  async waitPrediction(minSeq, hash, timeout = 30000) {
    await this.page.waitForFunction(([s, h]) => {
      const p = window.motebook.predictions().last;
      return p && p.seq >= s && (!h || p.hash === h);
    }, [minSeq, hash], { timeout, polling: 100 });
    return this.predictions();
  }

  // ---- sessions panel (issue 5): ops of app/sessions.py through window.motebook.dataset ----
  /** Waits for the panel, then runs op(args) in the page: {result, error, state}. */
  async dsCall(op, args = {}) {
    await this.page.waitForFunction(() => window.motebook.dataset && window.motebook.dataset.call,
      null, { timeout: 20000 });
    return this.page.evaluate(([op, args]) => window.motebook.dataset.call(op, args), [op, args]);
  }

  async dsState() { return this.page.evaluate(() => window.motebook.dataset.state); }

  /** Waits until no op is running and fn(state) holds (fn: a page-side predicate body). */
  async dsWait(fn = "true", timeout = 15000) {
    await this.page.waitForFunction(`(() => { const s = window.motebook.dataset.state;
      return s && window.motebook.dataset.busy === 0 && (${fn}); })()`, null, { timeout, polling: 50 });
    return this.dsState();
  }

  /** Opens session sid by its row's button and waits for its timeline. */
  async openSession(sid) {
    await this.page.click(`#session-list tr[data-sid="${sid}"] button[data-op=open]`);
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

  /** Drags the mouse across the timeline from t0 to t1 seconds (plotly's horizontal select). */
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
    await this.page.mouse.click(a.x, a.y, { modifiers: shift ? ["Shift"] : [] });
    return this.dsWait();
  }

  /** Presses a key (e.g. "2", "z", "Control+Shift+Z") and waits for the op it started. */
  async key(k) {
    await this.page.keyboard.press(k);
    await this.page.waitForTimeout(30);
    return this.dsWait();
  }

  /** Clicks an export button and returns the downloaded file's bytes. */
  async exportFile(button) {
    const [dl] = await Promise.all([this.page.waitForEvent("download"), this.page.click(button)]);
    const chunks = [];
    for await (const c of await dl.createReadStream()) chunks.push(c);
    return Buffer.concat(chunks);
  }

  /** Imports a CSV through the file input; resolves when the import op answered. */
  async importCsv(name, buffer) {
    const before = await this.page.evaluate(() => window.motebook.dataset.seq);
    await this.page.setInputFiles("#import-csv", { name, mimeType: "text/csv", buffer });
    await this.page.waitForFunction((n) => window.motebook.dataset.seq > n, before, { timeout: 20000 });
    return this.dsWait();
  }
}
