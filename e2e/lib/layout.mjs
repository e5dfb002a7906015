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
      // (every axis title: subplots' are x2title, y3title...; annotations too)
      check(boxes('.legend .traces, .infolayer text[class$="title"], .annotation-text-g', gd), `plot #${gd.id}`);
    }
    return out;
  });
}

/** What is wrong with the layout of the visible page as it is now, as sentences: text boxes
 * that overlap (every text line and form control of the header and the visible step, from
 * their line boxes, so wrapped inline text is not one big box; a control and its own text
 * are not a pair), the overlaps() of plots, plot tick labels and titles clipped by their plot,
 * a page wider than the window (text cut or a sideways scroll), and empty panels: a visible
 * .plot with nothing drawn in it. */
export async function problems(page) {
  const found = await page.evaluate(() => {
    window.scrollTo(0, 0);       // (scrolled, the sticky header lies over the content: by design)
    const out = [];
    // (a closed <details>' content is laid out but not drawn in Chromium: not visible)
    const folded = (e) => { const d = e.closest("details:not([open])"); return d !== null && !e.closest("summary"); };
    const visible = (e) => !folded(e) && (e.offsetParent !== null || getComputedStyle(e).position === "fixed");
    const roots = [document.querySelector("header#top"),
      ...[...document.querySelectorAll("main > section, body > section")].filter(visible)].filter(Boolean);
    const items = [];           // {r, node, ctl}: a line box of a text node, or a control's box
    const clipBox = (node) => {   // the visible part of the nearest scrolling ancestor
      for (let a = node.parentElement; a; a = a.parentElement) {
        const o = getComputedStyle(a);
        if (/(auto|scroll|hidden)/.test(o.overflow + o.overflowX + o.overflowY)) return a.getBoundingClientRect();
      }
      return null;
    };
    const inside = (r, c) => !c || (r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1);
    for (const root of roots) {
      const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
      for (let n = walk.currentNode; n; n = walk.nextNode()) {
        if (n.nodeType === 1) {
          if (n.closest(".js-plotly-plot, svg, canvas, .u-wrap, option, script, style, template")) continue;
          if (/^(BUTTON|SELECT|INPUT|TEXTAREA)$/.test(n.tagName) && visible(n) && n.type !== "hidden") {
            const r = n.getBoundingClientRect();
            if (r.width > 0 && r.height > 0 && inside(r, clipBox(n))) items.push({ r, node: n, ctl: n });
          }
          continue;
        }
        if (!n.textContent.trim()) continue;
        const el = n.parentElement;
        if (!el || el.closest(".js-plotly-plot, svg, option, script, style, textarea, select") || !visible(el)) continue;
        const rg = document.createRange();
        rg.selectNodeContents(n);
        const clip = clipBox(n);
        for (const r of rg.getClientRects()) {
          if (r.width > 0.5 && r.height > 0.5 && inside(r, clip)) items.push({ r, node: n, ctl: el.closest("button, label.file") });
        }
      }
    }
    const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const name = (it) => {
      const e = it.node.nodeType === 1 ? it.node : it.node.parentElement;
      return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} "${(it.node.textContent || it.node.value || "").trim().slice(0, 30)}"`;
    };
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i], b = items[j];
        if (a.node === b.node || !hit(a.r, b.r)) continue;
        if ((a.ctl && (a.ctl === b.node || a.ctl === b.ctl)) || (b.ctl && b.ctl === a.node)) continue;
        if (a.ctl && a.ctl.contains(b.node) || b.ctl && b.ctl.contains(a.node)) continue;
        out.push(`overlap: ${name(a)} / ${name(b)}`);
      }
    }
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (!gd.offsetParent) continue;
      const g = gd.getBoundingClientRect();
      for (const t of gd.querySelectorAll('.xtick text, .ytick text, .y2tick text, .infolayer text[class$="title"], .legend')) {
        const r = t.getBoundingClientRect();
        if (r.width > 0 && (r.left < g.left - 2 || r.right > g.right + 2 || r.top < g.top - 2 || r.bottom > g.bottom + 2))
          out.push(`clipped in plot #${gd.id}: ${t.getAttribute("class")} "${(t.textContent || "").slice(0, 30)}"`);
      }
    }
    for (const p of document.querySelectorAll(".plot")) {
      if (!visible(p) || p.closest(".cell")) continue;
      if (!p.querySelector("svg, canvas")) out.push(`empty panel: .plot#${p.id}`);
    }
    const w = document.documentElement.scrollWidth;
    if (w > window.innerWidth + 1) out.push(`the page is ${w} px wide in a ${window.innerWidth} px window`);
    return out;
  });
  return [...found, ...await overlaps(page)];
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
