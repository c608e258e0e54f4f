#!/usr/bin/env node
// The e2e server: the built test page (e2e/dist), the playground (apps/playground/dist)
// and the default pack, under the strict CSP, with a request log (/__requests).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "../scripts/static-server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 4173);
await serveStatic({
  port,
  roots: {
    "/packs/": path.resolve(here, "../packs"),
    "/playground/": path.resolve(here, "../apps/playground/dist"),
    "/example/": path.resolve(here, "../apps/example/dist"),
    "/": path.join(here, "dist"),
  },
});
console.log(`e2e server on http://127.0.0.1:${port}/`);
