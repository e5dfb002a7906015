// Test hooks of the page, loaded by glue.js only with ?debug (the e2e tests and benchmarks open
// the page so): window.motebook.act(name, args) runs a bridge action, .state() is the bridge's
// state (app/bridge.py attaches both once this module is in: motebook.debugReady), .stallMs
// how long the page froze while training. Without ?debug this file is never fetched.

export function install(mb) {
  const pending = new Map();
  let seq = 0, act = null, state = null, stall = null;
  mb.attachDebug = (a, s) => { act = a; state = s; };
  /** Runs an action of the page's bridge: Promise of {result, error, state}. */
  mb.act = (name, args = {}) => new Promise((resolve) => {
    const id = ++seq; pending.set(id, resolve);
    act(id, name, JSON.stringify(args));
  });
  mb.acted = (id, out) => { const r = pending.get(id); pending.delete(id); if (r) r(JSON.parse(out)); };
  /** The page's state as the bridge holds it. */
  mb.state = () => JSON.parse(state());
  /** Longest gap of a 10 ms timer between start and stop: how long the page froze. */
  mb.stallMs = 0;
  mb.stallStart = () => {
    clearInterval(stall); mb.stallMs = 0;
    let last = performance.now();
    stall = setInterval(() => { const now = performance.now(); mb.stallMs = Math.max(mb.stallMs, now - last - 10); last = now; }, 10);
  };
  mb.stallStop = () => clearInterval(stall);
}
