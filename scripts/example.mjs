#!/usr/bin/env node
// `npm run example`: builds the example app, starts its two collectors (SQLite
// files under example-data/) holding the app's task, and serves the app, all on 127.0.0.1.
//   app          http://127.0.0.1:5174/   (PORT overrides)
//   collector A  http://127.0.0.1:8787/   leader: the privatized text and answers, and one Prio3 share of each amount
//   collector B  http://127.0.0.1:8788/   helper: the other Prio3 share
// The analyst token (dashboards, releases) and the collectors' shared peer token are
// made on first run and kept, readable by you only, in example-data/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "./static-server.mjs";
import { startCollector, newToken } from "../packages/collector/dist/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 5174);
const origin = `http://127.0.0.1:${port}`;
const r = spawnSync(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "apps/example/vite.config.mjs"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
const data = path.join(root, "example-data");
mkdirSync(data, { recursive: true, mode: 0o700 });
const secret = (name) => {
  const file = path.join(data, name);
  if (!existsSync(file)) writeFileSync(file, `${newToken()}\n`, { mode: 0o600 });
  return { file, value: readFileSync(file, "utf8").trim() };
};
const analyst = secret("analyst.token");
const peer = secret("peer.token");
const task = JSON.parse(readFileSync(path.join(root, "apps/example/task.json"), "utf8"));
const b = await startCollector({
  database: path.join(data, "helper.db"),
  port: 8788,
  role: "helper",
  peer: { url: "", token: peer.value },
  allowOrigins: [origin],
  name: "B (helper)",
});
const a = await startCollector({
  database: path.join(data, "leader.db"),
  port: 8787,
  role: "leader",
  peer: { url: b.url, token: peer.value },
  allowOrigins: [origin],
  name: "A (leader)",
});
const id = await a.addTask(task, analyst.value);
await b.addTask(task, analyst.value);
await serveStatic({ port, roots: { "/packs/": path.join(root, "packs"), "/": path.join(root, "apps/example/dist") } });
console.log(`
Veil example app:  ${origin}/
Collector A:       ${a.url}/   (leader; dashboard: any user name, the password is in ${path.relative(root, analyst.file)})
Collector B:       ${b.url}/   (helper)
Task:              ${id} (apps/example/task.json)
Release the noised total of the amounts once a batch holds ${task.minBatchSize ?? 100} reports:
  node packages/collector/dist/main.js combine --task ${id} --token-file ${path.relative(root, analyst.file)} ${a.url} ${b.url}
Ctrl-C to stop.`);
