// Layout checks for the browser tests: a screenshot of the current step at 1280 and 800 px
// wide (e2e/results/<name>-<width>.png, artifacts for a person to look at), and the text
// boxes that overlap: in the header (brand, device pills, step tabs) and, in every visible
// plot, between legend entries and the axis and plot titles.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./device.mjs";

export const WIDTHS = [1280, 800];

/** Pairs of overlapping text boxes (descriptions) on the page as it is now. */
export async function overlaps(page) {
  return page.evaluate(() => {
    const boxes = (sel, root = document) => [...root.querySelectorAll(sel)]
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter((b) => b.r.width > 0 && b.r.height > 0);
    const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const name = (b) => `${b.e.tagName.toLowerCase()}.${b.e.getAttribute("class") || ""} "${(b.e.textContent || "").slice(0, 30)}"`;
    const out = [];
    const check = (list, where) => {
      for (let i = 0; i < list.length; i++)
        for (let j = i + 1; j < list.length; j++)
          if (hit(list[i].r, list[j].r)) out.push(`${where}: ${name(list[i])} / ${name(list[j])}`);
    };
    check(boxes("header .brand, header .pill, #steps a"), "header");
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (!gd.offsetParent) continue;                     // a hidden step
      check(boxes(".legend .traces, .xtitle, .ytitle, .gtitle", gd), `plot #${gd.id}`);
    }
    return out;
  });
}

/** Screenshots of the page at each width; returns the overlaps found at each. */
export async function shoot(page, name) {
  mkdirSync(join(ROOT, "e2e", "results"), { recursive: true });
  const found = {};
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);                     // plotly's responsive relayout
    await page.screenshot({ path: join(ROOT, "e2e", "results", `${name}-${width}.png`), fullPage: true });
    found[width] = await overlaps(page);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return found;
}
