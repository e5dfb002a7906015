// End to end: a board simulated from its deployed files (device/tests/boardsim.py: stock
// MicroPython layout, .mpy files, host fakes of the IMU and the radio) opens its access point
// on first boot; the page it serves shows the Wi-Fi block, a wrong password comes back as
// an error, the right one joins and the page says where the device went.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { launch, watchErrors } from "./lib/browser.mjs";
import { ROOT } from "./lib/device.mjs";

let board, browser, dir, url, log = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "motebook-board-"));
  board = spawn(join(ROOT, ".venv", "bin", "python"),
    ["-m", "device.tests.boardsim", "--board", "esp32s3-psram", "--dir", dir],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  board.stderr.on("data", (d) => { log += d; });
  const lines = createInterface({ input: board.stdout });
  url = await new Promise((resolve, reject) => {
    lines.on("line", (l) => { if (l.startsWith("{")) resolve(JSON.parse(l).url); });
    board.on("exit", (code) => reject(new Error(`boardsim exited ${code}:\n${log}`)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (board && board.exitCode === null) {
    board.kill("SIGTERM");
    await new Promise((r) => board.on("exit", r));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("first boot: the page asks for the network, reports a wrong password, then joins", async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForSelector("#wifi:not([hidden])");
  assert.equal(await page.getAttribute("body", "data-wifi"), "ap");

  await page.fill("#wifi-ssid", "lab");
  await page.fill("#wifi-password", "not-the-password");
  await page.click("#wifi-form button[type=submit]");
  await page.waitForFunction(() => /wrong password/.test(document.getElementById("wifi-state").textContent),
    null, { timeout: 15000 });
  assert.equal(await page.inputValue("#wifi-password"), "", "the password field is cleared");

  await page.fill("#wifi-password", "lab-secret-1");
  await page.click("#wifi-form button[type=submit]");
  await page.waitForFunction(() => document.body.dataset.wifi === "joined", null, { timeout: 15000 });
  const state = await page.textContent("#wifi-state");
  assert.match(state, /joined lab/);
  assert.match(state, /motebook-[0-9a-f]{4}\.local/);
  assert.ok(await page.isHidden("#wifi-form"), "no form once joined");
  assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), []);
  assert.deepEqual(browser.offsite, []);
});
