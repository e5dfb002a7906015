// Device requests for the page (glue.js) and the Notebook's worker (kernel.js): one fetch with
// the token and one answer shape, decoded once in Python (app/net.py; nb/motebook.py in the
// worker). Never rejects: a device that cannot be reached is status 0. Memory: the answer.

/** method, path, {body, type, token, headers, into} -> {status, text}; with into(bytes) and
 * a 2xx answer the body goes to into() instead: {status, bytes, headers}. Status 0 (text
 * "device unreachable") when the device could not be reached or the answer was cut. */
export async function request(method, path, { body, type, token, headers, into } = {}) {
  const h = { ...(headers || {}) };
  if (token !== undefined) h.Authorization = `Bearer ${token}`;
  if (body) h["Content-Type"] = type || "application/json";
  let r, b;
  try {
    r = await fetch(path, { method, body: body || undefined, headers: h, cache: "no-store" });
    if (!(into && r.ok)) return { status: r.status, text: await r.text() };
    b = new Uint8Array(await r.arrayBuffer());
  } catch (e) {
    return { status: 0, text: "device unreachable" };
  }
  into(b);
  return { status: r.status, bytes: b.length, headers: Object.fromEntries(r.headers.entries()) };
}

/** The bytes of a file of the page (a versioned URL: cacheable), or null when it could not
 * be loaded. */
export async function asset(url) {
  try {
    const r = await fetch(url);
    return r.ok ? new Uint8Array(await r.arrayBuffer()) : null;
  } catch (e) {
    return null;
  }
}
