// Fixture: the real simulated device (device firmware on the MicroPython unix interpreter,
// started by scripts/sim.py) on a free 127.0.0.1 port with its own data folder; reads the
// access token the device created, restarts it on the same port, and stops it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PYTHON = join(ROOT, ".venv", "bin", "python");
// extra scripts/sim.py arguments for diagnosis, e.g. MOTEBOOK_SIM_ARGS="--heap 512k"
const EXTRA = (process.env.MOTEBOOK_SIM_ARGS || "").split(/\s+/).filter(Boolean);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Device {
  /** replay: a CSV for the replay sensor (scripts/sim.py --replay) instead of the simulated
   * accelerometer. */
  constructor({ replay = null } = {}) {
    this.dataDir = mkdtempSync(join(tmpdir(), "motebook-device-"));
    this.port = null; this.proc = null; this.log = ""; this.token = null; this.replay = replay;
  }

  get url() { return `http://127.0.0.1:${this.port}/`; }

  async start() {
    if (this.port === null) this.port = await freePort();
    const proc = spawn(PYTHON, [join(ROOT, "scripts", "sim.py"), "--port", String(this.port),
      "--data", this.dataDir, "--quiet", ...(this.replay ? ["--replay", this.replay] : []), ...EXTRA],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    proc.stdout.on("data", (d) => { this.log += d; });
    proc.stderr.on("data", (d) => { this.log += d; });
    proc.exited = new Promise((r) => proc.on("exit", (code, sig) => r(code ?? sig)));
    const deadline = Date.now() + 20000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`simulator exited (${proc.exitCode ?? proc.signalCode}):\n${this.log}`);
      try {
        const r = await fetch(`${this.url}api/status`);
        if (r.ok) { await r.json(); break; }
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) { await this.stop(); throw new Error(`simulator did not start:\n${this.log}`); }
      await sleep(100);
    }
    this.token = readFileSync(join(this.dataDir, "token"), "utf8").trim();
    return this;
  }

  /** Stops the simulator process (SIGTERM, then SIGKILL), keeping port and data folder. */
  async stop() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), 3000);
    await proc.exited;
    clearTimeout(t);
  }

  async restart() { await this.stop(); await this.start(); }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the MicroPython process under scripts/sim.py:
   * its sockets stay open but silent, like a device that hung or left the Wi-Fi. */
  signalDevice(sig) {
    const pid = this.proc.pid;
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
    for (const k of kids.filter(Boolean)) process.kill(Number(k), sig);
  }

  async dispose() { await this.stop(); rmSync(this.dataDir, { recursive: true, force: true }); }

  /** PUT /api/config with the token; throws with the device's answer unless it is 200. */
  async configure(update) {
    const r = await this.api("PUT", "/api/config", update);
    if (r.status !== 200) throw new Error(`PUT /api/config ${JSON.stringify(update)}: ${r.status} ${r.text}`);
    return this;
  }

  /** Lets the device run `seconds` of its (machine) time from now: waits, with a deadline,
   * until it cut that many more windows (status seq, one a hop). With the simulator's speed
   * up (PUT /api/sim {"speed"}) that takes 1/speed of the time; the same samples either way. */
  async run(seconds, timeout = seconds * 4000 + 30000) {
    const status = async () => (await this.api("GET", "/api/status")).json;
    const s0 = await status();
    const want = s0.seq + Math.ceil(seconds * s0.rate / s0.hop);
    for (const end = Date.now() + timeout; ;) {
      const s = await status();
      if (s.seq >= want) return s;
      if (Date.now() > end) throw new Error(`${seconds} s of running: window ${s.seq} of ${want} after ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Prints the simulator's tracebacks (if any) as TAP comments, for diagnosis after a run. */
  report() {
    if (/Traceback|Error/.test(this.log))
      console.log(this.log.split("\n").map((l) => `# device: ${l}`).join("\n"));
  }

  async api(method, path, body, token = this.token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(this.url + path.replace(/^\//, ""), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text };
  }
}
