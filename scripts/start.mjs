#!/usr/bin/env node
// `npm start` after set-up: builds the playground (Vite) and serves it on
// 127.0.0.1 with the default pack, under the strict CSP. PORT overrides 5173.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "./static-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const r = spawnSync(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "apps/playground/vite.config.mjs"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) process.exit(r.status || 1);
const port = Number(process.env.PORT ?? 5173);
await serveStatic({ port, roots: { "/packs/": path.join(root, "packs"), "/": path.join(root, "apps/playground/dist") } });
console.log(`\nVeil playground: http://127.0.0.1:${port}/\n(Ctrl-C to stop. The CLI: echo 'your text' | pnpm veil perturb --mechanism gumbel --epsilon 50)\n`);
