#!/usr/bin/env node
// veil-collector: the analyst's side (docs/collection.md).
import { parseArgs } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import cluster from "node:cluster";
import { startCollector, holdTask, loadTask } from "./server.js";
import { perWorker, reportListening, runPrimary } from "./cluster.js";
import { combineRelease } from "./combine.js";
import { newToken, tokenHash } from "./http.js";
import { ReportStore } from "./store.js";
import { describeAggregate } from "@veil/task";

const USAGE = `usage:
  veil-collector token create --out FILE
      a new random token (analyst or peer), written readable by you only
  veil-collector task create TASK.json --db FILE|postgres://... [--token-file FILE]
      holds a task; the analyst token comes from the file or VEIL_ANALYST_TOKEN; prints the task id
  veil-collector task id TASK.json
  veil-collector serve --db FILE|postgres://... [--workers N] [--port N] [--role leader|helper] [--peer URL] [--peer-token-file FILE]
                       [--task TASK.json --token-file FILE] [--allow-origin URL]... [--allow-host HOST]...
                       [--name NAME] [--rate N] [--burst N] [--max-connections N] [--max-connections-per-address N]
      the peer token comes from the file or VEIL_PEER_TOKEN (the same on both collectors);
      --workers N runs N processes on one port and one database (use PostgreSQL), sharing out the limits
  veil-collector combine --task ID [--token-file FILE] LEADER_URL HELPER_URL
      releases the next batch on both collectors and prints the noised totals`;

const secret = (file: string | undefined, env: string, what: string): string => {
  const value = file ? readFileSync(file, "utf8").trim() : process.env[env];
  if (!value) throw new Error(`${what} is required: --${what}-file FILE or ${env}.`);
  return value;
};
const analystToken = (file?: string) => secret(file, "VEIL_ANALYST_TOKEN", "token");
const readJsonFile = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));
const number = (v: string | undefined, name: string, fallback: number, max = 1e9): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name} must be an integer from 0 to ${max}.`);
  return n;
};

async function token(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: "string" } } });
  if (positionals[0] !== "create" || !values.out) throw new Error("token create --out FILE");
  writeFileSync(values.out, `${newToken()}\n`, { mode: 0o600, flag: "wx" });
  console.log(`wrote a new token to ${values.out}`);
  return 0;
}

async function task(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { db: { type: "string" }, "token-file": { type: "string" } } });
  const [sub, file] = positionals;
  if ((sub !== "create" && sub !== "id") || !file) throw new Error("task create TASK.json --db FILE, or task id TASK.json");
  const { task: t, id } = await loadTask(readJsonFile(file));
  if (sub === "create") {
    if (!values.db) throw new Error("--db FILE is required.");
    const store = await ReportStore.open(values.db);
    try {
      await store.addTask(id, t, tokenHash(analystToken(values["token-file"])));
    } finally {
      await store.close();
    }
    for (const a of t.aggregates) console.error(`  ${a.id}: ${describeAggregate(a)}`);
  }
  console.log(id);
  return 0;
}

async function serve(rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: {
      db: { type: "string" },
      port: { type: "string" },
      role: { type: "string" },
      peer: { type: "string" },
      "peer-token-file": { type: "string" },
      task: { type: "string", multiple: true },
      "token-file": { type: "string" },
      "allow-origin": { type: "string", multiple: true },
      "allow-host": { type: "string", multiple: true },
      name: { type: "string" },
      rate: { type: "string" },
      burst: { type: "string" },
      "max-connections": { type: "string" },
      "max-connections-per-address": { type: "string" },
      workers: { type: "string" },
    },
  });
  if (!values.db) throw new Error("--db FILE or --db postgres://... is required.");
  const role = (values.role ?? "leader") as "leader" | "helper";
  if (role !== "leader" && role !== "helper") throw new Error("--role must be leader or helper.");
  const port = number(values.port, "port", 8787, 65535);
  const workers = Math.max(1, number(values.workers, "workers", 1, 64));
  const peerToken = values.peer || role === "helper" ? secret(values["peer-token-file"], "VEIL_PEER_TOKEN", "peer-token") : undefined;
  const tasks = values.task ?? [];
  if (workers > 1 && cluster.isPrimary) {
    // The primary migrates the database and holds the tasks once, then forks the workers that serve.
    const store = await ReportStore.open(values.db);
    try {
      for (const file of tasks)
        console.log(`task ${await holdTask(store, readJsonFile(file), analystToken(values["token-file"]), peerToken !== undefined)} from ${file}`);
    } finally {
      await store.close();
    }
    const url = await runPrimary(workers, (line) => console.log(`veil-collector: ${line}`));
    console.log(`veil-collector listening on ${url} as ${role} (${workers} processes on one database)`);
    return -1;
  }
  // Limits hold for the whole service: each of `workers` processes enforces its share.
  const share = (value: string | undefined, flag: string, fallback: number) => perWorker(number(value, flag, fallback), workers);
  const c = await startCollector({
    database: values.db,
    port,
    role,
    ...(peerToken ? { peer: { url: values.peer ?? "", token: peerToken } } : {}),
    allowOrigins: values["allow-origin"] ?? [],
    allowHosts: values["allow-host"] ?? [],
    name: values.name ?? `${role} on ${port}`,
    rate: { perSecond: share(values.rate, "rate", 2000), burst: share(values.burst, "burst", 4000) },
    maxConnections: share(values["max-connections"], "max-connections", 1024),
    maxConnectionsPerAddress: share(values["max-connections-per-address"], "max-connections-per-address", 128),
  });
  const stop = () => void c.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (cluster.isWorker) {
    reportListening(c.url);
    return -1;
  }
  for (const file of tasks) console.log(`task ${await c.addTask(readJsonFile(file), analystToken(values["token-file"]))} from ${file}`);
  console.log(`veil-collector listening on ${c.url} as ${role} (${c.store.description})`);
  return -1; // keep running
}

async function combine(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { task: { type: "string" }, "token-file": { type: "string" } } });
  if (!values.task || positionals.length !== 2) throw new Error("combine --task ID [--token-file FILE] LEADER_URL HELPER_URL");
  const r = await combineRelease(positionals[0]!, positionals[1]!, values.task, analystToken(values["token-file"]));
  console.log(JSON.stringify(r, null, 2));
  return 0;
}

const COMMANDS: Record<string, (rest: string[]) => Promise<number>> = { token, task, serve, combine };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(USAGE);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    console.error(`veil-collector: ${(e as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
