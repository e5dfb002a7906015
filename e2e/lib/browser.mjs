// Headless Debian Chromium through playwright-core, with every request that is not to
// 127.0.0.1 aborted and recorded, and console errors collected, for the e2e tests and the
// boot benchmark.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync"];

const local = (u) => { const url = new URL(u); return url.hostname === "127.0.0.1" || url.protocol === "data:"; };

/** A fresh browser (own user-data-dir) whose pages can only talk to 127.0.0.1.
 * route: true aborts and records every other request through Playwright routing (which
 * also disables the HTTP cache); false (for cache measurements) blocks other hosts in
 * Chromium's host resolver instead and records them from request events. */
export async function launch({ route = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "motebook-chromium-"));
  const args = route ? ARGS : [...ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"];
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args,
  });
  const offsite = [];            // every request that tried to leave 127.0.0.1
  if (route) {
    await context.route("**/*", (r) => {
      if (local(r.request().url())) return r.continue();
      offsite.push(r.request().url());
      return r.abort();
    });
  } else {
    context.on("request", (r) => { if (!local(r.url())) offsite.push(r.url()); });
  }
  // WebSockets bypass routing: record any that is not to 127.0.0.1 as well
  context.on("page", (p) => p.on("websocket", (ws) => {
    if (new URL(ws.url()).hostname !== "127.0.0.1") offsite.push(ws.url());
  }));
  return {
    context, offsite,
    async close() { await context.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Chromium's own console lines for a request or WebSocket that found no device (stopped,
 * restarting): the browser reporting the network, not an error of the page. Only tests that
 * take the device away drop these (withoutDeviceAway); uncaught errors stay counted. */
const DEVICE_AWAY = /^(Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|CONTENT_LENGTH_MISMATCH)$|WebSocket connection to .* failed)/;
export const withoutDeviceAway = (errors) => errors.filter((e) => !DEVICE_AWAY.test(e));

/** Collects console errors and uncaught page errors of a page. */
export function watchErrors(page) {
  const errors = [];
  // A 503 is the device saying it has no memory for a request at that moment (it changed
  // nothing): the page asks again, and a step that still fails shows in its own assertion.
  // Chromium logs every one, retried or not, so it is not counted here.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 503/.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}
