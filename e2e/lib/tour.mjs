// Page object of the tour (e2e/tour.test.mjs): looks at the page as it is now, at 1280 and
// 800 px wide: axe-core (no serious or critical violation), the layout problems of
// lib/layout.mjs (overlapping text, clipped plot labels, a page wider than the window, empty
// panels) and a screenshot of each width (e2e/results/tour-<step>-<width>.png) for a person
// to look at. The layout is waited for (two frames with the same sizes), never slept on.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { ROOT } from "./device.mjs";
import { WIDTHS, problems } from "./layout.mjs";

const SERIOUS = new Set(["serious", "critical"]);

/** Resolves when the page's layout (its size and every plot's) stopped changing. */
export async function settled(page, timeout = 10000) {
  await page.waitForFunction(() => new Promise((done) => {
    const sizes = () => JSON.stringify([document.documentElement.scrollWidth,
      document.documentElement.scrollHeight, ...[...document.querySelectorAll(".plot")]
        .map((p) => { const r = p.getBoundingClientRect(); return [r.width, r.height, p.querySelector(".main-svg, canvas")?.getBoundingClientRect().width]; })]);
    const a = sizes();
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => done(sizes() === a), 50)));
  }), null, { timeout, polling: 100 });
}

/** axe-core's serious and critical violations on the page, one line each. */
export async function axeSerious(page) {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.filter((v) => SERIOUS.has(v.impact)).map((v) =>
    `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ""})`);
}

export class Tour {
  constructor(page) { this.page = page; this.found = {}; }

  /** Looks at the page at each width; returns {width: [problem...]} (axe's and layout's) and
   * keeps them in this.found[name]. */
  async look(name) {
    mkdirSync(join(ROOT, "e2e", "results"), { recursive: true });
    const out = {};
    for (const width of WIDTHS) {
      await this.page.setViewportSize({ width, height: 900 });
      await settled(this.page);
      out[width] = [...await axeSerious(this.page), ...await problems(this.page)];
      await this.page.screenshot({ path: join(ROOT, "e2e", "results", `tour-${name}-${width}.png`), fullPage: true });
    }
    await this.page.setViewportSize({ width: 1280, height: 900 });
    this.found[name] = out;
    return out;
  }

  /** Every problem found so far, as "step @ width: problem" lines. */
  all() {
    return Object.entries(this.found).flatMap(([name, per]) =>
      Object.entries(per).flatMap(([w, list]) => list.map((p) => `${name} @ ${w}px: ${p}`)));
  }
}
