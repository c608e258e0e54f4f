import { spawn } from "node:child_process";
import { chromium } from "@playwright/test";
import { chromiumLaunchOptions } from "./chromium.mjs";
const port = 4198;
const server = spawn("node", ["e2e/serve.mjs"], { cwd: "/work/main", env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
await new Promise((r) => server.stdout.once("data", r));
const browser = await chromium.launch(chromiumLaunchOptions);
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(`http://127.0.0.1:${port}/`);
const r = await page.evaluate(async () => {
  const N = 33_209_512,
    C = 4 << 20;
  const bytes = new Uint8Array(N);
  for (let i = 0; i < N; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(N, i + 65536)));
  const db = await new Promise((res, rej) => {
    const q = indexedDB.open("probe", 1);
    q.onupgradeneeded = () => q.result.createObjectStore("s");
    q.onsuccess = () => res(q.result);
    q.onerror = rej;
  });
  const tx = (mode, f) =>
    new Promise((res, rej) => {
      const t = db.transaction("s", mode);
      const s = t.objectStore("s");
      const out = f(s);
      t.oncomplete = () => res(out);
      t.onerror = rej;
    });
  const chunks = [];
  for (let o = 0; o < N; o += C) chunks.push(bytes.slice(o, Math.min(N, o + C)).buffer);
  const out = {};
  let t = performance.now();
  await tx("readwrite", (s) => chunks.forEach((c, i) => s.put(c, "ab" + i)));
  out.writeAB = performance.now() - t;
  t = performance.now();
  await tx("readwrite", (s) => chunks.forEach((c, i) => s.put(new Blob([c]), "bl" + i)));
  out.writeBlob = performance.now() - t;
  t = performance.now();
  await tx("readwrite", (s) => s.put(new Blob(chunks), "one"));
  out.writeOne = performance.now() - t;
  const get = (keys) =>
    new Promise((res, rej) => {
      const t = db.transaction("s", "readonly");
      const s = t.objectStore("s");
      const rs = keys.map((k) => s.get(k));
      t.oncomplete = () => res(rs.map((r) => r.result));
      t.onerror = rej;
    });
  for (let rep = 0; rep < 2; rep++) {
    t = performance.now();
    const a = await get(chunks.map((_, i) => "ab" + i));
    const buf = new Uint8Array(N);
    let o = 0;
    for (const c of a) {
      buf.set(new Uint8Array(c), o);
      o += c.byteLength;
    }
    out["readAB" + rep] = performance.now() - t;
    t = performance.now();
    const b = await get(chunks.map((_, i) => "bl" + i));
    out["getBlob" + rep] = performance.now() - t;
    const bufs = await Promise.all(b.map((x) => x.arrayBuffer()));
    out["readBlob" + rep] = performance.now() - t;
    t = performance.now();
    const [one] = await get(["one"]);
    const ab = await one.arrayBuffer();
    out["readOne" + rep] = performance.now() - t;
  }
  t = performance.now();
  await crypto.subtle.digest("SHA-256", bytes);
  out.shaWhole = performance.now() - t;
  t = performance.now();
  await Promise.all(chunks.map((c) => crypto.subtle.digest("SHA-256", c)));
  out.shaChunksParallel = performance.now() - t;
  t = performance.now();
  for (const c of chunks) await crypto.subtle.digest("SHA-256", c);
  out.shaChunksSerial = performance.now() - t;
  return out;
});
console.log(r);
await browser.close();
server.kill();
