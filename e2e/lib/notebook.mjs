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
}
