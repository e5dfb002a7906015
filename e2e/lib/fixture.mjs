// The simulated device and the browser an e2e file runs against, made in before() and ended
// in after() (the device's report, the browser, the device, then the file's own cleanup), and
// a page opened on that device (by default with the token, booted, with the session list in).
// Usage: let device, browser;
//        const openPage = fixture({ start, setup, set: (d, b) => { device = d; browser = b; },
//          cleanup, until });
//        const { page, nb, errors } = await openPage({ token, until, prepare });
// start() -> a started Device (default: a plain simulated one); setup(device), if given, then
// prepares it (configuration, recordings): the device is ended in after() even if setup fails.
// until: how far openPage waits unless a call says otherwise (lib/notebook.mjs openNotebook).
import { after, before } from "node:test";
import { launch } from "./browser.mjs";
import { Device } from "./device.mjs";
import { openNotebook } from "./notebook.mjs";

export function fixture({ start = () => new Device().start(), setup, set = () => {}, cleanup,
  until = "sessions" } = {}) {
  let device, browser;
  before(async () => {
    device = await start();
    await setup?.(device);
    browser = await launch();
    set(device, browser);
  });
  after(async () => {
    device?.report();
    await browser?.close();
    await device?.dispose();
    cleanup?.();
  });
  /** opts: openNotebook's {token, until, prepare}; a function is prepare alone. */
  return function openPage(opts = {}) {
    if (typeof opts === "function") opts = { prepare: opts };
    return openNotebook(browser, device, { until, ...opts });
  };
}
