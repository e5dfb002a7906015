// motebook Wi-Fi setup block: while the device runs its own access point (first boot, or its
// network out of reach) it asks for a network and password (PUT /api/wifi), then shows where
// the device went. Plain JS, independent of MicroPython: it works before the interpreter is in.
const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "motebook.token";
const POLL_MS = 1000, POLL_FOR_MS = 40000;

function show(s, note) {
  const joined = s.mode === "joined";
  $("wifi").hidden = !(s.ap || s.mode === "ap");
  $("wifi-form").hidden = joined;
  const where = `http://${s.hostname}.local/ (or http://${s.ip}/)`;
  $("wifi-state").textContent = note || (joined
    ? `joined ${s.ssid}: connect to ${s.ssid} and open ${where}`
    : s.mode === "joining" ? `joining ${s.ssid}…`
    : s.error ? `could not join ${s.error}; try again` : "choose the network the device should join");
  document.body.dataset.wifi = s.mode;
}

async function status() {
  try {
    const r = await fetch("/api/wifi", { cache: "no-store" });
    const s = r.ok ? await r.json() : null;
    return s && s.mode !== "none" ? s : null;   // "none": a simulated device, no Wi-Fi
  } catch { return null; }
}

async function follow(ssid) {
  const end = Date.now() + POLL_FOR_MS;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const s = await status();
    if (!s) {   // the access point changed channel or closed: the device is on the network
      $("wifi-state").textContent = `the device is joining ${ssid}: connect to ${ssid} and ` +
        "open http://motebook-XXXX.local/ (the name of its access point)";
      return;
    }
    show(s);
    if (s.mode === "joined" || (s.mode === "ap" && s.error)) return;
  }
}

$("wifi-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const ssid = $("wifi-ssid").value.trim(), password = $("wifi-password").value;
  const headers = { "Content-Type": "application/json" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  let r;
  try {
    r = await fetch("/api/wifi", { method: "PUT", headers, body: JSON.stringify({ ssid, password }) });
  } catch (e) { $("wifi-state").textContent = `not sent: ${e}`; return; }
  const body = await r.json().catch(() => ({}));
  if (r.status !== 202) { $("wifi-state").textContent = body.error || `refused (${r.status})`; return; }
  $("wifi-password").value = "";
  show(body, `joining ${ssid}…`);
  follow(ssid);
});

status().then((s) => { if (s) show(s); });
