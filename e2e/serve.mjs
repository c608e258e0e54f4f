#!/usr/bin/env node
// A static server for the built test page on 127.0.0.1, with the strict CSP on
// every response, the default pack under /packs/, and a request log the tests
// read (/__requests) to check that a cached pack is not fetched again.
import http from "node:http";
import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const roots = { "/packs/": path.resolve(here, "../packs"), "/": path.join(here, "dist") };
const port = Number(process.env.PORT ?? 4173);
export const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".veilpack": "application/octet-stream",
  ".css": "text/css",
};
const log = new Map();

http
  .createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/__requests") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(Object.fromEntries(log)));
    }
    log.set(url.pathname, (log.get(url.pathname) ?? 0) + 1);
    const [prefix, dir] = Object.entries(roots).find(([p]) => url.pathname.startsWith(p));
    const rel = decodeURIComponent(url.pathname.slice(prefix.length)) || "index.html";
    const file = path.join(dir, rel);
    let size;
    try {
      if (!file.startsWith(dir)) throw new Error("outside");
      size = statSync(file).size;
    } catch {
      res.writeHead(404, { "content-security-policy": CSP });
      return res.end("not found");
    }
    res.writeHead(200, {
      "content-type": types[path.extname(file)] ?? "application/octet-stream",
      "content-length": size,
      "content-security-policy": CSP,
      // The pack must come from IndexedDB on the second load, not from the HTTP cache.
      "cache-control": "no-store",
    });
    createReadStream(file).pipe(res);
  })
  .listen(port, "127.0.0.1", () => console.log(`e2e server on http://127.0.0.1:${port}/`));
