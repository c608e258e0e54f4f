// A small static server on 127.0.0.1 for built pages: the strict CSP on every
// response, the default pack under /packs/, no HTTP caching (the pack cache is
// IndexedDB's job), and a per-path request count at /__requests. With
// `precompressed`, a file with a `.gz` beside it is sent as that file, with
// Content-Encoding gzip and the compressed Content-Length, as nginx's
// gzip_static, S3 or a CDN send a precompressed file (counted as "gzip <path>").
// With `bytesPerSecond`, every body is paced to that rate (a slow link, for the
// first-visit benchmark; it applies to the worker's requests too, unlike
// DevTools throttling of the page).
import http from "node:http";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as delay } from "node:timers/promises";

export const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".veilpack": "application/octet-stream",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

/** Serves `roots` (URL prefix -> directory, longest prefix first) on 127.0.0.1:port. */
export function serveStatic({ roots, port, host = "127.0.0.1", precompressed = false, bytesPerSecond = 0 }) {
  const log = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/__requests") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(Object.fromEntries(log)));
    }
    log.set(url.pathname, (log.get(url.pathname) ?? 0) + 1);
    const [prefix, dir] = Object.entries(roots)
      .sort((a, b) => b[0].length - a[0].length)
      .find(([p]) => url.pathname.startsWith(p));
    const rel = decodeURIComponent(url.pathname.slice(prefix.length)) || "index.html";
    const file = path.join(dir, rel.endsWith("/") ? `${rel}index.html` : rel);
    let size;
    try {
      if (!file.startsWith(dir)) throw new Error("outside");
      size = statSync(file).size;
    } catch {
      res.writeHead(404, { "content-security-policy": CSP });
      return res.end("not found");
    }
    const gz = precompressed && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "") ? gzipped(file) : null;
    if (gz) log.set(`gzip ${url.pathname}`, (log.get(`gzip ${url.pathname}`) ?? 0) + 1);
    res.writeHead(200, {
      "content-type": types[path.extname(file)] ?? "application/octet-stream",
      "content-length": gz ? gz.size : size,
      "content-security-policy": CSP,
      "cache-control": "no-store",
      ...(gz && { "content-encoding": "gzip", vary: "accept-encoding" }),
    });
    const body = createReadStream(gz ? gz.file : file, { highWaterMark: 64 * 1024 });
    if (bytesPerSecond > 0) void pipeline(body, paced(bytesPerSecond), res).catch(() => res.destroy());
    else body.pipe(res);
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

/** The `.gz` beside a file, if there is one. */
function gzipped(file) {
  try {
    return { file: `${file}.gz`, size: statSync(`${file}.gz`).size };
  } catch {
    return null;
  }
}

/** Passes chunks on no faster than `rate` bytes per second since the first one. */
function paced(rate) {
  return async function* (source) {
    const t0 = performance.now();
    let sent = 0;
    for await (const chunk of source) {
      sent += chunk.length;
      const due = t0 + (sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
      yield chunk;
    }
  };
}
