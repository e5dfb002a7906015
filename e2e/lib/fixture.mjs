// The simulated device and the browser an e2e file runs against, made in before() and ended
// in after() (the device's report, the browser, the device, then the file's own cleanup), and
// a page opened on that device with the token, booted, with the session list in.
// Usage: let device, browser;
//        const openPage = fixture({ start, set: (d, b) => { device = d; browser = b; }, cleanup });
// start() -> a started Device (default: a plain simulated one); it may prepare data first.
import { after, before } from "node:test";
import { launch, watchErrors } from "./browser.mjs";
import { Device } from "./device.mjs";
import { Notebook } from "./notebook.mjs";

export function fixture({ start = () => new Device().start(), set = () => {}, cleanup } = {}) {
  let device, browser;
  before(async () => {
    device = await start();
    browser = await launch();
    set(device, browser);
  });
  after(async () => {
    device?.report();
    await browser?.close();
    await device?.dispose();
    cleanup?.();
  });
  /** prepare(page), if given, runs before the page opens (routes, listeners). */
  return async function openPage(prepare) {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await prepare?.(page);
    const nb = new Notebook(page);
    await nb.open(device.url, { token: device.token });
    await nb.waitBooted();
    await nb.dsWait("s.sessions");
    return { page, nb, errors };
  };
}
