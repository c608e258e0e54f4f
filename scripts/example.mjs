#!/usr/bin/env node
// `npm run example`: builds the example app, starts two collectors (SQLite files
// under example-data/) and serves the app, all on 127.0.0.1.
//   app          http://127.0.0.1:5174/   (PORT overrides)
//   collector A  http://127.0.0.1:8787/   (the reports and one share of each amount)
//   collector B  http://127.0.0.1:8788/   (the other share)
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "./static-server.mjs";
import { startCollector } from "../packages/collector/dist/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 5174);
const origin = `http://127.0.0.1:${port}`;
const r = spawnSync(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "apps/example/vite.config.mjs"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
const data = path.join(root, "example-data");
mkdirSync(data, { recursive: true });
const a = await startCollector({ database: path.join(data, "collector-a.db"), port: 8787, allowOrigins: [origin], name: "A (reports and amount shares)" });
const b = await startCollector({ database: path.join(data, "collector-b.db"), port: 8788, allowOrigins: [origin], name: "B (amount shares)" });
await serveStatic({ port, roots: { "/packs/": path.join(root, "packs"), "/": path.join(root, "apps/example/dist") } });
console.log(`
Veil example app:  ${origin}/
Collector A:       ${a.url}/   (dashboard; reports in example-data/collector-a.db)
Collector B:       ${b.url}/
Release the secret-shared total of the amounts (epsilon 1):
  node packages/collector/dist/main.js combine --sum amount --epsilon 1 ${a.url} ${b.url}
Ctrl-C to stop.`);
